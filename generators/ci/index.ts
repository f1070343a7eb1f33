import { execFileSync } from 'node:child_process';
import ejs from 'ejs';
import Generator from 'yeoman-generator';
import { findProjectRoot, type ProjectConfig } from '../../lib/config.js';
import { UsageError } from '../../lib/errors.js';
import { markDeliberateEdit, refuseSilentOverwrites } from '../../lib/generator-support.js';
import { CI_MARKER, insertSection } from '../../lib/project-edits.js';
import { ACTIONS, pythonRange } from '../../lib/versions.js';

const CI_HEADING = '## Continuous integration and releases';

/** `owner/name` of the GitHub repository behind `origin`, if there is one. */
function githubRepository(cwd: string): string | undefined {
  try {
    const url = execFileSync('git', ['remote', 'get-url', 'origin'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /github\.com[:/]([^/\s]+\/[^/\s]+?)(?:\.git)?\s*$/.exec(url)?.[1];
  } catch {
    return undefined;
  }
}

/** Adds GitHub Actions: CI on every change, and PyPI releases by trusted publishing. */
export default class CiGenerator extends Generator {
  #project!: ProjectConfig;
  #repository = '';

  constructor(args: string[], options: Generator['options']) {
    // customInstallTask: nothing here for npm to install.
    super(args, options, { customInstallTask: true });
    this.option('yes', { type: Boolean, alias: 'y', description: 'Never prompt' });
  }

  initializing(): void {
    const start = this.destinationRoot();
    const root = findProjectRoot(start, this.fs);
    if (root === undefined) {
      throw new UsageError(
        `No generated project here: neither ${start} nor a directory above it has a .yo-rc.json from ` +
          'generator-bytewax-connector. Create the project first with `yo bytewax-connector`, then run this inside it.',
      );
    }
    this.destinationRoot(root);
    this.#project = this.config.getAll() as unknown as ProjectConfig;
    this.#repository = githubRepository(root) ?? `YOUR-GITHUB-OWNER/${this.#project.distName}`;
  }

  writing(): void {
    // Sources are read at writing time: the app may compose source slices that register in this run.
    const project = { ...this.#project, sources: this.config.get('sources') as ProjectConfig['sources'] };
    const context = {
      packageName: project.packageName,
      distName: project.distName,
      pythonVersions: pythonRange(project.python),
      sources: project.sources ?? [],
      actions: ACTIONS,
      repository: this.#repository,
    };
    const files: Array<[string, string]> = [
      ['ci.yml.ejs', '.github/workflows/ci.yml'],
      ['release.yml.ejs', '.github/workflows/release.yml'],
      ['dependabot.yml.ejs', '.github/dependabot.yml'],
    ];
    for (const [template, target] of files) {
      this.fs.copyTpl(this.templatePath(template), this.destinationPath(target), context);
    }

    const readmePath = this.destinationPath('README.md');
    const readme = this.fs.read(readmePath, { defaults: '' }) ?? '';
    if (!readme.includes(CI_HEADING)) {
      const sectionTemplate = this.templatePath('readme-section.md.ejs');
      const section = ejs.render(this.fs.read(sectionTemplate) ?? '', { ...context, heading: CI_HEADING }, { filename: sectionTemplate });
      this.fs.write(readmePath, insertSection(readme, section, CI_MARKER).text);
      markDeliberateEdit(this, readmePath);
    }
    this.config.set('ci', true);
  }

  conflicts(): void {
    refuseSilentOverwrites(this);
  }

  end(): void {
    this.log(
      [
        '',
        'To publish releases, register a trusted publisher on PyPI',
        `(https://pypi.org/manage/account/publishing/ for a new project "${this.#project.distName}"):`,
        `  Owner:             ${this.#repository.split('/')[0]}`,
        `  Repository name:   ${this.#repository.split('/')[1]}`,
        '  Workflow name:     release.yml',
        '  Environment name:  pypi',
        'and create the GitHub environment "pypi" in the repository settings. The README says the same.',
        '',
      ].join('\n'),
    );
  }
}
