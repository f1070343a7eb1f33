/**
 * A mistake in what the user asked for or in the files the run found (a bad
 * name, a missing answer, an invalid `.yo-rc.json`, a symlink in the way, a
 * full disk). Both front doors print only its message (and hint) and exit with
 * status 1; anything else is a bug and keeps its stack trace.
 */
export class UsageError extends Error {
  override name = 'UsageError';
  /** One line on what to do about it, printed after the message. */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(hint === undefined ? message : `${message}\n${hint}`);
    this.hint = hint;
  }
}

export function isUsageError(error: unknown): error is UsageError {
  return error instanceof Error && error.name === 'UsageError';
}

const MAX_SHOWN = 80;

/**
 * `value` quoted for a message on a terminal: control characters, bidi
 * overrides and other invisible format characters are shown as `\u{…}`
 * escapes, so an answer cannot recolour, hide or reorder the message around
 * it; over-long values are cut.
 */
export function showValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  const cut = [...text].length > MAX_SHOWN ? `${[...text].slice(0, MAX_SHOWN).join('')}…` : text;
  const escaped = cut.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}"\\]/gu, (ch) => {
    if (ch === '"' || ch === '\\') return `\\${ch}`;
    return `\\u{${ch.codePointAt(0)!.toString(16)}}`;
  });
  return `"${escaped}"`;
}

/** Characters a terminal would act on or hide: controls (ESC, C1), bidi and other format characters, separators. */
const UNSHOWABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * A path (or other text the user gave) for a terminal line, whole and
 * unquoted, with the characters a terminal would act on or hide shown as
 * `\u{…}` escapes: a folder name cannot recolour or rewrite the screen.
 */
export function showPath(value: string): string {
  return value.replace(UNSHOWABLE, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}

/** Node's system errors (`ENOSPC`, `EACCES`, ...) as a short phrase for a message. */
export function describeSystemError(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const phrases: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the file system is read-only',
    ENAMETOOLONG: 'the name is too long for the file system',
    ENOTDIR: 'a part of the path is a file, not a directory',
    EISDIR: 'it is a directory',
    EEXIST: 'it already exists',
    EMFILE: 'too many open files',
    EIO: 'an input/output error',
  };
  return code === undefined ? undefined : `${phrases[code] ?? 'a system error'} (${code})`;
}
