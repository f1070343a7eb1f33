/**
 * `npx generator-bytewax-connector [generator] [args] [options]` (see
 * lib/runner.ts). The build bundles this file with everything it imports into
 * dist/runner.cjs for start-up time, loaded and called by the small bin
 * dist/cli.js; the generators' templates stay beside their built files in
 * dist/generators/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './runner.js';
import { shellWord } from '../lib/shell.js';

/**
 * The command the user typed to get here, for the commands we suggest:
 * `npx generator-bytewax-connector`, the bin's name when it was found on PATH
 * (npm's link, whatever the prefix), or `node <script>` from a clone, as an
 * absolute path so that it still works after a `cd`.
 */
function invokedAs(): string {
  if (process.env['npm_command'] === 'exec') {
    // `npx --package <spec> generator-bytewax-connector` (a tarball, a version): shown with its spec.
    const spec = process.env['npm_config_package'];
    return spec && spec !== 'generator-bytewax-connector' ? `npx --package ${shellWord(spec)} generator-bytewax-connector` : 'npx generator-bytewax-connector';
  }
  const script = process.argv[1] ?? 'dist/cli.js';
  const name = path.basename(script);
  if (!/\.[cm]?js$/.test(name) && onPath(name, script)) return name;
  return `node ${shellWord(path.resolve(script))}`;
}

/** Whether `name` on PATH is `script` (the link npm made to this bin). */
function onPath(name: string, script: string): boolean {
  const real = (file: string) => {
    try {
      return fs.realpathSync(file);
    } catch {
      return undefined;
    }
  };
  const target = real(script);
  return (process.env['PATH'] ?? '').split(path.delimiter).some((dir) => dir !== '' && real(path.join(dir, name)) === target);
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
