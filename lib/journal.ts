/**
 * The journal of a commit in progress: what a run is about to change in a
 * project, kept in the project root until every file is written, so that a
 * run cut off part-way can be undone by the next one.
 *
 * A journal found in a project is untrusted input: a cloned repository may
 * carry one made to order. It is acted on only when it parses, its signature
 * (HMAC-SHA256 with this user's key, kept outside every project: state.ts)
 * holds, and every path in it passes the same checks as a normal write:
 * inside the project, through no symbolic link. Anything else stops the run
 * with one line and leaves the journal for the user to look at.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import * as z from 'zod/mini';
import { UsageError, showPath, showValue } from './errors.js';
import { readRegularFile } from './read.js';
import { journalKey } from './state.js';

export const JOURNAL = '.generator-bytewax-connector.journal.json';

const SHA256_HEX = /^[0-9a-f]{64}$/;

const entrySchema = z.union([
  z.object({
    path: z.string(),
    action: z.enum(['create', 'update']),
    /** sha256 of what the run writes. */
    after: z.string().check(z.regex(SHA256_HEX)),
    /** base64 of what the file held before (updates only). */
    before: z.optional(z.base64()),
    /** The permission bits it had (updates only). */
    mode: z.optional(z.int().check(z.gte(0), z.lte(0o7777))),
  }),
  z.object({
    path: z.string(),
    action: z.literal('delete'),
    after: z.literal(''),
    /** base64 of what the file held: a removal is undone by writing it back. */
    before: z.base64(),
    mode: z.optional(z.int().check(z.gte(0), z.lte(0o7777))),
  }),
]);

const bodySchema = z.object({
  version: z.literal(2),
  command: z.string(),
  /** Folders the run created, outermost first. */
  directories: z.array(z.string()),
  entries: z.array(entrySchema),
});

const fileSchema = z.object({ body: z.string(), mac: z.nullable(z.string()) });

export type JournalEntry = z.infer<typeof entrySchema>;
export type JournalBody = z.infer<typeof bodySchema>;

const mac = (key: Buffer, body: string): string => crypto.createHmac('sha256', key).update(body).digest('hex');

/** The journal file's text for `body`, signed when this user has a key. */
export function journalText(body: JournalBody, key: Buffer | undefined = journalKey()): string {
  const text = JSON.stringify(body);
  return `${JSON.stringify({ body: text, mac: key ? mac(key, text) : null }, null, 1)}\n`;
}

const HINT = 'Look at the project (git status, git diff), then delete that file and run again; nothing was written.';

function refuse(file: string, why: string): never {
  throw new UsageError(`${showPath(file)} is left from a run that was cut off, but ${why}, so it was not used.`, HINT);
}

/**
 * A project-relative path from a journal, as the native relative path it
 * names: POSIX or native separators, no `..`, no absolute path, no NUL, no
 * empty or `.` part. Undefined when it is none of those.
 */
function journalPath(value: string): string | undefined {
  if (value === '' || value.includes('\0') || path.isAbsolute(value) || /^[A-Za-z]:/.test(value)) return undefined;
  const parts = value.split(/[\\/]/);
  if (parts.some((part) => part === '' || part === '.' || part === '..')) return undefined;
  return parts.join(path.sep);
}

/**
 * Reads and checks the journal in `root`: undefined when there is none. Every
 * path is returned checked by `checkPath` (the commit's own check for a write:
 * inside the project, no symbolic link on the way).
 */
export function readJournal(root: string, checkPath: (relative: string, kind: 'file' | 'folder') => void): JournalBody | undefined {
  const file = path.join(root, JOURNAL);
  let bytes: Buffer | undefined;
  try {
    bytes = readRegularFile(file, file, 64 * 1024 * 1024);
  } catch (error) {
    refuse(file, (error as Error).message.split('\n')[0]!.replace(/^\S+ /, 'it ').replace(/ Nothing was written\.$/, '').replace(/\.$/, ''));
  }
  if (bytes === undefined) return undefined;
  const text = bytes.toString('utf8');
  let parsed: z.infer<typeof fileSchema>;
  let body: JournalBody;
  try {
    parsed = fileSchema.parse(JSON.parse(text));
    body = bodySchema.parse(JSON.parse(parsed.body));
  } catch {
    refuse(file, 'it is not a journal this version of the generator wrote');
  }
  const key = journalKey();
  if (parsed.mac === null || key === undefined) {
    refuse(file, 'it cannot be checked (it carries no signature, or this user has no journal key)');
  }
  const expected = Buffer.from(mac(key, parsed.body), 'hex');
  const given = Buffer.from(parsed.mac, 'hex');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    refuse(file, 'it was not written by a run of this generator for this user (its signature does not match)');
  }
  const checked = (value: string, kind: 'file' | 'folder'): string => {
    const relative = journalPath(value);
    if (relative === undefined) refuse(file, `it names the path ${showValue(value)}, which is not a path inside the project`);
    try {
      checkPath(relative, kind);
    } catch (error) {
      const why = (error as Error).message.split('\n')[0]!.replace(/ Nothing was written\.$/, '').replace(/\.$/, '');
      refuse(file, `it names ${showValue(value)}, which a run may not write: ${why}`);
    }
    return relative;
  };
  return {
    ...body,
    directories: body.directories.map((dir) => checked(dir, 'folder')),
    entries: body.entries.map((entry) => ({ ...entry, path: checked(entry.path, 'file') })),
  };
}
