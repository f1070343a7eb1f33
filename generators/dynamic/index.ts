import type Generator from 'yeoman-generator';
import type { SourceEntry } from '../../lib/project-config.js';
import { SourceSliceGenerator } from '../../lib/source-slice.js';
import { type DynamicAnswers, dynamicAnswers } from './answers.js';

/** Adds a DynamicSource: one stateless reader per worker, with a sync or async client. */
export default class DynamicGenerator extends SourceSliceGenerator<DynamicAnswers> {
  static readonly help = {
    summary: 'Add a DynamicSource to the project: one stateless reader per worker, with a sync or async client.',
    examples: ['events', 'ticks --client async'],
  };

  protected readonly kind = 'dynamic';

  constructor(args: string[], options: Generator['options']) {
    super(args, options, dynamicAnswers());
  }

  protected sourceAnswers = dynamicAnswers;

  protected entry(): SourceEntry {
    return { name: this.answers.name, kind: 'dynamic', client: this.answers.client };
  }
}
