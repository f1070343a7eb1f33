import { SinkGenerator } from '../../lib/run/slice.js';

/**
 * Adds a sink: `--kind dynamic` (the default) writes one stateless partition
 * per worker with idempotent upserts (at-least-once); `--kind partitioned`
 * writes resumable partitions that truncate on resume (exactly-once).
 */
export default class SinkGeneratorCommand extends SinkGenerator {
  static readonly help = {
    summary: 'Add a sink to the project: dynamic (at-least-once, idempotent upserts) or partitioned (exactly-once).',
    examples: ['results', 'ledger --kind partitioned'],
  };
}
