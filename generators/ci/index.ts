import type Generator from 'yeoman-generator';
import { type AnswerTable, readOption } from '../../lib/answers.js';
import { gitConfig } from '../../lib/git.js';
import type { ProjectConfig } from '../../lib/project-config.js';
import { CI_MARKER } from '../../lib/readme-markers.js';
import { SliceGenerator, type SliceParts } from '../../lib/slice.js';
import { ACTIONS, CI_TOOLS, PYTHON_TOOLS, pythonRange } from '../../lib/versions.js';
import { DOCS_WORKFLOW } from '../docs/index.js';

/** `owner/name` of the GitHub repository behind `origin`, if there is one (and git may be asked). */
function githubRepository(cwd: string, useGit: boolean): string | undefined {
  if (!useGit) return undefined;
  const url = gitConfig('remote.origin.url', cwd) ?? '';
  return /github\.com[:/]([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+?)(?:\.git)?\s*$/.exec(url)?.[1];
}

/** The repository the workflows and the notice name: `origin`'s on GitHub, else a placeholder. */
function repositoryOf(project: Pick<ProjectConfig, 'distName'>, root: string, useGit: boolean): string {
  return githubRepository(root, useGit) ?? `YOUR-GITHUB-OWNER/${project.distName}`;
}

/** What to register on PyPI to publish: printed once, when the project first gets its workflows. */
export function publisherNotice(project: Pick<ProjectConfig, 'distName'>, root: string, useGit: boolean): string {
  const [owner, name] = repositoryOf(project, root, useGit).split('/');
  return [
    '',
    'To publish releases, register a trusted publisher on PyPI',
    `(https://pypi.org/manage/account/publishing/ for a new project "${project.distName}"):`,
    `  Owner:             ${owner}`,
    `  Repository name:   ${name}`,
    '  Workflow name:     release.yml',
    '  Environment name:  pypi',
    'and create the GitHub environment "pypi" in the repository settings. The README says the same.',
    '',
  ].join('\n');
}

interface CiContext {
  installer: ProjectConfig['installer'];
  packageName: string;
  distName: string;
  pythonVersions: string[];
  sources: ProjectConfig['sources'];
  sinks: ProjectConfig['sinks'];
  docs: boolean;
  actions: typeof ACTIONS;
  tools: typeof PYTHON_TOOLS;
  ciTools: typeof CI_TOOLS;
  repository: string;
  heading: string;
}

const CI_PARTS: SliceParts<CiContext> = {
  files: [
    { template: 'ci.yml.ejs', target: () => '.github/workflows/ci.yml' },
    { template: 'release.yml.ejs', target: () => '.github/workflows/release.yml' },
    { template: 'dependabot.yml.ejs', target: () => '.github/dependabot.yml' },
    { ...DOCS_WORKFLOW, when: (c) => c.docs },
  ],
  readme: { template: 'readme-section.md.ejs', marker: CI_MARKER },
  // pyproject.toml: no GH100 waiver once the project has workflows.
  changesAppFiles: true,
};

type CiAnswers = Record<never, never>;

/** Adds GitHub Actions: CI on every change, and PyPI releases by trusted publishing. */
export default class CiGenerator extends SliceGenerator<CiAnswers, CiContext> {
  static readonly help = {
    summary: 'Add GitHub Actions to the project: CI on every change, PyPI releases by trusted publishing.',
    examples: ['', '--yes'],
  };

  constructor(args: string[], options: Generator['options']) {
    super(args, options, {});
  }

  protected answerTable(): AnswerTable<CiAnswers> {
    return {};
  }

  protected parts(): SliceParts<CiContext> {
    return CI_PARTS;
  }

  /** --no-git (passed on by the app) means no git process. */
  get #useGit(): boolean {
    return readOption<boolean>(this.options, 'git') !== false;
  }

  #repository(): string {
    return repositoryOf(this.project, this.root, this.#useGit);
  }

  protected templateContext(): CiContext {
    return {
      installer: this.project.installer,
      packageName: this.project.packageName,
      distName: this.project.distName,
      pythonVersions: pythonRange(this.project.python),
      sources: this.project.sources,
      sinks: this.project.sinks,
      docs: this.project.docs,
      actions: ACTIONS,
      tools: PYTHON_TOOLS,
      ciTools: CI_TOOLS,
      repository: this.#repository(),
      heading: '## Continuous integration and releases',
    };
  }

  /** Whether the project had the workflows before this run. */
  #hadCi = false;

  protected record(project: ProjectConfig): ProjectConfig {
    this.#hadCi = project.ci;
    return { ...project, ci: true };
  }

  /** Run by itself on a project that had no workflows: what to register on PyPI (the app says it for a new project). */
  end(): void {
    if (!this.isRoot || this.#hadCi) return;
    this.log(publisherNotice(this.project, this.root, this.#useGit));
  }
}
