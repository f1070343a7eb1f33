/** A DynamicSink: one stateless writer per worker, idempotent upserts (at-least-once). */
import type { SinkEntry, SliceKind } from '../kind.js';
import { SINK_FILES, sinkExampleRun } from './sink.js';

export const DYNAMIC_SINK: SliceKind<SinkEntry> = {
  role: 'sink',
  kind: 'dynamic',
  title: 'A dynamic sink (one writer per worker, at-least-once with idempotent upserts)',
  answers: {},
  context: (entry) => ({ sinkName: entry.name }),
  describe: () => 'dynamic sink',
  templates: 'sinks/templates/dynamic',
  files: SINK_FILES,
  kit: ['common.py', 'sink_dynamic.py'],
  // The partition class is an implementation detail, as in Bytewax's own connectors.
  exports: (c) => [`${c.className}Sink`],
  readme: 'readme-section.md.ejs',
  docs: { page: 'sink-page.md.ejs' },
  ci: { run: sinkExampleRun, settings: (entry) => [`${entry.name.toUpperCase()}_URL`] },
  pipeline: '_sink-dynamic.py.ejs',
};
