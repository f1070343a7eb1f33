/**
 * The parts of the docs site that follow the project. Each source has a page,
 * `docs/sources/<name>.md`, and each sink `docs/sinks/<name>.md`: its README
 * section (rendered from its generator's own readme-section template with the
 * same context, so the two never need editing twice), a doctest that runs it
 * on its demo backend, its example and its API reference. `docs/index.md`
 * lists the pages in a block between two marker comments, rendered from
 * `.yo-rc.json` by the partial that index.md.ejs includes. The docs slice
 * writes both for every source and sink; one added later writes its own page
 * and rewrites the block, nothing else.
 */
import path from 'node:path';
import { renderTemplate } from '../../lib/files.js';
import { replaceBlock } from '../../lib/marked-blocks.js';
import type { ProjectConfig, SourceEntry } from '../../lib/project-config.js';
import type { SourceContext } from '../../lib/source-context.js';
import type { SinkContext } from '../sink/files.js';

export const DOCS_INDEX = 'docs/index.md';

/** A MyST comment line: the index's block markers start with it. */
const MARKER = '% generator-bytewax-connector: ';

/** A file of the docs site and its text. */
export interface DocsPage {
  target: string;
  text: string;
}

/** What the doctest of a source's page needs of its kind's demo upstream. */
const TRY_IT: Record<SourceEntry['kind'], { upstream: string; options: string; first: string }> = {
  partitioned: { upstream: 'example_log', options: ', stop_at_end=True', first: "partition='part-0', offset=0, value='part-0 #0'" },
  dynamic: { upstream: 'example_backend', options: '', first: "shard='shard-0', offset=0, value='shard-0 #0'" },
};

/** A README section as a page: its heading, whatever its level, becomes the title. */
function asPage(section: string): string {
  return section.trim().replace(/^#{1,6} /, '# ');
}

/** A slice's page (`generatorsDir`: where each generator's folder, with its templates, is). */
export interface DocsPageSpec<C> {
  readonly target: (context: C) => string;
  readonly text: (context: C, generatorsDir: string) => string;
}

/** A source's page: its README section, a doctest that reads its demo upstream, its example and its API. */
export const SOURCE_PAGE: DocsPageSpec<SourceContext> = {
  target: (c) => `docs/sources/${c.sourceName}.md`,
  text: (c, generatorsDir) =>
    renderTemplate(path.join(generatorsDir, 'docs', 'templates', 'source-page.md.ejs'), {
      ...c,
      section: asPage(renderTemplate(path.join(generatorsDir, c.kind, 'templates', 'readme-section.md.ejs'), c)),
      tryIt: TRY_IT[c.kind],
    }),
};

/** A sink's page: its README section, a doctest that writes its demo items, its example and its API. */
export const SINK_PAGE: DocsPageSpec<SinkContext> = {
  target: (c) => `docs/sinks/${c.sinkName}.md`,
  text: (c, generatorsDir) =>
    renderTemplate(path.join(generatorsDir, 'docs', 'templates', 'sink-page.md.ejs'), {
      ...c,
      section: asPage(renderTemplate(path.join(generatorsDir, 'sink', 'templates', c.kind, 'readme-section.md.ejs'), c)),
    }),
};

/** The page `spec` makes of `context`. */
export function docsPage<C>(spec: DocsPageSpec<C>, context: C, generatorsDir: string): DocsPage {
  return { target: spec.target(context), text: spec.text(context, generatorsDir) };
}

/** `index` (docs/index.md) with its list of pages rendered for `project`, or undefined when its markers are gone. */
export function refreshDocsIndex(index: string, generatorsDir: string, project: Pick<ProjectConfig, 'sources' | 'sinks'>): string | undefined {
  const block = renderTemplate(path.join(generatorsDir, 'docs', 'templates', '_pages.md.ejs'), { sources: project.sources, sinks: project.sinks });
  return replaceBlock(index, block, MARKER);
}
