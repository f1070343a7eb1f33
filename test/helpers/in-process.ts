import { Writable } from 'node:stream';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';

type Runner = typeof import('../../bin/runner.js');

/**
 * The built runner (`dist/bin/runner.js`), run in this process: the same code
 * as the `generator-bytewax-connector` bin without a process start per run.
 */
export async function loadRunner(): Promise<Runner['runCli']> {
  const runner = (await import(path.join(REPO_ROOT, 'dist', 'bin', 'runner.js'))) as Runner;
  return runner.runCli;
}

/** Runs one command line in `cwd`; returns its exit status and what it printed. */
export async function runInProcess(runCli: Runner['runCli'], argv: string[], cwd: string): Promise<{ status: number; output: string }> {
  let output = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      output += String(chunk);
      done();
    },
  });
  const status = await runCli(argv, { cwd, distDir: path.join(REPO_ROOT, 'dist'), stdout: sink, stderr: sink });
  return { status, output };
}
