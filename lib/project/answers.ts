/**
 * The answers a project keeps in `.yo-rc.json`, declared once: flag,
 * question, default, rule and storage. The app asks them (with answers of
 * its own run, generators/app/answers.ts), `.yo-rc.json`'s schema is built
 * from them (config.ts), and the renderer reads them back as the project's
 * config.
 */
import type { AnswerSpec, AnswerTable } from '../answers.js';
import { trimSpace } from '../answers.js';
import type { Installer } from '../install.js';
import { SUPPORTED_LICENSES, type SupportedLicense } from '../licenses.js';
import {
  LIMITS,
  defaultDistName,
  descriptionProblem,
  distNameProblem,
  emailProblem,
  normalizeDistName,
  packageFromDistName,
  packageNameProblem,
  textProblem,
} from '../naming.js';
import { SUPPORTED_PYTHONS, type PythonVersion } from '../versions.js';

export interface ProjectAnswers {
  distName: string;
  packageName: string;
  description: string;
  authorName: string;
  authorEmail: string;
  license: SupportedLicense;
  python: PythonVersion;
  installer: Installer;
  ci: boolean;
  docs: boolean;
  /** `owner/name` of the project's GitHub repository, named in the release workflow and README (CI only). */
  repository?: string;
}

/** What the defaults of a project's answers come from. */
export interface ProjectAnswerContext {
  /** Name of the project directory, for the default distribution name. */
  directoryName: string;
  /** The answers an earlier run recorded, offered as defaults. */
  stored?: Partial<ProjectAnswers> | undefined;
  /** `git config --get <key>`, asked only when a default needs it (never with --no-git). */
  git: (key: string) => string | undefined;
  /** --no-git: git config is not read, so the author is asked for (or must be given). */
  gitDisabled?: boolean;
  /** Whether uv is on PATH, asked only when the installer's default is needed. */
  uvAvailable?: () => boolean;
}

