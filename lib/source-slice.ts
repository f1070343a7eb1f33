/**
 * What the `partitioned` and `dynamic` generators share: a source module, its
 * test and its example from the generator's templates, its exports, its README
 * section and its entry in `.yo-rc.json`.
 */
import type { AnswerTable } from './answers.js';
import type { SliceNameContext } from './naming.js';
import type { ProjectConfig, SourceEntry } from './project-config.js';
import { NO_SOURCES_YET, SOURCES_MARKER } from './readme-markers.js';
import { SliceGenerator, type SliceParts } from './slice.js';
import { slicesOf } from './slices.js';
import { type SourceContext, sourceContext } from './source-context.js';
import { SOURCE_PAGE } from '../generators/docs/pages.js';

export type { SourceContext } from './source-context.js';

const SOURCE_PARTS: SliceParts<SourceContext> = {
  files: [
    { template: 'source.py.ejs', target: (c) => `src/${c.packageName}/${c.sourceName}.py` },
    { template: 'demo.py.ejs', target: (c) => `src/${c.packageName}/demo/${c.sourceName}.py` },
    // The same for every source: the first one writes it, later ones leave it (and any edit) alone.
    { template: 'demo/__init__.py.ejs', shared: true, target: (c) => `src/${c.packageName}/demo/__init__.py`, mode: 'once' },
    // The contract kit: its common part for every kind, then this kind's checks.
    { template: '__init__.py', kit: true, target: () => 'tests/contract/__init__.py', mode: 'once' },
    { template: 'common.py', kit: true, target: () => 'tests/contract/common.py', mode: 'once' },
    { template: (c) => `${c.kind}.py`, kit: true, target: (c) => `tests/contract/${c.kind}.py`, mode: 'once' },
    { template: 'test_source.py.ejs', target: (c) => `tests/test_${c.sourceName}.py` },
    { template: 'example.py.ejs', target: (c) => `examples/${c.sourceName}.py` },
  ],
  // Partition classes are an implementation detail, as in Bytewax's own connectors.
  exports: (c) => ({ module: c.sourceName, names: [`${c.className}Source`] }),
  readme: { template: 'readme-section.md.ejs', marker: SOURCES_MARKER, placeholder: NO_SOURCES_YET },
  inCi: true,
  pipeline: true,
  docsPage: SOURCE_PAGE,
};

export abstract class SourceSliceGenerator<A extends { name: string }> extends SliceGenerator<A, SourceContext> {
  protected abstract readonly kind: SourceEntry['kind'];

  protected override answerTable(project: ProjectConfig): AnswerTable<A> {
    return this.sourceAnswers({
      packageName: project.packageName,
      taken: slicesOf(project),
      // A source's own files are named after it, whatever its kind.
      existingFiles: (name) => this.existingOwnFiles(sourceContext(project, { name, kind: 'partitioned' }), project),
    });
  }

  protected abstract sourceAnswers(context: SliceNameContext): AnswerTable<A>;
  protected abstract entry(): SourceEntry;

  protected override parts(): SliceParts<SourceContext> {
    return SOURCE_PARTS;
  }

  protected override templateContext(): SourceContext {
    return sourceContext(this.project, this.entry());
  }

  protected override record(project: ProjectConfig): ProjectConfig {
    return { ...project, sources: [...project.sources, this.entry()] };
  }

  end(): void {
    if (!this.isRoot) return;
    const { name } = this.entry();
    const pkg = this.project.packageName;
    this.tryIt(
      `Added the ${this.kind} source ${name}: src/${pkg}/${name}.py (its demo upstream in ` +
        `src/${pkg}/demo/${name}.py), tests/test_${name}.py and examples/${name}.py.`,
      [`python -m bytewax.run examples.${name}:flow -w 2`, `pytest tests/test_${name}.py`],
    );
  }
}
