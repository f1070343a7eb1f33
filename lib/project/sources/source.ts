/**
 * What every source kind shares: the four files a source writes for itself,
 * each kind's templates under sources/templates/<kind>/, and its README
 * section, docs page and CI example run.
 */
import type { FilesTable } from '../../files.js';
import type { ExampleRun, SliceContext } from '../kind.js';

export const SOURCE_FILES: FilesTable<SliceContext> = [
  { template: 'source.py.ejs', target: (c) => `src/${c.packageName}/${c.name}.py` },
  { template: 'demo.py.ejs', target: (c) => `src/${c.packageName}/demo/${c.name}.py` },
  { template: 'test_source.py.ejs', target: (c) => `tests/test_${c.name}.py` },
  { template: 'example.py.ejs', target: (c) => `examples/${c.name}.py` },
];

/** A source's example run in CI: the flow on 2 workers, until its demo upstream's end. */
export function sourceExampleRun(name: string, described: string): ExampleRun {
  return { name: `Run examples/${name}.py (${described})`, commands: [`python -m bytewax.run examples.${name}:flow -w 2`] };
}
