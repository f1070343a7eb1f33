import type { AnswerSpec } from '../../lib/answers.js';
import type { ProjectConfig } from '../../lib/project-config.js';

/** The `docs` slice asks nothing of its own. */
export type DocsAnswers = Record<never, never>;

/**
 * Whether the project has the documentation site: the app's `--docs/--no-docs`
 * (default yes, like `--ci`), kept in `.yo-rc.json`. A project recorded before
 * this answer existed has no `docs` key: it reads as made without docs, and
 * re-running the app on it offers no docs unless asked.
 */
export function docsAnswer<A>(stored: ProjectConfig | undefined): AnswerSpec<boolean, A> {
  return {
    type: 'boolean',
    flag: 'docs',
    label: 'documentation site',
    description: 'Add a Sphinx documentation site, published to GitHub Pages with the CI workflows (--no-docs to leave it out)',
    defaultText: 'yes',
    prompt: { message: 'Add a documentation site (Sphinx; published to GitHub Pages with CI)?' },
    default: () => (stored === undefined ? { value: true } : { value: stored.docs, from: '.yo-rc.json' }),
    store: true,
    storedDefault: false,
  };
}
