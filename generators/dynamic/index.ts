import type Generator from 'yeoman-generator';
import { DYNAMIC_SOURCE } from '../../lib/project/sources/dynamic.js';
import { SourceGenerator } from '../../lib/run/slice.js';

/** Adds a DynamicSource: one stateless reader per worker, with a sync or async client. */
export default class DynamicGenerator extends SourceGenerator {
  static readonly help = {
    summary: 'Add a DynamicSource to the project: one stateless reader per worker, with a sync or async client.',
    examples: ['events', 'ticks --client async'],
  };

  constructor(args: string[], options: Generator['options']) {
    super(args, options, DYNAMIC_SOURCE);
  }
}
