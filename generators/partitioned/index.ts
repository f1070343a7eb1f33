import type Generator from 'yeoman-generator';
import { SourceSliceGenerator } from '../../lib/source-slice.js';

/** Adds a FixedPartitionedSource: partitions with snapshot and resume. */
export default class PartitionedGenerator extends SourceSliceGenerator {
  constructor(args: string[], options: Generator['options']) {
    super(args, options, 'partitioned');
  }
}
