import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Generator from 'yeoman-generator';
import { CONFIG_KEY, type ProjectConfig, type SourceEntry } from '../../lib/config.js';
import { UsageError } from '../../lib/errors.js';
import { docstringSummary, tomlString, yamlString } from '../../lib/escape.js';
import { canPrompt, refuseSilentOverwrites } from '../../lib/generator-support.js';
import { installProject } from '../../lib/install.js';
import { SUPPORTED_LICENSES, spdxExpression, type SupportedLicense } from '../../lib/licenses.js';
import {
  checkDistName,
  checkPackageName,
  checkSourceName,
  defaultDistName,
  packageFromDistName,
} from '../../lib/naming.js';
import { readOption } from '../../lib/options.js';
import { CI_MARKER, NO_SOURCES_YET, SOURCES_MARKER } from '../../lib/project-edits.js';
import {
  BYTEWAX_REQUIREMENT,
  PRE_COMMIT_HOOKS,
  PYTHON_TOOLS,
  SUPPORTED_PYTHONS,
  pythonRange,
  type PythonVersion,
} from '../../lib/versions.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Files the app writes once and then leaves to the user and to the source slices. */
const CREATE_ONLY = new Set(['README.md', 'CHANGELOG.md', 'src/package/__init__.py']);

/** Template path to destination path; `package` stands for the import package. */
const BASE_FILES: Array<[string, string]> = [
  ['pyproject.toml', 'pyproject.toml'],
  ['README.md', 'README.md'],
  ['CHANGELOG.md', 'CHANGELOG.md'],
  ['gitignore', '.gitignore'],
  ['.pre-commit-config.yaml', '.pre-commit-config.yaml'],
  ['src/package/__init__.py', 'src/package/__init__.py'],
  ['src/package/py.typed', 'src/package/py.typed'],
  ['tests/__init__.py', 'tests/__init__.py'],
  ['tests/test_package.py', 'tests/test_package.py'],
  ['tests/contract/__init__.py', 'tests/contract/__init__.py'],
  ['tests/contract/common.py', 'tests/contract/common.py'],
  ['tests/contract/partitioned.py', 'tests/contract/partitioned.py'],
  ['tests/contract/dynamic.py', 'tests/contract/dynamic.py'],
  ['examples/__init__.py', 'examples/__init__.py'],
];

type StartSource = 'none' | 'partitioned' | 'dynamic';

interface Answers {
  name: string;
  package: string;
  description: string;
  authorName: string;
  authorEmail: string;
  license: SupportedLicense;
  python: PythonVersion;
  startSource: StartSource;
  sourceName: string;
  client: 'sync' | 'async';
  ci: boolean;
}

