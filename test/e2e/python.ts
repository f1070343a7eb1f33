/**
 * The Python side of the end-to-end tests: one virtualenv from PyPI, cached in
 * the git-ignored `.cache/e2e/`, into which each generated project is
 * installed (`pip install -e '.[dev]'`) before its own checks run.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { findPython } from '../../lib/install.js';
import { BYTEWAX_REQUIREMENT, PYTHON_TOOLS } from '../../lib/versions.js';
import { REPO_ROOT } from '../helpers/paths.js';

const CACHE = path.join(REPO_ROOT, '.cache', 'e2e');
export const VENV = path.join(CACHE, 'venv');
export const venvBin = (venv: string, tool: string): string => path.join(venv, 'bin', tool);

/** What the cached venv holds: the dev extra, the build backend and the validators. */
const REQUIREMENTS = [
  BYTEWAX_REQUIREMENT,
  `build>=${PYTHON_TOOLS.build}`,
  `mypy>=${PYTHON_TOOLS.mypy}`,
  `packaging>=${PYTHON_TOOLS.packaging}`,
  `pre-commit>=${PYTHON_TOOLS.preCommit}`,
  `pytest>=${PYTHON_TOOLS.pytest}`,
  `pytest-timeout>=${PYTHON_TOOLS.pytestTimeout}`,
  `ruff>=${PYTHON_TOOLS.ruff}`,
  `twine>=${PYTHON_TOOLS.twine}`,
  `hatchling>=${PYTHON_TOOLS.hatchling}`,
  `hatch-vcs>=${PYTHON_TOOLS.hatchVcs}`,
  'validate-pyproject[all]',
  // hatchling's editable builds need it when pip skips the isolated build env.
  'editables',
];

export interface Ran {
  command: string;
  status: number | null;
  output: string;
}

/** Runs a command, returning its combined output; never throws. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Ran {
  const result: SpawnSyncReturns<string> = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    command: [command, ...args].join(' '),
    status: result.status,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`,
  };
}

/** Asserts a command exited 0, showing its output when it did not. */
export function check(ran: Ran): Ran {
  assert.equal(ran.status, 0, `\`${ran.command}\` exited ${ran.status}:\n${ran.output}`);
  return ran;
}

/** The cached venv, created or refreshed when the requirement list changed. */
export function ensureVenv(): string {
  const stamp = path.join(VENV, 'requirements.stamp');
  const wanted = REQUIREMENTS.join('\n');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted) return VENV;
  const python = findPython('3.10');
  assert.ok(python, 'no Python 3.10 to 3.12 on PATH for the end-to-end tests');
  fs.rmSync(VENV, { recursive: true, force: true });
  fs.mkdirSync(CACHE, { recursive: true });
  check(run(python, ['-m', 'venv', VENV], REPO_ROOT));
  check(run(venvBin(VENV, 'python'), ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--upgrade', 'pip'], REPO_ROOT));
  check(run(venvBin(VENV, 'python'), ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', ...REQUIREMENTS], REPO_ROOT));
  fs.writeFileSync(stamp, wanted);
  return VENV;
}

let unshareWorks: boolean | undefined;

/**
 * `[command, args]` that run `command args` in a private network namespace
 * when this process may create one (root on Linux), else unchanged. Generated
 * suites run `python -m bytewax.testing -p 2`, which listens on fixed ports
 * 2101+, and other suites on the machine may be using them.
 */
export function isolated(command: string, args: string[]): [string, string[]] {
  unshareWorks ??=
    process.platform === 'linux' &&
    spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' }).status === 0;
  if (!unshareWorks) return [command, args];
  return ['unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', command, ...args]];
}

/** `pip install -e '.[dev]'` of a generated project into `venv`. */
export function installProject(venv: string, projectDir: string): void {
  // The cached venv already has the build backend, so skip the isolated build env.
  check(
    run(
      venvBin(venv, 'python'),
      ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--no-build-isolation', '-e', '.[dev]'],
      projectDir,
    ),
  );
}

/**
 * Every check the generated project promises, as its README gives them:
 * lint, format, types, tests (at least one collected and passed; pytest's exit
 * 5 for "no tests" fails), build, twine, and the config validators.
 */
export function runProjectChecks(venv: string, projectDir: string): { pytest: string } {
  const bin = (tool: string) => venvBin(venv, tool);
  check(run(bin('ruff'), ['check', '--no-cache', '.'], projectDir));
  check(run(bin('ruff'), ['format', '--check', '--no-cache', '.'], projectDir));
  check(run(bin('mypy'), [], projectDir));
  const pytest = check(run(...isolated(bin('pytest'), ['-q', '-p', 'no:cacheprovider']), projectDir));
  assert.match(pytest.output, /\b[1-9]\d* passed\b/, 'pytest passed no test');
  assert.doesNotMatch(pytest.output, /\b\d+ (failed|errors?)\b/);
  fs.rmSync(path.join(projectDir, 'dist'), { recursive: true, force: true });
  check(run(bin('python'), ['-m', 'build', '.'], projectDir));
  const dists = fs.readdirSync(path.join(projectDir, 'dist')).map((f) => path.join('dist', f));
  assert.equal(dists.length, 2, `expected an sdist and a wheel, got ${dists.join(', ')}`);
  check(run(bin('twine'), ['check', '--strict', ...dists], projectDir));
  check(run(bin('pre-commit'), ['validate-config', '.pre-commit-config.yaml'], projectDir));
  // validate-pyproject is our check, not one of the project's dev tools.
  check(run(venvBin(ensureVenv(), 'validate-pyproject'), ['pyproject.toml'], projectDir));
  return { pytest: pytest.output };
}
