/**
 * The generators' names, for both front doors: the runner's first word and
 * yo's `bytewax-connector:<name>`. A project directory named like one of
 * them, or one typo away, is refused where it would be taken for a new
 * project's folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { UsageError, showValue } from './errors.js';

export const GENERATOR_NAMES = ['app', 'partitioned', 'dynamic', 'sink', 'ci', 'docs', 'update'] as const;
export type GeneratorName = (typeof GENERATOR_NAMES)[number];

/**
 * Throws when `word`, given where a new project's directory goes, is a
 * generator's name mistyped (one edit per four letters: `partitoned`,
 * `dynamc`, `sinc`) and no such folder exists in `cwd`. Words of three
 * letters or fewer and plurals (`api`, `cli`, `sinks`) are names people give
 * folders, never taken for typos. `retry` is the command that creates a
 * project of that name on purpose.
 */
export function refuseGeneratorTypo(word: string, cwd: string, retry: string): void {
  const nearest = closest(word, [...GENERATOR_NAMES]);
  const plural = word === `${nearest}s`;
  const typo = word.length >= 4 && !plural && word !== nearest && distance(word, nearest) <= Math.max(1, Math.floor(nearest.length / 4));
  if (typo && !fs.existsSync(path.resolve(cwd, word))) {
    throw new UsageError(`There is no generator ${showValue(word)}: did you mean "${nearest}"?`, `To create a project in a directory of that name, run \`${retry}\`.`);
  }
}
