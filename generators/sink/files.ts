import type { FilesTable } from '../../lib/files.js';
import { classStem } from '../../lib/naming.js';
import type { ProjectConfig, SinkEntry } from '../../lib/project-config.js';
import type { SinkKind } from './answers.js';

/** What the sink templates see. */
export interface SinkContext {
  sinkName: string;
  className: string;
  packageName: string;
  distName: string;
  kind: SinkKind;
}

/** The context of one sink of `project`. */
export function sinkContext(project: Pick<ProjectConfig, 'packageName' | 'distName'>, entry: SinkEntry): SinkContext {
  return {
    sinkName: entry.name,
    className: classStem(entry.name),
    packageName: project.packageName,
    distName: project.distName,
    kind: entry.kind,
  };
}

/**
 * A sink's files: each kind has its own templates under `templates/<kind>/`.
 * The demo package's `__init__.py` and the kits are shared: written by the
 * first slice that needs them, then left alone.
 */
export const SINK_FILES: FilesTable<SinkContext> = [
  { template: (c) => `${c.kind}/sink.py.ejs`, target: (c) => `src/${c.packageName}/${c.sinkName}.py` },
  { template: (c) => `${c.kind}/demo.py.ejs`, target: (c) => `src/${c.packageName}/demo/${c.sinkName}.py` },
  { template: 'demo/__init__.py.ejs', shared: true, target: (c) => `src/${c.packageName}/demo/__init__.py`, mode: 'once' },
  { template: (c) => `${c.kind}/test_sink.py.ejs`, target: (c) => `tests/test_${c.sinkName}.py` },
  { template: (c) => `${c.kind}/example.py.ejs`, target: (c) => `examples/${c.sinkName}.py` },
  // The contract kit: the part every source and sink shares, then this kind's checks.
  { template: '__init__.py', kit: true, target: () => 'tests/contract/__init__.py', mode: 'once' },
  { template: 'common.py', kit: true, target: () => 'tests/contract/common.py', mode: 'once' },
  { template: (c) => `sink_${c.kind}.py`, kit: true, target: (c) => `tests/contract/sink_${c.kind}.py`, mode: 'once' },
];
