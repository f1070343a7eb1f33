/**
 * `.yo-rc.json`: what a generated project records about itself, the contract
 * between the generators. A later run reads it as input: through a schema
 * built from the answers tables (each stored answer with its own rule), so a
 * cloned project with a wrong type, an unknown kind or a path where a name
 * belongs stops with one message naming the file and the field.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import { type AnswerTable, entries, problemOf } from './answers.js';
import { UsageError, describeSystemError, showPath, showValue } from './errors.js';
import { sliceNameProblem } from './naming.js';
import { slicesOf } from './slices.js';
import { type AppAnswers, appAnswers } from '../generators/app/answers.js';
import { type ClientKind, dynamicAnswers } from '../generators/dynamic/answers.js';
import { partitionedAnswers } from '../generators/partitioned/answers.js';
import { type SinkKind, sinkAnswers } from '../generators/sink/answers.js';

/** Key of this generator's answers in `.yo-rc.json` (yeoman stores under the package name). */
export const CONFIG_KEY = 'generator-bytewax-connector';
export const CONFIG_FILE = '.yo-rc.json';

export type SourceEntry = { name: string; kind: 'partitioned' } | { name: string; kind: 'dynamic'; client: ClientKind };
export interface SinkEntry {
  name: string;
  kind: SinkKind;
}

/** The app's answers kept in `.yo-rc.json` (those its table marks `store`), and the slices'. */
export interface ProjectConfig
  extends Pick<
    AppAnswers,
    'distName' | 'packageName' | 'description' | 'authorName' | 'authorEmail' | 'license' | 'python' | 'installer' | 'ci' | 'docs'
  > {
  generatorVersion: string;
  /** The year in LICENSE's copyright line; projects made before it was kept have none. */
  copyrightYear?: number;
  sources: SourceEntry[];
  sinks: SinkEntry[];
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
    fields[key] = spec.storedDefault === undefined ? field : z.optional(field);
  }
  return fields;
}

const sliceName = ruledString((value) => sliceNameProblem(value));

const noContext = { directoryName: '', git: () => undefined };

/** The app's stored answers that older projects may lack (`docs`, `installer`), with what they read as. */
const STORED_DEFAULTS = entries(appAnswers(noContext))
  .filter(([, spec]) => spec.store && spec.storedDefault !== undefined)
  .map(([key, spec]) => [key as keyof ProjectConfig, spec.storedDefault] as const);

const sourceEntry = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('partitioned'), name: sliceName, ...storedFields(partitionedAnswers()) }),
  z.object({ kind: z.literal('dynamic'), name: sliceName, ...storedFields(dynamicAnswers()) }),
]);

// The kind is one of the sink table's stored answers, checked by its rule.
const sinkEntry = z.object({ name: sliceName, ...storedFields(sinkAnswers()) });

const projectSchema = z
  .object({
    generatorVersion: z.string(),
    ...storedFields(appAnswers(noContext)),
    copyrightYear: z.optional(z.int().check(z.gte(1970), z.lte(9999))),
    sources: z._default(z.array(sourceEntry), []),
    sinks: z._default(z.array(sinkEntry), []),
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

const EXPECTED: Record<string, string> = { boolean: 'true or false', string: 'text', array: 'a list', object: 'an object' };

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
  if (issue.code === 'invalid_union') return `${field} has an unknown kind: use one of partitioned, dynamic`;
  if (issue.code === 'invalid_type') {
    const value = issue.path.reduce<unknown>((at, part) => (at as Record<PropertyKey, unknown> | undefined)?.[part], stored);
    if (value === undefined) return `${field} is missing`;
    return `${field} is ${describeValue(value)}, not ${EXPECTED[issue.expected] ?? issue.expected}`;
  }
  return `${field} is not valid (${issue.code})`;
}

/**
 * The project's answers from `.yo-rc.json` data, checked. Throws a UsageError
 * naming `file` and the first bad field.
 */
export function parseProjectConfig(file: string, data: unknown): ProjectConfig {
  const stored = (data as Record<string, unknown> | null)?.[CONFIG_KEY];
  const result = projectSchema.safeParse(stored);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new UsageError(
      `${file} is not a project this generator can work on: ${describeIssue(issue, stored)}.`,
      'Fix that field (or regenerate the project) and run again; nothing was written.',
    );
  }
  // The data as the file holds it (key order included), now known to be valid;
  // what older projects lack, as they were made: no sources, no later booleans.
  const config = stored as ProjectConfig;
  const missing = STORED_DEFAULTS.filter(([key]) => config[key] === undefined);
  return { ...config, ...Object.fromEntries(missing), sources: config.sources ?? [], sinks: config.sinks ?? [] };
}

/**
 * The JSON object in the `.yo-rc.json` file `file`: undefined when there is
 * none. Anything else (unreadable, not JSON, JSON but not an object) stops
 * the run in one line naming the file.
 */
function readYoRc(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    const reason = describeSystemError(error);
    if (reason === undefined) throw error;
    throw new UsageError(`${showPath(file)} cannot be read: ${reason}.`, 'Make it readable and run again; nothing was written.');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${showPath(file)} is not valid JSON: ${(error as Error).message}.`, 'Fix or remove it and run again; nothing was written.');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError(`${showPath(file)} holds ${describeValue(data)}, not the JSON object of answers a .yo-rc.json holds.`, 'Fix or remove it and run again; nothing was written.');
  }
  return data as Record<string, unknown>;
}

/** Reads `.yo-rc.json` in `dir` from disk: undefined when absent or not ours. */
export function readProjectConfig(dir: string): ProjectConfig | undefined {
  const file = path.join(dir, CONFIG_FILE);
  const data = readYoRc(file);
  if (data === undefined || !(CONFIG_KEY in data)) return undefined;
  return parseProjectConfig(file, data);
}

/** The nearest directory at or above `start` whose `.yo-rc.json` has this generator's answers. */
export function findProjectRoot(start: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const data = readYoRc(path.join(dir, CONFIG_FILE));
    if (data !== undefined && CONFIG_KEY in data) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
