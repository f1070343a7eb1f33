import type Generator from 'yeoman-generator';
import type { AnswerTable } from '../../lib/answers.js';
import type { ProjectConfig, SinkEntry } from '../../lib/project-config.js';
import { NO_SINKS_YET, SINKS_MARKER } from '../../lib/readme-markers.js';
import { SliceGenerator, type SliceParts } from '../../lib/slice.js';
import { slicesOf } from '../../lib/slices.js';
import { type SinkAnswers, sinkAnswers } from './answers.js';
import { SINK_PAGE } from '../docs/pages.js';
import { SINK_FILES, type SinkContext, sinkContext } from './files.js';

const SINK_PARTS: SliceParts<SinkContext> = {
  files: SINK_FILES,
  // The partition class is an implementation detail, as in Bytewax's own connectors.
  exports: (c) => ({ module: c.sinkName, names: [`${c.className}Sink`] }),
  readme: { template: (c) => `${c.kind}/readme-section.md.ejs`, marker: SINKS_MARKER, placeholder: NO_SINKS_YET },
  inCi: true,
  pipeline: true,
  docsPage: SINK_PAGE,
};

/**
 * Adds a sink: `--kind dynamic` (the default) writes one stateless partition
 * per worker with idempotent upserts (at-least-once); `--kind partitioned`
 * writes resumable partitions that truncate on resume (exactly-once).
 */
export default class SinkGenerator extends SliceGenerator<SinkAnswers, SinkContext> {
  static readonly help = {
    summary: 'Add a sink to the project: dynamic (at-least-once, idempotent upserts) or partitioned (exactly-once).',
    examples: ['results', 'ledger --kind partitioned'],
  };

  constructor(args: string[], options: Generator['options']) {
    super(args, options, sinkAnswers());
  }

  protected override answerTable(project: ProjectConfig): AnswerTable<SinkAnswers> {
    return sinkAnswers({
      packageName: project.packageName,
      taken: slicesOf(project),
      // A sink's own files are named after it, whatever its kind.
      existingFiles: (name) => this.existingOwnFiles(sinkContext(project, { name, kind: 'dynamic' }), project),
    });
  }

  protected override parts(): SliceParts<SinkContext> {
    return SINK_PARTS;
  }

  protected override templateContext(): SinkContext {
    return sinkContext(this.project, this.#entry());
  }

  protected override record(project: ProjectConfig): ProjectConfig {
    return { ...project, sinks: [...project.sinks, this.#entry()] };
  }

  #entry(): SinkEntry {
    return { name: this.answers.name, kind: this.answers.kind };
  }


  end(): void {
    if (!this.isRoot) return;
    const { name, kind } = this.#entry();
    const pkg = this.project.packageName;
    this.tryIt(
      `Added the ${kind} sink ${name}: src/${pkg}/${name}.py (its demo downstream in ` +
        `src/${pkg}/demo/${name}.py), tests/test_${name}.py and examples/${name}.py.`,
      [`python -m bytewax.run examples.${name}:flow -w 2`, `python -m examples.${name}`, `pytest tests/test_${name}.py`],
    );
  }
}
