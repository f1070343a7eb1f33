import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Generator from 'yeoman-generator';
import { entries, readOption } from '../../lib/answers.js';
import { resolveRoot } from '../../lib/commit.js';
import { UsageError, showPath, showValue } from '../../lib/errors.js';
import { refuseGeneratorTypo } from '../../lib/generator-names.js';
import { awaitsFirstCommit, enclosingRepository, firstCommit, gitAvailable, gitConfig, initEmptyRepository } from '../../lib/git.js';
import { findPython, installByHand, installCommands, installProject, onPath } from '../../lib/install.js';
import { JOURNAL } from '../../lib/journal.js';
import { LOCK } from '../../lib/lock.js';
import { type ProjectAnswers, projectAnswers } from '../../lib/project/answers.js';
import type { ProjectConfig, SinkEntry, SourceEntry } from '../../lib/project/config.js';
import { ProjectGenerator } from '../../lib/run/project.js';
import { shellWord } from '../../lib/shell.js';
import { publisherNotice } from '../ci/index.js';
import { type AppAnswers, appAnswers } from './answers.js';

/** Declarations only (flags, help): defaults need the run's directory. */
const DECLARED = appAnswers({ directoryName: '', git: () => undefined });

/** What may be in a folder that counts as empty: a repository the user made for the project, and our own run's files. */
const emptyEnough = (name: string) => name === '.git' || name === JOURNAL || name.startsWith(LOCK);

/** The answers a project keeps, in the order `.yo-rc.json` lists them. */
const PROJECT_KEYS = entries(projectAnswers({ directoryName: '', git: () => undefined })).map(([key]) => key);

/** Writes a new connector project, or brings an existing one up to date with changed answers. */
export default class AppGenerator extends ProjectGenerator<AppAnswers> {
  static readonly help = {
    summary: 'Create a Bytewax connector project: a Python package with sources, contract tests, examples and CI.',
    examples: [
      'my-connector --author-name "Ada Lovelace" --partitioned orders',
      'my-connector --yes --dynamic events --client async --no-ci',
    ],
  };

  /** The answers an earlier run recorded here. */
  #stored: ProjectConfig | undefined;
  /** Whether the install step made a working .venv. */
  #installed = false;
  /** Whether this run made the project a git repository. */
  #repository = false;
  /** What the folder held before the run that would steer an install (a uv.lock, a .venv): never ours to trust. */
  #foreignInstall: string[] = [];

  constructor(args: string[], options: Generator['options']) {
    super(args, options, DECLARED);
  }

  async initializing(): Promise<void> {
    const given = (readOption<string>(this.options, 'directory') ?? afterDoubleDashUnderYo())?.trim();
    if (given !== undefined && given !== '') this.#checkDirectoryArgument(given);
    const root = resolveRoot(path.resolve(this.env.cwd, given || '.'));
    refuseHomeOrRoot(root);
    await this.openProject(root);
    this.#stored = this.found?.state.config;
    if (this.found === undefined) {
      await this.#checkFolderIsFree();
      this.#foreignInstall = ['uv.lock', '.venv'].filter((name) => fs.existsSync(path.join(this.root, name)));
    }
    else {
      this.requireCurrentVersion(this.found.state);
      this.requireConflictsResolved(this.found.state);
    }
    // A new project is recorded as git objects once it is a repository (after the install).
    this.recordBaseAfterCommit = this.found !== undefined;
    if (this.canPrompt() && process.stdin.isTTY) {
      const { default: yosay } = await import('yosay');
      this.log(yosay('Let us scaffold a Bytewax connector: a tested, publishable Python package.'));
    }
  }

