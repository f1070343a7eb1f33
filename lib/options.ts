import { camelCase } from 'change-case';

/**
 * Reads a generator option by its kebab-case flag name. `yo` passes both
 * `author-name` and `authorName`, the commander-based runner only the
 * camelCase key and yeoman-test whatever the test wrote: accept each.
 */
export function readOption<T>(options: Record<string, unknown>, flag: string): T | undefined {
  const value = options[camelCase(flag)] ?? options[flag];
  return value === undefined ? undefined : (value as T);
}
