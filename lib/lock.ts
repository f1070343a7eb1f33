/**
 * One run at a time per project. A run takes the project's lock before it
 * reads `.yo-rc.json` or a journal, and keeps it until it ends: a second run
 * started meanwhile waits a little, then stops with one line, so two
 * generators at once never read the same answers and write over each other
 * (nor does one undo the other's commit in progress as "cut off").
 *
 * The lock is a file created exclusively (O_EXCL) in the project root,
 * naming the process that holds it: `.generator-bytewax-connector.lock`, or
 * `….lock-<n>` after n takeovers. One left by a process that is gone (on this
 * host) is taken over by creating the next number exclusively, so of several
 * runs that find the same stale lock exactly one gets it; the stale file is
 * removed only by that one. The newest number present is the lock in force.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError, showPath, showValue } from './errors.js';
import { readRegularFile } from './read.js';

export const LOCK = '.generator-bytewax-connector.lock';
const GENERATION = /^\.generator-bytewax-connector\.lock(?:-(\d{1,9}))?$/;

/** How long a second run waits for the first (tests set a shorter wait through the environment). */
const LOCK_WAIT_MS = Number(process.env['GENERATOR_BYTEWAX_CONNECTOR_LOCK_WAIT_MS'] ?? 10_000);
const POLL_MS = 100;
/** A lock file still empty after this long was left by a process killed while writing it. */
const HALF_WRITTEN_MS = 10_000;

interface Holder {
  pid: number;
  host: string;
  command: string;
  started: string;
}

/** The lock files this process holds, with the start stamp that tells them from a later holder's. */
const held = new Map<string, string>();
let exitHook = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const lockName = (generation: number) => (generation === 0 ? LOCK : `${LOCK}-${generation}`);

/** The lock in force: the highest generation present, or undefined when there is none. */
function current(root: string): number | undefined {
  let newest: number | undefined;
  for (const name of fs.readdirSync(root)) {
    const match = GENERATION.exec(name);
    if (match === null) continue;
    const generation = Number(match[1] ?? 0);
    if (newest === undefined || generation > newest) newest = generation;
  }
  return newest;
}

function readHolder(file: string): { holder?: Holder; age: number } | undefined {
  let stats: fs.Stats;
  try {
    stats = fs.lstatSync(file);
  } catch {
    return undefined;
  }
  if (!stats.isFile()) {
    throw new UsageError(`${showPath(file)} is in the way of the project's lock: it is not a regular file.`, 'Remove it and run again; nothing was written.');
  }
  const age = Date.now() - stats.mtimeMs;
  try {
    const data = JSON.parse(readRegularFile(file, file, 64 * 1024)?.toString('utf8') ?? '') as Partial<Holder>;
    if (typeof data.pid === 'number' && typeof data.host === 'string') {
      return { holder: { pid: data.pid, host: data.host, command: String(data.command ?? ''), started: String(data.started ?? '') }, age };
    }
  } catch {
    // Being written, or not ours: judged by its age.
  }
  return { age };
}

function stale(found: { holder?: Holder; age: number }): boolean {
  if (found.holder === undefined) return found.age > HALF_WRITTEN_MS;
  return found.holder.host === os.hostname() && !alive(found.holder.pid);
}

/** Creates `file` for `holder` if nothing is there; false when something is. */
function tryCreate(file: string, holder: Holder): boolean {
  let fd: number;
  try {
    // O_EXCL: fails if anything is there, a symbolic link included.
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fs.writeFileSync(fd, `${JSON.stringify(holder)}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * Takes the lock of the project in `root` (an existing folder) for this
 * process, waiting up to `waitMs` for another run to finish. Taking a lock
 * this process holds already does nothing. In a folder nobody may write,
 * nothing can be written either: the run goes on unlocked, and the commit
 * says why it cannot write, if it must.
 */
export async function lockProject(root: string, command: string, waitMs = LOCK_WAIT_MS): Promise<void> {
  if ([...held.keys()].some((file) => path.dirname(file) === root)) return;
  const holder: Holder = { pid: process.pid, host: os.hostname(), command, started: `${new Date().toISOString()} ${Math.random()}` };
  const deadline = Date.now() + waitMs;
  for (;;) {
    const generation = current(root);
    let taken: string | undefined;
    try {
      if (generation === undefined) {
        if (tryCreate(path.join(root, LOCK), holder)) taken = path.join(root, LOCK);
      } else {
        const file = path.join(root, lockName(generation));
        const found = readHolder(file);
        // The next generation, created exclusively: one run of all that found this lock stale gets it.
        if (found !== undefined && stale(found) && tryCreate(path.join(root, lockName(generation + 1)), holder)) {
          taken = path.join(root, lockName(generation + 1));
          // Every earlier generation is superseded (one may be left by a taker that died).
          for (let older = generation; older >= 0; older--) fs.rmSync(path.join(root, lockName(older)), { force: true });
        } else if (found === undefined) {
          continue; // Released meanwhile.
        } else if (Date.now() >= deadline) {
          const who = found.holder ? ` (process ${found.holder.pid} on ${showValue(found.holder.host)}, ${showValue(found.holder.command)}, since ${showValue(found.holder.started.split(' ')[0])})` : '';
          throw new UsageError(
            `Another run of the generator is working on this project${who}; nothing was written.`,
            `Run again once it has finished. If no such run exists any more, delete ${showPath(file)}.`,
          );
        }
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return;
      throw error;
    }
    if (taken !== undefined) {
      held.set(taken, holder.started);
      break;
    }
    await sleep(POLL_MS);
  }
  if (!exitHook) {
    exitHook = true;
    process.on('exit', releaseProjectLocks);
  }
}

/** Releases every project lock this process holds (at the end of a run, and at exit). */
export function releaseProjectLocks(): void {
  for (const [file, started] of held) {
    try {
      const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Holder>;
      if (data.pid === process.pid && data.started === started) fs.rmSync(file, { force: true });
    } catch {
      // Gone already, or replaced: not ours to remove.
    }
  }
  held.clear();
}
