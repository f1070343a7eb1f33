/**
 * What every sink kind shares: the four files a sink writes for itself, each
 * kind's templates under sinks/templates/<kind>/ (their demos include one
 * shared part), and its CI example run; and the answer that picks a kind.
 */
import type { AnswerSpec } from '../../answers.js';
import type { FilesTable } from '../../files.js';
import type { ExampleRun, SinkEntry, SliceContext } from '../kind.js';

export const SINK_FILES: FilesTable<SliceContext> = [
  { template: 'sink.py.ejs', target: (c) => `src/${c.packageName}/${c.name}.py` },
  { template: 'demo.py.ejs', target: (c) => `src/${c.packageName}/demo/${c.name}.py` },
  { template: 'test_sink.py.ejs', target: (c) => `tests/test_${c.name}.py` },
  { template: 'example.py.ejs', target: (c) => `examples/${c.name}.py` },
];

/** A sink's example run in CI: the flow on 2 workers, then what it wrote. */
export function sinkExampleRun(entry: SinkEntry): ExampleRun {
  return {
    name: `Run examples/${entry.name}.py (${entry.kind} sink), then print what it wrote`,
    commands: [`python -m bytewax.run examples.${entry.name}:flow -w 2`, `python -m examples.${entry.name}`],
  };
}

/**
 * The kind of a sink: `--kind` of the `sink` generator (kept in the sink's
 * entry of `.yo-rc.json`), `--sink-kind` of the app.
 */
export function sinkKindAnswer<A>({ flag, store, when }: { flag: string; store: boolean; when?: (known: Partial<A>) => boolean }): AnswerSpec<SinkEntry['kind'], A> {
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
