import { stringify as stringifyToml } from 'smol-toml';
import { stringify as stringifyYaml } from 'yaml';

/** A TOML basic string holding `value` exactly, escaped by a TOML library. */
export function tomlString(value: string): string {
  return stringifyToml({ v: value }).trim().replace(/^v = /, '');
}

/**
 * The body of a one-line Python docstring that reads back as `value`: backslashes
 * and double quotes escaped, a final full stop added when the text ends without
 * one (pydocstyle's summary rule).
 */
export function docstringSummary(value: string): string {
  const sentence = /[.!?]$/.test(value) ? value : `${value}.`;
  return sentence.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** `value` as a YAML scalar, quoted only where YAML needs it, by a YAML library. */
export function yamlString(value: string): string {
  return stringifyYaml(value).trimEnd();
}
