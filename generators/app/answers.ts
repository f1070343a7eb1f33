import { type AnswerTable, trimSpace } from '../../lib/answers.js';
import type { Installer } from '../../lib/install.js';
import { SUPPORTED_LICENSES, type SupportedLicense } from '../../lib/licenses.js';
import {
  LIMITS,
  defaultDistName,
  descriptionProblem,
  distNameProblem,
  emailProblem,
  normalizeDistName,
  packageFromDistName,
  packageNameProblem,
  sliceNameProblem,
  textProblem,
} from '../../lib/naming.js';
import type { ProjectConfig, SinkEntry, SourceEntry } from '../../lib/project-config.js';
import { SUPPORTED_PYTHONS, type PythonVersion } from '../../lib/versions.js';
import { docsAnswer } from '../docs/answers.js';
import { type ClientKind, clientAnswer } from '../dynamic/answers.js';
import { type SinkKind, sinkKindAnswer } from '../sink/answers.js';

export type StartSource = 'none' | 'partitioned' | 'dynamic';
export type StartSink = 'none' | SinkKind;

export interface AppAnswers {
  directory: string;
  distName: string;
  packageName: string;
  description: string;
  authorName: string;
  authorEmail: string;
  license: SupportedLicense;
  python: PythonVersion;
  installer: Installer;
  ci: boolean;
  docs: boolean;
  partitioned?: string;
  dynamic?: string;
  client: ClientKind;
  startSource: StartSource;
  sourceName?: string;
  sink?: string;
  sinkKind: SinkKind;
  startSink: StartSink;
  sinkName?: string;
  git: boolean;
}

/** The answers that name a new source or sink. */
type SliceKey = 'partitioned' | 'dynamic' | 'sourceName' | 'sink' | 'sinkName';

export interface AppContext {
  /** Name of the project directory, for the default distribution name. */
  directoryName: string;
  /** The answers of an earlier run in this directory, offered as defaults. */
  stored?: ProjectConfig | undefined;
  /** `git config --get <key>`, asked only when a default needs it (never with --no-git). */
  git: (key: string) => string | undefined;
  /** --no-git: git config is not read, so the author is asked for (or must be given). */
  gitDisabled?: boolean;
  /** Whether uv is on PATH, asked only when the installer's default is needed. */
  uvAvailable?: () => boolean;
}

const DEFAULT_DESCRIPTION = 'A Bytewax connector.';

