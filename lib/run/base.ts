/**
 * What every generator of this package shares, as Yeoman sees it: options
 * and questions from its answers table, user errors reported without
 * Yeoman's noise, `--version`, and, in the generator the user ran (the
 * root), the project's lock, the recovery of a run cut off part-way, the
 * commit of what the run writes (see project.ts and lib/commit.ts) and the
 * handling of Ctrl-C.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Generator, { type Storage, type Task } from 'yeoman-generator';
import { type AnswerTable, checkGiven, completeAnswers, entries, helpText, questions, readGiven, readOption } from '../answers.js';
import { JOURNAL, recoverInterruptedRun } from '../commit.js';
import { UsageError, describeSystemError, isUsageError, showPath, showValue } from '../errors.js';
import { lockProject, releaseProjectLocks } from '../lock.js';

type Options = Generator['options'];

/** Per run (per environment): how far the run got. */
export interface RunState {
  phase: 'preparing' | 'written' | 'installing' | 'done';
  /** What to tell the user if the run is stopped while installing. */
  installByHand: string;
  /** Child processes to stop with the run. */
  children: Set<ChildProcess>;
  /** The run has done all it will (`--version`): every later task is skipped. */
  finished: boolean;
  /** Files the commit wrote (created or updated), relative to the project root. */
  written: string[];
  /** The exit status of a run that succeeded but has something left to do (an update's conflicts). */
  exitCode: number;
}
/**
 * Kept on the environment under a global symbol: the runner's bundle and the
 * generator files yo loads may each hold a copy of this module.
 */
const RUN_STATE = Symbol.for('generator-bytewax-connector.run-state');

const WATCHED = Symbol.for('generator-bytewax-connector.signals');

/**
 * Ctrl-C and SIGTERM stop the run with one line on what was written and how
 * to finish, and stop the install's child processes with it. One handler per
 * process, told about the newest run.
 */
