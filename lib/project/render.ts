/**
 * The whole project as a function of its answers: `renderProject(config)`
 * gives every file the generator owns, with its text (and mode where it
 * matters). Every generator renders the project once with the answers it
 * changed and brings the result in by a three-way merge (lib/run/), so a
 * project made in one run and one grown slice by slice are the same files.
 *
 * Templates are read from `templatesDir` (lib/project, or its copy in dist/)
 * and the contract kit from `kitDir` (kit/src/bytewax_connector_kit, or
 * dist/kit): both beside the code in a build, passed in so the same renderer
 * works from the sources, the built generators and the bundled runner.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FilesTable } from '../files.js';
import { renderTemplate } from '../files.js';
import type { GeneratedFile } from '../merge.js';
import { BASE_FILES, BASE_TEMPLATES, README, baseContext, packageInit } from './base/base.js';
import { addExports, insertSection } from './base/edits.js';
import { CI_MARKER, DOCS_MARKER, NO_SINKS_YET, NO_SOURCES_YET, SINKS_MARKER, SOURCES_MARKER } from './base/readme-markers.js';
import { CI_FILES, CI_README_SECTION, CI_TEMPLATES, ciContext } from './ci/ci.js';
import type { ProjectConfig } from './config.js';
import { DOCS_FILES, DOCS_README_SECTION, DOCS_TEMPLATES, asPage, docsContext, docsPageTarget } from './docs/docs.js';
import type { Role, SliceEntry } from './kind.js';
import { kindOf, sliceContext } from './kinds.js';
import { PIPELINE_FILES, PIPELINE_TEMPLATES, pipelineContext } from './pipeline/pipeline.js';

export interface RenderPlaces {
  /** lib/project as built: each part's and kind's templates/ folder is under it. */
  readonly templatesDir: string;
  /** The contract kit's modules. */
  readonly kitDir: string;
}

/** A project's files: path (with `/`) → text and mode. */
export type Rendering = Map<string, GeneratedFile>;

const EXECUTABLE = 0o755;

export function renderProject(config: ProjectConfig, places: RenderPlaces): Rendering {
  const files: Rendering = new Map();
  const render = (folder: string, template: string, context: object) => renderTemplate(path.join(places.templatesDir, folder, template), context);
  function writeTable<C extends object>(folder: string, table: FilesTable<C>, context: C): void {
    for (const spec of table) {
      if (spec.when && !spec.when(context)) continue;
      const template = typeof spec.template === 'string' ? spec.template : spec.template(context);
      const text = render(folder, template, context);
      files.set(spec.target(context), spec.executable ? { text, mode: EXECUTABLE } : { text });
    }
  }

  writeTable(BASE_TEMPLATES, BASE_FILES, baseContext(config));
  let readme = files.get(README)!.text;
  let init = files.get(packageInit(config))!.text;

  const slices: Array<[Role, SliceEntry]> = [...config.sources.map((e): [Role, SliceEntry] => ['source', e]), ...config.sinks.map((e): [Role, SliceEntry] => ['sink', e])];
  const kit = new Set<string>();
  for (const [role, entry] of slices) {
    const kind = kindOf(role, entry.kind);
    const context = sliceContext(config, role, entry);
    writeTable(kind.templates, kind.files, context);
    for (const module of kind.kit) kit.add(module);
    const exported = addExports(init, context.name, kind.exports(context));
    if (typeof exported === 'string') init = exported;
    const section = render(kind.templates, kind.readme, context);
    readme = role === 'source' ? insertSection(readme, section, SOURCES_MARKER, NO_SOURCES_YET).text : insertSection(readme, section, SINKS_MARKER, NO_SINKS_YET).text;
    if (config.docs) {
      const page = render(DOCS_TEMPLATES, kind.docs.page, { ...context, section: asPage(section), tryIt: kind.docs.values });
      files.set(docsPageTarget(role, entry), { text: page });
    }
  }
  if (kit.size > 0) {
    for (const module of ['__init__.py', ...kit]) files.set(`tests/contract/${module}`, { text: fs.readFileSync(path.join(places.kitDir, module), 'utf8') });
  }

  const pipeline = pipelineContext(config);
  if (pipeline !== undefined) {
    for (const spec of PIPELINE_FILES) files.set(spec.target, { text: render(PIPELINE_TEMPLATES, spec.template, pipeline) });
  }

  if (config.ci) {
    const context = ciContext(config);
    writeTable(CI_TEMPLATES, CI_FILES, context);
    readme = insertSection(readme, render(CI_TEMPLATES, CI_README_SECTION, context), CI_MARKER).text;
  }
  if (config.docs) {
    const context = docsContext(config);
    writeTable(DOCS_TEMPLATES, DOCS_FILES, context);
    readme = insertSection(readme, render(DOCS_TEMPLATES, DOCS_README_SECTION, context), DOCS_MARKER).text;
  }

  files.set(README, { text: readme });
  files.set(packageInit(config), { text: init });
  return files;
}

/**
 * The generator's insertions into the two files users edit most (the README's
 * sections, the package's exports), from a project with `before`'s answers to
 * one with `after`'s: each a function that makes them in a text, or returns
 * undefined when the text no longer has the shape to insert into. A run uses
 * them where a line merge cannot place an insertion (the user added exports
 * of their own where the generator adds one, say): applied to the user's file
 * when they are exactly what the generator changed.
 */
export function insertionsBetween(before: ProjectConfig, after: ProjectConfig, places: RenderPlaces): Map<string, (text: string) => string | undefined> {
  const render = (folder: string, template: string, context: object) => renderTemplate(path.join(places.templatesDir, folder, template), context);
  const had = new Set([...before.sources.map((s) => `source:${s.name}`), ...before.sinks.map((s) => `sink:${s.name}`)]);
  const added: Array<[Role, SliceEntry]> = [
    ...after.sources.filter((s) => !had.has(`source:${s.name}`)).map((e): [Role, SliceEntry] => ['source', e]),
    ...after.sinks.filter((s) => !had.has(`sink:${s.name}`)).map((e): [Role, SliceEntry] => ['sink', e]),
  ];
  const sections: Array<[string, string, string?]> = added.map(([role, entry]) => {
    const kind = kindOf(role, entry.kind);
    const section = render(kind.templates, kind.readme, sliceContext(after, role, entry));
    return role === 'source' ? [section, SOURCES_MARKER, NO_SOURCES_YET] : [section, SINKS_MARKER, NO_SINKS_YET];
  });
  if (after.ci && !before.ci) sections.push([render(CI_TEMPLATES, CI_README_SECTION, ciContext(after)), CI_MARKER]);
  if (after.docs && !before.docs) sections.push([render(DOCS_TEMPLATES, DOCS_README_SECTION, docsContext(after)), DOCS_MARKER]);
  const exports = added.map(([role, entry]) => {
    const context = sliceContext(after, role, entry);
    return [context.name, kindOf(role, entry.kind).exports(context)] as const;
  });
  const edits = new Map<string, (text: string) => string | undefined>();
  if (sections.length > 0) {
    edits.set(README, (text) => sections.reduce((readme, [section, marker, placeholder]) => insertSection(readme, section, marker, placeholder).text, text));
  }
  if (exports.length > 0 && before.packageName === after.packageName) {
    edits.set(packageInit(after), (text) => {
      let init: string | undefined = text;
      for (const [module, names] of exports) {
        const next: string | 'present' | undefined = init === undefined ? undefined : addExports(init, module, names);
        init = next === 'present' ? init : next;
      }
      return init;
    });
  }
  return edits;
}
