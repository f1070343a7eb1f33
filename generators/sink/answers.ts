import type { AnswerSpec, AnswerTable } from '../../lib/answers.js';
import { type SliceNameContext } from '../../lib/naming.js';
import { sliceNameAnswer } from '../../lib/slice-answers.js';

export type SinkKind = 'partitioned' | 'dynamic';

export interface SinkAnswers {
  name: string;
  kind: SinkKind;
}

/**
 * The kind of a sink: `--kind` of the `sink` generator (kept in the sink's
 * entry of `.yo-rc.json`), `--sink-kind` of the app.
 */
export function sinkKindAnswer<A>({ flag, store, when }: { flag: string; store: boolean; when?: (known: Partial<A>) => boolean }): AnswerSpec<SinkKind, A> {
  return {
    type: 'string',
    flag,
    label: 'sink kind',
    description: 'How the sink writes',
    choices: [
      { value: 'dynamic', name: 'dynamic: one stateless writer per worker, at-least-once with idempotent upserts' },
      { value: 'partitioned', name: 'partitioned: resumable partitions, exactly-once' },
    ],
    ...(when === undefined ? { prompt: { message: 'Kind of sink' } } : { prompt: { message: 'Kind of sink', when } }),
    default: () => ({ value: 'dynamic' }),
    defaultText: 'dynamic',
    store,
  };
}

export function sinkAnswers(context: SliceNameContext = {}): AnswerTable<SinkAnswers> {
  return {
    name: sliceNameAnswer('sink', 'sink', context),
    kind: sinkKindAnswer({ flag: 'kind', store: true }),
  };
}
