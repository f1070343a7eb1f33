/**
 * Files tables: what a part of a project or a kind of slice writes, as data.
 * Templates are EJS files rendered to text; a destination path is built from
 * the answers and never rendered as a template.
 */
import ejs from 'ejs';
import fs from 'node:fs';

export interface FileSpec<C> {
  /** Path under the part's or kind's templates folder. */
  readonly template: string | ((context: C) => string);
  /** Path in the project, relative to its root, with `/` separators. */
  readonly target: (context: C) => string;
  /** Written only when this holds. */
  readonly when?: (context: C) => boolean;
  /** Written with the executable bits (a script with a shebang line). */
  readonly executable?: boolean;
}

export type FilesTable<C> = ReadonlyArray<FileSpec<C>>;

/** Renders an EJS template file with `context`; includes resolve beside it. */
export function renderTemplate(file: string, context: object): string {
  return ejs.render(fs.readFileSync(file, 'utf8'), context, { filename: file });
}
