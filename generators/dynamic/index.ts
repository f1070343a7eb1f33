import type Generator from 'yeoman-generator';
import type { ClientKind, SourceEntry } from '../../lib/config.js';
import { UsageError } from '../../lib/errors.js';
import { readOption } from '../../lib/options.js';
import { SourceSliceGenerator } from '../../lib/source-slice.js';

const CLIENTS: readonly ClientKind[] = ['sync', 'async'];

/** Adds a DynamicSource: one stateless reader per worker, with a sync or async client. */
export default class DynamicGenerator extends SourceSliceGenerator {
  constructor(args: string[], options: Generator['options']) {
    super(args, options, 'dynamic');
    this.option('client', { type: String, description: 'sync or async (read through bytewax batch_async); default: sync' });
    const client = readOption<string>(this.options, 'client') ?? 'sync';
    if (!(CLIENTS as readonly string[]).includes(client)) {
      throw new UsageError(`--client "${client}" is not a client kind: use sync or async.`);
    }
  }

  protected override sourceDetails(): Partial<SourceEntry> {
    return { client: (readOption<string>(this.options, 'client') ?? 'sync') as ClientKind };
  }
}
