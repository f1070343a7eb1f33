import type { FilesTable } from '../../lib/files.js';
import type { ProjectConfig } from '../../lib/project-config.js';

/** What the app's templates see: the project's answers and what derives from them. */
export interface AppTemplateContext extends ProjectConfig {
  licenseExpression: string;
  pythonVersions: string[];
  bytewaxRequirement: string;
  tools: Record<string, string>;
  hooks: Record<string, { repo: string; rev: string }>;
  /** The description, escaped and wrapped for the package docstring. */
  docstringBody: string;
  noSourcesYet: string;
  sourcesMarker: string;
  noSinksYet: string;
  sinksMarker: string;
  ciMarker: string;
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
  { template: (c) => `licenses/${c.license}.ejs`, target: () => 'LICENSE' },
  { template: 'src/package/__init__.py.ejs', target: (c) => `src/${c.packageName}/__init__.py`, mode: 'once' },
  { template: 'src/package/py.typed.ejs', target: (c) => `src/${c.packageName}/py.typed` },
  { template: 'tests/__init__.py.ejs', target: () => 'tests/__init__.py' },
  { template: 'tests/test_package.py.ejs', target: () => 'tests/test_package.py' },
  { template: 'tests/contract/__init__.py', target: () => 'tests/contract/__init__.py' },
  { template: 'tests/contract/common.py', target: () => 'tests/contract/common.py' },
  { template: 'tests/contract/partitioned.py', target: () => 'tests/contract/partitioned.py' },
  { template: 'tests/contract/dynamic.py', target: () => 'tests/contract/dynamic.py' },
  { template: 'examples/__init__.py.ejs', target: () => 'examples/__init__.py' },
];
