/** A FixedPartitionedSource: partitions with snapshot and resume. */
import type { SliceKind, SourceEntry } from '../kind.js';
import { SOURCE_FILES, sourceExampleRun } from './source.js';

export const PARTITIONED_SOURCE: SliceKind<Extract<SourceEntry, { kind: 'partitioned' }>> = {
  role: 'source',
  kind: 'partitioned',
  title: 'A partitioned source (resumable partitions)',
  answers: {},
  context: (entry) => ({ sourceName: entry.name }),
  describe: () => 'partitioned source',
  templates: 'sources/templates/partitioned',
  files: SOURCE_FILES,
  kit: ['common.py', 'partitioned.py'],
  // Partition classes are an implementation detail, as in Bytewax's own connectors.
  exports: (c) => [`${c.className}Source`],
  readme: 'readme-section.md.ejs',
  // What the page's doctest needs of the demo upstream.
  docs: { page: 'source-page.md.ejs', values: { upstream: 'example_log', options: ', stop_at_end=True', first: "partition='part-0', offset=0, value='part-0 #0'" } },
  ci: {
    run: (entry) => sourceExampleRun(entry.name, 'partitioned source'),
    settings: (entry) => [`${entry.name.toUpperCase()}_URL`],
  },
  pipeline: '_source-partitioned.py.ejs',
};
