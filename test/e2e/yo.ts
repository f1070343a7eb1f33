/**
 * The real `yo` CLI for the end-to-end tests. yo refuses to run as root (it
 * switches to another user and then fails on root's home), so as root it runs
 * as a plain user made for these tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { check, run, type Ran } from './python.js';

export function runYo(args: string[], cwd: string): Ran {
  const yo = path.join(REPO_ROOT, 'node_modules', '.bin', 'yo');
  if (process.getuid?.() !== 0) return run(yo, [...args, '--no-insight'], cwd);
  const user = 'bytewax-e2e';
  if (run('id', [user], cwd).status !== 0) check(run('useradd', ['--create-home', user], cwd));
  check(run('chown', ['-R', user, cwd], cwd));
  // mkdtemp makes 0700 directories: let the user reach its working directory.
  for (let dir = path.dirname(cwd); dir !== path.dirname(dir) && dir.startsWith(os.tmpdir()); dir = path.dirname(dir)) {
    fs.chmodSync(dir, 0o755);
  }
  return run('runuser', ['-u', user, '--', yo, ...args, '--no-insight'], cwd);
}

/**
 * A directory under `work` where yo finds this generator: yo discovers
 * generator-* packages in the node_modules of the working directory's ancestors.
 */
export function yoHome(work: string): string {
  const home = path.join(work, 'yo-home');
  fs.mkdirSync(path.join(home, 'node_modules'), { recursive: true });
  fs.symlinkSync(REPO_ROOT, path.join(home, 'node_modules', 'generator-bytewax-connector'));
  return home;
}
