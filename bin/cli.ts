#!/usr/bin/env node
/**
 * `npx generator-bytewax-connector [generator] [args] [options]` (see
 * lib/runner.ts). The build bundles this file with everything it imports into
 * dist/cli.js for start-up time; the generators' templates stay beside their
 * built files in dist/generators/.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../lib/runner.js';

process.exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  distDir: path.dirname(fileURLToPath(import.meta.url)),
  stdout: process.stdout,
  stderr: process.stderr,
});