const DEFAULT_DESCRIPTION = 'A Bytewax connector.';
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** `owner/name` from a remote URL on GitHub, if it is one. */
function githubRepository(url: string | undefined): string | undefined {
  return /github\.com[:/]([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+?)(?:\.git)?\s*$/.exec(url ?? '')?.[1];
}

/** The repository a project's workflows name: the recorded one, else a placeholder to fill in. */
export function repositoryOf(config: Pick<ProjectAnswers, 'distName' | 'repository'>): string {
  return config.repository ?? `YOUR-GITHUB-OWNER/${config.distName}`;
}

export function projectAnswers(context: ProjectAnswerContext): AnswerTable<ProjectAnswers> {
  const { stored } = context;
  const fromStore = <V>(value: V | undefined) => (value === undefined ? undefined : { value, from: '.yo-rc.json' });
  const gitDefault = (key: string) => {
    const value = context.git(key);
    return value === undefined ? undefined : { value: trimSpace(value), from: `git config ${key}` };
  };
  return {
    distName: {
      type: 'string',
      flag: 'name',
      label: 'distribution name',
      description: 'Distribution name on PyPI, normalised per PEP 503',
      defaultText: 'bytewax-<directory name>',
      prompt: { message: 'Distribution name (PyPI)' },
      default: () => fromStore(stored?.distName) ?? { value: defaultDistName(context.directoryName), from: 'the directory name' },
      check: distNameProblem,
      canonical: normalizeDistName,
      store: true,
    },
    packageName: {
      type: 'string',
      flag: 'package',
      label: 'import package',
      description: 'Import package',
      defaultText: 'from the distribution name',
      prompt: { message: 'Import package' },
      default: (known) =>
        known.distName === undefined || normalizeDistName(known.distName) === stored?.distName
          ? fromStore(stored?.packageName)
          : { value: packageFromDistName(known.distName), derivedFrom: 'distName' },
      check: packageNameProblem,
      store: true,
    },
    description: {
      type: 'string',
      flag: 'description',
      label: 'description',
      description: `One-line summary, at most ${LIMITS.description} characters`,
      defaultText: JSON.stringify(DEFAULT_DESCRIPTION),
      prompt: { message: 'One-line description' },
      default: () => fromStore(stored?.description) ?? { value: DEFAULT_DESCRIPTION },
      check: descriptionProblem,
      store: true,
    },
    authorName: {
      type: 'string',
      flag: 'author-name',
      label: 'author name',
      description: 'Package author',
      defaultText: 'git config user.name',
      prompt: { message: 'Author name' },
      default: () => fromStore(stored?.authorName) ?? gitDefault('user.name'),
      required: true,
      missing: context.gitDisabled ? 'git config is not read with --no-git' : 'git config user.name is not set',
      check: (value) => textProblem(value, LIMITS.authorName),
      store: true,
    },
    authorEmail: {
      type: 'string',
      flag: 'author-email',
      label: 'author email',
      description: 'Package author email (empty for none)',
      defaultText: 'git config user.email',
      prompt: { message: 'Author email (may be empty)' },
      default: () => fromStore(stored?.authorEmail) ?? gitDefault('user.email') ?? { value: '' },
      check: emailProblem,
      store: true,
    },
    license: {
      type: 'string',
      flag: 'license',
      label: 'license',
      description: 'License',
      defaultText: 'Apache-2.0',
      choices: SUPPORTED_LICENSES.map((value) => ({ value, name: value })),
      prompt: { message: 'License' },
      default: () => fromStore(stored?.license) ?? { value: 'Apache-2.0' },
      store: true,
    },
    python: {
      type: 'string',
      flag: 'python',
      label: 'minimum Python',
      description: 'Minimum Python version',
      defaultText: SUPPORTED_PYTHONS[0],
      choices: SUPPORTED_PYTHONS.map((value) => ({ value, name: value })),
      prompt: { message: 'Minimum Python version' },
      default: () => fromStore(stored?.python) ?? { value: SUPPORTED_PYTHONS[0] },
      store: true,
    },
    installer: {
      type: 'string',
      flag: 'installer',
      label: 'installer',
      description: 'What installs the project here and in its CI: uv (with a committed uv.lock) or pip',
      defaultText: 'uv when it is on PATH, else pip',
      choices: [
        { value: 'uv', name: 'uv: uv sync, a uv.lock committed and used by CI and Dependabot' },
        { value: 'pip', name: 'pip: a venv and pip, no lock file' },
      ],
      default: () => fromStore(stored?.installer) ?? { value: context.uvAvailable?.() ? 'uv' : 'pip', from: 'what is on PATH' },
      store: true,
      // Projects made before this answer existed were installed with pip in CI.
      storedDefault: 'pip',
    },
    ci: {
      type: 'boolean',
      flag: 'ci',
      label: 'CI workflows',
      description: 'Add the GitHub Actions workflows (--no-ci to leave them out)',
      defaultText: 'yes',
      prompt: { message: 'Add GitHub Actions CI and PyPI release workflows?' },
      default: () => fromStore(stored?.ci) ?? { value: true },
      store: true,
    },
    docs: docsAnswer(stored),
    repository: repositoryAnswer(context),
  };
}

/**
 * Whether the project has the documentation site: the app's `--docs/--no-docs`
 * (default yes, like `--ci`). A project recorded before this answer existed
 * has no `docs` key: it reads as made without docs.
 */
function docsAnswer<A>(stored: Partial<ProjectAnswers> | undefined): AnswerSpec<boolean, A> {
  return {
    type: 'boolean',
    flag: 'docs',
    label: 'documentation site',
    description: 'Add a Sphinx documentation site, published to GitHub Pages with the CI workflows (--no-docs to leave it out)',
    defaultText: 'yes',
    prompt: { message: 'Add a documentation site (Sphinx; published to GitHub Pages with CI)?' },
    default: () => (stored === undefined ? { value: true } : { value: stored.docs ?? false, from: '.yo-rc.json' }),
    store: true,
    storedDefault: false,
  };
}

/**
 * The GitHub repository the workflows and README name: given, recorded, or
 * read once from `origin` (and then recorded, so the project renders the same
 * whatever the remote later says); none leaves a placeholder to fill in.
 */
export function repositoryAnswer<A>(context: Pick<ProjectAnswerContext, 'stored' | 'git'>): AnswerSpec<string, A> {
  return {
    type: 'string',
    flag: 'repository',
    label: 'GitHub repository',
    description: 'owner/name of the GitHub repository, for the release workflow and the README',
    defaultText: "origin's, when it is on GitHub",
    default: () => {
      if (context.stored?.repository !== undefined) return { value: context.stored.repository, from: '.yo-rc.json' };
      const found = githubRepository(context.git('remote.origin.url'));
      return found === undefined ? undefined : { value: found, from: 'git remote origin' };
    },
    check: (value) => (REPOSITORY.test(value) ? undefined : 'is not a GitHub repository: use owner/name'),
    store: true,
    storedOptional: true,
  };
}
