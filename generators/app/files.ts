import { docstringParagraph, pyString, tomlString, yamlString } from '../../lib/escape.js';
import type { FilesTable } from '../../lib/files.js';
import { spdxExpression } from '../../lib/licenses.js';
import type { ProjectConfig } from '../../lib/project-config.js';
import { CI_MARKER, DOCS_MARKER, NO_SINKS_YET, NO_SOURCES_YET, SINKS_MARKER, SOURCES_MARKER } from '../../lib/readme-markers.js';
import { BYTEWAX_REQUIREMENT, DEV_GROUP, DOCS_GROUP, PRE_COMMIT_HOOKS, PYTHON_TOOLS, pythonRange } from '../../lib/versions.js';

/** What the app's templates see: the project's answers and what derives from them. */
export interface AppTemplateContext extends ProjectConfig {
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
}

export const APP_FILES: FilesTable<AppTemplateContext> = [
  { template: 'pyproject.toml.ejs', target: () => 'pyproject.toml' },
  { template: 'README.md.ejs', target: () => 'README.md', mode: 'once' },
  { template: 'CHANGELOG.md.ejs', target: () => 'CHANGELOG.md', mode: 'once' },
  { template: 'gitignore.ejs', target: () => '.gitignore' },
  { template: '.pre-commit-config.yaml.ejs', target: () => '.pre-commit-config.yaml' },
  { template: 'noxfile.py.ejs', target: () => 'noxfile.py', executable: true },
  { template: (c) => `licenses/${c.license}.ejs`, target: () => 'LICENSE' },
  { template: 'src/package/__init__.py.ejs', target: (c) => `src/${c.packageName}/__init__.py`, mode: 'once' },
  { template: 'src/package/py.typed.ejs', target: (c) => `src/${c.packageName}/py.typed` },
  { template: 'tests/__init__.py.ejs', target: () => 'tests/__init__.py' },
  { template: 'tests/test_package.py.ejs', target: () => 'tests/test_package.py' },
  { template: 'examples/__init__.py.ejs', target: () => 'examples/__init__.py' },
];

/** The app's template context for a project's answers. */
export function appTemplateContext(config: ProjectConfig): AppTemplateContext {
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
  };
}
