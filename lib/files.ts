/**
 * Files tables: what a generator writes, as data. Templates are EJS files
 * rendered to text; a destination path is built from the answers and never
 * rendered as a template.
 */
import ejs from 'ejs';
import fs from 'node:fs';

export interface FileSpec<C> {
  /** Path under the generator's `templates/` (or, when `shared`, under lib/templates/). */
  readonly template: string | ((context: C) => string);
  /** A template several generators write from: kept once, in lib/templates/. */
  readonly shared?: boolean;
  /** A file of the contract kit (kit/src/bytewax_connector_kit/, built into dist/kit/), copied as it is. */
  readonly kit?: boolean;
  /** Path in the project, relative to its root. */
  readonly target: (context: C) => string;
  /** Written only when this holds. */
  readonly when?: (context: C) => boolean;
  /**
   * `own` (the default): the generator's file, written again on every run; a
   * change the user made is a conflict. `once`: written when missing and then
   * left to the user (README, `__init__.py`) or shared by the slices of a kind
   * (the contract kits).
   */
  readonly mode?: 'own' | 'once';
  /** Written with the executable bits (a script with a shebang line). */
  readonly executable?: boolean;
}

export type FilesTable<C> = ReadonlyArray<FileSpec<C>>;

/** Renders an EJS template file with `context`; includes resolve beside it. */
export function renderTemplate(file: string, context: object): string {
  return ejs.render(fs.readFileSync(file, 'utf8'), context, { filename: file });
}
