/**
 * A new project becomes a git repository with a first commit, so its
 * `pre-commit install` works and hatch-vcs has a history to version from.
 * The commit holds exactly the files the generator wrote (and the lock file
 * its install made): never what was in the folder before.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Settings for every git process here: no hooks, no fsmonitor program, no
 * signing program, no pager, no prompt. A folder may hold a repository
 * someone else configured (an archive that carries its .git, say).
 */
const SAFE = [
  '-c', 'core.hooksPath=/dev/null',
  '-c', 'core.fsmonitor=false',
  '-c', 'commit.gpgSign=false',
  '-c', 'core.pager=cat',
];

/** The environment of a git process: git's own variables that would point it at another repository are dropped. */
function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_CEILING_DIRECTORIES']) {
    delete env[name];
  }
  return env;
}

function git(args: string[], cwd: string, input?: string): { ok: boolean; out: string } {
  const result = spawnSync('git', [...SAFE, ...args], {
    cwd,
    encoding: 'utf8',
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: gitEnv(),
  });
  return { ok: result.status === 0, out: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

/**
 * Settings that turn off every content filter the repository's config names
 * (`filter.<driver>.clean` and friends run programs on `git add`).
 */
function noFilters(dir: string): string[] {
  const listed = git(['config', '--name-only', '--get-regexp', '^filter\\.'], dir);
  const drivers = new Set(listed.ok ? listed.out.split('\n').map((key) => /^filter\.(.+)\.[^.]+$/.exec(key)?.[1]).filter((d): d is string => d !== undefined) : []);
  return [...drivers].flatMap((driver) => ['-c', `filter.${driver}.clean=`, '-c', `filter.${driver}.smudge=`, '-c', `filter.${driver}.process=`, '-c', `filter.${driver}.required=false`]);
}

export function gitAvailable(): boolean {
  return spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The top folder of the git work tree `dir` is in, if any. */
export function enclosingRepository(dir: string): string | undefined {
  const found = git(['rev-parse', '--show-toplevel'], dir);
  return found.ok ? found.out : undefined;
}

/** `git config --get <key>` in `cwd`, or undefined. */
export function gitConfig(key: string, cwd: string): string | undefined {
  const found = git(['config', '--get', key], cwd);
  return found.ok && found.out !== '' ? found.out : undefined;
}

/** `git init` with `main` as the branch; git's output when it fails. */
export function initEmptyRepository(dir: string): string | undefined {
  const result = git(['init', '--quiet', '--initial-branch=main'], dir);
  return result.ok ? undefined : result.out;
}

/** Whether `dir` is the top of a repository that has no commit yet (what `initEmptyRepository` leaves). */
export function awaitsFirstCommit(dir: string): boolean {
  const top = git(['rev-parse', '--show-toplevel'], dir);
  if (!top.ok || path.resolve(top.out) !== path.resolve(dir)) return false;
  return !git(['rev-parse', '--verify', '--quiet', 'HEAD'], dir).ok;
}

/**
 * The first commit: exactly `files` (paths relative to `dir`, taken
 * literally, added even if an ignore file of the user's matches one). The
 * author's answers stand in for a missing git identity. Returns git's output
 * when a step fails.
 */
export function firstCommit(dir: string, files: readonly string[], author: { name: string; email: string }, message: string): string | undefined {
  const identity = [];
  if (!git(['config', 'user.name'], dir).ok) identity.push('-c', `user.name=${author.name}`);
  if (!git(['config', 'user.email'], dir).ok) identity.push('-c', `user.email=${author.email}`);
  const pathspecs = files.map((file) => `:(literal)${file}`).join('\0');
  const filters = noFilters(dir);
  const steps: Array<[string[], string?]> = [
    [[...filters, 'add', '--force', '--pathspec-from-file=-', '--pathspec-file-nul'], pathspecs],
    [[...filters, ...identity, 'commit', '--quiet', '--no-verify', '-m', message]],
  ];
  for (const [args, input] of steps) {
    const result = git(args, dir, input);
    if (!result.ok) return result.out;
  }
  return undefined;
}

/** `git init`, then the first commit (see `firstCommit`). */
export function initRepository(dir: string, files: readonly string[], author: { name: string; email: string }, message: string): string | undefined {
  return initEmptyRepository(dir) ?? firstCommit(dir, files, author, message);
}
