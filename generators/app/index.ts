import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type Generator from 'yeoman-generator';
import { readOption } from '../../lib/answers.js';
import { BaseGenerator } from '../../lib/base.js';
import { resolveRoot } from '../../lib/commit.js';
import { UsageError } from '../../lib/errors.js';
import { docstringParagraph, pyString, tomlString, yamlString } from '../../lib/escape.js';
import { installByHand, installProject } from '../../lib/install.js';
import { spdxExpression } from '../../lib/licenses.js';
import { type ProjectConfig, type SinkEntry, type SourceEntry, readProjectConfig } from '../../lib/project-config.js';
import { CI_MARKER, NO_SINKS_YET, NO_SOURCES_YET, SINKS_MARKER, SOURCES_MARKER } from '../../lib/readme-markers.js';
import { writeProjectConfig } from '../../lib/slice.js';
import { BYTEWAX_REQUIREMENT, PRE_COMMIT_HOOKS, PYTHON_TOOLS, pythonRange } from '../../lib/versions.js';
import CiGenerator from '../ci/index.js';
import DynamicGenerator from '../dynamic/index.js';
import PartitionedGenerator from '../partitioned/index.js';
import SinkGenerator from '../sink/index.js';
import { type AppAnswers, appAnswers } from './answers.js';
import { APP_FILES, type AppTemplateContext } from './files.js';

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
  #root = '';
  #stored: ProjectConfig | undefined;
  #config!: ProjectConfig;

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
    const composed = { projectRoot: this.#root, yes: true, force: this.force, skipInstall: true };
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
  }

  writing(): void {
    const config = this.#config;
    const context: AppTemplateContext = {
      ...config,
      licenseExpression: spdxExpression(config.license),
      pythonVersions: pythonRange(config.python),
      bytewaxRequirement: BYTEWAX_REQUIREMENT,
      tools: PYTHON_TOOLS,
      hooks: PRE_COMMIT_HOOKS,
      docstringBody: docstringParagraph(config.description),
      noSourcesYet: NO_SOURCES_YET,
      sourcesMarker: SOURCES_MARKER,
      noSinksYet: NO_SINKS_YET,
      sinksMarker: SINKS_MARKER,
      ciMarker: CI_MARKER,
      year: new Date().getFullYear(),
      toml: tomlString,
      yamlString,
      pyString,
    };
    this.writeFiles(this.#root, APP_FILES, context);
  }

  async install(): Promise<void> {
    if (readOption<boolean>(this.options, 'skip-install')) return;
    this.runState.phase = 'installing';
    this.runState.installByHand = installByHand(this.#root, this.#config.python);
    await installProject(this.#root, this.#config.python, { log: (message) => this.log(message), children: this.runState.children });
    this.runState.phase = 'done';
  }

  end(): void {
    const relative = path.relative(this.env.cwd, this.#root);
    const where = relative === '' ? 'the current directory' : relative;
    const sources = this.#config.sources.length > 0 ? this.#config.sources : this.#newSources();
    const sinks = [...this.#config.sinks, ...this.#newSinks()];
    const lines = [
      '',
      `Created ${this.#config.distName} in ${where}. Next steps:`,
      relative === '' ? undefined : `  cd ${relative}`,
      readOption<boolean>(this.options, 'skip-install') ? "  python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'" : undefined,
      '  . .venv/bin/activate',
      '  pytest                      # the contract tests of every source and sink',
      ...[...sources, ...sinks].map((s) => `  python -m bytewax.run examples.${s.name}:flow -w 2`),
      sources.length === 0 ? '  yo bytewax-connector:partitioned <name>   # add a source' : undefined,
      sinks.length === 0 ? '  yo bytewax-connector:sink <name>          # add a sink' : undefined,
      '',
    ];
    this.log(lines.filter((line) => line !== undefined).join('\n'));
  }

  /**
   * Where a composed generator's built file is (its templates are beside it):
   * yo, the runner and yeoman-test all load the generators from there.
   */
  #sibling(name: string): string {
    return path.join(path.dirname(this.resolved), '..', name, 'index.js');
  }
}
