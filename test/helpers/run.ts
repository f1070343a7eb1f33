import type Generator from 'yeoman-generator';
import helpers from 'yeoman-test';
import { generatorPath } from './paths.js';

/** Our flags arrive as generator options; yeoman-test's types only know Yeoman's own. */
type FlagOptions = Generator['options'] & Record<string, unknown>;

/** A yeoman-test run of one of our built generators (`app`, `partitioned`, ...). */
export const runGenerator = (name: string) => helpers.run<Generator<Record<string, unknown>, FlagOptions>>(generatorPath(name));
