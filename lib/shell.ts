/**
 * Commands printed for the user to paste into a POSIX shell ("Next steps",
 * hints): every word that is not plainly safe is single-quoted, so a folder
 * named `$(touch x)` or `x'y` is a name when pasted, never code.
 */

/** Characters that need no quoting in any POSIX shell word. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `word` as one POSIX shell word: as it is when safe, else single-quoted (a `'` written as `'\''`). */
export function shellWord(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
