/**
 * The base of every generator that adds one slice to an existing project
 * (`partitioned`, `dynamic`, `sink`, `ci`, `docs`): find the project from any folder in it,
 * read and check its `.yo-rc.json`, ask for the slice's answers, write its
 * files table, add its section to the README and its names to the package,
 * and record it. The app composes the same generators for what it starts with.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Generator from 'yeoman-generator';
import { type AnswerTable, readOption } from './answers.js';
import { BaseGenerator } from './base.js';
import { UsageError } from './errors.js';
import type { FilesTable } from './files.js';
import { renderTemplate } from './files.js';
import { classStem } from './naming.js';
import { addExports, insertSection, naturalCompare } from './project-edits.js';
import { CONFIG_FILE, type ProjectConfig, findProjectRoot, parseProjectConfig, readProjectConfig } from './project-config.js';
import { APP_FILES, appTemplateContext } from '../generators/app/files.js';
import { CI_WORKFLOW, refreshCiBlocks } from '../generators/ci/blocks.js';
import { DOCS_INDEX, type DocsPageSpec, docsPage, refreshDocsIndex } from '../generators/docs/pages.js';

type Options = Generator['options'];

/** What a slice adds besides its files. */
export interface SliceParts<C> {
  readonly files: FilesTable<C>;
  /** Names the package's `__init__.py` exports from the slice's module. */
  readonly exports?: (context: C) => { module: string; names: string[] };
  /** A README section, inserted above `marker` (replacing `placeholder`). */
  readonly readme?: { template: string | ((context: C) => string); marker: string; placeholder?: string };
  /** The slice appears in ci.yml's generated blocks (example runs, upstream settings). */
  readonly inCi?: boolean;
  /** What the slice records changes the app's own files (pyproject.toml, say): write them again. */
  readonly changesAppFiles?: boolean;
  /** A source or sink: the first pair of them in a project gets the pipeline example. */
  readonly pipeline?: boolean;
  /** The slice's page of the docs site, written when the project has docs and listed in docs/index.md. */
  readonly docsPage?: DocsPageSpec<C>;
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

  async initializing(): Promise<void> {
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
    await this.startRun(root);
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
    const recorded = this.record(this.project);
    if (parts.inCi && recorded.ci) this.#refreshCi(recorded);
    if (parts.docsPage && recorded.docs) this.#addDocsPage(parts.docsPage, context, recorded);
    if (parts.changesAppFiles) this.#refreshAppFiles(this.project, recorded);
    if (parts.pipeline) this.#writePipeline(recorded);
    writeProjectConfig(this, this.root, recorded);
  }

