import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type Generator from 'yeoman-generator';
import { readOption } from '../../lib/answers.js';
import { BaseGenerator } from '../../lib/base.js';
import { resolveRoot } from '../../lib/commit.js';
import { UsageError } from '../../lib/errors.js';
import { enclosingRepository, gitAvailable, initRepository } from '../../lib/git.js';
import { installByHand, installProject } from '../../lib/install.js';
import { type ProjectConfig, type SinkEntry, type SourceEntry, readProjectConfig } from '../../lib/project-config.js';
import { writeProjectConfig } from '../../lib/slice.js';
import CiGenerator from '../ci/index.js';
import DocsGenerator from '../docs/index.js';
import DynamicGenerator from '../dynamic/index.js';
import PartitionedGenerator from '../partitioned/index.js';
import SinkGenerator from '../sink/index.js';
import { type AppAnswers, appAnswers } from './answers.js';
import { APP_FILES, appTemplateContext } from './files.js';

function gitConfig(key: string): string | undefined {
  try {
    const value = execFileSync('git', ['config', '--get', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return value.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Declarations only (flags, help): defaults need the run's directory. */
const DECLARED = appAnswers({ directoryName: '', git: () => undefined });

/** Writes a new connector project, or brings an existing one up to date with changed answers. */
export default class AppGenerator extends BaseGenerator<AppAnswers> {
  static readonly help = {
    summary: 'Create a Bytewax connector project: a Python package with sources, contract tests, examples and CI.',
    examples: [
      'my-connector --author-name "Ada Lovelace" --partitioned orders',
      'my-connector --yes --dynamic events --client async --no-ci',
    ],
  };

  #root = '';
  #stored: ProjectConfig | undefined;
  #config!: ProjectConfig;
  /** Whether the install step made a working .venv. */
  #installed = false;

  constructor(args: string[], options: Generator['options']) {
    super(args, options, DECLARED, { install: true });
  }

  async initializing(): Promise<void> {
    const directory = readOption<string>(this.options, 'directory')?.trim() || '.';
    this.#root = resolveRoot(path.resolve(this.env.cwd, directory));
    this.startRun(this.#root);
    this.#stored = readProjectConfig(this.#root);
    if (this.canPrompt() && process.stdin.isTTY) {
      const { default: yosay } = await import('yosay');
      this.log(yosay('Let us scaffold a Bytewax connector: a tested, publishable Python package.'));
    }
  }

  async prompting(): Promise<void> {
    const answers = await this.answer(
      appAnswers({ directoryName: path.basename(this.#root), stored: this.#stored, git: gitConfig }),
    );
    const dynamicChosen = answers.dynamic !== undefined || answers.startSource === 'dynamic';
    if (readOption(this.options, 'client') !== undefined && !dynamicChosen) {
      throw new UsageError('--client applies to a dynamic source: give --dynamic <name> too, or leave --client out.');
    }
    if (readOption(this.options, 'sink-kind') !== undefined && answers.sink === undefined) {
      throw new UsageError('--sink-kind applies to a sink: give --sink <name> too, or leave --sink-kind out.');
    }
    const stored = this.#stored;
    this.#config = {
      generatorVersion: this.rootGeneratorVersion(),
      distName: answers.distName,
      packageName: answers.packageName,
      description: answers.description,
      authorName: answers.authorName,
      authorEmail: answers.authorEmail,
      license: answers.license,
      python: answers.python,
      ci: answers.ci,
      docs: answers.docs,
      copyrightYear: stored?.copyrightYear ?? new Date().getFullYear(),
      // The slices record their own sources and sinks as they write them.
      sources: stored?.sources ?? [],
      sinks: stored?.sinks ?? [],
    };
  }

  /** The sources this run adds: from flags or from the first-source question. */
  #newSources(): SourceEntry[] {
    const { partitioned, dynamic, client, startSource, sourceName } = this.answers;
    const sources: SourceEntry[] = [];
    if (partitioned !== undefined) sources.push({ name: partitioned, kind: 'partitioned' });
    if (dynamic !== undefined) sources.push({ name: dynamic, kind: 'dynamic', client });
    if (startSource === 'partitioned' && sourceName) sources.push({ name: sourceName, kind: 'partitioned' });
    if (startSource === 'dynamic' && sourceName) sources.push({ name: sourceName, kind: 'dynamic', client });
    const existing = new Set(this.#config.sources.map((s) => s.name));
    return sources.filter((source) => !existing.has(source.name));
  }

  /** The sinks this run adds: from flags or from the first-sink question. */
  #newSinks(): SinkEntry[] {
    const { sink, sinkKind, startSink, sinkName } = this.answers;
    const sinks: SinkEntry[] = [];
    if (sink !== undefined) sinks.push({ name: sink, kind: sinkKind });
    if (startSink !== 'none' && sinkName) sinks.push({ name: sinkName, kind: startSink });
    const existing = new Set(this.#config.sinks.map((s) => s.name));
    return sinks.filter((entry) => !existing.has(entry.name));
  }

  async configuring(): Promise<void> {
    writeProjectConfig(this, this.#root, this.#config);
    const composed = { projectRoot: this.#root, yes: true, force: this.force, skipInstall: true, invokedAs: readOption(this.options, 'invokedAs') };
    for (const source of this.#newSources()) {
      const options = source.kind === 'dynamic' ? { ...composed, client: source.client } : composed;
      const Generator = source.kind === 'dynamic' ? DynamicGenerator : PartitionedGenerator;
      await this.composeWith({ Generator, path: this.#sibling(source.kind) }, [source.name], options);
    }
    for (const sink of this.#newSinks()) {
      const options = { ...composed, kind: sink.kind };
      await this.composeWith({ Generator: SinkGenerator, path: this.#sibling('sink') }, [sink.name], options);
    }
    if (this.#config.ci) await this.composeWith({ Generator: CiGenerator, path: this.#sibling('ci') }, [], composed);
    // After the sources: it writes every source's page.
    if (this.#config.docs) await this.composeWith({ Generator: DocsGenerator, path: this.#sibling('docs') }, [], composed);
  }

  writing(): void {
    this.writeFiles(this.#root, APP_FILES, appTemplateContext(this.#config));
  }

  async install(): Promise<void> {
    if (!readOption<boolean>(this.options, 'skip-install')) await this.#install();
    // After the install, so that uv.lock is in the first commit.
    await this.#initGit();
  }

  async #install(): Promise<void> {
    this.runState.phase = 'installing';
    this.runState.installByHand = installByHand(this.#root, this.#config.python);
    this.#installed = await installProject(this.#root, this.#config.python, {
      log: (message) => this.log(message),
      children: this.runState.children,
    });
    this.runState.phase = 'done';
  }

  /**
   * A new project becomes a git repository with a first commit, unless
   * --no-git, or git is missing, or it sits inside another repository and
   * nobody said yes to nesting one (--git, or the question in a terminal).
   */
  async #initGit(): Promise<void> {
    if (!this.answers.git || this.#stored !== undefined || fs.existsSync(path.join(this.#root, '.git'))) return;
    if (!gitAvailable()) {
      this.log('git is not installed, so the project is not a git repository yet.');
      return;
    }
    const outer = enclosingRepository(this.#root);
    if (outer !== undefined && readOption(this.options, 'git') === undefined) {
      let nest = false;
      if (this.canPrompt()) {
        ({ nest } = await this.prompt<{ nest: boolean }>({
          type: 'confirm',
          name: 'nest',
          message: `The project is inside the git repository ${outer}. Make it a repository of its own?`,
          default: false,
        } as never));
      }
      if (!nest) {
        this.log(`The project is inside the git repository ${outer}, so it was not made a repository of its own (--git does).`);
        return;
      }
    }
    const failure = initRepository(
      this.#root,
      { name: this.#config.authorName, email: this.#config.authorEmail },
      `Create ${this.#config.distName} with generator-bytewax-connector ${this.#config.generatorVersion}`,
    );
    this.log(failure === undefined ? 'Made the project a git repository with a first commit.' : `Could not make the project a git repository:\n${failure}`);
  }

  /** One "Next steps" block: for where the user is, how they ran us, and what the project has. */
  end(): void {
    const relative = path.relative(this.env.cwd, this.#root);
    const where = relative === '' ? 'the current directory' : relative;
    const sources = [...this.#config.sources, ...this.#newSources()];
    const sinks = [...this.#config.sinks, ...this.#newSinks()];
    const has = [...sources.map((s) => `${s.kind} source ${s.name}`), ...sinks.map((s) => `${s.kind} sink ${s.name}`)];
    if (this.#config.ci) has.push('CI workflows');
    if (this.#config.docs) has.push('a documentation site');
    const column = (command: string, note: string) => `  ${command.padEnd(44)} # ${note}`;
    const lines = [
      '',
      `Created ${this.#config.distName} in ${where}${has.length > 0 ? ` with ${has.join(', ')}` : ''}.`,
      'Next steps:',
      relative === '' ? undefined : `  cd ${relative.includes(' ') ? JSON.stringify(relative) : relative}`,
      this.#installed ? undefined : column('uv sync', "install (or see the README's pip way)"),
      column('. .venv/bin/activate', 'then, in that shell:'),
      column('pytest', sources.length + sinks.length > 0 ? 'the contract tests of every source and sink' : 'the package tests'),
      ...[...sources, ...sinks].map((s) => column(`python -m bytewax.run examples.${s.name}:flow -w 2`, `run the ${s.name} example`)),
      sources.length === 0 ? column(`${this.commandFor('partitioned')} <name>`, 'add a source (or: dynamic)') : undefined,
      sinks.length === 0 ? column(`${this.commandFor('sink')} <name>`, 'add a sink') : undefined,
      this.#config.docs ? column('uvx nox -s docs', 'build the documentation into docs/_build/html') : undefined,
      '',
    ];
    this.log(lines.filter((line) => line !== undefined).join('\n'));
  }

  /**
   * Where a composed generator's built file is (its templates are beside it):
   * yo, the runner and yeoman-test all load the generators from there.
   */
  #sibling(name: string): string {
    return path.join(this.generatorsDir, name, 'index.js');
  }
}
