/**
 * The user's private state folder for this generator, outside every project:
 * `$XDG_STATE_HOME/generator-bytewax-connector` (default `~/.local/state/…`;
 * `%LOCALAPPDATA%` on Windows). It holds the key that signs journals, so a
 * journal found in a project is acted on only if a run of this user wrote it.
 *
 * The environment is untrusted input too: a relative or unusable base, a
 * folder someone else owns or can write, or a symbolic link means there is no
 * state folder, never a loop or a crash.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const NAME = 'generator-bytewax-connector';
const KEY_FILE = 'journal.key';
const KEY_BYTES = 32;

function lstat(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

/** A real folder or file (not a link) that only this user owns and can write; Windows' LOCALAPPDATA is per-user. */
function isPrivate(file: string, kind: 'folder' | 'file'): boolean {
  const stat = lstat(file);
  if (stat === undefined || (kind === 'folder' ? !stat.isDirectory() : !stat.isFile())) return false;
  return process.platform === 'win32' || (stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0);
}

/** Where the state folder's parent is, from the environment; undefined when it gives none usable. */
function stateBase(env: NodeJS.ProcessEnv): { base: string; create: string[] } | undefined {
  if (process.platform === 'win32') {
    const local = env['LOCALAPPDATA'];
    return local && path.isAbsolute(local) ? { base: local, create: [] } : undefined;
  }
  const xdg = env['XDG_STATE_HOME'];
  // The XDG spec: a relative path is invalid and is ignored.
  if (xdg && path.isAbsolute(xdg)) return { base: xdg, create: [] };
  let home: string;
  try {
    home = env['HOME'] || os.homedir();
  } catch {
    return undefined;
  }
  if (!path.isAbsolute(home)) return undefined;
  return { base: home, create: ['.local', 'state'] };
}

/**
 * The state folder, created (mode 0700) if missing: one level at a time under
 * a base that must already exist, so no path can make this loop. Undefined
 * when it cannot be had.
 */
export function stateFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const found = stateBase(env);
  if (found === undefined) return undefined;
  try {
    if (!fs.statSync(found.base).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  let folder = found.base;
  for (const part of [...found.create, NAME]) {
    folder = path.join(folder, part);
    if (lstat(folder) === undefined) {
      try {
        fs.mkdirSync(folder, { mode: 0o700 });
      } catch {
        return undefined;
      }
    }
  }
  return isPrivate(folder, 'folder') ? folder : undefined;
}

/** This user's journal key, made on first use; undefined when there is no private place for it. */
export function journalKey(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const folder = stateFolder(env);
  if (folder === undefined) return undefined;
  const file = path.join(folder, KEY_FILE);
  if (lstat(file) === undefined) {
    try {
      fs.writeFileSync(file, crypto.randomBytes(KEY_BYTES), { flag: 'wx', mode: 0o600 });
    } catch {
      // Another run made it first (read it below), or the folder is not writable.
    }
  }
  if (!isPrivate(file, 'file')) return undefined;
  try {
    const key = fs.readFileSync(file);
    return key.length === KEY_BYTES ? key : undefined;
  } catch {
    return undefined;
  }
}
