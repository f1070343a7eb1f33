#!/usr/bin/env node
/**
 * The bin, dist/cli.js: runs the bundled runner (dist/runner.cjs, from
 * bin/cli.ts) through V8's code cache. Compiling the 2.7 MB bundle is most of
 * a run's start-up; the cache, written after the first run (so it holds every
 * function that run compiled, not only the top level), lets later runs skip
 * that on every supported Node, where `module.enableCompileCache` exists only
 * from Node 22.1. NODE_DISABLE_COMPILE_CACHE=1 (Node's own switch) turns it off.
 *
 * V8 checks cached code against the source's length only, and runs what it
 * loads without verifying it (a flipped byte can crash Node 20 and 22). So a
 * cache file starts with the SHA-256 of the bundle it was made from and of
 * its own payload, and is used only when both match; and it is read only
 * from a folder and file that the user alone owns and can write.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const MAGIC = Buffer.from('bwxcc01\n');
const HEADER = MAGIC.length + 64;
/** How many cache files (builds and Node versions) the folder keeps. */
const KEEP = 4;

// NO_COLOR (no-color.org): the bundled colour library reads FORCE_COLOR as it loads.
if (process.env['NO_COLOR']) process.env['FORCE_COLOR'] = '0';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/** The cache folder, or undefined: a relative XDG_CACHE_HOME is ignored, as the XDG spec says. */
function cacheFolder(): string | undefined {
  if (process.env['NODE_DISABLE_COMPILE_CACHE']) return undefined;
  let base: string | undefined;
  if (process.platform === 'win32') base = process.env['LOCALAPPDATA'];
  else if (process.env['XDG_CACHE_HOME'] && path.isAbsolute(process.env['XDG_CACHE_HOME'])) base = process.env['XDG_CACHE_HOME'];
  else {
    try {
      base = path.join(os.homedir(), '.cache');
    } catch {
      return undefined; // no HOME and no passwd entry
    }
  }
  return base && path.isAbsolute(base) ? path.join(base, 'generator-bytewax-connector') : undefined;
}

/** A real folder or file (not a link) that only this user owns and can write; Windows' LOCALAPPDATA is per-user. */
function private_(file: string, kind: 'folder' | 'file'): boolean {
  try {
    const stat = fs.lstatSync(file);
    if (kind === 'folder' ? !stat.isDirectory() : !stat.isFile()) return false;
    return process.platform === 'win32' || (stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0);
  } catch {
    return false;
  }
}

/** The cached code for `bundleHash`, when the file is private and whole. */
function readCache(folder: string, file: string, bundleHash: Buffer): Buffer | undefined {
  if (!private_(folder, 'folder') || !private_(file, 'file')) return undefined;
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (data.length <= HEADER || !data.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const payload = data.subarray(HEADER);
  const madeFrom = data.subarray(MAGIC.length, MAGIC.length + 32);
  const checksum = data.subarray(MAGIC.length + 32, HEADER);
  return madeFrom.equals(bundleHash) && checksum.equals(sha256(payload)) ? payload : undefined;
}

/**
 * Writes the cache whole, through a new file of a name no one can guess (a
 * concurrent run reads the old file or the new one), then keeps the KEEP most
 * recent caches and drops leftovers of interrupted writes.
 */
function writeCache(folder: string, file: string, bundleHash: Buffer, payload: Buffer): void {
  let partial: string | undefined;
  try {
    // At most two levels (~/.cache, then ours), each by itself: Node's
    // recursive mkdir can spin for ever on some paths (under /proc, say).
    for (const dir of [path.dirname(folder), folder]) {
      if (!fs.existsSync(dir)) fs.mkdirSync(dir, { mode: 0o700 });
    }
    if (!private_(folder, 'folder')) return;
    partial = path.join(folder, `.${randomBytes(8).toString('hex')}.tmp`);
    fs.writeFileSync(partial, Buffer.concat([MAGIC, bundleHash, sha256(payload), payload]), { flag: 'wx', mode: 0o600 });
    fs.renameSync(partial, file);
    partial = undefined;
    const now = Date.now();
    const entries = fs
      .readdirSync(folder)
      .map((name) => ({ name, stat: fs.lstatSync(path.join(folder, name)) }))
      .filter(({ stat }) => stat.isFile());
    const caches = entries.filter(({ name }) => /^runner-.*\.v8$/.test(name)).sort((a, b) => b.stat.mtimeMs - a.stat.mtimeMs);
    const stale = entries.filter(({ name, stat }) => name.endsWith('.tmp') && now - stat.mtimeMs > 3_600_000);
    for (const { name } of [...caches.slice(KEEP), ...stale]) fs.rmSync(path.join(folder, name), { force: true });
  } catch {
    // A cache that cannot be written only costs the next run its compile time.
  } finally {
    if (partial) fs.rmSync(partial, { force: true });
  }
}

const bundle = fileURLToPath(new URL('./runner.cjs', import.meta.url));
const source = fs.readFileSync(bundle);
const folder = cacheFolder();
const bundleHash = sha256(source);
const cacheFile = folder && path.join(folder, `runner-${bundleHash.toString('hex').slice(0, 16)}-${process.version}-${process.arch}.v8`);
const cachedData = folder && cacheFile ? readCache(folder, cacheFile, bundleHash) : undefined;
const script = new vm.Script(Module.wrap(source.toString('utf8')), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
const runner = { exports: {} as { main(): Promise<number> } };
(script.runInThisContext() as (...args: unknown[]) => void).call(runner.exports, runner.exports, createRequire(bundle), runner, bundle, path.dirname(bundle));
process.exitCode = await runner.exports.main();
// V8 sets cachedDataRejected to false only when it used the cache it was given.
if (folder && cacheFile && script.cachedDataRejected !== false) {
  writeCache(folder, cacheFile, bundleHash, script.createCachedData());
}
