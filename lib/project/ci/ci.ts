/**
 * The GitHub Actions of a project with CI: ci.yml (lint, one build, tests of
 * the built wheel on every supported Python, an example run per source and
 * sink, the integration job's settings), release.yml, dependabot.yml, and,
 * with docs, the Pages workflow (docs/docs.ts). Each source or sink kind
 * says what its example run and settings are.
 */
import type { FilesTable } from '../../files.js';
import { ACTIONS, CI_TOOLS, PYTHON_TOOLS, pythonRange } from '../../versions.js';
import { repositoryOf } from '../answers.js';
import type { ProjectConfig } from '../config.js';
import type { ExampleRun, SliceEntry } from '../kind.js';
import { kindOf } from '../kinds.js';

export const CI_TEMPLATES = 'ci/templates';
const CI_WORKFLOW = '.github/workflows/ci.yml';

export interface CiContext {
  installer: ProjectConfig['installer'];
  packageName: string;
  distName: string;
  pythonVersions: string[];
  sources: ProjectConfig['sources'];
  sinks: ProjectConfig['sinks'];
  docs: boolean;
  actions: typeof ACTIONS;
  tools: typeof PYTHON_TOOLS;
  ciTools: typeof CI_TOOLS;
  repository: string;
  heading: string;
  /** One step per source and sink, in the order they were added. */
  exampleRuns: ExampleRun[];
  /** The integration job's settings (repository variables), one or more per source and sink. */
  settings: string[];
}

export const CI_FILES: FilesTable<CiContext> = [
  { template: 'ci.yml.ejs', target: () => CI_WORKFLOW },
  { template: 'release.yml.ejs', target: () => '.github/workflows/release.yml' },
  { template: 'dependabot.yml.ejs', target: () => '.github/dependabot.yml' },
];

export const CI_README_SECTION = 'readme-section.md.ejs';

export function ciContext(config: ProjectConfig): CiContext {
  const slices: Array<[SliceEntry, ReturnType<typeof kindOf>]> = [
    ...config.sources.map((entry): [SliceEntry, ReturnType<typeof kindOf>] => [entry, kindOf('source', entry.kind)]),
    ...config.sinks.map((entry): [SliceEntry, ReturnType<typeof kindOf>] => [entry, kindOf('sink', entry.kind)]),
  ];
  return {
    installer: config.installer,
    packageName: config.packageName,
    distName: config.distName,
    pythonVersions: pythonRange(config.python),
    sources: config.sources,
    sinks: config.sinks,
    docs: config.docs,
    actions: ACTIONS,
    tools: PYTHON_TOOLS,
    ciTools: CI_TOOLS,
    repository: repositoryOf(config),
    heading: '## Continuous integration and releases',
    exampleRuns: slices.map(([entry, kind]) => kind.ci.run(entry)),
    settings: slices.flatMap(([entry, kind]) => kind.ci.settings(entry)),
  };
}