/** The app's answers; `context` gives the defaults (with none, the table still declares flags and help). */
export function appAnswers(context: AppContext): AnswerTable<AppAnswers> {
  const { stored } = context;
  const fromStore = <V>(value: V | undefined) => (value === undefined ? undefined : { value, from: '.yo-rc.json' });
  // What a new slice's name must differ from: the project's slices and the
  // other slices this run adds.
  const slices = (known: Partial<AppAnswers>, self: SliceKey) => {
    const named: Record<SliceKey, string | undefined> = {
      partitioned: 'partitioned source',
      dynamic: 'dynamic source',
      sourceName: known.startSource === undefined || known.startSource === 'none' ? undefined : `${known.startSource} source`,
      sink: `${known.sinkKind ?? 'dynamic'} sink`,
      sinkName: known.startSink === undefined || known.startSink === 'none' ? undefined : `${known.startSink} sink`,
    };
    const adding = (Object.keys(named) as SliceKey[])
      .filter((key) => key !== self && known[key] !== undefined && named[key] !== undefined)
      .map((key) => ({ name: known[key]!, kind: named[key]! }));
    // The project's own slice, named again as it is (the same command run
    // again), is no new slice: the run leaves it as it is.
    const same = (entry: SourceEntry | SinkEntry, kind: string) =>
      entry.name === known[self] &&
      kind === named[self] &&
      (!('client' in entry) || known.client === undefined || entry.client === known.client);
    const taken = stored === undefined ? [] : [
      ...stored.sources.filter((s) => !same(s, `${s.kind} source`)).map((s) => ({ name: s.name, kind: `${s.kind} source` })),
      ...stored.sinks.filter((s) => !same(s, `${s.kind} sink`)).map((s) => ({ name: s.name, kind: `${s.kind} sink` })),
    ];
    return { packageName: known.packageName, taken: [...taken, ...adding] };
  };
  return {
    directory: {
      type: 'string',
      argument: true,
      label: 'project directory',
      description: 'Where to write the project (created if missing)',
      defaultText: 'the current directory',
    },
    distName: {
      type: 'string',
      flag: 'name',
      label: 'distribution name',
      description: 'Distribution name on PyPI, normalised per PEP 503',
      defaultText: 'bytewax-<directory name>',
      prompt: { message: 'Distribution name (PyPI)' },
      default: () => fromStore(stored?.distName) ?? { value: defaultDistName(context.directoryName), from: 'the directory name' },
      check: distNameProblem,
      canonical: normalizeDistName,
      store: true,
    },
    packageName: {
      type: 'string',
      flag: 'package',
      label: 'import package',
      description: 'Import package',
      defaultText: 'from the distribution name',
      prompt: { message: 'Import package' },
      default: (known) =>
        known.distName === undefined || normalizeDistName(known.distName) === stored?.distName
          ? fromStore(stored?.packageName)
          : { value: packageFromDistName(known.distName), derivedFrom: 'distName' },
      check: packageNameProblem,
      store: true,
    },
    description: {
      type: 'string',
      flag: 'description',
      label: 'description',
      description: `One-line summary, at most ${LIMITS.description} characters`,
      defaultText: JSON.stringify(DEFAULT_DESCRIPTION),
      prompt: { message: 'One-line description' },
      default: () => fromStore(stored?.description) ?? { value: DEFAULT_DESCRIPTION },
      check: descriptionProblem,
      store: true,
    },
    authorName: {
      type: 'string',
      flag: 'author-name',
      label: 'author name',
      description: 'Package author',
      defaultText: 'git config user.name',
      prompt: { message: 'Author name' },
      default: () => fromStore(stored?.authorName) ?? gitDefault(context, 'user.name'),
      required: true,
      missing: context.gitDisabled ? 'git config is not read with --no-git' : 'git config user.name is not set',
      check: (value) => textProblem(value, LIMITS.authorName),
      store: true,
    },
    authorEmail: {
      type: 'string',
      flag: 'author-email',
      label: 'author email',
      description: 'Package author email (empty for none)',
      defaultText: 'git config user.email',
      prompt: { message: 'Author email (may be empty)' },
      default: () => fromStore(stored?.authorEmail) ?? gitDefault(context, 'user.email') ?? { value: '' },
      check: emailProblem,
      store: true,
    },
    license: {
      type: 'string',
      flag: 'license',
      label: 'license',
      description: 'License',
      defaultText: 'Apache-2.0',
      choices: SUPPORTED_LICENSES.map((value) => ({ value, name: value })),
      prompt: { message: 'License' },
      default: () => fromStore(stored?.license) ?? { value: 'Apache-2.0' },
      store: true,
    },
    python: {
      type: 'string',
      flag: 'python',
      label: 'minimum Python',
      description: 'Minimum Python version',
      defaultText: SUPPORTED_PYTHONS[0],
      choices: SUPPORTED_PYTHONS.map((value) => ({ value, name: value })),
      prompt: { message: 'Minimum Python version' },
      default: () => fromStore(stored?.python) ?? { value: SUPPORTED_PYTHONS[0] },
      store: true,
    },
    installer: {
      type: 'string',
      flag: 'installer',
      label: 'installer',
      description: 'What installs the project here and in its CI: uv (with a committed uv.lock) or pip',
      defaultText: 'uv when it is on PATH, else pip',
      choices: [
        { value: 'uv', name: 'uv: uv sync, a uv.lock committed and used by CI and Dependabot' },
        { value: 'pip', name: 'pip: a venv and pip, no lock file' },
      ],
      default: () => fromStore(stored?.installer) ?? { value: context.uvAvailable?.() ? 'uv' : 'pip', from: 'what is on PATH' },
      store: true,
      // Projects made before this answer existed were installed with pip in CI.
      storedDefault: 'pip',
    },
    partitioned: {
      type: 'string',
      flag: 'partitioned',
      label: 'partitioned source name',
      description: 'Start with a partitioned source (resumable partitions) of this name',
      check: (value, known) => sliceNameProblem(value, slices(known, 'partitioned')),
    },
    dynamic: {
      type: 'string',
      flag: 'dynamic',
      label: 'dynamic source name',
      description: 'Start with a dynamic source (one reader per worker) of this name',
      check: (value, known) => sliceNameProblem(value, slices(known, 'dynamic')),
    },
    startSource: {
      type: 'string',
      label: 'first source',
      description: 'The kind of source to start with',
      choices: [
        { value: 'partitioned', name: 'A partitioned source (resumable partitions)' },
        { value: 'dynamic', name: 'A dynamic source (one stateless reader per worker)' },
        { value: 'none', name: 'No source for now' },
      ],
      prompt: {
        message: 'Start with a source?',
        default: 'partitioned',
        when: (known) => known.partitioned === undefined && known.dynamic === undefined && stored === undefined,
      },
      default: () => ({ value: 'none' }),
    },
    sourceName: {
      type: 'string',
      label: 'source name',
      description: 'Name of the first source',
      prompt: { message: 'Source name (snake_case)', default: 'orders', when: (known) => (known.startSource ?? 'none') !== 'none' },
      required: true,
      check: (value, known) => sliceNameProblem(value, slices(known, 'sourceName')),
    },
    client: {
      ...clientAnswer<AppAnswers>({ store: false, when: (known) => known.startSource === 'dynamic' || known.dynamic !== undefined }),
      // The same command run again: the dynamic source it names keeps its client.
      default: (known) => {
        const existing = stored?.sources.find((source) => source.name === known.dynamic && source.kind === 'dynamic');
        return existing && 'client' in existing ? { value: existing.client, from: '.yo-rc.json' } : { value: 'sync' };
      },
    },
    sink: {
      type: 'string',
      flag: 'sink',
      label: 'sink name',
      description: 'Start with a sink of this name (its kind: --sink-kind)',
      check: (value, known) => sliceNameProblem(value, slices(known, 'sink')),
    },
    sinkKind: sinkKindAnswer({ flag: 'sink-kind', store: false, when: () => false }),
    startSink: {
      type: 'string',
      label: 'first sink',
      description: 'The kind of sink to start with',
      choices: [
        { value: 'none', name: 'No sink for now' },
        { value: 'dynamic', name: 'A dynamic sink (one writer per worker, at-least-once with idempotent upserts)' },
        { value: 'partitioned', name: 'A partitioned sink (resumable partitions, exactly-once)' },
      ],
      prompt: {
        message: 'Start with a sink?',
        when: (known) => known.sink === undefined && known.sinkKind === undefined && stored === undefined,
      },
      default: () => ({ value: 'none' }),
    },
    sinkName: {
      type: 'string',
      label: 'sink name',
      description: 'Name of the first sink',
      prompt: { message: 'Sink name (snake_case)', default: 'results', when: (known) => (known.startSink ?? 'none') !== 'none' },
      required: true,
      check: (value, known) => sliceNameProblem(value, slices(known, 'sinkName')),
    },
    ci: {
      type: 'boolean',
      flag: 'ci',
      label: 'CI workflows',
      description: 'Add the GitHub Actions workflows (--no-ci to leave them out)',
      defaultText: 'yes',
      prompt: { message: 'Add GitHub Actions CI and PyPI release workflows?' },
      default: () => fromStore(stored?.ci) ?? { value: true },
      store: true,
    },
    docs: docsAnswer(stored),
    git: {
      type: 'boolean',
      flag: 'git',
      label: 'git repository',
      description: 'Make a new project a git repository with a first commit (--no-git to leave it)',
      defaultText: 'yes, unless it is inside another repository',
      default: () => ({ value: true }),
    },
  };
}

function gitDefault(context: AppContext, key: string): { value: string; from: string } | undefined {
  const value = context.git(key);
  return value === undefined ? undefined : { value: trimSpace(value), from: `git config ${key}` };
}
