/**
 * The Python side of the end-to-end tests: one virtualenv from PyPI, cached in
 * the git-ignored `.cache/e2e/`, into which each generated project is
 * installed (`pip install -e . --group dev`) before its own checks run; it
 * has the `docs` group too, for the strict docs builds. Installs go
 * through uv when it is on PATH (`.ci/run` puts it there), else pip.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findPython } from '../../lib/install.js';
import { BYTEWAX_REQUIREMENT, DEV_GROUP, DOCS_GROUP, PRE_COMMIT_HOOKS, PYTHON_TOOLS } from '../../lib/versions.js';
import { REPO_ROOT } from '../helpers/paths.js';

const CACHE = path.join(REPO_ROOT, '.cache', 'e2e');
export const VENV = path.join(CACHE, 'venv');
export const venvBin = (venv: string, tool: string): string => path.join(venv, 'bin', tool);

/** What the cached venv holds: the dev and docs groups, the build backend and the validators. */
const REQUIREMENTS = [
  BYTEWAX_REQUIREMENT,
  ...DEV_GROUP,
  ...DOCS_GROUP,
  `pip>=${PYTHON_TOOLS.pip}`,
  `hatchling>=${PYTHON_TOOLS.hatchling}`,
  `hatch-vcs>=${PYTHON_TOOLS.hatchVcs}`,
  'validate-pyproject[all]',
  // What a Python maintainer checks a project with: sp-repo-review, the
  // spell checker the generated pre-commit runs, and the task runner.
  'sp-repo-review[cli]',
  `typos==${PRE_COMMIT_HOOKS.typos.rev.replace(/^v/, '')}`,
  `nox>=${PYTHON_TOOLS.nox}`,
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

const useUv = spawnSync('uv', ['--version'], { stdio: 'ignore' }).status === 0;

/** Installs `args` (pip's install arguments) into `venv`, by uv or pip. */
function pipInstall(venv: string, args: string[], cwd: string): void {
  if (useUv) check(run('uv', ['pip', 'install', '--quiet', '--python', venvBin(venv, 'python'), ...args], cwd));
  else check(run(venvBin(venv, 'python'), ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', ...args], cwd));
}

/** The cached venv, created or refreshed when the requirement list or the installer changed. */
export function ensureVenv(): string {
  const stamp = path.join(VENV, 'requirements.stamp');
  const wanted = [useUv ? 'uv' : 'pip', ...REQUIREMENTS].join('\n');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted) return VENV;
  const python = findPython('3.10');
  assert.ok(python, 'no Python 3.10 to 3.12 on PATH for the end-to-end tests');
  fs.rmSync(VENV, { recursive: true, force: true });
  fs.mkdirSync(CACHE, { recursive: true });
  if (useUv) {
    // The interpreter's own path: uv would otherwise look a version up, or download one.
    const executable = check(run(python, ['-c', 'import sys; print(sys.executable)'], REPO_ROOT)).output.trim();
    check(run('uv', ['venv', '--quiet', '--seed', '--python', executable, VENV], REPO_ROOT));
  } else {
    check(run(python, ['-m', 'venv', VENV], REPO_ROOT));
    pipInstall(VENV, ['--upgrade', 'pip'], REPO_ROOT);
  }
  pipInstall(VENV, REQUIREMENTS, REPO_ROOT);
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

/** `pip install -e . --group dev` of a generated project into `venv`. */
export function installProject(venv: string, projectDir: string): void {
  // The cached venv already has the build backend, so skip the isolated build env.
  pipInstall(venv, ['--no-build-isolation', '-e', '.', '--group', 'dev'], projectDir);
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
  // Our checks, not the project's dev tools: validate-pyproject, typos (which
  // the project's pre-commit runs) and sp-repo-review.
  const tools = ensureVenv();
  check(run(venvBin(tools, 'validate-pyproject'), ['pyproject.toml'], projectDir));
  check(run(venvBin(tools, 'typos'), ['.'], projectDir));
  const review = repoReview(projectDir);
  assert.deepEqual(review.failed, [], `sp-repo-review failures not waived in pyproject.toml:\n${review.failed.join('\n')}`);
  return { pytest: pytest.output };
}

/**
 * sp-repo-review's verdict on a project: the failed checks (those waived in
 * pyproject.toml's [tool.repo-review] count as skipped) and the counts.
 */
export function repoReview(projectDir: string): { failed: string[]; passed: number; skipped: number } {
  const review = check(run(venvBin(ensureVenv(), 'repo-review'), ['--format', 'json', '.'], projectDir));
  const { checks } = JSON.parse(review.output.slice(review.output.indexOf('{'))) as {
    checks: Record<string, { description: string; result: boolean | null; err_msg: string }>;
  };
  const entries = Object.entries(checks);
  return {
    failed: entries.filter(([, c]) => c.result === false).map(([name, c]) => `${name} ${c.description}: ${c.err_msg.split('\n')[0]}`),
    passed: entries.filter(([, c]) => c.result === true).length,
    skipped: entries.filter(([, c]) => c.result === null).length,
  };
}

/** The pytest node ids a project collects, e.g. `tests/test_orders.py::test_rescale[demo]`. */
function collected(venv: string, project: string): string[] {
  const ran = check(run(venvBin(venv, 'pytest'), ['--collect-only', '-q', '-p', 'no:cacheprovider'], project));
  return ran.output.split('\n').filter((line) => line.includes('::'));
}

/**
 * Every check of a project with sources or sinks, after asserting that each
 * test file collects the named contract tests; pytest must pass every test it
 * collected.
 */
export function checkContractProject(venv: string, project: string, contract: Record<string, string[]>): void {
  const ids = collected(venv, project);
  for (const [file, tests] of Object.entries(contract)) {
    for (const test of tests) {
      assert.ok(ids.some((id) => id.startsWith(`${file}::${test}`)), `${file}::${test} was not collected:\n${ids.join('\n')}`);
    }
  }
  const { pytest } = runProjectChecks(venv, project);
  assert.match(pytest, new RegExp(`\\b${ids.length} passed\\b`));
}

/**
 * The docs build of a generated project, as its nox session and docs.yml run
 * it: HTML, then the pages' doctests, each with --fail-on-warning. Output goes
 * to a fresh folder outside the project. Returns both builds' output.
 */
export function buildDocs(venv: string, projectDir: string): { html: string; doctest: string; out: string } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-docs-build-'));
  const sphinx = (builder: string) =>
    check(run(venvBin(venv, 'sphinx-build'), ['--fail-on-warning', '-d', path.join(out, 'doctrees'), '-b', builder, 'docs', path.join(out, builder)], projectDir)).output;
  return { html: sphinx('html'), doctest: sphinx('doctest'), out };
}
