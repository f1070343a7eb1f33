/**
 * A new project becomes a git repository with a first commit, so its
 * `pre-commit install` works and hatch-vcs has a history to version from.
 */
import { spawnSync } from 'node:child_process';

function git(args: string[], cwd: string): { ok: boolean; out: string } {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: result.status === 0, out: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

export function gitAvailable(): boolean {
  return spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The top folder of the git work tree `dir` is in, if any. */
export function enclosingRepository(dir: string): string | undefined {
  const found = git(['rev-parse', '--show-toplevel'], dir);
  return found.ok ? found.out : undefined;
}

/**
 * `git init` with `main` as the branch, then one commit of everything. The
 * author's answers stand in for a missing git identity. Returns git's output
 * when a step fails.
 */
export function initRepository(dir: string, author: { name: string; email: string }, message: string): string | undefined {
  const identity = [];
  if (!git(['config', 'user.name'], dir).ok) identity.push('-c', `user.name=${author.name}`);
  if (!git(['config', 'user.email'], dir).ok) identity.push('-c', `user.email=${author.email}`);
  for (const step of [['init', '--quiet', '--initial-branch=main'], ['add', '--all'], [...identity, 'commit', '--quiet', '--no-verify', '-m', message]]) {
    const result = git(step, dir);
    if (!result.ok) return result.out;
  }
  return undefined;
}
