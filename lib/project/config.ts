/**
 * `.yo-rc.json`: what a generated project records about itself. A run reads
 * it once and writes it once, as untrusted input: through a schema built from
 * the declared answers (the project's and each kind's, each with its own
 * rule), so a cloned project with a wrong type, an unknown kind or a path
 * where a name belongs stops with one message naming the file and the field.
 *
 * Besides the answers it holds the generator version that last rendered the
 * project, a manifest of the files the generator owns (path → git blob id of
 * what it wrote, the base of the next three-way merge) and the files an
 * update left with conflict markers.
 */
import path from 'node:path';
import * as z from 'zod/mini';
import { type AnswerTable, entries, problemOf } from '../answers.js';
import { UsageError, showPath, showValue } from '../errors.js';
import { projectPathProblem } from '../merge.js';
import { sliceNameProblem } from '../naming.js';
import { readRegularFile } from '../read.js';
import { compareVersions } from '../semver.js';
import { type ProjectAnswers, projectAnswers } from './answers.js';
import type { SinkEntry, SliceEntry, SourceEntry } from './kind.js';
import { SINK_KINDS, SOURCE_KINDS } from './kinds.js';

export type { SinkEntry, SourceEntry } from './kind.js';

/** Key of this generator's answers in `.yo-rc.json` (yeoman's convention: the package name). */
export const CONFIG_KEY = 'generator-bytewax-connector';
export const CONFIG_FILE = '.yo-rc.json';

/** A project's answers: what the renderer makes the project from. */
export interface ProjectConfig extends ProjectAnswers {
  /** The generator version that last rendered the project. */
  generatorVersion: string;
  /** The year in LICENSE's copyright line; projects made before it was kept have none. */
  copyrightYear?: number;
  /** The generator version that made the project (its CHANGELOG says so); projects made before it was kept read their version. */
  createdWith: string;
  sources: SourceEntry[];
  sinks: SinkEntry[];
}

/** Everything `.yo-rc.json` holds for this generator. */
export interface ProjectState {
  config: ProjectConfig;
  /** What the generator wrote last time, path → git blob id; absent in projects made by 0.1.0. */
  files?: Record<string, string>;
  /** Files a run left with conflict markers, until they are resolved. */
  conflicts: string[];
  /** Keys of its section this version does not know (a note of the user's): kept as they are. */
  extra?: Record<string, unknown>;
}

/** Every source and sink of a project, as a slice name's rule sees them (one namespace: each is a module). */
export function slicesOf(project: Pick<ProjectConfig, 'sources' | 'sinks'> | undefined): Array<{ name: string; kind: string }> {
  if (project === undefined) return [];
  return [
    ...project.sources.map((s) => ({ name: s.name, kind: `${s.kind} source` })),
    ...project.sinks.map((s) => ({ name: s.name, kind: `${s.kind} sink` })),
  ];
}

/** A string checked by `problem`, with the value and the problem as the message. */
function ruledString(problem: (value: string) => string | undefined): z.ZodMiniType<string> {
  return z.string().check(
    z.superRefine((value, ctx) => {
      const found = problem(value);
      if (found) ctx.issues.push({ code: 'custom', input: value, message: `is ${showValue(value)}, which ${found}` });
    }),
  );
}

/** The stored answers of a table as zod fields, each checked by its answer's rule. */
function storedFields<A>(table: AnswerTable<A>): Record<string, z.ZodMiniType> {
  const fields: Record<string, z.ZodMiniType> = {};
  for (const [key, spec] of entries(table)) {
    if (!spec.store) continue;
    const field = spec.type === 'boolean' ? z.boolean() : ruledString((value) => problemOf(spec, value, {}));
    fields[key] = spec.storedDefault === undefined && !spec.storedOptional ? field : z.optional(field);
  }
  return fields;
}

const PROJECT_ANSWERS = projectAnswers({ directoryName: '', git: () => undefined });

/** The project's stored answers that older projects may lack (`docs`, `installer`), with what they read as. */
const STORED_DEFAULTS = entries(PROJECT_ANSWERS)
  .filter(([, spec]) => spec.store && spec.storedDefault !== undefined)
  .map(([key, spec]) => [key, spec.storedDefault] as const);

const sliceName = ruledString((value) => sliceNameProblem(value));

/** One entry per kind, each with that kind's stored answers. */
function entrySchema(kinds: ReadonlyArray<{ kind: string; answers: AnswerTable<unknown> }>) {
  const [first, ...rest] = kinds.map((module) => z.object({ kind: z.literal(module.kind), name: sliceName, ...storedFields(module.answers) }));
  return z.discriminatedUnion('kind', [first!, ...rest]);
}

