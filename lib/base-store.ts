/**
 * Where `update` finds the base of its three-way merge: what the generator
 * wrote last time.
 *
 * - The caller keeps a manifest in `.yo-rc.json`: each generated path and the
 *   git blob id of what was written (`gitBlobId`, computed without git).
 * - `recordBase` writes those contents into the project's git repository, as
 *   a commit under a ref of our own (`refs/generator-bytewax-connector/base/
 *   <id>`), so gc keeps them and a later `update` can read them, whether or
 *   not the user committed the files as generated.
 * - `openBase` reads the base back: the manifest's blob ids from the object
 *   database (a clone has the blobs of every file committed as generated),
 *   else from our ref; for a project made by 0.1.0 (no manifest), the
 *   generator's own first commit; else nothing, and then every file the user
 *   changed becomes a conflict, never an overwrite.
 *
 * A repository may be hostile (a clone): git runs with hooks, fsmonitor,
 * network transports and replace refs turned off, never through a shell, and
 * everything it returns is checked (paths, sizes, object types, blob ids).
 * Nothing here touches the user's index or work tree.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { UsageError, showValue } from './errors.js';
import { projectPathProblem } from './merge.js';

/** Namespace of our refs; one ref per project in the repository. */
export const BASE_REF_PREFIX = 'refs/generator-bytewax-connector/base/';
/** Larger blobs are refused as a base (generated files are a few kB; a hostile repository could hold gigabytes). */
export const MAX_BASE_BLOB_BYTES = 4 * 1024 * 1024;
/** The files of the generator's first commit that are not its output: the install step's lock file (0.1.0 commits after `uv sync`). */
const NOT_GENERATED = new Set(['uv.lock']);
const COMMITTER = 'generator-bytewax-connector <update@generator-bytewax-connector.invalid>';
const CONFIG_KEY = 'generator-bytewax-connector';
/** The message of `lib/git.ts`'s `initRepository` commit, as the app generator writes it. */
const FIRST_COMMIT = /^Create ([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?) with generator-bytewax-connector (\d+\.\d+\.\d+[0-9A-Za-z.+-]*)\n$/;

/** git's object id of a blob holding `content` (SHA-1 of `blob <length>\0` and the bytes), as `git hash-object` gives it. */
export function gitBlobId(content: string | Buffer): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return crypto.createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * The ref holding the base of the project at `prefix` (its folder relative to
 * the repository's top, POSIX, no trailing slash; '' for the top itself).
 * One path component, so projects nested in one another never clash: bytes
 * other than letters, digits, `-` and `_` are %-escaped (injective, and a
 * valid ref name whatever the folder is called).
 */
export function baseRefFor(prefix: string): string {
  if (prefix === '') return `${BASE_REF_PREFIX}root`;
  const encoded = [...Buffer.from(prefix, 'utf8')]
    .map((byte) => (/[A-Za-z0-9_-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
  // A loose ref is a file: keep its name within file systems' 255 bytes.
  if (encoded.length <= 200) return `${BASE_REF_PREFIX}path-${encoded}`;
  return `${BASE_REF_PREFIX}long-${encoded.slice(0, 150)}-${crypto.createHash('sha1').update(prefix).digest('hex')}`;
}

interface GitRun {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** git is not installed (or not runnable). */
  readonly missing: boolean;
  readonly error?: Error;
}

/**
 * Options before the command for every git we run. A repository's own config
 * can name programs for git to run; these turn off every way to that which
 * our commands could reach:
 * - hooks (a reference-transaction hook runs on every ref update): an empty
 *   hooks path;
 * - core.fsmonitor, a program run to query file changes;
 * - every transport: a partial clone fetches a missing object lazily, and a
 *   transport can run a program (`ext::` URLs, `remote.*.uploadpack` for
 *   local ones, core.sshCommand, credential helpers over HTTP). The config's
 *   `protocol.<name>.allow` wins over `protocol.allow`, so each protocol git
 *   knows is named (GIT_NO_LAZY_FETCH does it all, from git 2.45 on);
 * - replace refs, which could swap the objects we read;
 * - auto gc and maintenance, which are not ours to start; a pager.
 * The commands we run use no diff drivers, textconv, filters or signatures
 * (cat-file without --textconv/--filters, ls-tree, rev-parse, rev-list,
 * for-each-ref without signature fields, fast-import, which stores bytes as
 * given), so those need no switch.
 */
const PROTOCOLS = ['ext', 'fd', 'file', 'git', 'ssh', 'http', 'https', 'ftp', 'ftps'];
const HARDENING = [
  '--no-pager',
  '--no-replace-objects',
  '--literal-pathspecs',
  ...['core.hooksPath=/dev/null', 'core.fsmonitor=false', 'protocol.allow=never', ...PROTOCOLS.map((p) => `protocol.${p}.allow=never`), 'gc.auto=0', 'maintenance.auto=false'].flatMap(
    (setting) => ['-c', setting],
  ),
];

/** Variables that would point git at another repository, index or object store than the one `cwd` is in. */
const LOCATING = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_PREFIX'];

function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_NO_LAZY_FETCH: '1', GIT_NO_REPLACE_OBJECTS: '1', GIT_OPTIONAL_LOCKS: '0' };
  for (const name of LOCATING) delete env[name];
  return env;
}

function runGit(cwd: string, args: readonly string[], input?: Buffer | string, maxBuffer = 64 * 1024 * 1024): GitRun {
  const result = spawnSync('git', [...HARDENING, ...args], {
    cwd,
    env: gitEnvironment(),
    input: input ?? '',
    maxBuffer,
    timeout: 120_000,
    windowsHide: true,
  });
  const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return {
    status: result.status,
    stdout: result.stdout ?? Buffer.alloc(0),
    stderr: result.stderr?.toString('utf8') ?? '',
    missing,
    ...(result.error ? { error: result.error } : {}),
  };
}

/** git's complaint in one line, with anything that could act on a terminal escaped. */
function gitSaid(run: GitRun): string {
  if (run.error) return run.error.message;
  const lines = run.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const line = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0] ?? `git exited with status ${run.status}`;
  const cut = [...line].length > 200 ? `${[...line].slice(0, 200).join('')}…` : line;
  return cut.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}

function failure(root: string, doing: string, run: GitRun): UsageError {
  return new UsageError(`Could not ${doing} for the project ${showValue(root)}: git said: ${gitSaid(run)}`);
}

interface Repository {
  /** The repository's top folder. */
  readonly top: string;
  /** The project's folder relative to it, POSIX, no trailing slash; '' at the top. */
  readonly prefix: string;
  readonly ref: string;
}

/** The repository `root` is in, or why there is none to use. */
function locate(root: string): Repository | { reason: string } {
  // spawn fails with ENOENT for a missing working folder as for a missing git: tell them apart first.
  if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) return { reason: `${showValue(root)} is not a folder` };
  const run = runGit(root, ['rev-parse', '--show-toplevel', '--show-prefix']);
  if (run.missing) return { reason: 'git is not installed' };
  if (run.status !== 0) return { reason: `the project is not inside a git work tree (git said: ${gitSaid(run)})` };
  const [top, prefix, ...rest] = run.stdout.toString('utf8').split('\n');
  if (top === undefined || prefix === undefined || rest.some((l) => l !== '')) {
    throw new UsageError(`The project ${showValue(root)} is in a folder whose name git cannot report on one line, so its base cannot be kept in git.`);
  }
  const folder = prefix.replace(/\/$/, '');
  if (folder !== '' && projectPathProblem(folder) !== undefined) {
    throw new UsageError(`git reports the project ${showValue(root)} at ${showValue(folder)} in its repository, which is not a usable path.`);
  }
  return { top, prefix: folder, ref: baseRefFor(folder) };
}

/** Our ref: whether it exists, and the commit it names when it names one (a damaged or planted ref may name another object). */
function readBaseRef(root: string, repo: Repository): { exists: boolean; commit?: string } {
  const run = runGit(root, ['for-each-ref', '--format=%(refname)%00%(objectname)%00%(objecttype)', '--end-of-options', repo.ref]);
  if (run.status !== 0) throw failure(root, `read ${repo.ref}`, run);
  for (const line of run.stdout.toString('utf8').split('\n')) {
    const [name, id, type] = line.split('\0');
    if (name !== repo.ref) continue;
    return type === 'commit' && /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(id ?? '') ? { exists: true, commit: id! } : { exists: true };
  }
  return { exists: false };
}

/** A path quoted for fast-import (C-style; our paths hold no control characters or backslashes). */
const quotePath = (p: string) => `"${p.replace(/"/g, '\\"')}"`;

export type RecordResult =
  | { readonly recorded: true; readonly ref: string; readonly commit: string; readonly previous?: string }
  | { readonly recorded: false; readonly reason: string };

/**
 * Keeps `files` (project-relative path → what the generator wrote) as the
 * project's base: one commit whose tree holds exactly these files at their
 * project-relative paths, its parent the previous base, under the project's
 * ref. One `git fast-import` writes the blobs, trees and commit and moves
 * the ref (refusing to if another run moved it meanwhile), so no temporary
 * index and no process per file; the user's index, work tree and branches
 * are untouched. Outside a git work tree, or without git, it records
 * nothing and says why.
 */
export function recordBase(root: string, files: ReadonlyMap<string, string>, message = 'Files written by generator-bytewax-connector'): RecordResult {
  for (const relative of files.keys()) {
    const problem = projectPathProblem(relative);
    if (problem) throw new Error(`recordBase got the path ${JSON.stringify(relative)}, which ${problem}`);
  }
  const repo = locate(root);
  if ('reason' in repo) return { recorded: false, reason: repo.reason };
  const { exists, commit: previous } = readBaseRef(root, repo);
  const when = `${Math.floor(Date.now() / 1000)} +0000`;
  const text = `${message.replace(/\r?\n*$/, '')}\n\nProject folder: ${repo.prefix === '' ? '(the repository top)' : repo.prefix}\n`;
  const chunks: Buffer[] = [];
  const data = (bytes: Buffer) => chunks.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'));
  chunks.push(Buffer.from(`commit ${repo.ref}\ncommitter ${COMMITTER} ${when}\n`));
  data(Buffer.from(text, 'utf8'));
  if (previous !== undefined) chunks.push(Buffer.from(`from ${previous}\n`));
  chunks.push(Buffer.from('deleteall\n'));
  for (const [relative, content] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    chunks.push(Buffer.from(`M 100644 inline ${quotePath(relative)}\n`, 'utf8'));
    data(Buffer.from(content, 'utf8'));
  }
  chunks.push(Buffer.from('done\n'));
  // --force only to replace a ref of ours that names no commit (damaged, or planted).
  const args = ['fast-import', '--quiet', '--done', '--date-format=raw', ...(exists && previous === undefined ? ['--force'] : [])];
  const run = runGit(repo.top, args, Buffer.concat(chunks));
  if (run.missing) return { recorded: false, reason: 'git is not installed' };
  if (run.status !== 0) throw failure(root, 'record the generated files in git', run);
  const { commit } = readBaseRef(root, repo);
  if (commit === undefined || commit === previous) throw new UsageError(`Could not record the generated files in git for the project ${showValue(root)}: ${repo.ref} did not move.`);
  return { recorded: true, ref: repo.ref, commit, ...(previous === undefined ? {} : { previous }) };
}

export type BaseSource = 'manifest+git' | 'first-commit' | 'none';

export interface Base {
  /** The paths the generator owned last time. */
  readonly owned: ReadonlySet<string>;
  /** What the generator wrote at `path` last time, when known. */
  read(path: string): string | undefined;
  readonly source: BaseSource;
  /** The commit the base came from (our ref's, or the first commit), when one did. */
  readonly commit?: string;
  /** Things the user may want to know: blobs refused, files whose base was not found. */
  readonly notes: readonly string[];
}

const OBJECT_HEADER = /^([0-9a-f]{40,64}) ([a-z]+) (\d+)$/;

/**
 * The objects `ids` that are of `type` and at most MAX_BASE_BLOB_BYTES: one
 * `git cat-file --batch-check` for types and sizes, then one `--batch` for
 * the contents of those that qualify (so a huge object is never read).
 * Missing ones are left out.
 */
function readObjects(root: string, ids: readonly string[], type: 'blob' | 'commit'): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const unique = [...new Set(ids)];
  if (unique.length === 0) return out;
  const check = runGit(root, ['cat-file', '--batch-check'], `${unique.join('\n')}\n`);
  if (check.status !== 0) throw failure(root, 'look up the generated files in git', check);
  const lines = check.stdout.toString('utf8').split('\n');
  const wanted = unique.filter((id, index) => {
    const match = OBJECT_HEADER.exec(lines[index] ?? '');
    return match !== null && match[1]!.startsWith(id) && match[2] === type && Number(match[3]) <= MAX_BASE_BLOB_BYTES;
  });
  if (wanted.length === 0) return out;
  const run = runGit(root, ['cat-file', '--batch'], `${wanted.join('\n')}\n`, wanted.length * (MAX_BASE_BLOB_BYTES + 200));
  if (run.status !== 0) throw failure(root, 'read the generated files from git', run);
  let at = 0;
  for (const id of wanted) {
    const end = run.stdout.indexOf(0x0a, at);
    if (end < 0) break;
    const match = OBJECT_HEADER.exec(run.stdout.subarray(at, end).toString('utf8'));
    at = end + 1;
    if (!match) continue; // missing since the check: no content follows
    const size = Number(match[3]);
    if (at + size > run.stdout.length) break;
    if (match[2] === type && size <= MAX_BASE_BLOB_BYTES) out.set(id, run.stdout.subarray(at, at + size));
    at += size + 1;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function decode(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly id: string;
  readonly size: number | undefined;
  readonly path: string;
}

/** `git ls-tree -r -z -l` of `treeish`, every path checked: undefined when git cannot list it. */
function listTree(root: string, treeish: string): { entries: TreeEntry[]; refused: string[] } | undefined {
  const run = runGit(root, ['ls-tree', '-r', '-z', '-l', '--full-tree', '--end-of-options', treeish]);
  if (run.status !== 0) return undefined;
  const entries: TreeEntry[] = [];
  const refused: string[] = [];
  for (const record of run.stdout.toString('utf8').split('\0')) {
    if (record === '') continue;
    const match = /^(\d{6}) ([a-z]+) ([0-9a-f]{40,64}) +(\d+|-)\t([\s\S]+)$/.exec(record);
    if (!match) {
      refused.push(record.slice(0, 80));
      continue;
    }
    const [, mode, type, id, size, relative] = match as unknown as [string, string, string, string, string, string];
    const problem = projectPathProblem(relative);
    if (problem) {
      refused.push(`${showValue(relative)} (it ${problem})`);
      continue;
    }
    entries.push({ mode, type, id, size: size === '-' ? undefined : Number(size), path: relative });
  }
  return { entries, refused };
}

/** A regular file's blob in a tree, small enough to read. */
const readable = (e: TreeEntry) => e.type === 'blob' && (e.mode === '100644' || e.mode === '100755') && e.size !== undefined && e.size <= MAX_BASE_BLOB_BYTES;

function checkManifest(root: string, manifest: Record<string, string>): Map<string, string> {
  const checked = new Map<string, string>();
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new UsageError(`The list of generated files in ${showValue(root)}'s .yo-rc.json is not an object of paths and blob ids.`);
  }
  for (const [relative, id] of Object.entries(manifest)) {
    const problem = projectPathProblem(relative);
    if (problem) throw new UsageError(`The list of generated files in ${showValue(root)}'s .yo-rc.json has the path ${showValue(relative)}, which ${problem}.`);
    if (typeof id !== 'string' || !/^[0-9a-f]{40}$/.test(id)) {
      throw new UsageError(`The list of generated files in ${showValue(root)}'s .yo-rc.json gives ${showValue(relative)} the id ${showValue(id)}, which is not a git blob id (40 hex digits).`);
    }
    checked.set(relative, id);
  }
  return checked;
}

const noBase = (owned: Iterable<string>, notes: string[]): Base => ({ owned: new Set(owned), read: () => undefined, source: 'none', notes });

/**
 * The base of the project at `root`. With a manifest (path → blob id): the
 * blobs from the repository's objects, else from our ref's tree, each
 * checked against its id; owned = the manifest's paths, whether or not
 * their contents were found. Without one (a project made by 0.1.0): the
 * generator's first commit, when it is one (see `firstCommitBase`). Else
 * `none`.
 */
export function openBase(root: string, manifest?: Record<string, string>, distName?: string): Base {
  const wanted = manifest === undefined ? undefined : checkManifest(root, manifest);
  const repo = locate(root);
  if ('reason' in repo) return noBase(wanted?.keys() ?? [], wanted === undefined || wanted.size === 0 ? [] : [`No base: ${repo.reason}.`]);
  if (wanted === undefined) return firstCommitBase(root, repo, distName) ?? noBase([], []);

  const texts = new Map<string, string>();
  const notes: string[] = [];
  const contents = readObjects(root, [...wanted.values()], 'blob');
  for (const [relative, id] of wanted) {
    const bytes = contents.get(id);
    const text = bytes && gitBlobId(bytes) === id ? decode(bytes) : undefined;
    if (text !== undefined) texts.set(relative, text);
  }
  // Not in the objects under their ids (never committed as generated, or a SHA-256 repository): our ref's tree.
  let commit: string | undefined;
  const missing = [...wanted.keys()].filter((p) => !texts.has(p));
  if (missing.length > 0) {
    commit = readBaseRef(root, repo).commit;
    const listed = commit === undefined ? undefined : listTree(root, commit);
    if (listed) {
      notes.push(...listed.refused.map((r) => `Ignored ${r} in ${repo.ref}.`));
      const byPath = new Map(listed.entries.filter(readable).map((e) => [e.path, e.id]));
      const fromRef = readObjects(root, missing.map((p) => byPath.get(p)).filter((id): id is string => id !== undefined), 'blob');
      for (const relative of missing) {
        const bytes = fromRef.get(byPath.get(relative) ?? '');
        const text = bytes && gitBlobId(bytes) === wanted.get(relative) ? decode(bytes) : undefined;
        if (text !== undefined) texts.set(relative, text);
      }
    }
  }
  const unknown = [...wanted.keys()].filter((p) => !texts.has(p));
  if (unknown.length > 0) notes.push(`What the generator wrote last time is unknown for ${unknown.length} file(s): ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}.`);
  return { owned: new Set(wanted.keys()), read: (p) => texts.get(p), source: 'manifest+git', ...(commit === undefined ? {} : { commit }), notes };
}

/**
 * A project made by 0.1.0 kept no base, but the generator made its first
 * commit (`initRepository`), which holds exactly what it wrote. Trusted only
 * when all of these hold, since a wrong base could overwrite the user's
 * edits: a root commit (its object has no parent, whatever a shallow clone
 * shows) reachable from HEAD, whose whole message is the generator's
 * (`Create <dist> with generator-bytewax-connector <version>`), which holds
 * the project's `.yo-rc.json` with that dist name and version. Its files
 * under the project's folder (less the install's uv.lock) are the base. The
 * generator makes that commit at the repository's top; a project in a
 * subfolder finds it there only when a history rewrite moved it (git
 * filter-repo --to-subdirectory-filter keeps the commit's message).
 */
function firstCommitBase(root: string, repo: Repository, distName: string | undefined): Base | undefined {
  const roots = runGit(root, ['rev-list', '--max-parents=0', 'HEAD', '--']);
  if (roots.status !== 0) return undefined; // no commit yet
  const candidates = roots.stdout.toString('utf8').split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l));
  const commits = readObjects(root, candidates, 'commit');
  const trusted: Array<{ id: string; dist: string; version: string }> = [];
  for (const id of candidates) {
    const bytes = commits.get(id);
    const raw = bytes === undefined ? undefined : decode(bytes);
    if (raw === undefined) continue;
    const split = raw.indexOf('\n\n');
    if (split < 0) continue;
    const headers = raw.slice(0, split).split('\n');
    if (headers.some((h) => h.startsWith('parent '))) continue;
    // Made in one go, as the generator makes it: an amended or rebased commit
    // (which keeps the message) has a committer line that differs from its author line.
    const author = headers.find((h) => h.startsWith('author '))?.slice('author '.length);
    const committer = headers.find((h) => h.startsWith('committer '))?.slice('committer '.length);
    if (author === undefined || author !== committer) continue;
    const match = FIRST_COMMIT.exec(raw.slice(split + 2));
    // The project's own: a repository may hold other projects' first commits too.
    if (match && (distName === undefined || match[1] === distName)) trusted.push({ id, dist: match[1]!, version: match[2]! });
  }
  // Two candidates, and nothing tells which the project's is: neither is trusted.
  if (trusted.length > 1) return undefined;
  for (const candidate of trusted) {
    const listed = listTree(root, repo.prefix === '' ? `${candidate.id}^{tree}` : `${candidate.id}:${repo.prefix}`);
    if (!listed) continue;
    const files = listed.entries.filter((e) => e.type === 'blob' && !NOT_GENERATED.has(e.path));
    const contents = readObjects(root, files.filter(readable).map((e) => e.id), 'blob');
    const texts = new Map<string, string>();
    for (const entry of files.filter(readable)) {
      const bytes = contents.get(entry.id);
      const text = bytes === undefined ? undefined : decode(bytes);
      if (text !== undefined) texts.set(entry.path, text);
    }
    if (!matchesConfig(texts.get('.yo-rc.json'), candidate.dist, candidate.version)) continue;
    const notes = listed.refused.map((r) => `Ignored ${r} in the first commit.`);
    const unread = files.filter((e) => !texts.has(e.path)).map((e) => e.path);
    if (unread.length > 0) notes.push(`The first commit's ${unread.join(', ')} could not be read as text, so changes to them are conflicts.`);
    return { owned: new Set(files.map((e) => e.path)), read: (p) => texts.get(p), source: 'first-commit', commit: candidate.id, notes };
  }
  return undefined;
}

/** Whether `.yo-rc.json`'s text names this generator with `dist` and `version`. */
function matchesConfig(text: string | undefined, dist: string, version: string): boolean {
  if (text === undefined) return false;
  try {
    const stored = (JSON.parse(text) as Record<string, unknown>)[CONFIG_KEY] as Record<string, unknown> | undefined;
    return stored?.['distName'] === dist && stored?.['generatorVersion'] === version;
  } catch {
    return false;
  }
}
