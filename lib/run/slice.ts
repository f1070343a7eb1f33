/**
 * The base of every generator run inside a project (`partitioned`,
 * `dynamic`, `sink`, `ci`, `docs`): find the project from any folder in it,
 * check it was rendered by this version with no conflict markers left, ask
 * the generator's answers, change the project's config with them, and commit
 * the rendering (project.ts). Source and sink generators share one more
 * layer: a slice of one kind, named by the generator's argument.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Generator from 'yeoman-generator';
import type { AnswerSpec, AnswerTable } from '../answers.js';
import { type SliceNameContext, sliceNameProblem } from '../naming.js';
import { type ProjectConfig, type ProjectState, slicesOf } from '../project/config.js';
import { docsPageTarget } from '../project/docs/docs.js';
import type { Role, SliceEntry, SliceKind } from '../project/kind.js';
import { kindOf, sliceContext } from '../project/kinds.js';
import { sinkKindAnswer } from '../project/sinks/sink.js';
import { shellWord } from '../shell.js';
import { ProjectGenerator } from './project.js';

type Options = Generator['options'];

export abstract class SliceGenerator<A extends object> extends ProjectGenerator<A> {
  /** The project as this run found it. */
  protected state!: ProjectState;

  /** The generator's answers, with the project known (names already taken, say). */
  protected abstract answerTable(state: ProjectState): AnswerTable<A>;
  /** The project's config with this run's answers applied. */
  protected abstract change(config: ProjectConfig, answers: A): ProjectConfig;

  async initializing(): Promise<void> {
    this.state = await this.openEnclosingProject();
    this.requireCurrentVersion(this.state);
    this.requireConflictsResolved(this.state);
  }

  async prompting(): Promise<void> {
    const answers = await this.answer(this.answerTable(this.state));
    this.project = this.change(this.state.config, answers);
  }

  /**
   * The closing lines of a slice: what it added, then commands to try it,
   * from the user's folder (a `cd` to the project root first when needed).
   */
  protected tryIt(added: string, commands: string[]): void {
    const back = path.relative(this.env.cwd, this.root);
    const cd = back === '' ? [] : [`  cd ${shellWord(back)}`];
    this.log(['', added, 'Try it:', ...cd, ...commands.map((command) => `  ${command}`), ''].join('\n'));
  }
}

/**
 * The name every slice (source or sink) is added with: the generator's
 * positional argument, asked for in a terminal.
 */
export function sliceNameAnswer<A>(generator: string, noun: string, context: SliceNameContext): AnswerSpec<string, A> {
  return {
    type: 'string',
    argument: true,
    label: `${noun} name`,
    description: `snake_case name of the ${noun}, e.g. orders or sensor_log`,
    prompt: { message: `Name of the ${noun} (snake_case)` },
    required: true,
    example: `${generator} orders`,
    check: (value) => sliceNameProblem(value, context),
  };
}

/** The files a new slice of `role` named `name` would write for itself (whatever its kind) in `config`'s project. */
function ownFiles(config: ProjectConfig, role: Role, kind: SliceKind, name: string): string[] {
  const entry = { name, kind: kind.kind } as SliceEntry;
  const context = sliceContext(config, role, entry);
  const files = kind.files.filter((spec) => spec.when?.(context) ?? true).map((spec) => spec.target(context));
  return config.docs ? [...files, docsPageTarget(role, entry)] : files;
}

/** What a slice generator's options and the `.yo-rc.json` check of its name see of the project. */
function sliceNameContext(config: ProjectConfig, existingFiles: (name: string) => string[]): SliceNameContext {
  return { packageName: config.packageName, taken: slicesOf(config), existingFiles };
}

type SliceAnswers = { name: string } & Record<string, string>;

/**
 * Adds one source or sink: its name (the argument) and its kind's answers
 * are asked, the entry is appended to the project's sources or sinks, and
 * the closing lines say what it added and how to run it.
 */
abstract class AddSliceGenerator extends SliceGenerator<SliceAnswers> {
  protected abstract readonly role: Role;
  /** The kind module of this run's slice. */
  protected abstract sliceKind(answers: SliceAnswers): SliceKind;
  /** The slice's answers; `context` checks the name against the project. */
  protected abstract table(context: SliceNameContext): AnswerTable<SliceAnswers>;

  protected override answerTable(state: ProjectState): AnswerTable<SliceAnswers> {
    const config = state.config;
    // A slice's own files are named after it, whatever its kind.
    const existing = (name: string) => ownFiles(config, this.role, this.sliceKind({ name } as SliceAnswers), name).filter((file) => fs.existsSync(path.join(this.root, file)));
    return this.table(sliceNameContext(config, existing));
  }

  protected override change(config: ProjectConfig, answers: SliceAnswers): ProjectConfig {
    const kind = this.sliceKind(answers);
    const extra = Object.fromEntries(Object.keys(kind.answers).map((key) => [key, answers[key]]));
    const entry = { name: answers.name, kind: kind.kind, ...extra } as SliceEntry;
    return this.role === 'source'
      ? { ...config, sources: [...config.sources, entry as ProjectConfig['sources'][number]] }
      : { ...config, sinks: [...config.sinks, entry as ProjectConfig['sinks'][number]] };
  }

  end(): void {
    if (!this.isRoot || this.report === undefined) return;
    const { name } = this.answers;
    const kind = this.sliceKind(this.answers);
    const pkg = this.project.packageName;
    const upstream = this.role === 'source' ? 'upstream' : 'downstream';
    const entry = { ...this.answers, kind: kind.kind } as never;
    this.tryIt(
      `Added the ${kind.describe(entry)} ${name}: src/${pkg}/${name}.py (its demo ${upstream} in ` +
        `src/${pkg}/demo/${name}.py), tests/test_${name}.py and examples/${name}.py.`,
      [...kind.ci.run(entry).commands, `pytest tests/test_${name}.py`],
    );
  }
}

/** The generator of one source kind (`partitioned`, `dynamic`): the kind is fixed, its own answers asked. */
export class SourceGenerator extends AddSliceGenerator {
  protected readonly role = 'source';
  readonly #kind: SliceKind;

  constructor(args: string[], options: Options, kind: SliceKind) {
    super(args, options, sourceAnswers(kind, {}));
    this.#kind = kind;
  }

  protected sliceKind(): SliceKind {
    return this.#kind;
  }

  protected table(context: SliceNameContext): AnswerTable<SliceAnswers> {
    return sourceAnswers(this.#kind, context);
  }
}

function sourceAnswers(kind: SliceKind, context: SliceNameContext): AnswerTable<SliceAnswers> {
  return { name: sliceNameAnswer(kind.kind, `${kind.kind} source`, context), ...kind.answers } as AnswerTable<SliceAnswers>;
}

/** The `sink` generator: a sink of the kind its `--kind` answer picks. */
export class SinkGenerator extends AddSliceGenerator {
  protected readonly role = 'sink';

  constructor(args: string[], options: Options) {
    super(args, options, sinkAnswers({}));
  }

  protected sliceKind(answers: SliceAnswers): SliceKind {
    return kindOf('sink', answers['kind'] ?? 'dynamic');
  }

  protected table(context: SliceNameContext): AnswerTable<SliceAnswers> {
    return sinkAnswers(context);
  }
}

function sinkAnswers(context: SliceNameContext): AnswerTable<SliceAnswers> {
  return { name: sliceNameAnswer('sink', 'sink', context), kind: sinkKindAnswer({ flag: 'kind', store: true }) } as unknown as AnswerTable<SliceAnswers>;
}