function watchSignals(state: RunState, message: () => string): void {
  const holder = process as unknown as Record<symbol, { state: RunState; message: () => string } | undefined>;
  const installed = holder[WATCHED] !== undefined;
  holder[WATCHED] = { state, message };
  if (installed) return;
  const onSignal = (signal: NodeJS.Signals) => {
    const current = holder[WATCHED]!;
    for (const child of current.state.children) stopProcessGroup(child, signal);
    process.stderr.write(`\n${current.message()}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** The exit status a finished run asks for (0 unless it called `failRun`). */
export function runExitCode(env: object): number {
  return (env as Record<symbol, RunState | undefined>)[RUN_STATE]?.exitCode ?? 0;
}

/** Where yeoman's unused stores point: a path no one made (a folder of a random name), outside every project. */
const UNUSED_STORE = path.join(os.tmpdir(), `generator-bytewax-connector-unused-${randomBytes(12).toString('hex')}`, 'store.json');

/** Stops `child` and every process it started (its group, where it has one of its own). */
function stopProcessGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (process.platform !== 'win32' && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    child.kill(signal);
  }
}

/** Options yeoman-generator declares that mean nothing for these generators (skip-install is the app's own). */
const UNUSED_BUILTIN_OPTIONS = ['skip-cache', 'force-install', 'ask-answered'];

export abstract class BaseGenerator<A extends object> extends Generator {
  /** The answers of this run, complete and checked (set by `answer`). */
  protected answers!: A;

  constructor(args: string[], options: Options, declared: AnswerTable<A>) {
    // Lifecycle methods (initializing, writing, ...) may live on the base
    // classes; any other method is a helper, never a task.
    super(args, options, { inheritTasks: true, tasksMatchingPriority: true });
    const builtin = this._options as Record<string, unknown>;
    for (const name of [...UNUSED_BUILTIN_OPTIONS, 'skip-install']) delete builtin[name];
    for (const [key, spec] of entries(declared)) {
      const description = helpText(spec);
      if (spec.argument) this.argument(key, { type: String, required: false, description });
      else if (spec.flag) {
        this.option(spec.flag, { type: spec.type === 'boolean' ? Boolean : String, description, ...(spec.alias ? { alias: spec.alias } : {}) });
      }
    }
    this.option('yes', { type: Boolean, alias: 'y', description: 'Never ask: take the default of every answer not given' });
    this.option('force', { type: Boolean, description: 'Overwrite files you changed without asking' });
    // Every generator takes it, so that scripts can pass it to all of them; only a new project installs anything.
    this.option('skip-install', { type: Boolean, description: 'Do not create .venv and install the project into it (only the app installs)' });
    this.option('version', { type: Boolean, alias: 'V', description: 'Print the version and exit' });
    this.description = (this.constructor as { help?: { summary: string } }).help?.summary ?? '';
  }

  /**
   * Yeoman's own answer stores are not used: `.yo-rc.json` is read and written
   * by project-config.ts as untrusted input (yeoman would parse it in the
   * constructor and fail with a stack trace on `{` or `[]`), and nothing is
   * kept in ~/.yo-rc-global.json. Both become an empty store at a path that is
   * never on disk: were anything written to it, the commit would refuse it as
   * outside the project.
   */
  override _getStorage<T extends Record<any, any> = Record<any, any>>(): Storage<T> {
    return this.createStorage<T>(UNUSED_STORE, { name: 'unused' });
  }

  override _getGlobalStorage(): Storage<Record<any, any>> {
    return this.createStorage(UNUSED_STORE, { name: 'unused' });
  }

  /** The command that runs `generator` the way the user ran this one (runner or yo). */
  protected commandFor(generator: string): string {
    const invokedAs = readOption<string>(this.options, 'invokedAs');
    if (invokedAs !== undefined) return generator === 'app' ? invokedAs : `${invokedAs} ${generator}`;
    return generator === 'app' ? 'yo bytewax-connector' : `yo bytewax-connector:${generator}`;
  }

  protected get yes(): boolean {
    return readOption<boolean>(this.options, 'yes') === true;
  }

  protected get force(): boolean {
    return readOption<boolean>(this.options, 'force') === true;
  }

  /** The generator the user ran, as opposed to one it composed. */
  protected get isRoot(): boolean {
    return this.env.rootGenerator() === this;
  }

  protected get runState(): RunState {
    const env = this.env as unknown as Record<symbol, RunState | undefined>;
    env[RUN_STATE] ??= { phase: 'preparing', installByHand: '', children: new Set(), finished: false, written: [], exitCode: 0 };
    return env[RUN_STATE];
  }

  /**
   * Whether this run may ask questions. `--yes` never does; otherwise a real
   * terminal or yeoman-test's scripted adapter can answer. Without either a
   * question would fail, so a missing answer stops with a message instead.
   */
  protected canPrompt(): boolean {
    if (this.yes) return false;
    if (process.stdin.isTTY) return true;
    const adapter = this.env.adapter as { actualAdapter?: object };
    return 'mockedAnswers' in (adapter.actualAdapter ?? adapter);
  }

  /**
   * The answers: given ones checked first, then the questions (in a terminal)
   * for the rest, then defaults, then every rule once more with all answers.
   */
  protected async answer(table: AnswerTable<A>, known: Partial<A> = {}): Promise<A> {
    const given = { ...known, ...readGiven(table, this.options) };
    const interactive = this.canPrompt();
    checkGiven(table, given, { derived: !interactive });
    let asked: Partial<A> = {};
    if (interactive) asked = await this.prompt(questions(table, given) as never);
    this.answers = completeAnswers(table, { ...given, ...asked }, given);
    return this.answers;
  }

  /**
   * Becomes the root of a run in `projectRoot`: takes the project's lock (an
   * existing project; a new one is locked when its folder is made, at the
   * commit), undoes what an interrupted run left there, takes over the
   * commit, and reports Ctrl-C in one line. Call it before reading anything
   * from the project.
   */
  protected async startRun(projectRoot: string, { recover = true } = {}): Promise<void> {
    if (!this.isRoot) return;
    // The lock is held until the run ends, whichever way.
    this.env.once('end', releaseProjectLocks);
    this.env.once('error', releaseProjectLocks);
    if (isDirectory(projectRoot) && !this.readOnlyRun) await lockProject(projectRoot, runCommand());
    if (!recover && fs.existsSync(path.join(projectRoot, JOURNAL))) {
      throw new UsageError('A previous run in this project was cut off part-way; run without --dry-run first, which completes it.');
    }
    const recovered = recoverInterruptedRun(projectRoot);
    if (recovered) {
      const kept = recovered.kept.length > 0 ? ` Kept, because they changed since: ${recovered.kept.join(', ')}.` : '';
      this.log(
        `A previous run (${showValue(recovered.command)}) was cut off part-way; undid its ${recovered.undone} file change(s), ` +
          `so this run starts from the project as it was before it.${kept}`,
      );
    }
    // Only the root provides these, so yeoman never reports several of them.
    // The install is the app's own (a Python venv), never npm's.
    Object.assign(this, { customFeatures: { customCommitTask: () => this.#commit(projectRoot), customInstallTask: true } });
    watchSignals(this.runState, () => this.#interruptedMessage());
  }

  #interruptedMessage(): string {
    switch (this.runState.phase) {
      case 'preparing':
        return 'Stopped: nothing was written.';
      case 'installing':
        return `Stopped during the install: every project file is written. Finish the install by hand:\n${this.runState.installByHand}`;
      default:
        return 'Stopped: every project file was written.';
    }
  }

  /** Where the built package is: dist/ (yo, the runner and yeoman-test all load the generators from dist/generators/<name>/). */
  protected get distDir(): string {
    return path.join(path.dirname(this.resolved), '..', '..');
  }

  /**
   * The commit of the run, once every task before it is done: the root
   * generator's project folder is made (a new project) and locked, then
   * `commitProject` writes.
   */
  /** A run that writes nothing at all (a dry run): no lock, no folder made. */
  protected get readOnlyRun(): boolean {
    return false;
  }

  async #commit(root: string): Promise<void> {
    if (this.runState.finished) return;
    if (this.readOnlyRun) {
      await this.commitProject(root);
      return;
    }
    const made = isDirectory(root) ? [] : makeFolder(root);
    try {
      // The lock lives in the project folder: a new project's folder is made for it.
      await lockProject(root, runCommand());
      await this.commitProject(root);
      this.runState.phase = 'written';
    } catch (error) {
      // Nothing was written: the folders made for the lock go too (once it is released).
      if (made.length > 0) {
        releaseProjectLocks();
        for (const dir of made.reverse()) {
          try {
            fs.rmdirSync(dir);
          } catch {
            // Not empty after all: leave it.
          }
        }
      }
      throw error;
    }
  }

  /** What the run writes into the project at `root` (locked by now). */
  protected abstract commitProject(root: string): Promise<void>;

  /**
   * Ends the run with exit status 1 although nothing went wrong: the runner
   * reads it from the run's state; under yo, the process's exit code is set.
   */
  protected failRun(): void {
    this.runState.exitCode = 1;
    if (readOption(this.options, 'invokedAs') === undefined) process.exitCode = 1;
  }

  /** The command line of this run, for the lock and the journal. */
  protected get runCommand(): string {
    return runCommand();
  }

  /**
   * Runs every task so that a user error stops the run with its message only:
   * Yeoman would otherwise print "An error occured while running …" first.
   */
  override queueTask(task: Task<this>): void {
    const method = task.method;
    super.queueTask({
      ...task,
      method: async (...args: unknown[]) => {
        // `--version` on any generator, under either front door: print it and do nothing else.
        if (this.isRoot && readOption<boolean>(this.options, 'version') === true && !this.runState.finished) {
          this.log(this.rootGeneratorVersion());
          this.runState.finished = true;
          // Nothing to commit or install either (and no yeoman line saying so).
          Object.assign(this, { customFeatures: { customCommitTask: () => undefined, customInstallTask: true } });
        }
        if (this.runState.finished) return undefined;
        try {
          return await method.apply(this, args);
        } catch (error) {
          const reported = asUsageError(error);
          if (!reported) throw error;
          const adapter = this.env.adapter as { abort?: (reason: unknown) => void };
          if (!adapter.abort) throw reported;
          adapter.abort(reported);
          return undefined;
        }
      },
    });
  }
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Makes `dir` and its missing parents, returning those it made, outermost first. */
function makeFolder(dir: string): string[] {
  const missing: string[] = [];
  for (let at = dir; !fs.existsSync(at); at = path.dirname(at)) missing.unshift(at);
  const made: string[] = [];
  try {
    for (const folder of missing) {
      fs.mkdirSync(folder);
      made.push(folder);
    }
  } catch (error) {
    for (const folder of made.reverse()) fs.rmdirSync(folder);
    const reason = describeSystemError(error);
    if (reason === undefined) throw error;
    throw new UsageError(`Cannot write in ${showPath(path.dirname(missing[made.length]!))}: ${reason}. Nothing was written.`);
  }
  return missing;
}

/** The command line of this run, for the lock and the journal. */
function runCommand(): string {
  return [path.basename(process.argv[1] ?? 'generator-bytewax-connector'), ...process.argv.slice(2)].join(' ');
}


/**
 * A user error, a cancelled question, or a file-system refusal (permissions,
 * a full disk, ...) as a user error; undefined for anything else (a bug).
 */
function asUsageError(error: unknown): UsageError | undefined {
  if (isUsageError(error)) return error;
  if (error instanceof Error && error.name === 'ExitPromptError') return new UsageError('Cancelled at a question: nothing was written.');
  const system = error as NodeJS.ErrnoException;
  const phrase = describeSystemError(system);
  if (phrase !== undefined && system.path !== undefined) return new UsageError(`Could not ${system.syscall ?? 'use'} ${system.path}: ${phrase}.`);
  return undefined;
}
