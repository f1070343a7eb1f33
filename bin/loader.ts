#!/usr/bin/env node
/**
 * The bin, dist/cli.js: runs the bundled runner (dist/runner.cjs, from
 * bin/cli.ts) through V8's code cache. Compiling the 2.7 MB bundle is most of
 * a run's start-up; the cache, written after the first run (so it holds every
 * function that run compiled, not only the top level), lets later runs skip
 * that on every supported Node, where `module.enableCompileCache` exists only
 * from Node 22.1. The cache lives in the user's own cache folder, never in a
 * shared temporary one, because V8 trusts what it loads from it.
 * NODE_DISABLE_COMPILE_CACHE=1 (Node's own switch) turns it off.
 */
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/** The bundle's content hash, filled in by scripts/build.mjs: V8 checks a cache against the source's length only. */
const BUNDLE_HASH = '__BUNDLE_HASH__';

// NO_COLOR (no-color.org): the bundled colour library reads FORCE_COLOR as it loads.
if (process.env['NO_COLOR']) process.env['FORCE_COLOR'] = '0';

function cacheFolder(): string | undefined {
  if (process.env['NODE_DISABLE_COMPILE_CACHE']) return undefined;
  const base =
    process.platform === 'win32'
      ? process.env['LOCALAPPDATA']
      : process.env['XDG_CACHE_HOME'] || (os.homedir() ? path.join(os.homedir(), '.cache') : undefined);
  return base ? path.join(base, 'generator-bytewax-connector') : undefined;
}

function readCache(file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Writes the cache whole (a concurrent run reads the old file or the new one)
 * and drops the caches of other builds (those of other Node versions stay).
 */
function writeCache(folder: string, file: string, data: Buffer): void {
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, data, { mode: 0o600 });
    fs.renameSync(partial, file);
    for (const name of fs.readdirSync(folder)) {
      if (name.startsWith('runner-') && !name.startsWith(`runner-${BUNDLE_HASH}-`) && !name.endsWith('.tmp')) {
        fs.rmSync(path.join(folder, name), { force: true });
      }
    }
  } catch {
    // A cache that cannot be written only costs the next run its compile time.
  }
}

const bundle = fileURLToPath(new URL('./runner.cjs', import.meta.url));
const folder = cacheFolder();
const cacheFile = folder && path.join(folder, `runner-${BUNDLE_HASH}-${process.version}-${process.arch}.v8`);
const cachedData = readCache(cacheFile);
const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, 'utf8')), {
  filename: bundle,
  ...(cachedData ? { cachedData } : {}),
  // The bundle imports the generators' own modules at run time.
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const runner = { exports: {} as { main(): Promise<number> } };
(script.runInThisContext() as (...args: unknown[]) => void).call(runner.exports, runner.exports, createRequire(bundle), runner, bundle, path.dirname(bundle));
process.exitCode = await runner.exports.main();
if (folder && cacheFile && (cachedData === undefined || script.cachedDataRejected)) writeCache(folder, cacheFile, script.createCachedData());
