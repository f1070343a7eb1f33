import type Generator from 'yeoman-generator';
import type { ProjectConfig } from '../../lib/project/config.js';
import { SliceGenerator } from '../../lib/run/slice.js';

type DocsAnswers = Record<never, never>;

/**
 * Adds the documentation site: Sphinx with Markdown (MyST) pages, a page per
 * source and sink with a doctest and its API reference, a strict build in nox and, with
 * the CI workflows, a GitHub Pages workflow.
 */
export default class DocsGenerator extends SliceGenerator<DocsAnswers> {
  static readonly help = {
    summary: 'Add a documentation site to the project: Sphinx pages per source and sink with doctests and API reference, published to GitHub Pages.',
    examples: ['', '--yes'],
  };

  constructor(args: string[], options: Generator['options']) {
    super(args, options, {});
  }

  protected answerTable(): Record<never, never> {
    return {};
  }

  protected change(config: ProjectConfig): ProjectConfig {
    return { ...config, docs: true };
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
