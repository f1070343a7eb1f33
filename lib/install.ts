/**
 * The install step of a new project: a `.venv` with the project (editable)
 * and its `dev` dependency group, by the project's installer. uv: `uv sync`,
 * which also writes `uv.lock`. pip: a venv with its own pip (so `pip install`
 * in the activated venv installs there, never into the system's Python),
 * upgraded to 25.1 or later, which reads dependency groups. It prints a few
 * step lines; the tools' own output goes to a log file, shown only when a
 * step fails. A failure keeps every generated file and says how to finish by
 * hand.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shellWord } from './shell.js';
import { PYTHON_TOOLS, pythonRange, type PythonVersion } from './versions.js';

/** What installs a project: uv, or a venv and pip. */
export type Installer = 'uv' | 'pip';

export interface InstallIo {
  log: (message: string) => void;
  /** Running children, for the Ctrl-C handler to stop. */
  children: Set<ChildProcess>;
}

/** Whether `command --version` runs: the tool is on PATH. */
export function onPath(command: string): boolean {
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
export const VENV_BIN = process.platform === 'win32' ? path.join('.venv', 'Scripts') : path.join('.venv', 'bin');

/** The commands that install the project by the installer, from its root (`python`: a Python it supports). */
export function installCommands(installer: Installer, python = 'python3'): string[] {
  if (installer === 'uv') return ['uv sync'];
  const venvPython = path.join(VENV_BIN, 'python');
  return [`${python} -m venv .venv`, `${venvPython} -m pip install --upgrade "pip>=${PYTHON_TOOLS.pip}"`, `${venvPython} -m pip install -e . --group dev`];
}

/** The commands that finish the install by hand. */
export function installByHand(projectDir: string, installer: Installer, minimum: PythonVersion): string {
  const commands = installCommands(installer, findPython(minimum));
  return [`  cd ${shellWord(projectDir)}`, ...commands.map((command) => `  ${command}`)].join('\n');
}

/** Runs one step, its output appended to `logFile`; resolves to whether it succeeded. */
function step(command: string, args: string[], cwd: string, logFile: string, io: InstallIo): Promise<boolean> {
  fs.appendFileSync(logFile, `\n$ ${[command, ...args].join(' ')}\n`);
  const out = fs.openSync(logFile, 'a');
  return new Promise((resolve) => {
    // A process group of its own, so that stopping the run stops what the tool started too (pip's builds, uv's).
    const child = spawn(command, args, { cwd, stdio: ['ignore', out, out], detached: process.platform !== 'win32' });
    io.children.add(child);
    const finish = (ok: boolean) => {
      io.children.delete(child);
      fs.closeSync(out);
      resolve(ok);
    };
    child.on('error', (error) => {
      fs.appendFileSync(logFile, `${String(error)}\n`);
      finish(false);
    });
    child.on('close', (code) => finish(code === 0));
  });
}

/** Creates `.venv` and installs the project with its dev group. Never throws for a failed tool. */
export async function installProject(projectDir: string, installer: Installer, minimum: PythonVersion, io: InstallIo): Promise<boolean> {
  const python = findPython(minimum);
  const byHand = installByHand(projectDir, installer, minimum);
  if (!python) {
    io.log(`\nNo Python ${pythonRange(minimum).join(' or ')} found on PATH, so nothing was installed. Finish by hand:\n${byHand}\n`);
    return false;
  }
  const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-connector-install-')), 'install.log');
  const started = Date.now();
  const venvPython = path.join(VENV_BIN, 'python');
  const steps: Array<[string, string, string[]]> =
    installer === 'uv'
      ? [[`Creating .venv with ${python} and installing the project and its dev group (uv sync)`, 'uv', ['sync', '--python', python]]]
      : [
          [`Creating .venv with ${python}`, python, ['-m', 'venv', '.venv']],
          // The pip ensurepip bundles may predate dependency groups.
          [`Making sure pip in .venv is ${PYTHON_TOOLS.pip} or later`, venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '--upgrade', `pip>=${PYTHON_TOOLS.pip}`]],
          // --no-compile: Python compiles what it imports anyway, most of the dev tools never are.
          ['Installing the project and its dev group (pip)', venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-compile', '-e', '.', '--group', 'dev']],
        ];
  io.log('');
  for (const [label, command, args] of steps) {
    io.log(`${label}…`);
    if (!(await step(command, args, projectDir, logFile, io))) {
      const tail = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-25).join('\n');
      io.log(
        `\n${tail}\n\nInstalling failed (the full log: ${logFile}); every generated file is kept. Finish by hand:\n${byHand}\n`,
      );
      return false;
    }
  }
  io.log(`Installed into .venv in ${Math.round((Date.now() - started) / 1000)} s.`);
  fs.rmSync(path.dirname(logFile), { recursive: true, force: true });
  return true;
}
