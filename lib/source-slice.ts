import fs from 'node:fs';
import ejs from 'ejs';
import path from 'node:path';
import Generator from 'yeoman-generator';
import { findProjectRoot, type ProjectConfig, type SourceEntry, type SourceKind } from './config.js';
import { UsageError } from './errors.js';
import { canPrompt, markDeliberateEdit, refuseSilentOverwrites } from './generator-support.js';
import { checkSourceName, classStem } from './naming.js';
import { readOption } from './options.js';
import { addExports, insertSection, NO_SOURCES_YET, SOURCES_MARKER } from './project-edits.js';

/**
 * What the `partitioned` and `dynamic` generators share: finding the project,
 * checking the new source's name, writing its module, test and example from
 * the generator's templates, and registering it in the package exports, the
 * README and `.yo-rc.json`. A subclass names its kind and may add options.
 */
/** The demo package's `__init__.py`, kept with the app's templates (relative to a slice's templates). */
const DEMO_INIT_TEMPLATE = '../../app/templates/src/package/demo/__init__.py';

export abstract class SourceSliceGenerator extends Generator {
  #kind: SourceKind;
  #project!: ProjectConfig;
  #name = '';

  constructor(args: string[], options: Generator['options'], kind: SourceKind) {
    // inheritTasks: the lifecycle methods below live on this base class.
    // customInstallTask: nothing here for npm to install.
    super(args, options, { inheritTasks: true, customInstallTask: true });
    this.#kind = kind;
    this.argument('sourceName', {
      type: String,
      required: false,
      description: 'snake_case name of the source, e.g. orders or sensor_log',
    });
    this.option('yes', { type: Boolean, alias: 'y', description: 'Never prompt; fail if an answer is missing' });
  }

  /** Extra fields recorded for the source and passed to its templates. */
  protected sourceDetails(): Partial<SourceEntry> {
    return {};
  }

  initializing(): void {
    const start = this.destinationRoot();
    const root = findProjectRoot(start, this.fs);
    if (root === undefined) {
      throw new UsageError(
        `No generated project here: neither ${start} nor a directory above it has a .yo-rc.json from ` +
          'generator-bytewax-connector. Create the project first with `yo bytewax-connector` ' +
          '(or `npx generator-bytewax-connector`), then run this inside it.',
      );
    }
    this.destinationRoot(root);
    this.#project = this.config.getAll() as unknown as ProjectConfig;
    const given = readOption<string>(this.options, 'sourceName');
    if (given !== undefined) this.#checkNew(given);
  }

  async prompting(): Promise<void> {
    let name = readOption<string>(this.options, 'sourceName');
    if (name === undefined) {
      if (!canPrompt(this)) {
        throw new UsageError(`The <source-name> argument is required, e.g. \`${this.#kind} orders\`.`);
      }
      ({ name } = await this.prompt<{ name: string }>({
        type: 'input',
        name: 'name',
        message: `Name of the ${this.#kind} source (snake_case)`,
        validate: (value: string) => {
          try {
            this.#checkNew(value);
            return true;
          } catch (error) {
            return (error as Error).message;
          }
        },
      }));
      this.#checkNew(name);
    }
    this.#name = name;
  }

  writing(): void {
    const project = this.#project;
    const entry: SourceEntry = { name: this.#name, kind: this.#kind, ...this.sourceDetails() };
    const className = classStem(this.#name);
    const context = { ...entry, sourceName: entry.name, className, packageName: project.packageName, distName: project.distName };
    for (const [template, target] of this.#files(this.#name)) {
      this.fs.copyTpl(this.templatePath(template), this.destinationPath(target), context);
    }
    // The demo package's __init__.py is the same for every source: the first
    // source writes it, later ones leave it (and any edit to it) alone.
    const demoInit = this.destinationPath('src', project.packageName, 'demo', '__init__.py');
    if (!this.fs.exists(demoInit)) this.fs.copy(this.templatePath(DEMO_INIT_TEMPLATE), demoInit);

    const initPath = this.destinationPath('src', project.packageName, '__init__.py');
    const init = this.fs.read(initPath, { defaults: '' }) ?? '';
    // Partition classes are an implementation detail, as in Bytewax's own connectors.
    const names = [`${className}Source`];
    const exported = addExports(init, this.#name, names);
    if (exported === undefined) {
      this.log(
        `Could not find where to add the exports in ${path.relative(this.env.cwd, initPath)}; add them by hand:\n` +
          `  from .${this.#name} import ${names.join(', ')}  (and both names in __all__)`,
      );
    } else {
      this.fs.write(initPath, exported);
      markDeliberateEdit(this, initPath);
    }

    const readmePath = this.destinationPath('README.md');
    const sectionTemplate = this.templatePath('readme-section.md.ejs');
    const rendered = ejs.render(this.fs.read(sectionTemplate) ?? '', context, { filename: sectionTemplate });
    const readme = insertSection(this.fs.read(readmePath, { defaults: '' }) ?? '', rendered, SOURCES_MARKER, NO_SOURCES_YET);
    if (!readme.atMarker) this.log('The README had no sources marker; the new section went to its end.');
    this.fs.write(readmePath, readme.text);
    markDeliberateEdit(this, readmePath);

    const stored = (this.config.get('sources') as SourceEntry[] | undefined) ?? [];
    this.config.set('sources', [...stored, entry]);
  }

  conflicts(): void {
    refuseSilentOverwrites(this);
  }

  end(): void {
    this.log(
      `Added the ${this.#kind} source ${this.#name}: src/${this.#project.packageName}/${this.#name}.py ` +
        `(its demo upstream in src/${this.#project.packageName}/demo/${this.#name}.py), ` +
        `tests/test_${this.#name}.py and examples/${this.#name}.py. Try it:\n` +
        `  python -m bytewax.run examples.${this.#name}:flow -w 2\n  pytest tests/test_${this.#name}.py`,
    );
  }

  #files(name: string): Array<[string, string]> {
    const { packageName } = this.#project;
    return [
      ['source.py.ejs', `src/${packageName}/${name}.py`],
      ['demo.py.ejs', `src/${packageName}/demo/${name}.py`],
      ['test_source.py.ejs', `tests/test_${name}.py`],
      ['example.py.ejs', `examples/${name}.py`],
    ];
  }

  #checkNew(name: string): void {
    checkSourceName(name, '<source-name>');
    const sources = this.#project.sources ?? [];
    const same = sources.find((s) => s.name === name);
    if (same) {
      throw new UsageError(`The project already has a ${same.kind} source named "${name}" (see .yo-rc.json); choose another name.`);
    }
    const taken = this.#files(name)
      .map(([, target]) => target)
      .filter((file) => fs.existsSync(this.destinationPath(file)) || this.fs.exists(this.destinationPath(file)));
    if (taken.length > 0) {
      throw new UsageError(`Source "${name}" would overwrite ${taken.join(', ')}; choose another name or move those files.`);
    }
  }
}