const BLOB_ID = /^[0-9a-f]{40}$/;

const stateSchema = z
  .object({
    generatorVersion: z.string(),
    ...storedFields(PROJECT_ANSWERS),
    copyrightYear: z.optional(z.int().check(z.gte(1970), z.lte(9999))),
    createdWith: z.optional(z.string().check(z.regex(/^\d+\.\d+\.\d+([.+-][0-9A-Za-z.+-]+)?$/))),
    sources: z._default(z.array(entrySchema(SOURCE_KINDS as never)), []),
    sinks: z._default(z.array(entrySchema(SINK_KINDS as never)), []),
    files: z.optional(z.record(ruledString((value) => projectPathProblem(value)), z.string().check(z.regex(BLOB_ID)))),
    conflicts: z.optional(z.array(ruledString((value) => projectPathProblem(value)))),
  })
  .check(
    z.superRefine((config, ctx) => {
      const project = config as unknown as ProjectConfig;
      // Each name against every slice listed before it, sources first.
      const slices = slicesOf(project);
      const at = (index: number): Array<string | number> =>
        index < project.sources.length ? ['sources', index, 'name'] : ['sinks', index - project.sources.length, 'name'];
      slices.forEach((slice, index) => {
        const problem = sliceNameProblem(slice.name, { packageName: project.packageName, taken: slices.slice(0, index) });
        if (problem) ctx.issues.push({ code: 'custom', input: slice.name, path: at(index), message: `is ${showValue(slice.name)}, which ${problem}` });
      });
    }),
  );

const EXPECTED: Record<string, string> = { boolean: 'true or false', string: 'text', array: 'a list', object: 'an object', number: 'a number', record: 'an object' };

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value === 'boolean' ? 'a boolean' : `a ${typeof value}`} (${showValue(value)})`;
}

function describeIssue(issue: z.core.$ZodIssue, stored: unknown): string {
  const field = [CONFIG_KEY, ...issue.path]
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
  if (issue.code === 'custom') return `${field} ${issue.message}`;
  // A record's key that broke its rule: the key's own issue says why.
  if (issue.code === 'invalid_key' && issue.issues[0]?.code === 'custom') return `${field} ${issue.issues[0].message}`;
  if (issue.code === 'invalid_union') {
    const kinds = (issue.path[0] === 'sinks' ? SINK_KINDS : SOURCE_KINDS).map((module) => module.kind);
    return `${field} has an unknown kind: use one of ${kinds.join(', ')}`;
  }
  if (issue.code === 'invalid_type') {
    const value = issue.path.reduce<unknown>((at, part) => (at as Record<PropertyKey, unknown> | undefined)?.[part], stored);
    if (value === undefined) return `${field} is missing`;
    return `${field} is ${describeValue(value)}, not ${EXPECTED[issue.expected] ?? issue.expected}`;
  }
  return `${field} is not valid (${issue.code})`;
}

/**
 * The project's state from `.yo-rc.json` data, checked. Throws a UsageError
 * naming `file` and the first bad field.
 */
export function parseProjectState(file: string, data: unknown, currentVersion?: string): ProjectState {
  const stored = (data as Record<string, unknown> | null)?.[CONFIG_KEY];
  // A newer generator's project may hold what this one cannot read: say so before any field.
  const recorded = (stored as Record<string, unknown> | undefined)?.['generatorVersion'];
  if (currentVersion !== undefined && typeof recorded === 'string' && /^\d+\.\d+\.\d+/.test(recorded) && compareVersions(recorded, currentVersion) > 0) {
    throw new UsageError(
      `${showPath(file)} was last written by generator-bytewax-connector ${showValue(recorded).slice(1, -1)}, newer than this one (${currentVersion}); nothing was written.`,
      'Install the newer generator and run it instead.',
    );
  }
  const result = stateSchema.safeParse(stored);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new UsageError(
      `${showPath(file)} is not a project this generator can work on: ${describeIssue(issue, stored)}.`,
      'Fix that field (or regenerate the project) and run again; nothing was written.',
    );
  }
  // The data as the file holds it (key order included), now known to be valid;
  // what older projects lack, as they were made: no sources, no later answers.
  const { files, conflicts, ...all } = stored as ProjectConfig & { files?: Record<string, string>; conflicts?: string[] };
  const extra = Object.fromEntries(Object.entries(all).filter(([key]) => !KNOWN_KEYS.has(key)));
  const config = Object.fromEntries(Object.entries(all).filter(([key]) => KNOWN_KEYS.has(key))) as unknown as ProjectConfig;
  const missing = STORED_DEFAULTS.filter(([key]) => config[key as keyof ProjectConfig] === undefined);
  return {
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
    config: {
      ...config,
      ...Object.fromEntries(missing),
      // Recorded by every version since it existed; until then a project was only ever touched by the version that made it.
      createdWith: config.createdWith ?? config.generatorVersion,
      sources: config.sources ?? [],
      sinks: config.sinks ?? [],
    },
    ...(files === undefined ? {} : { files }),
    conflicts: conflicts ?? [],
  };
}

/**
 * The JSON object in the `.yo-rc.json` file `file`: undefined when there is
 * none. Anything else (unreadable, not JSON, JSON but not an object) stops
 * the run in one line naming the file.
 */
function readYoRc(file: string): Record<string, unknown> | undefined {
  const bytes = readRegularFile(file, file, MAX_CONFIG_BYTES);
  if (bytes === undefined) return undefined;
  const text = bytes.toString('utf8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${showPath(file)} is not valid JSON: ${(error as Error).message}.`, 'Fix or remove it and run again; nothing was written.');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError(`${showPath(file)} holds ${describeValue(data)}, not the JSON object of answers a .yo-rc.json holds.`, 'Fix or remove it and run again; nothing was written.');
  }
  // Other generators' keys are kept as they are, and written back: nothing nested past reason.
  if (depthOf(data, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH) {
    throw new UsageError(`${showPath(file)} nests its values more than ${MAX_CONFIG_DEPTH} levels deep.`, 'Fix or remove it and run again; nothing was written.');
  }
  return data as Record<string, unknown>;
}

