import type Generator from 'yeoman-generator';
import helpers from 'yeoman-test';
import { generatorPath } from './paths.js';

/** Our flags arrive as generator options; yeoman-test's types only know Yeoman's own. */
type FlagOptions = Generator['options'] & Record<string, unknown>;

/** A yeoman-test run of one of our built generators (`app`, `partitioned`, ...), without --force. */
export const runGenerator = (name: string) =>
  // yeoman-test passes force: true unless told otherwise; the front doors do not.
  helpers.run<Generator<Record<string, unknown>, FlagOptions>>(generatorPath(name)).withOptions({ force: false });
