import { execFileSync } from 'node:child_process';
import type Generator from 'yeoman-generator';
import type { AnswerTable } from '../../lib/answers.js';
import type { ProjectConfig } from '../../lib/project-config.js';
import { CI_MARKER } from '../../lib/readme-markers.js';
import { SliceGenerator, type SliceParts } from '../../lib/slice.js';
import { ACTIONS, CI_TOOLS, PYTHON_TOOLS, pythonRange } from '../../lib/versions.js';
import { DOCS_WORKFLOW } from '../docs/index.js';

/** `owner/name` of the GitHub repository behind `origin`, if there is one. */
function githubRepository(cwd: string): string | undefined {
  try {
    const url = execFileSync('git', ['remote', 'get-url', 'origin'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /github\.com[:/]([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+?)(?:\.git)?\s*$/.exec(url)?.[1];
  } catch {
    return undefined;
  }
}

interface CiContext {
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

  #repository(): string {
    return githubRepository(this.root) ?? `YOUR-GITHUB-OWNER/${this.project.distName}`;
  }

  protected templateContext(): CiContext {
    return {
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

  protected record(project: ProjectConfig): ProjectConfig {
    return { ...project, ci: true };
  }

  end(): void {
    const [owner, name] = this.#repository().split('/');
    this.log(
      [
        '',
        'To publish releases, register a trusted publisher on PyPI',
        `(https://pypi.org/manage/account/publishing/ for a new project "${this.project.distName}"):`,
        `  Owner:             ${owner}`,
        `  Repository name:   ${name}`,
        '  Workflow name:     release.yml',
        '  Environment name:  pypi',
        'and create the GitHub environment "pypi" in the repository settings. The README says the same.',
        '',
      ].join('\n'),
    );
  }
}
