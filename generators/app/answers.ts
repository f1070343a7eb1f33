/**
 * The app's answers: the project's own (lib/project/answers.ts, kept in
 * `.yo-rc.json`), the sources and sinks it starts with (each named by a flag
 * or a question), and what only this run needs (its directory, git).
 */
import type { AnswerTable } from '../../lib/answers.js';
import { sliceNameProblem } from '../../lib/naming.js';
import { type ProjectAnswerContext, type ProjectAnswers, projectAnswers } from '../../lib/project/answers.js';
import type { ProjectConfig } from '../../lib/project/config.js';
import type { ClientKind, SinkEntry, SourceEntry } from '../../lib/project/kind.js';
import { SINK_KINDS, SOURCE_KINDS } from '../../lib/project/kinds.js';
import { sinkKindAnswer } from '../../lib/project/sinks/sink.js';
import { clientAnswer } from '../../lib/project/sources/dynamic.js';

export type StartSource = 'none' | SourceEntry['kind'];
export type StartSink = 'none' | SinkEntry['kind'];

export interface AppAnswers extends ProjectAnswers {
  directory: string;
  partitioned?: string;
  dynamic?: string;
  client: ClientKind;
  startSource: StartSource;
  sourceName?: string;
  sink?: string;
  sinkKind: SinkEntry['kind'];
  startSink: StartSink;
  sinkName?: string;
  git: boolean;
}

/** The answers that name a new source or sink. */
type SliceKey = 'partitioned' | 'dynamic' | 'sourceName' | 'sink' | 'sinkName';

export interface AppContext extends ProjectAnswerContext {
  /** The answers of an earlier run in this directory, offered as defaults. */
  stored?: ProjectConfig | undefined;
}

/** The app's answers; `context` gives the defaults (with none, the table still declares flags and help). */
export function appAnswers(context: AppContext): AnswerTable<AppAnswers> {
  const { stored } = context;
  const project = projectAnswers(context);
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
    distName: project.distName,
    packageName: project.packageName,
    description: project.description,
    authorName: project.authorName,
    authorEmail: project.authorEmail,
    license: project.license,
    python: project.python,
    installer: project.installer,
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
      choices: [...SOURCE_KINDS.map((kind) => ({ value: kind.kind, name: kind.title })), { value: 'none', name: 'No source for now' }],
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
      choices: [{ value: 'none', name: 'No sink for now' }, ...SINK_KINDS.map((kind) => ({ value: kind.kind, name: kind.title }))],
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
    ci: project.ci,
    docs: project.docs,
    repository: project.repository,
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
