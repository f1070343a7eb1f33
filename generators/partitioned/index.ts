import type Generator from 'yeoman-generator';
import type { SourceEntry } from '../../lib/project-config.js';
import { SourceSliceGenerator } from '../../lib/source-slice.js';
import { type PartitionedAnswers, partitionedAnswers } from './answers.js';

/** Adds a FixedPartitionedSource: partitions with snapshot and resume. */
export default class PartitionedGenerator extends SourceSliceGenerator<PartitionedAnswers> {
  static readonly help = {
    summary: 'Add a FixedPartitionedSource to the project: partitions with snapshot and resume.',
    examples: ['orders', 'sensor_log --yes'],
  };

  protected readonly kind = 'partitioned';

  constructor(args: string[], options: Generator['options']) {
    super(args, options, partitionedAnswers());
  }

  protected sourceAnswers = partitionedAnswers;

  protected entry(): SourceEntry {
    return { name: this.answers.name, kind: 'partitioned' };
  }
}
