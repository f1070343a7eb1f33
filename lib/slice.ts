/**
 * The base of every generator that adds one slice to an existing project
 * (`partitioned`, `dynamic`, `sink`, `ci`): find the project from any folder in it,
 * read and check its `.yo-rc.json`, ask for the slice's answers, write its
 * files table, add its section to the README and its names to the package,
 * and record it. The app composes the same generators for what it starts with.
 */
import path from 'node:path';
import type Generator from 'yeoman-generator';
import { type AnswerTable, readOption } from './answers.js';
import { BaseGenerator } from './base.js';
import { UsageError } from './errors.js';
import type { FilesTable } from './files.js';
import { renderTemplate } from './files.js';
import { addExports, insertSection } from './project-edits.js';
import { CONFIG_FILE, type ProjectConfig, findProjectRoot, parseProjectConfig, readProjectConfig } from './project-config.js';

type Options = Generator['options'];

/** What a slice adds besides its files. */
export interface SliceParts<C> {
  readonly files: FilesTable<C>;
  /** Names the package's `__init__.py` exports from the slice's module. */
  readonly exports?: (context: C) => { module: string; names: string[] };
  /** A README section, inserted above `marker` (replacing `placeholder`). */
  readonly readme?: { template: string | ((context: C) => string); marker: string; placeholder?: string };
}

export abstract class SliceGenerator<A extends object, C extends object> extends BaseGenerator<A> {
  /** The project root. */
  protected root = '';
  /** The project's answers as `.yo-rc.json` holds them when this slice starts. */
  protected project!: ProjectConfig;

  constructor(args: string[], options: Options, declared: AnswerTable<A>) {
    super(args, options, declared);
  }

  /** The slice's answers, with the project known (names already taken, say). */
  protected abstract answerTable(project: ProjectConfig): AnswerTable<A>;
  /** The slice's files, exports and README section. */
  protected abstract parts(): SliceParts<C>;
  /** What the templates see. */
  protected abstract templateContext(): C;
  /** The project's answers with this slice recorded. */
  protected abstract record(project: ProjectConfig): ProjectConfig;

  initializing(): void {
    const composedInto = readOption<string>(this.options, 'projectRoot');
    if (!this.isRoot && composedInto !== undefined) {
      // Composed by the app: the project exists only in memory so far.
      this.root = composedInto;
      const file = path.join(this.root, CONFIG_FILE);
      this.project = parseProjectConfig(file, this.fs.readJSON(file));
      return;
    }
    const start = this.env.cwd;
    const root = findProjectRoot(start);
    if (root === undefined) {
      throw new UsageError(
        `No generated project here: neither ${start} nor a folder above it has a .yo-rc.json from generator-bytewax-connector.`,
        'Create the project first with `yo bytewax-connector` (or `npx generator-bytewax-connector`), then run this inside it.',
      );
    }
    this.root = root;
    this.startRun(root);
    const project = readProjectConfig(root);
    if (project === undefined) throw new UsageError(`${path.join(root, CONFIG_FILE)} no longer holds this generator's answers.`);
    this.project = project;
  }

  async prompting(): Promise<void> {
    await this.answer(this.answerTable(this.project));
  }

  writing(): void {
    // Slices composed before this one in the same run may have recorded theirs.
    const file = path.join(this.root, CONFIG_FILE);
    this.project = parseProjectConfig(file, this.fs.readJSON(file));
    const parts = this.parts();
    const context = this.templateContext();
    this.writeFiles(this.root, parts.files, context);
    if (parts.exports) this.#addExports(parts.exports(context));
    if (parts.readme) this.#addReadmeSection(parts.readme, context);
    writeProjectConfig(this, this.root, this.record(this.project));
  }

  #addExports({ module, names }: { module: string; names: string[] }): void {
    const initPath = path.join(this.root, 'src', this.project.packageName, '__init__.py');
    const init = this.fs.read(initPath, { defaults: '' }) ?? '';
    const edited = addExports(init, module, names);
    if (edited === 'present') return;
    if (edited === undefined) {
      this.log(
        `Could not find where to add the exports in ${path.relative(this.env.cwd, initPath)}; add them by hand:\n` +
          `  from .${module} import ${names.join(', ')}  (and the names in __all__)`,
      );
      return;
    }
    this.writeDeliberately(initPath, edited);
  }

  #addReadmeSection(readme: NonNullable<SliceParts<C>['readme']>, context: C): void {
    const readmePath = path.join(this.root, 'README.md');
    const template = typeof readme.template === 'string' ? readme.template : readme.template(context);
    const section = renderTemplate(this.templatePath(template), context);
    const current = this.fs.read(readmePath, { defaults: '' }) ?? '';
    const result = insertSection(current, section, readme.marker, readme.placeholder);
    if (result.present) return;
    if (!result.atMarker) this.log('The README had no marker line for this section; it went to the end.');
    this.writeDeliberately(readmePath, result.text);
  }
}

/** Writes the project's answers into `.yo-rc.json`, keeping whatever else the file holds. */
export function writeProjectConfig(generator: { fs: Generator['fs'] }, root: string, config: ProjectConfig): void {
  const file = path.join(root, CONFIG_FILE);
  const data = (generator.fs.readJSON(file, {}) ?? {}) as Record<string, unknown>;
  data['generator-bytewax-connector'] = config;
  generator.fs.writeJSON(file, data);
}
