/**
 * What a kind of source or sink is, as data (see kinds.ts for the registry):
 * the answers it records, its files and templates, the kit modules its tests
 * need, what the package exports, its README section, its docs page, its CI
 * example run and settings, and its side of the pipeline example.
 */
import type { AnswerTable } from '../answers.js';
import type { FilesTable } from '../files.js';

export type Role = 'source' | 'sink';

/** How a dynamic source reads its upstream. */
export type ClientKind = 'sync' | 'async';

export type SourceEntry = { name: string; kind: 'partitioned' } | { name: string; kind: 'dynamic'; client: ClientKind };
export interface SinkEntry {
  name: string;
  kind: 'partitioned' | 'dynamic';
}
export type SliceEntry = SourceEntry | SinkEntry;

/** What every slice's templates see; a kind adds its own values (`client`). */
export interface SliceContext {
  kind: string;
  /** The slice's name and class stem (`sensor_log`, `SensorLog`). */
  name: string;
  className: string;
  packageName: string;
  distName: string;
  [key: string]: unknown;
}

/** A step of the CI workflow that runs a slice's example. */
export interface ExampleRun {
  name: string;
  commands: string[];
}

export interface SliceKind<E extends SliceEntry = SliceEntry> {
  readonly role: Role;
  readonly kind: E['kind'];
  /** How a question offers it. */
  readonly title: string;
  /** The answers the kind records beside its name and kind (a dynamic source's client). */
  readonly answers: AnswerTable<Omit<E, 'name' | 'kind'>>;
  /** Its own values for the templates. */
  context(entry: E): Record<string, unknown>;
  /** "dynamic source, async client": for messages and CI step names. */
  describe(entry: E): string;
  /** Its templates' folder, under lib/project. */
  readonly templates: string;
  /** The files a slice of this kind writes for itself. */
  readonly files: FilesTable<SliceContext>;
  /** The contract kit's modules its tests import (tests/contract/<module>). */
  readonly kit: readonly string[];
  /** The names the package's `__init__.py` exports from the slice's module. */
  exports(context: SliceContext): string[];
  /** Its README section, a template in its folder. */
  readonly readme: string;
  /** Its docs page: the page template (under docs/templates) and values of its own. */
  readonly docs: { readonly page: string; readonly values?: Record<string, string> };
  /** Its example run in CI, and the settings its integration tests read. */
  readonly ci: { run(entry: E): ExampleRun; settings(entry: E): string[] };
  /** Its side of the pipeline example: a template in pipeline/templates. */
  readonly pipeline: string;
}

