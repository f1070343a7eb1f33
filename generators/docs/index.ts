import path from 'node:path';
import type Generator from 'yeoman-generator';
import type { AnswerTable } from '../../lib/answers.js';
import { markdownText, pyString } from '../../lib/escape.js';
import type { ProjectConfig } from '../../lib/project-config.js';
import { DOCS_MARKER } from '../../lib/readme-markers.js';
import { SliceGenerator, type SliceParts } from '../../lib/slice.js';
import { sourceContext } from '../../lib/source-context.js';
import { ACTIONS, BYTEWAX_REQUIREMENT, CI_TOOLS, PYTHON_TOOLS, pythonRange } from '../../lib/versions.js';
import type { DocsAnswers } from './answers.js';
import { sinkContext } from '../sink/files.js';
import { DOCS_INDEX, SINK_PAGE, SOURCE_PAGE, docsPage } from './pages.js';

/** What the docs templates see (docs.yml included, shared with the ci slice). */
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

/** The Pages workflow: written with the CI workflows, by whichever of `ci` and `docs` comes second. */
export const DOCS_WORKFLOW = { template: 'docs.yml.ejs', shared: true, target: () => '.github/workflows/docs.yml' } as const;

const DOCS_PARTS: SliceParts<DocsContext> = {
  files: [
    { template: 'conf.py.ejs', target: () => 'docs/conf.py' },
    { template: 'index.md.ejs', target: () => DOCS_INDEX },
    { ...DOCS_WORKFLOW, when: (c) => c.ci },
  ],
  readme: { template: 'readme-section.md.ejs', marker: DOCS_MARKER },
  // pyproject.toml (the docs group, mypy over docs/, no PY004 waiver), the
  // noxfile's docs session and .gitignore's docs/_build/.
  changesAppFiles: true,
};

/**
 * Adds the documentation site: Sphinx with Markdown (MyST) pages, a page per
 * source and sink with a doctest and its API reference, a strict build in nox and, with
 * the CI workflows, a GitHub Pages workflow.
 */
export default class DocsGenerator extends SliceGenerator<DocsAnswers, DocsContext> {
  static readonly help = {
    summary: 'Add a documentation site to the project: Sphinx pages per source and sink with doctests and API reference, published to GitHub Pages.',
    examples: ['', '--yes'],
  };

  constructor(args: string[], options: Generator['options']) {
    super(args, options, {});
  }

  protected answerTable(): AnswerTable<DocsAnswers> {
    return {};
  }

  protected parts(): SliceParts<DocsContext> {
    return DOCS_PARTS;
  }

  protected templateContext(): DocsContext {
    return {
      installer: this.project.installer,
      distName: this.project.distName,
      packageName: this.project.packageName,
      description: this.project.description,
      bytewaxRequirement: BYTEWAX_REQUIREMENT,
      pythonVersions: pythonRange(this.project.python),
      sources: this.project.sources,
      sinks: this.project.sinks,
      ci: this.project.ci,
      actions: ACTIONS,
      tools: PYTHON_TOOLS,
      ciTools: CI_TOOLS,
      markdownText,
      pyString,
    };
  }

  protected record(project: ProjectConfig): ProjectConfig {
    return { ...project, docs: true };
  }

  override writing(): void {
    super.writing();
    const pages = [
      ...this.project.sources.map((source) => docsPage(SOURCE_PAGE, sourceContext(this.project, source), this.generatorsDir)),
      ...this.project.sinks.map((sink) => docsPage(SINK_PAGE, sinkContext(this.project, sink), this.generatorsDir)),
    ];
    for (const page of pages) this.fs.write(path.join(this.root, page.target), page.text);
  }

  end(): void {
    if (!this.isRoot) return;
    this.log(
      [
        '',
        'Added the documentation site in docs/. Build it strictly and run its doctests:',
        '  nox -s docs                # in the activated .venv; or see the README',
        'then open docs/_build/html/index.html.',
        this.project.ci
          ? 'To publish it from main, set Settings → Pages → Source to "GitHub Actions" in the GitHub repository.'
          : `With the CI workflows (\`${this.commandFor('ci')}\`), it is published to GitHub Pages too.`,
        '',
      ].join('\n'),
    );
  }
}
