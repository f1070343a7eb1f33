/**
 * Writing a run's files to disk, all or nothing as far as a file system allows.
 *
 * A run renders the project and decides, file by file, what to write or
 * remove (lib/run/project.ts, by a three-way merge); the changes are
 * committed here:
 *
 * 1. plan: every path must resolve inside the project root, through no
 *    symbolic link, with names the file system can hold; each change is a
 *    create, an update, a delete or nothing (identical); a read-only file is
 *    flagged, so replacing it is never silent;
 * 2. preflight: folders writable, enough free space; a failure here has
 *    written nothing;
 * 3. a journal of what is about to change (with the previous contents of files
 *    that are replaced or removed) is written into the project, then each file
 *    through a temporary file and a rename, `.yo-rc.json` last, then the
 *    journal removed.
 *
 * A write that fails part-way (a full disk, say) is undone at once. A run
 * killed part-way leaves its journal; the next run in that project undoes what
 * it had written (`recoverInterruptedRun`), so the same command then completes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, describeSystemError, isUsageError, showPath, showValue } from './errors.js';
import { JOURNAL, type JournalBody, journalText, readJournal } from './journal.js';
import { journalKey } from './state.js';

export { JOURNAL } from './journal.js';
const CONFIG_FILE = '.yo-rc.json';
/** Linux's limits; macOS and Windows allow no more. */
const MAX_NAME_BYTES = 255;
const MAX_PATH_BYTES = 4095;

export type Action = 'create' | 'update' | 'delete' | 'identical';

export interface PendingChange {
  /** Absolute path. */
  readonly path: string;
  /** What to write; null removes the file. */
  readonly contents: Buffer | null;
  /** Permission bits to write the file with (else a new file gets the umask's, a replaced one keeps its own). */
  readonly mode?: number;
}

export interface PlanEntry {
  readonly relative: string;
  readonly absolute: string;
  /** What to write (empty for a delete). */
  readonly contents: Buffer;
  readonly mode?: number;
  readonly action: Action;
  /** What the file held before, when it exists. */
  readonly before?: Buffer;
  /** The file exists and nobody may write it (no write bit): replacing or removing it is never silent. */
  readonly readOnly?: boolean;
  /** The permission bits the file had, kept when it is replaced and restored when a change is undone. */
  readonly beforeMode?: number;
}

const sha256 = (data: Buffer): string => crypto.createHash('sha256').update(data).digest('hex');

function lstat(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * The project root as an absolute path without symbolic links: the longest
 * existing prefix is resolved (a link the user named, or one above the project,
 * is theirs to choose), the rest is kept. Fails when a part of it is a file.
 */
export function resolveRoot(directory: string): string {
  const absolute = path.resolve(directory);
  for (const part of absolute.split(path.sep)) checkName(part, absolute);
  let existing = absolute;
  const missing: string[] = [];
  while (lstat(existing) === undefined) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    missing.unshift(path.basename(existing));
    existing = parent;
  }
  const real = fs.realpathSync(existing);
  if (!fs.statSync(real).isDirectory()) {
    throw new UsageError(`${showValue(real)} is a file, so the project cannot be created there.`, 'Choose a directory that does not exist yet or is one.');
  }
  const root = path.join(real, ...missing);
  checkName('', root);
  return root;
}

function checkName(part: string, whole: string): void {
  if (Buffer.byteLength(part) > MAX_NAME_BYTES) {
    throw new UsageError(`The name ${showValue(part)} in ${showValue(whole)} is longer than ${MAX_NAME_BYTES} bytes, which file systems refuse.`);
  }
  if (Buffer.byteLength(whole) > MAX_PATH_BYTES) {
    throw new UsageError(`The path ${showValue(whole)} is longer than ${MAX_PATH_BYTES} bytes, which file systems refuse.`);
  }
}

/**
 * Classifies every change and checks its path: inside `root`, no symbolic
 * link on the way, folders where folders are needed, names within limits.
 */
