/**
 * Values written into generated files, escaped for the file's format: TOML and
 * YAML by their libraries, Python docstrings and string literals here.
 */
import { stringify as stringifyToml } from 'smol-toml';
import wrapAnsi from 'wrap-ansi';
import { stringify as stringifyYaml } from 'yaml';

/** A TOML basic string holding `value` exactly, escaped by a TOML library. */
export function tomlString(value: string): string {
  return stringifyToml({ v: value }).trim().replace(/^v = /, '');
}

/** `value` as a YAML scalar, quoted only where YAML needs it, by a YAML library. */
export function yamlString(value: string): string {
  return stringifyYaml(value).trimEnd();
}

/** A Python string literal of an ASCII `value` (names, versions). */
export function pyString(value: string): string {
  return JSON.stringify(value);
}

/** Docstring lines stay within PEP 8's 72 columns, well inside ruff's 88. */
const DOCSTRING_WIDTH = 72;

/**
 * Free text as the body of a Python docstring that reads back as `value`:
 * backslashes and double quotes escaped, wrapped between words to lines of
 * at most 72 columns (by display width: wide characters count twice). A word
 * longer than a line keeps a line of its own, which ruff's line-length rule
 * accepts.
 */
export function docstringParagraph(value: string): string {
  const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const wrapped = wrapAnsi(escaped, DOCSTRING_WIDTH, { hard: false, trim: true, wordWrap: true });
  // A break between two spaces leaves one at the end or the start of a line
  // (ruff's W291, pydocstyle's indentation rules): a docstring's line breaks
  // are whitespace anyway.
  return wrapped
    .split('\n')
    .map((line) => line.trim())
    .join('\n');
}

/**
 * One line of free text as Markdown (CommonMark, MyST) that renders as
 * written: the characters of inline markup (emphasis, code and MyST roles,
 * links, HTML and entities) backslash-escaped wherever they are, and a start
 * that would make the line a block (heading, list, quote, MyST comment)
 * escaped at the start.
 */
export function markdownText(value: string): string {
  const inline = value.replace(/[\\`*_{}[\]<>&~|$]/g, '\\$&');
  return inline.replace(/^([#+\-=>%:]|\d+(?=[.)]))/, (start) => (/^\d/.test(start) ? `${start}\\` : `\\${start}`));
}
