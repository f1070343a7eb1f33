/**
 * `npx generator-bytewax-connector [generator] [args] [options]` (see
 * lib/runner.ts). The build bundles this file with everything it imports into
 * dist/runner.cjs for start-up time, loaded and called by the small bin
 * dist/cli.js; the generators' templates stay beside their built files in
 * dist/generators/.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../lib/runner.js';

/** The command the user typed to get here, for the commands we suggest. */
function invokedAs(): string {
  const script = path.resolve(process.argv[1] ?? 'dist/cli.js');
  if (process.env['npm_command'] === 'exec') return 'npx generator-bytewax-connector';
  if (script.split(path.sep).includes('node_modules')) return 'generator-bytewax-connector';
  // Run from a clone: `node dist/cli.js` from the clone, else the full path.
  const relative = path.relative(process.cwd(), script);
  return `node ${relative.startsWith('..') ? script : relative}`;
}

/** Runs the command line; resolves to the exit status. */
export function main(): Promise<number> {
  // A reader that stops early (`--help | head -1`) is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
  return runCli(process.argv.slice(2), {
    cwd: process.cwd(),
    distDir: path.dirname(fileURLToPath(import.meta.url)),
    invokedAs: invokedAs(),
    stdout: process.stdout,
    stderr: process.stderr,
  });
}