export function planCommit(root: string, changes: readonly PendingChange[]): PlanEntry[] {
  const entries = changes.map((change): PlanEntry => {
    const relative = path.relative(root, change.path);
    if (relative === '' || relative.startsWith(`..${path.sep}`) || relative === '..' || path.isAbsolute(relative)) {
      throw new UsageError(`Refusing to write ${change.path}: it is outside the project ${root}. Nothing was written.`);
    }
    checkPath(root, relative);
    const mode = change.mode === undefined ? {} : { mode: change.mode & 0o7777 };
    const stats = lstat(change.path);
    const contents = change.contents ?? Buffer.alloc(0);
    if (stats === undefined) {
      return { relative, absolute: change.path, contents, action: change.contents === null ? 'identical' : 'create', ...mode };
    }
    const before = readExisting(change.path, relative);
    const beforeMode = stats.mode & 0o7777;
    // A file with no write bit was protected on purpose (root could write it anyway).
    const readOnly = (stats.mode & 0o222) === 0;
    // A generated script that lost its executable bits is written again.
    const sameMode = change.mode === undefined || (change.mode & 0o111) === (beforeMode & 0o111);
    const action: Action = change.contents === null ? 'delete' : before.equals(change.contents) && sameMode ? 'identical' : 'update';
    return { relative, absolute: change.path, contents, action, before, beforeMode, ...mode, ...(readOnly && action !== 'identical' ? { readOnly } : {}) };
  });
  // The answers store goes last: a project whose .yo-rc.json is written is complete.
  return entries.sort((a, b) => Number(a.relative === CONFIG_FILE) - Number(b.relative === CONFIG_FILE));
}

/** A file the plan compares with what it would write: an unreadable one stops the run in one line. */
function readExisting(file: string, relative: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    const reason = describeSystemError(error);
    if (reason === undefined) throw error;
    throw new UsageError(`Cannot read ${relative}: ${reason}. Nothing was written.`, 'Make it readable (or move it away) and run again.');
  }
}

/**
 * Checks that `relative` may be written under `root`: no part of it is a
 * symbolic link, every part but the last is a folder, and the last, if it
 * exists, is a regular file (a folder with `kind: 'folder'`).
 */
export function checkPath(root: string, relative: string, kind: 'file' | 'folder' = 'file'): void {
  const parts = relative.split(path.sep);
  let current = root;
  for (const [index, part] of parts.entries()) {
    current = path.join(current, part);
    checkName(part, current);
    const stats = lstat(current);
    if (stats === undefined) continue;
    const shown = path.relative(root, current);
    if (stats.isSymbolicLink()) {
      throw new UsageError(
        `${showPath(shown)} is a symbolic link (to ${showValue(fs.readlinkSync(current))}); the generator never writes through links. Nothing was written.`,
        `Replace the link with a real ${index < parts.length - 1 ? 'folder' : 'file'}, or remove it, and run again.`,
      );
    }
    const last = index === parts.length - 1;
    if ((!last || kind === 'folder') && !stats.isDirectory()) {
      throw new UsageError(`${shown} is a file, but ${relative} needs it to be a folder. Nothing was written.`);
    }
    if (last && kind === 'file' && !stats.isFile()) {
      throw new UsageError(`${shown} exists and is not a regular file, so it cannot be written. Nothing was written.`);
    }
  }
}

function nearestExisting(file: string): string {
  let dir = path.dirname(file);
  while (lstat(dir) === undefined) dir = path.dirname(dir);
  return dir;
}

/**
 * What can be known before writing: every folder that will receive a file is
 * writable (or can be created in one that is), and the disk has room.
 */