/** A .yo-rc.json is a few KB; this leaves room for other generators' answers. */
const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_CONFIG_DEPTH = 64;

/** How deeply `value` nests arrays and objects, counted up to `limit` + 1 (never recursing further). */
function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [at, depth] = stack.pop()!;
    if (typeof at !== 'object' || at === null) continue;
    deepest = Math.max(deepest, depth);
    if (depth > limit) return depth;
    for (const child of Object.values(at)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** The state `.yo-rc.json` in `dir` holds, with the file's other keys; undefined when absent or not ours. */
export function readProjectState(dir: string, currentVersion?: string): { state: ProjectState; others: Record<string, unknown> } | undefined {
  const file = path.join(dir, CONFIG_FILE);
  const data = readYoRc(file);
  if (data === undefined || !(CONFIG_KEY in data)) return undefined;
  const { [CONFIG_KEY]: _, ...others } = data;
  return { state: parseProjectState(file, data, currentVersion), others };
}

/** The nearest directory at or above `start` whose `.yo-rc.json` has this generator's answers. */
export function findProjectRoot(start: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const data = readYoRc(path.join(dir, CONFIG_FILE));
    if (data !== undefined && CONFIG_KEY in data) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The keys of a project's answers in the order `.yo-rc.json` keeps them. */
const ANSWER_ORDER = Object.keys(PROJECT_ANSWERS) as Array<keyof ProjectAnswers>;
const KNOWN_KEYS = new Set<string>(['generatorVersion', ...ANSWER_ORDER, 'copyrightYear', 'createdWith', 'sources', 'sinks']);

/** `.yo-rc.json`'s text for `state`, keeping the file's `others` keys (another generator's, say). */
export function projectStateText(state: ProjectState, others: Record<string, unknown> = {}): string {
  const { config } = state;
  const ours: Record<string, unknown> = { generatorVersion: config.generatorVersion };
  for (const key of ANSWER_ORDER) if (config[key] !== undefined) ours[key] = config[key];
  if (config.copyrightYear !== undefined) ours['copyrightYear'] = config.copyrightYear;
  ours['createdWith'] = config.createdWith;
  ours['sources'] = config.sources.map(canonicalEntry);
  ours['sinks'] = config.sinks.map(canonicalEntry);
  if (state.files !== undefined) ours['files'] = Object.fromEntries(Object.entries(state.files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  if (state.conflicts.length > 0) ours['conflicts'] = state.conflicts;
  Object.assign(ours, state.extra ?? {});
  return `${JSON.stringify({ ...others, [CONFIG_KEY]: ours }, null, 2)}\n`;
}

/** An entry with its name and kind first, then its kind's answers. */
function canonicalEntry(entry: SliceEntry): SliceEntry {
  const { name, kind, ...rest } = entry;
  return { name, kind, ...rest } as SliceEntry;
}
