import type Generator from 'yeoman-generator';
import { type AnswerTable, readOption } from '../../lib/answers.js';
import { gitConfig } from '../../lib/git.js';
import { repositoryAnswer, repositoryOf } from '../../lib/project/answers.js';
import type { ProjectConfig, ProjectState } from '../../lib/project/config.js';
import { SliceGenerator } from '../../lib/run/slice.js';

interface CiAnswers {
  repository?: string;
}

/** The table's declarations only: the defaults need the project. */
const DECLARED: AnswerTable<CiAnswers> = { repository: repositoryAnswer({ git: () => undefined }) };

/** What to register on PyPI to publish: printed once, when the project first gets its workflows. */
export function publisherNotice(config: Pick<ProjectConfig, 'distName' | 'repository'>): string {
  const [owner, name] = repositoryOf(config).split('/');
  return [
    '',
    'To publish releases, register a trusted publisher on PyPI',
    `(https://pypi.org/manage/account/publishing/ for a new project "${config.distName}"):`,
    `  Owner:             ${owner}`,
    `  Repository name:   ${name}`,
    '  Workflow name:     release.yml',
    '  Environment name:  pypi',
    'and create the GitHub environment "pypi" in the repository settings. The README says the same.',
    '',
  ].join('\n');
}

/** Adds GitHub Actions: CI on every change, and PyPI releases by trusted publishing. */
export default class CiGenerator extends SliceGenerator<CiAnswers> {
  static readonly help = {
    summary: 'Add GitHub Actions to the project: CI on every change, PyPI releases by trusted publishing.',
    examples: ['', '--yes', '--repository acme/bytewax-orders'],
  };

  constructor(args: string[], options: Generator['options']) {
    super(args, options, DECLARED);
  }

  protected answerTable(state: ProjectState): AnswerTable<CiAnswers> {
    // --no-git (passed by scripts to every generator) means no git process.
    const git = readOption<boolean>(this.options, 'git') === false ? () => undefined : (key: string) => gitConfig(key, this.root);
    return { repository: repositoryAnswer({ stored: state.config, git }) };
  }

  protected change(config: ProjectConfig, answers: CiAnswers): ProjectConfig {
    return { ...config, ci: true, ...(answers.repository === undefined ? {} : { repository: answers.repository }) };
  }

  /** The first time the project has workflows: what to register on PyPI. */
  end(): void {
    if (!this.isRoot || this.state.config.ci) return;
    this.log(publisherNotice(this.project));
  }
}
