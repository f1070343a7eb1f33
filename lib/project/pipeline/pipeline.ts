/**
 * The source-to-sink example and its test: from the project's first source
 * to its first sink, each kind writing its own side of the dataflow.
 */
import { classStem } from '../../naming.js';
import { naturalCompare } from '../base/edits.js';
import type { ProjectConfig } from '../config.js';
import { kindOf } from '../kinds.js';

export const PIPELINE_TEMPLATES = 'pipeline/templates';
export const PIPELINE_FILES = [
  { template: 'example.py.ejs', target: 'examples/pipeline.py' },
  { template: 'test.py.ejs', target: 'tests/test_pipeline.py' },
] as const;

/** The pipeline's template context, or undefined while the project lacks a source or a sink. */
export function pipelineContext(config: ProjectConfig): object | undefined {
  const [source] = config.sources;
  const [sink] = config.sinks;
  if (source === undefined || sink === undefined) return undefined;
  const pkg = config.packageName;
  // ruff's import order: by module, then by imported name.
  const imports = [
    [pkg, source.name, 'source_connector'],
    [pkg, sink.name, 'sink_connector'],
    [`${pkg}.demo`, source.name, 'source_demo'],
    [`${pkg}.demo`, sink.name, 'sink_demo'],
  ]
    .sort(([m1, n1], [m2, n2]) => naturalCompare(m1!, m2!) || naturalCompare(n1!, n2!))
    .map(([module, name, alias]) => `from ${module} import (\n    ${name} as ${alias},\n)`);
  return {
    imports,
    source: { ...source, className: classStem(source.name), part: kindOf('source', source.kind).pipeline },
    sink: { ...sink, className: classStem(sink.name), part: kindOf('sink', sink.kind).pipeline },
  };
}
