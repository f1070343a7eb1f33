/** A FixedPartitionedSink: resumable partitions that truncate on resume (exactly-once). */
import type { SinkEntry, SliceKind } from '../kind.js';
import { SINK_FILES, sinkExampleRun } from './sink.js';

export const PARTITIONED_SINK: SliceKind<SinkEntry> = {
  role: 'sink',
  kind: 'partitioned',
  title: 'A partitioned sink (resumable partitions, exactly-once)',
  answers: {},
  context: (entry) => ({ sinkName: entry.name }),
  describe: () => 'partitioned sink',
  templates: 'sinks/templates/partitioned',
  files: SINK_FILES,
  kit: ['common.py', 'sink_partitioned.py'],
  exports: (c) => [`${c.className}Sink`],
  readme: 'readme-section.md.ejs',
  docs: { page: 'sink-page.md.ejs' },
  ci: { run: sinkExampleRun, settings: (entry) => [`${entry.name.toUpperCase()}_URL`] },
  pipeline: '_sink-partitioned.py.ejs',
};
