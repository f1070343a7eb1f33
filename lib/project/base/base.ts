/**
 * The project's base: the files every project has (pyproject.toml, README,
 * noxfile, licence, package, tests and examples packages), rendered from its
 * answers. The README gets a section per source and sink (and for CI and
 * docs) above its marker lines, and the package's `__init__.py` exports each
 * slice's classes, as they did when slices were added one at a time.
 */
import { docstringParagraph, markdownText, pyString, tomlString, yamlString } from '../../escape.js';
import type { FilesTable } from '../../files.js';
import { spdxExpression } from '../../licenses.js';
import { BYTEWAX_REQUIREMENT, DEV_GROUP, DOCS_GROUP, PRE_COMMIT_HOOKS, PYTHON_TOOLS, pythonRange } from '../../versions.js';
import type { ProjectConfig } from '../config.js';
import { CI_MARKER, DOCS_MARKER, NO_SINKS_YET, NO_SOURCES_YET, SINKS_MARKER, SOURCES_MARKER } from './readme-markers.js';

/** The base's templates, under lib/project. */
export const BASE_TEMPLATES = 'base/templates';

/** What the base's templates see: the project's answers and what derives from them. */
export interface BaseContext extends ProjectConfig {
  licenseExpression: string;
  pythonVersions: string[];
  bytewaxRequirement: string;
  tools: Record<string, string>;
  devGroup: readonly string[];
  /** The `docs` group, rendered when the project has docs. */
  docsGroup: readonly string[];
  hooks: Record<string, { repo: string; rev: string }>;
  /** The description, escaped and wrapped for the package docstring. */
  docstringBody: string;
  noSourcesYet: string;
  sourcesMarker: string;
  noSinksYet: string;
  sinksMarker: string;
  ciMarker: string;
  docsMarker: string;
  year: number;
  toml: (value: string) => string;
  yamlString: (value: string) => string;
  pyString: (value: string) => string;
  markdownText: (value: string) => string;
}

/** README and `__init__.py` are rendered here, then given their slices' sections and exports by the renderer. */
export const README = 'README.md';
export const packageInit = (c: Pick<ProjectConfig, 'packageName'>) => `src/${c.packageName}/__init__.py`;

export const BASE_FILES: FilesTable<BaseContext> = [
  { template: 'pyproject.toml.ejs', target: () => 'pyproject.toml' },
  { template: 'README.md.ejs', target: () => README },
  { template: 'CHANGELOG.md.ejs', target: () => 'CHANGELOG.md' },
  { template: 'gitignore.ejs', target: () => '.gitignore' },
  { template: '.pre-commit-config.yaml.ejs', target: () => '.pre-commit-config.yaml' },
  { template: 'noxfile.py.ejs', target: () => 'noxfile.py', executable: true },
  { template: (c) => `licenses/${c.license}.ejs`, target: () => 'LICENSE' },
  { template: 'src/package/__init__.py.ejs', target: packageInit },
  { template: 'src/package/py.typed.ejs', target: (c) => `src/${c.packageName}/py.typed` },
  // The demo package, once the project has a source or sink with a demo backend in it.
  { template: 'src/package/demo__init__.py.ejs', target: (c) => `src/${c.packageName}/demo/__init__.py`, when: (c) => c.sources.length + c.sinks.length > 0 },
  { template: 'tests/__init__.py.ejs', target: () => 'tests/__init__.py' },
  { template: 'tests/test_package.py.ejs', target: () => 'tests/test_package.py' },
  { template: 'examples/__init__.py.ejs', target: () => 'examples/__init__.py' },
];

/** The base's template context for a project's answers. */
export function baseContext(config: ProjectConfig): BaseContext {
  return {
    ...config,
    licenseExpression: spdxExpression(config.license),
    pythonVersions: pythonRange(config.python),
    bytewaxRequirement: BYTEWAX_REQUIREMENT,
    tools: PYTHON_TOOLS,
    devGroup: DEV_GROUP,
    docsGroup: DOCS_GROUP,
    hooks: PRE_COMMIT_HOOKS,
    // A lead-in keeps the first body line from reading as a docstring
    // section header ("Note", "Examples") to pydocstyle.
    docstringBody: docstringParagraph(`Project description: ${config.description}`),
    noSourcesYet: NO_SOURCES_YET,
    sourcesMarker: SOURCES_MARKER,
    noSinksYet: NO_SINKS_YET,
    sinksMarker: SINKS_MARKER,
    ciMarker: CI_MARKER,
    docsMarker: DOCS_MARKER,
    // The year the project was created, so a later run writes the same LICENSE.
    year: config.copyrightYear ?? new Date().getFullYear(),
    toml: tomlString,
    yamlString,
    pyString,
    markdownText,
  };
}
