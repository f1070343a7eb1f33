import type Generator from 'yeoman-generator';
import { PARTITIONED_SOURCE } from '../../lib/project/sources/partitioned.js';
import { SourceGenerator } from '../../lib/run/slice.js';

/** Adds a FixedPartitionedSource: partitions with snapshot and resume. */
export default class PartitionedGenerator extends SourceGenerator {
  static readonly help = {
    summary: 'Add a FixedPartitionedSource to the project: partitions with snapshot and resume.',
    examples: ['orders', 'sensor_log --yes'],
  };

  constructor(args: string[], options: Generator['options']) {
    super(args, options, PARTITIONED_SOURCE);
  }
}
