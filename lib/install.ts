import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pythonRange, type PythonVersion } from './versions.js';

interface Logger {
  (message: string): void;
  error?: (message: string) => void;
}

function run(command: string, args: string[], cwd: string): boolean {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  return result.status === 0;
}

function onPath(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The first interpreter on PATH that bytewax 0.21 has wheels for and the
 * project accepts, newest first: `python3` alone may well be 3.13.
 */
export function findPython(minimum: PythonVersion): string | undefined {
  const versions = pythonRange(minimum).reverse();
  const candidates = [...versions.map((v) => `python${v}`), 'python3', 'python'];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
    if (probe.status === 0 && (versions as string[]).includes(probe.stdout.trim())) return candidate;
  }
  return undefined;
}

/** Where a venv keeps its executables: `Scripts` on Windows, `bin` elsewhere. */
const VENV_BIN = process.platform === 'win32' ? path.join('.venv', 'Scripts') : path.join('.venv', 'bin');

/**
 * Creates `.venv` in the project and installs it with its dev extra (uv when it
 * is on PATH, else venv + pip). A failure keeps every generated file and says
 * how to finish by hand; it never fails the generator.
 */
export function installProject(projectDir: string, minimum: PythonVersion, log: Logger): boolean {
  const python = findPython(minimum);
  const byHand = [
    `  cd ${projectDir}`,
    `  python3 -m venv .venv          # Python ${pythonRange(minimum).join(', ')}`,
    `  ${path.join(VENV_BIN, 'pip')} install -e '.[dev]'`,
  ].join('\n');
  if (!python) {
    log(`\nNo Python ${pythonRange(minimum).join(' or ')} found on PATH, so nothing was installed. Finish by hand:\n${byHand}\n`);
    return false;
  }
  log(`\nInstalling the project into .venv with ${python}…`);
  const ok = onPath('uv')
    ? run('uv', ['venv', '--python', python, '.venv'], projectDir) &&
      run('uv', ['pip', 'install', '--python', '.venv', '-e', '.[dev]'], projectDir)
    : run(python, ['-m', 'venv', '.venv'], projectDir) &&
      run(path.join(VENV_BIN, 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '-e', '.[dev]'], projectDir);
  if (!ok) {
    log(`\nInstalling failed (see the output above); every generated file is kept. Finish by hand:\n${byHand}\n`);
  }
  return ok;
}