  /**
   * The source-to-sink example and its test, written once: when the project
   * first has both a source and a sink, from the first of each. Later slices
   * leave them (and any edit to them) alone.
   */
  #writePipeline(project: ProjectConfig): void {
    const [source] = project.sources;
    const [sink] = project.sinks;
    if (source === undefined || sink === undefined) return;
    const targets = { example: path.join(this.root, 'examples', 'pipeline.py'), test: path.join(this.root, 'tests', 'test_pipeline.py') };
    if (Object.values(targets).some((file) => this.fs.exists(file))) return;
    const templates = path.join(this.generatorsDir, '..', 'lib', 'templates', 'pipeline');
    const pkg = project.packageName;
    // ruff's import order: by module, then by imported name.
    const imports = [
      [pkg, source.name, 'source_connector'],
      [pkg, sink.name, 'sink_connector'],
      [`${pkg}.demo`, source.name, 'source_demo'],
      [`${pkg}.demo`, sink.name, 'sink_demo'],
    ]
      .sort(([m1, n1], [m2, n2]) => naturalCompare(m1!, m2!) || naturalCompare(n1!, n2!))
      .map(([module, name, alias]) => `from ${module} import (\n    ${name} as ${alias},\n)`);
    const context = {
      imports,
      source: { ...source, className: classStem(source.name) },
      sink: { ...sink, className: classStem(sink.name) },
    };
    this.fs.write(targets.example, renderTemplate(path.join(templates, 'example.py.ejs'), context));
    this.fs.write(targets.test, renderTemplate(path.join(templates, 'test.py.ejs'), context));
  }

  /**
   * Renders the app's own files again for the project's new answers. A file
   * the user has not changed (it is what the old answers render) is updated; a
   * changed one is written too, and the commit treats it as a conflict: asked
   * about in a terminal, refused without one, overwritten with --force.
   */
  #refreshAppFiles(before: ProjectConfig, after: ProjectConfig): void {
    const templates = path.join(this.generatorsDir, 'app', 'templates');
    const [old, next] = [appTemplateContext(before), appTemplateContext(after)];
    const render = (spec: (typeof APP_FILES)[number], context: typeof old) =>
      renderTemplate(path.join(templates, typeof spec.template === 'string' ? spec.template : spec.template(context)), context);
    for (const spec of APP_FILES) {
      if (spec.mode === 'once' || spec.target(old) !== spec.target(next)) continue;
      const [was, now] = [render(spec, old), render(spec, next)];
      if (was === now) continue;
      const file = path.join(this.root, spec.target(next));
      if (this.fs.read(file, { defaults: '' }) === was) this.writeDeliberately(file, now);
      else this.fs.write(file, now);
    }
  }

  /**
   * The closing lines of a slice: what it added, then commands to try it,
   * from the user's folder (a `cd` to the project root first when needed).
   */
  protected tryIt(added: string, commands: string[]): void {
    const back = path.relative(this.env.cwd, this.root);
    const cd = back === '' ? [] : [`  cd ${back}`];
    this.log(['', added, 'Try it:', ...cd, ...commands.map((command) => `  ${command}`), ''].join('\n'));
  }

  /**
   * Of the files a slice with `context` writes for itself (not those its kind
   * shares), with its docs page when the project has docs, those that exist:
   * a new slice of that name would overwrite them.
   */
  protected existingOwnFiles(context: C, project: ProjectConfig): string[] {
    const { files, docsPage: page } = this.parts();
    const own = files.filter((spec) => spec.mode !== 'once' && (spec.when?.(context) ?? true)).map((spec) => spec.target(context));
    if (page && project.docs) own.push(page.target(context));
    return own.filter((file) => fs.existsSync(path.join(this.root, file)));
  }

  /**
   * Writes the slice's page of the docs site and rewrites the list of pages
   * in docs/index.md, when there is an index: in a new project the docs
   * slice, composed after the sources, writes the index and every page.
   */
  #addDocsPage(spec: DocsPageSpec<C>, context: C, project: ProjectConfig): void {
    const page = docsPage(spec, context, this.generatorsDir);
    this.fs.write(path.join(this.root, page.target), page.text);
    const indexPath = path.join(this.root, DOCS_INDEX);
    const index = this.fs.read(indexPath, { defaults: '' }) ?? '';
    if (index === '') return;
    const refreshed = refreshDocsIndex(index, this.generatorsDir, project);
    if (refreshed === undefined) {
      const entry = page.target.replace(/^docs\//, '').replace(/\.md$/, '');
      this.log(
        `${DOCS_INDEX} no longer has the marker lines of its list of pages, so it was left as it is: ` +
          `add ${entry} to a toctree there by hand.`,
      );
      return;
    }
    if (refreshed !== index) this.writeDeliberately(indexPath, refreshed);
  }

  /** Rewrites ci.yml's generated blocks for the project as it now is, if the project has a ci.yml. */
  #refreshCi(project: ProjectConfig): void {
    const workflow = path.join(this.root, CI_WORKFLOW);
    const text = this.fs.read(workflow, { defaults: '' }) ?? '';
    if (text === '') return;
    const ciTemplates = path.join(this.generatorsDir, 'ci', 'templates');
    const refreshed = refreshCiBlocks(text, ciTemplates, { sources: project.sources, sinks: project.sinks });
    if (typeof refreshed === 'string') {
      if (refreshed !== text) this.writeDeliberately(workflow, refreshed);
      return;
    }
    this.log(
      `${CI_WORKFLOW} no longer has the marker lines of its generated parts (${refreshed.missing.join('; ')}), ` +
        'so it was left as it is: add the new example run to it by hand.',
    );
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