  /**
   * The directory argument: one line of visible text, and, under yo, not a
   * generator's name mistyped (`yo bytewax-connector partitoned`); the runner
   * checks its first word itself.
   */
  #checkDirectoryArgument(given: string): void {
    if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(given)) {
      throw new UsageError(`The project directory ${showValue(given)} contains a control or invisible character: name the folder with visible characters only.`);
    }
    if (readOption(this.options, 'invokedAs') === undefined) refuseGeneratorTypo(given, this.env.cwd, `yo bytewax-connector ${shellWord(`./${given}`)}`);
  }

  /**
   * A folder that holds files and is not a project of ours: asked about in a
   * terminal, refused without one unless --force. Its files are never
   * touched by the first commit either.
   */
  async #checkFolderIsFree(): Promise<void> {
    let entries: string[];
    try {
      entries = fs.readdirSync(this.root).filter((name) => !emptyEnough(name));
    } catch {
      return; // Not there yet.
    }
    if (entries.length === 0 || this.force) return;
    const shown = `${showPath(this.root)} holds ${entries.length} file(s) or folder(s) already (${entries.slice(0, 3).map(showPath).join(', ')}${entries.length > 3 ? ', …' : ''})`;
    if (!this.canPrompt()) {
      throw new UsageError(`${shown} and is not a project of this generator; nothing was written.`, 'Choose a new or empty folder, or pass --force to write the project into this one.');
    }
    const { proceed } = await this.prompt<{ proceed: boolean }>({
      type: 'confirm',
      name: 'proceed',
      message: `${shown} and is not a project of this generator. Write the project into it? (Files of the same names are asked about one by one.)`,
      default: false,
    } as never);
    if (!proceed) throw new UsageError('Stopped at your request: nothing was written.');
  }

  async prompting(): Promise<void> {
    const noGit = readOption<boolean>(this.options, 'git') === false;
    const answers = await this.answer(
      appAnswers({
        directoryName: path.basename(this.root),
        stored: this.#stored,
        // With --no-git, no git process at all; the repository only from the project's own.
        git: noGit ? () => undefined : (key) => (key.startsWith('remote.') ? this.#ownRemote(key) : gitConfig(key, this.env.cwd)),
        gitDisabled: noGit,
        uvAvailable: () => onPath('uv'),
      }),
    );
    const dynamicChosen = answers.dynamic !== undefined || answers.startSource === 'dynamic';
    if (readOption(this.options, 'client') !== undefined && !dynamicChosen) {
      throw new UsageError('--client applies to a dynamic source: give --dynamic <name> too, or leave --client out.');
    }
    if (readOption(this.options, 'sink-kind') !== undefined && answers.sink === undefined) {
      throw new UsageError('--sink-kind applies to a sink: give --sink <name> too, or leave --sink-kind out.');
    }
    if (answers.installer === 'uv' && !readOption<boolean>(this.options, 'skip-install') && !onPath('uv')) {
      throw new UsageError('--installer uv needs uv on PATH to install the project, and there is none.', 'Install uv (https://docs.astral.sh/uv/), or pass --installer pip, or --skip-install.');
    }
    const stored = this.#stored;
    const kept = Object.fromEntries(PROJECT_KEYS.filter((key) => answers[key] !== undefined).map((key) => [key, answers[key]])) as unknown as ProjectAnswers;
    this.project = {
      generatorVersion: this.version,
      ...kept,
      copyrightYear: stored?.copyrightYear ?? new Date().getFullYear(),
      createdWith: stored?.createdWith ?? this.version,
      sources: [...(stored?.sources ?? []), ...this.#newSources(stored)],
      sinks: [...(stored?.sinks ?? []), ...this.#newSinks(stored)],
    };
  }

  /** A remote's setting of the project's own repository (never one it merely sits inside). */
  #ownRemote(key: string): string | undefined {
    if (!fs.existsSync(path.join(this.root, '.git'))) return undefined;
    return gitConfig(key, this.root);
  }

  /** The sources this run adds: from flags or from the first-source question (one the project has is no change). */
  #newSources(stored: ProjectConfig | undefined): SourceEntry[] {
    const { partitioned, dynamic, client, startSource, sourceName } = this.answers;
    const sources: SourceEntry[] = [];
    if (partitioned !== undefined) sources.push({ name: partitioned, kind: 'partitioned' });
    if (dynamic !== undefined) sources.push({ name: dynamic, kind: 'dynamic', client });
    if (startSource === 'partitioned' && sourceName) sources.push({ name: sourceName, kind: 'partitioned' });
    if (startSource === 'dynamic' && sourceName) sources.push({ name: sourceName, kind: 'dynamic', client });
    const existing = new Set((stored?.sources ?? []).map((s) => s.name));
    return sources.filter((source) => !existing.has(source.name));
  }

  /** The sinks this run adds: from flags or from the first-sink question (one the project has is no change). */
  #newSinks(stored: ProjectConfig | undefined): SinkEntry[] {
    const { sink, sinkKind, startSink, sinkName } = this.answers;
    const sinks: SinkEntry[] = [];
    if (sink !== undefined) sinks.push({ name: sink, kind: sinkKind });
    if (startSink !== 'none' && sinkName) sinks.push({ name: sinkName, kind: startSink });
    const existing = new Set((stored?.sinks ?? []).map((s) => s.name));
    return sinks.filter((entry) => !existing.has(entry.name));
  }

  /**
   * A new project: a git repository first (so a run cut off during the
   * install still leaves one, which the next run commits), then the install,
   * then the first commit of exactly the files the generator wrote (and the
   * uv.lock its install made), then what it wrote kept as git objects.
   * A re-run never installs: it would run what a cloned repository carries
   * (its uv.lock, a committed .venv).
   */
  async install(): Promise<void> {
    const isNew = this.found === undefined;
    if (isNew && (await this.#makeRepository())) this.#repository = true;
    if (isNew && this.#shouldInstall()) await this.#install();
    if (this.#repository || (!isNew && this.gitAllowed && this.answers.git && awaitsFirstCommit(this.root))) this.#commitFirst();
    if (isNew) this.recordBase();
  }

  /** The install of a new project, unless --skip-install or the folder held a lock file or venv of someone else's. */
  #shouldInstall(): boolean {
    if (readOption<boolean>(this.options, 'skip-install')) return false;
    if (this.#foreignInstall.length > 0) {
      this.log(`Not installing: the folder already held ${this.#foreignInstall.join(' and ')}, which would decide what gets installed. Check them, then install as the README says.`);
      return false;
    }
    return true;
  }

  async #install(): Promise<void> {
    this.runState.phase = 'installing';
    this.runState.installByHand =
      installByHand(this.root, this.project.installer, this.project.python) +
      (this.#repository ? '\nthen run the same command again: it makes the first git commit.' : '');
    this.#installed = await installProject(this.root, this.project.installer, this.project.python, {
      log: (message) => this.log(message),
      children: this.runState.children,
    });
    this.runState.phase = 'done';
  }

  /**
   * Makes a new project a git repository, unless --no-git, or git is
   * missing, or it sits inside another repository and nobody said yes to
   * nesting one (--git, or the question in a terminal). Whether it did.
   */
  async #makeRepository(): Promise<boolean> {
    if (!this.answers.git) return false;
    // A repository the user made for the project, with no commit yet: the first commit is the generator's to make.
    if (fs.existsSync(path.join(this.root, '.git'))) return gitAvailable() && awaitsFirstCommit(this.root);
    if (!gitAvailable()) {
      this.log('git is not installed, so the project is not a git repository yet.');
      return false;
    }
    const outer = enclosingRepository(this.root);
    if (outer !== undefined && readOption(this.options, 'git') === undefined) {
      let nest = false;
      if (this.canPrompt()) {
        ({ nest } = await this.prompt<{ nest: boolean }>({
          type: 'confirm',
          name: 'nest',
          message: `The project is inside the git repository ${showPath(outer)}. Make it a repository of its own?`,
          default: false,
        } as never));
      }
      if (!nest) {
        this.log(`The project is inside the git repository ${showPath(outer)}, so it was not made a repository of its own (--git does).`);
        return false;
      }
    }
    const failure = initEmptyRepository(this.root);
    if (failure !== undefined) this.log(`Could not make the project a git repository:\n${failure}`);
    return failure === undefined;
  }

  /** The first commit: every file the generator owns, its .yo-rc.json, and a uv.lock this project's install made. */
  #commitFirst(): void {
    const files = [...(this.rendered?.keys() ?? [])].filter((file) => fs.existsSync(path.join(this.root, file)));
    files.push('.yo-rc.json');
    const madeLock = this.project.installer === 'uv' && !this.#foreignInstall.includes('uv.lock') && fs.existsSync(path.join(this.root, 'uv.lock'));
    if (madeLock) files.push('uv.lock');
    const failure = firstCommit(
      this.root,
      files,
      { name: this.project.authorName, email: this.project.authorEmail },
      `Create ${this.project.distName} with generator-bytewax-connector ${this.project.generatorVersion}`,
    );
    this.log(failure === undefined ? 'Made the project a git repository with a first commit.' : `Could not make the first commit (run the same command again to retry):\n${failure}`);
  }

  /** One "Next steps" block: for where the user is, how they ran us, and what the project has. */
  end(): void {
    const relative = path.relative(this.env.cwd, this.root);
    const where = relative === '' ? 'the current directory' : showPath(relative);
    const { sources, sinks } = this.project;
    const has = [...sources.map((s) => `${s.kind} source ${s.name}`), ...sinks.map((s) => `${s.kind} sink ${s.name}`)];
    if (this.project.ci) has.push('CI workflows');
    if (this.project.docs) has.push('a documentation site');
    const column = (command: string, note = '') => (note === '' ? `  ${showPath(command)}` : `  ${showPath(command).padEnd(44)} # ${note}`);
    const verb = this.#stored === undefined ? 'Created' : this.runState.written.length > 0 ? 'Updated' : 'Nothing to change in';
    const installLines = this.#installed || fs.existsSync(path.join(this.root, '.venv'))
      ? []
      : installCommands(this.project.installer, findPython(this.project.python)).map((command, i) => column(command, i === 0 ? 'install the project and its dev tools' : ''));
    const lines = [
      '',
      `${verb} ${this.project.distName} in ${where}${has.length > 0 ? ` with ${has.join(', ')}` : ''}.`,
      'Next steps:',
      relative === '' ? undefined : `  ${showPath(`cd ${shellWord(relative.startsWith('-') ? `./${relative}` : relative)}`)}`,
      ...installLines,
      this.#installed && this.project.installer === 'uv' && this.#stored === undefined && !this.answers.git ? column('git add uv.lock', 'commit the lock file: CI installs from it') : undefined,
      column('. .venv/bin/activate', 'then, in that shell:'),
      column('pytest', sources.length + sinks.length > 0 ? 'the contract tests of every source and sink' : 'the package tests'),
      ...[...sources, ...sinks].map((s) => column(`python -m bytewax.run examples.${s.name}:flow -w 2`, `run the ${s.name} example`)),
      sources.length === 0 ? column(`${this.commandFor('partitioned')} <name>`, 'add a source (or: dynamic)') : undefined,
      sinks.length === 0 ? column(`${this.commandFor('sink')} <name>`, 'add a sink') : undefined,
      this.project.docs ? column('nox -s docs', 'build the documentation into docs/_build/html') : undefined,
      '',
    ];
    this.log(lines.filter((line) => line !== undefined).map((line) => line.trimEnd()).join('\n'));
    if (this.project.ci && !this.#stored?.ci) this.log(publisherNotice(this.project));
  }
}

/**
 * The directory given after `--` to yo (`yo bytewax-connector --yes -- -odd`):
 * yo's own parser keeps the words after `--` and never passes them on, so
 * they are read from the command line yo was started with.
 */
function afterDoubleDashUnderYo(): string | undefined {
  const script = process.argv[1] ?? '';
  if (!/(^|[\\/])yo([\\/]lib[\\/]cli\.js)?$/.test(script)) return undefined;
  const at = process.argv.indexOf('--');
  return at === -1 ? undefined : process.argv[at + 1];
}

/** A project needs a folder of its own: never the home folder or a file system's root. */
function refuseHomeOrRoot(root: string): void {
  let home: string | undefined;
  try {
    home = fs.realpathSync(os.homedir());
  } catch {
    home = undefined;
  }
  const what = root === path.parse(root).root ? 'the root of the file system' : root === home ? 'your home folder' : undefined;
  if (what === undefined) return;
  throw new UsageError(
    `${showPath(root)} is ${what}: a project needs a folder of its own; nothing was written.`,
    'Give the project a directory, e.g. `my-connector`, or run inside an empty folder.',
  );
}
