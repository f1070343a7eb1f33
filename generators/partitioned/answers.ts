import type { AnswerTable } from '../../lib/answers.js';
import { type SliceNameContext } from '../../lib/naming.js';
import { sliceNameAnswer } from '../../lib/slice-answers.js';

export interface PartitionedAnswers {
  name: string;
}

export function partitionedAnswers(context: SliceNameContext = {}): AnswerTable<PartitionedAnswers> {
  return { name: sliceNameAnswer('partitioned', 'partitioned source', context) };
}