export function preflight(entries: readonly PlanEntry[]): void {
  const writes = entries.filter((e) => e.action !== 'identical');
  const folders = new Set(writes.map((e) => nearestExisting(e.absolute)));
  for (const folder of folders) {
    try {
      fs.accessSync(folder, fs.constants.W_OK);
    } catch (error) {
      throw new UsageError(`Cannot write in ${folder}: ${describeSystemError(error) ?? String(error)}. Nothing was written.`);
    }
  }
  const needed = writes.reduce((sum, e) => sum + e.contents.length + 4096, 0) * 2;
  for (const folder of folders) {
    const stats = fs.statfsSync(folder);
    const free = stats.bavail * stats.bsize;
    if (free < needed) {
      throw new UsageError(
        `Not enough free space in ${folder}: ${Math.ceil(needed / 1024)} KiB needed, ${Math.floor(free / 1024)} KiB free. Nothing was written.`,
      );
    }
  }
}

function tempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.generator-tmp`);
}

/**
 * Writes through a temporary file and a rename, so a reader never sees half a
 * file. No fsync: the journal covers a killed process, which is what cuts a
 * run short here; a power cut may lose the newest files, as for any editor.
 */
function writeAtomically(file: string, contents: Buffer, mode?: number): void {
  const temp = tempPath(file);
  fs.rmSync(temp, { force: true });
  const fd = fs.openSync(temp, 'wx', mode ?? 0o666);
  try {
    fs.writeFileSync(fd, contents);
  } finally {
    fs.closeSync(fd);
  }
  if (mode !== undefined) fs.chmodSync(temp, mode);
  fs.renameSync(temp, file);
}

/** Creates the missing folders above `file`, returning those it created, outermost first. */
function makeParents(file: string, made: string[] = []): string[] {
  const missing: string[] = [];
  for (let dir = path.dirname(file); lstat(dir) === undefined; dir = path.dirname(dir)) missing.unshift(dir);
  // Each folder is recorded as soon as it exists, so a failure part-way leaves none behind.
  for (const dir of missing) {
    fs.mkdirSync(dir);
    made.push(dir);
  }
  return made;
}

/** Fault injection for the interrupted-run tests: the process kills itself after this many files. */
const CRASH_AFTER = Number(process.env['GENERATOR_BYTEWAX_CONNECTOR_CRASH_AFTER_WRITES'] ?? Number.NaN);

/** Writes and removes the planned files. Returns the entries changed. */
export function applyCommit(root: string, entries: readonly PlanEntry[], command: string): PlanEntry[] {
  const writes = entries.filter((e) => e.action !== 'identical');
  if (writes.length === 0) return [];
  const created: string[] = [];
  const done: PlanEntry[] = [];
  const journalPath = path.join(root, JOURNAL);
  let journalWritten = false;
  try {
    makeParents(journalPath, created);
    const journal: JournalBody = {
      version: 2,
      command,
      directories: [],
      entries: writes.map((e) => {
        const file = e.relative.split(path.sep).join('/');
        const mode = e.beforeMode === undefined ? {} : { mode: e.beforeMode };
        if (e.action === 'delete') return { path: file, action: 'delete' as const, after: '' as const, before: e.before!.toString('base64'), ...mode };
        return { path: file, action: e.action as 'create' | 'update', after: sha256(e.contents), ...(e.before ? { before: e.before.toString('base64') } : {}), ...mode };
      }),
    };
    const key = journalKey();
    const saveJournal = () => writeAtomically(journalPath, Buffer.from(journalText(journal, key)));
    saveJournal();
    journalWritten = true;
    for (const entry of writes) {
      // Checked again at the moment of writing: a folder swapped for a link
      // since the plan (while a question waited, say) is never written through.
      checkPath(root, entry.relative);
      if (entry.action === 'delete') {
        fs.rmSync(entry.absolute);
        done.push(entry);
        continue;
      }
      const made: string[] = [];
      try {
        makeParents(entry.absolute, made);
      } finally {
        created.push(...made);
        if (made.length > 0) {
          journal.directories.push(...made.map((dir) => path.relative(root, dir).split(path.sep).join('/')));
          saveJournal();
        }
      }
      if (made.length > 0) checkPath(root, entry.relative);
      const mode = entry.mode ?? entry.beforeMode;
      writeAtomically(entry.absolute, entry.contents, mode);
      done.push(entry);
      if (done.length === CRASH_AFTER) process.kill(process.pid, 'SIGKILL');
    }
    fs.rmSync(journalPath);
    return done;
  } catch (error) {
    const leftovers = undo(root, done, created);
    if (journalWritten && leftovers.length === 0) fs.rmSync(journalPath, { force: true });
    const failed = writes[done.length];
    const what = failed ? `Could not write ${failed.relative}` : 'Could not start writing';
    const reason = isUsageError(error) ? error.message.split('\n')[0]!.replace(/ Nothing was written\.$/, '').replace(/\.$/, '') : describeSystemError(error);
    if (reason === undefined) throw error;
    const outcome =
      leftovers.length === 0
        ? 'Every change of this run was undone, so the project is as it was.'
        : `These could not be undone: ${leftovers.join(', ')}. Running the same command again undoes and redoes this run.`;
    throw new UsageError(`${what}: ${reason}. ${outcome}`);
  }
}

/** Reverts written entries and created folders; returns what could not be reverted. */
function undo(root: string, written: readonly PlanEntry[], createdDirs: readonly string[]): string[] {
  const leftovers: string[] = [];
  for (const entry of [...written].reverse()) {
    try {
      if (entry.before) writeAtomically(entry.absolute, entry.before, entry.beforeMode);
      else fs.rmSync(entry.absolute, { force: true });
    } catch {
      leftovers.push(entry.relative);
    }
  }
  for (const dir of [...createdDirs].reverse()) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // Not empty (something else is in it) or gone: leave it.
      if (lstat(dir) !== undefined && fs.readdirSync(dir).length > 0) leftovers.push(path.relative(root, dir) || '.');
    }
  }
  return leftovers;
}

export interface Recovery {
  /** The command of the run that was cut off. */
  command: string;
  /** Files restored or removed. */
  undone: number;
  /** Files changed since that run, left alone. */
  kept: string[];
}

/**
 * Undoes a run that was cut off part-way in `root` (its journal is still
 * there): files it created are removed and files it replaced are restored,
 * unless they changed since. The journal is checked first (journal.ts): one
 * that does not parse, is not signed with this user's key, or names a path
 * outside the project or through a symbolic link stops the run and is left
 * as it is. Returns undefined when there is no journal.
 */
export function recoverInterruptedRun(root: string): Recovery | undefined {
  const journal = readJournal(root, (relative, kind) => checkPath(root, relative, kind));
  if (journal === undefined) return undefined;
  const kept: string[] = [];
  let undone = 0;
  for (const entry of [...journal.entries].reverse()) {
    const file = path.join(root, entry.path);
    fs.rmSync(tempPath(file), { force: true });
    const current = lstat(file);
    if (entry.action === 'delete') {
      // Removed by that run: put back, unless something took its place since.
      if (current === undefined && entry.before !== undefined) {
        makeParents(file);
        writeAtomically(file, Buffer.from(entry.before, 'base64'), entry.mode);
        undone++;
      } else if (current !== undefined) kept.push(entry.path);
      continue;
    }
    if (current === undefined || !current.isFile()) continue;
    const now = sha256(fs.readFileSync(file));
    if (now !== entry.after) {
      // Not written yet when the run was cut off: nothing to undo.
      const untouched = entry.before !== undefined && now === sha256(Buffer.from(entry.before, 'base64'));
      if (!untouched) kept.push(entry.path);
      continue;
    }
    if (entry.action === 'update' && entry.before !== undefined) writeAtomically(file, Buffer.from(entry.before, 'base64'), entry.mode);
    else fs.rmSync(file);
    undone++;
  }
  for (const dir of [...journal.directories].reverse()) {
    try {
      fs.rmdirSync(path.join(root, dir));
    } catch {
      // Holds other files, or is gone.
    }
  }
  fs.rmSync(path.join(root, JOURNAL));
  return { command: journal.command, undone, kept };
}