function gitConfig(key: string): string | undefined {
  try {
    const value = execFileSync('git', ['config', '--get', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return value.trim() || undefined;
  } catch {
    return undefined;
  }
}

export default class AppGenerator extends Generator {
  #projectDir = '';
  #stored: Partial<ProjectConfig> = {};
  #config!: ProjectConfig;
  #newSources: SourceEntry[] = [];

  constructor(args: string[], options: Generator['options']) {
    // customInstallTask: the project is Python; the install task below is its install, not npm's.
    super(args, options, { customInstallTask: true });
    this.argument('directory', {
      type: String,
      required: false,
      description: 'Directory of the new project (created if missing; default: the current directory)',
    });
    this.option('name', { type: String, description: 'Distribution name on PyPI (default: bytewax-<directory name>)' });
    this.option('package', { type: String, description: 'Import package (default: derived from --name)' });
    this.option('description', { type: String, description: 'One-line summary of the connector' });
    this.option('author-name', { type: String, description: 'Author name (default: git config user.name)' });
    this.option('author-email', { type: String, description: 'Author email (default: git config user.email)' });
    this.option('license', { type: String, description: `License: ${SUPPORTED_LICENSES.join(', ')} (default: Apache-2.0)` });
    this.option('python', { type: String, description: `Minimum Python: ${SUPPORTED_PYTHONS.join(', ')} (default: 3.10)` });
    this.option('partitioned', { type: String, description: 'Start with a partitioned (resumable) source of this name' });
    this.option('dynamic', { type: String, description: 'Start with a dynamic (per-worker) source of this name' });
    this.option('client', { type: String, description: 'Client of the --dynamic source: sync or async (default: sync)' });
    this.option('ci', { type: Boolean, description: 'Add GitHub Actions CI and release workflows (default: yes; --no-ci to skip)' });
    this.option('yes', { type: Boolean, alias: 'y', description: 'Take defaults for everything not given; never prompt' });
  }

  async initializing(): Promise<void> {
    if (canPrompt(this) && process.stdin.isTTY) {
      const { default: yosay } = await import('yosay');
      this.log(yosay('Let us scaffold a Bytewax connector: a tested, publishable Python package.'));
    }
    const directory = readOption<string>(this.options, 'directory');
    this.#projectDir = path.resolve(this.env.cwd, directory ?? '.');
    // Re-running in a generated project offers the recorded answers as defaults.
    const rc = this.fs.readJSON(path.join(this.#projectDir, '.yo-rc.json')) as Record<string, unknown> | undefined;
    this.#stored = (rc?.[CONFIG_KEY] as Partial<ProjectConfig> | undefined) ?? {};
  }

  async prompting(): Promise<void> {
    const flag = <T>(name: string): T | undefined => readOption<T>(this.options, name);
    const stored = this.#stored;
    const dirName = path.basename(this.#projectDir);

    const given: Partial<Answers> = {
      name: flag('name'),
      package: flag('package'),
      description: flag('description'),
      authorName: flag('author-name'),
      authorEmail: flag('author-email'),
      license: flag('license'),
      python: flag('python'),
      ci: flag('ci'),
    };
    const partitioned = flag<string>('partitioned');
    const dynamic = flag<string>('dynamic');
    if (partitioned !== undefined) checkSourceName(partitioned, '--partitioned');
    if (dynamic !== undefined) checkSourceName(dynamic, '--dynamic');
    const client = flag<string>('client');
    if (client !== undefined && client !== 'sync' && client !== 'async') {
      throw new UsageError(`--client "${client}" is not a client kind: use sync or async.`);
    }
    // Flags given are checked before any question, so a typo fails at once.
    if (given.name !== undefined) given.name = checkDistName(given.name);
    if (given.package !== undefined) checkPackageName(given.package);

    const defaultName = (): string => given.name ?? stored.distName ?? defaultDistName(dirName);
    const defaults: Answers = {
      name: defaultName(),
      package: stored.packageName ?? packageFromDistName(defaultName()),
      description: stored.description ?? 'A Bytewax connector.',
      authorName: stored.authorName ?? gitConfig('user.name') ?? '',
      authorEmail: stored.authorEmail ?? gitConfig('user.email') ?? '',
      license: stored.license ?? 'Apache-2.0',
      python: stored.python ?? '3.10',
      startSource: 'none',
      sourceName: '',
      client: client ?? 'sync',
      ci: stored.ci ?? true,
    };

    let answers: Answers;
    if (canPrompt(this)) {
      const asked = await this.prompt<Answers>([
        { type: 'input', name: 'name', message: 'Distribution name (PyPI)', default: defaults.name, when: given.name === undefined, validate: validator(checkDistName) },
        {
          type: 'input',
          name: 'package',
          message: 'Import package',
          default: (a: Partial<Answers>) => (given.package ?? stored.packageName ?? packageFromDistName(a.name ?? defaults.name)),
          when: given.package === undefined,
          validate: validator(checkPackageName),
        },
        { type: 'input', name: 'description', message: 'One-line description', default: defaults.description, when: given.description === undefined, validate: validator(checkDescription) },
        { type: 'input', name: 'authorName', message: 'Author name', default: defaults.authorName || undefined, when: given.authorName === undefined, validate: validator(checkAuthorName) },
        { type: 'input', name: 'authorEmail', message: 'Author email (may be empty)', default: defaults.authorEmail, when: given.authorEmail === undefined, validate: validator(checkEmail) },
        { type: 'select', name: 'license', message: 'License', choices: [...SUPPORTED_LICENSES], default: defaults.license, when: given.license === undefined },
        { type: 'select', name: 'python', message: 'Minimum Python version', choices: [...SUPPORTED_PYTHONS], default: defaults.python, when: given.python === undefined },
        {
          type: 'select',
          name: 'startSource',
          message: 'Start with a source?',
          choices: [
            { name: 'A partitioned source (resumable partitions)', value: 'partitioned' },
            { name: 'A dynamic source (one stateless reader per worker)', value: 'dynamic' },
            { name: 'No source for now', value: 'none' },
          ],
          default: 'partitioned',
          when: partitioned === undefined && dynamic === undefined && stored.sources === undefined,
        },
        {
          type: 'input',
          name: 'sourceName',
          message: 'Source name (snake_case)',
          default: 'orders',
          when: (a: Partial<Answers>) => a.startSource !== undefined && a.startSource !== 'none',
          validate: validator((value: string) => checkSourceName(value, 'source name')),
        },
        {
          type: 'select',
          name: 'client',
          message: 'Client of the dynamic source',
          choices: [
            { name: 'sync (poll a client that returns what is ready)', value: 'sync' },
            { name: 'async (an async iterator, read with a timeout)', value: 'async' },
          ],
          default: 'sync',
          when: (a: Partial<Answers>) => a.startSource === 'dynamic' && client === undefined,
        },
        { type: 'confirm', name: 'ci', message: 'Add GitHub Actions CI and PyPI release workflows?', default: defaults.ci, when: given.ci === undefined },
      ]);
      answers = { ...defaults, ...stripUndefined(given), ...asked };
    } else {
      answers = { ...defaults, ...stripUndefined(given) };
      if (!answers.authorName) {
        throw new UsageError('--author-name is required: no terminal to ask and no git config user.name to default to.');
      }
    }

    const sources: SourceEntry[] = [];
    if (partitioned !== undefined) sources.push({ name: partitioned, kind: 'partitioned' });
    if (dynamic !== undefined) sources.push({ name: dynamic, kind: 'dynamic', client: answers.client });
    if (answers.startSource !== 'none' && answers.sourceName) {
      sources.push(answers.startSource === 'dynamic'
        ? { name: answers.sourceName, kind: 'dynamic', client: answers.client }
        : { name: answers.sourceName, kind: 'partitioned' });
    }
    if (partitioned !== undefined && partitioned === dynamic) {
      throw new UsageError(`--partitioned and --dynamic both name "${partitioned}": each source needs its own name.`);
    }

    this.#config = validateAnswers(answers, stored, this.rootGeneratorVersion());
    // A source the project already has is kept as it is, so re-running is harmless.
    const existing = new Set((stored.sources ?? []).map((s) => s.name));
    this.#newSources = sources.filter((s) => !existing.has(s.name));
  }

  async configuring(): Promise<void> {
    // Only now, with every answer valid, may the directory come into being.
    this.destinationRoot(this.#projectDir);
    this.config.set(this.#config as unknown as Record<string, unknown>);
    for (const source of this.#newSources) {
      const options: Record<string, unknown> = { yes: true };
      if (source.client) options['client'] = source.client;
      await this.composeWith(this.#subGenerator(source.kind), { generatorArgs: [source.name], generatorOptions: options });
    }
    if (this.#config.ci) {
      const options: Record<string, unknown> = { yes: true };
      await this.composeWith(this.#subGenerator('ci'), { generatorOptions: options });
    }
  }

  writing(): void {
    const config = this.#config;
    const context = {
      ...config,
      generatorVersion: config.generatorVersion,
      licenseExpression: spdxExpression(config.license),
      pythonVersions: pythonRange(config.python),
      bytewaxRequirement: BYTEWAX_REQUIREMENT,
      tools: PYTHON_TOOLS,
      hooks: PRE_COMMIT_HOOKS,
      docstring: docstringSummary(config.description),
      noSourcesYet: NO_SOURCES_YET,
      sourcesMarker: SOURCES_MARKER,
      ciMarker: CI_MARKER,
      toml: tomlString,
      yamlString,
      pyString: (value: string) => JSON.stringify(value),
    };
    for (const [template, target] of BASE_FILES) {
      const destination = this.destinationPath(target.replace(/^src\/package\//, `src/${config.packageName}/`));
      if (CREATE_ONLY.has(template) && this.fs.exists(destination)) continue;
      this.fs.copyTpl(this.templatePath(template), destination, context);
    }
    this.fs.copyTpl(
      this.templatePath('licenses', `${config.license}.ejs`),
      this.destinationPath('LICENSE'),
      { year: new Date().getFullYear(), holder: config.authorName },
    );
  }

  conflicts(): void {
    refuseSilentOverwrites(this);
  }

  install(): void {
    if (readOption<boolean>(this.options, 'skip-install')) return;
    installProject(this.destinationRoot(), this.#config.python, this.log);
  }

  end(): void {
    const relative = path.relative(process.cwd(), this.destinationRoot());
    const where = relative === '' ? 'the current directory' : relative;
    const lines = [
      '',
      `Created ${this.#config.distName} in ${where}. Next steps:`,
      relative === '' ? undefined : `  cd ${relative}`,
      readOption<boolean>(this.options, 'skip-install')
        ? "  python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'"
        : undefined,
      '  . .venv/bin/activate',
      '  pytest                      # the contract tests of every source',
      ...this.#config.sources.map((s) => `  python -m bytewax.run examples.${s.name}:flow -w 2`),
      this.#config.sources.length === 0 ? '  yo bytewax-connector:partitioned <name>   # add a source' : undefined,
      '',
    ];
    this.log(lines.filter((line) => line !== undefined).join('\n'));
  }

  /**
   * yo and the runner register every generator of this package under its
   * namespace; a test harness may have registered the app alone, so fall back
   * to the sub-generator's path beside this one.
   */
  #subGenerator(name: string): string {
    const namespace = `bytewax-connector:${name}`;
    return this.env.getGeneratorMeta(namespace) ? namespace : path.join(path.dirname(this.resolved), '..', name, 'index.js');
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Adapts a throwing check to inquirer's validate (true, or the message to show). */
function validator(check: (value: string) => unknown): (value: string) => true | string {
  return (value) => {
    try {
      check(value);
      return true;
    } catch (error) {
      return (error as Error).message;
    }
  };
}

function checkDescription(value: string): void {
  if (value.trim() === '') throw new UsageError('--description must not be empty.');
  if (/[\r\n]/.test(value)) {
    throw new UsageError('--description must be one line: package metadata keeps the summary on a single line.');
  }
}

function checkAuthorName(value: string): void {
  if (value.trim() === '') throw new UsageError('--author-name must not be empty.');
  if (/[\r\n]/.test(value)) throw new UsageError('--author-name must be one line.');
}

function checkEmail(value: string): void {
  if (value !== '' && !EMAIL.test(value)) {
    throw new UsageError(`--author-email "${value}" is not an email address (expected name@domain.tld, or empty for none).`);
  }
}

function validateAnswers(answers: Answers, stored: Partial<ProjectConfig>, generatorVersion: string): ProjectConfig {
  const distName = checkDistName(answers.name);
  const packageName = checkPackageName(answers.package);
  checkDescription(answers.description);
  checkAuthorName(answers.authorName);
  checkEmail(answers.authorEmail);
  if (!(SUPPORTED_LICENSES as readonly string[]).includes(answers.license)) {
    throw new UsageError(`--license "${answers.license}" is not offered: use one of ${SUPPORTED_LICENSES.join(', ')}.`);
  }
  if (!(SUPPORTED_PYTHONS as readonly string[]).includes(answers.python)) {
    throw new UsageError(
      `--python "${answers.python}" is not supported: bytewax 0.21 runs on ${SUPPORTED_PYTHONS.join(', ')}; use one of those.`,
    );
  }
  return {
    generatorVersion,
    distName,
    packageName,
    description: answers.description.trim(),
    authorName: answers.authorName.trim(),
    authorEmail: answers.authorEmail.trim(),
    license: answers.license,
    python: answers.python,
    ci: answers.ci,
    // The slices record their own sources as they write them.
    sources: stored.sources ?? [],
  };
}
