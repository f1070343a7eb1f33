/**
 * The documentation site of a project with docs: Sphinx with MyST pages, an
 * index listing a page per source and sink, each page made from the slice's
 * README section (one text, two places), a doctest that runs it on its demo
 * backend, its example and its API reference; with CI, the Pages workflow.
 */
import { markdownText, pyString } from '../../escape.js';
import type { FilesTable } from '../../files.js';
import { ACTIONS, BYTEWAX_REQUIREMENT, CI_TOOLS, PYTHON_TOOLS, pythonRange } from '../../versions.js';
import type { ProjectConfig } from '../config.js';
import type { Role, SliceEntry } from '../kind.js';

export const DOCS_TEMPLATES = 'docs/templates';
const DOCS_INDEX = 'docs/index.md';

/** What the docs templates see (docs.yml included). */
export interface DocsContext {
  installer: ProjectConfig['installer'];
  distName: string;
  packageName: string;
  description: string;
  bytewaxRequirement: string;
  pythonVersions: string[];
  sources: ProjectConfig['sources'];
  sinks: ProjectConfig['sinks'];
  ci: boolean;
  actions: typeof ACTIONS;
  tools: typeof PYTHON_TOOLS;
  ciTools: typeof CI_TOOLS;
  markdownText: (value: string) => string;
  pyString: (value: string) => string;
}

export const DOCS_FILES: FilesTable<DocsContext> = [
  { template: 'conf.py.ejs', target: () => 'docs/conf.py' },
  { template: 'index.md.ejs', target: () => DOCS_INDEX },
  // The Pages workflow builds the site on every change and publishes it from main.
  { template: 'docs.yml.ejs', target: () => '.github/workflows/docs.yml', when: (c) => c.ci },
];

export const DOCS_README_SECTION = 'readme-section.md.ejs';

/** Where a source's or sink's page is. */
export function docsPageTarget(role: Role, entry: SliceEntry): string {
  return `docs/${role}s/${entry.name}.md`;
}

/** A README section as a page: its heading, whatever its level, becomes the title. */
export function asPage(section: string): string {
  return section.trim().replace(/^#{1,6} /, '# ');
}

export function docsContext(config: ProjectConfig): DocsContext {
  return {
    installer: config.installer,
    distName: config.distName,
    packageName: config.packageName,
    description: config.description,
    bytewaxRequirement: BYTEWAX_REQUIREMENT,
    pythonVersions: pythonRange(config.python),
    sources: config.sources,
    sinks: config.sinks,
    ci: config.ci,
    actions: ACTIONS,
    tools: PYTHON_TOOLS,
    ciTools: CI_TOOLS,
    markdownText,
    pyString,
  };
}
