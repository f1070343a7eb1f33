/** A DynamicSource: one stateless reader per worker, with a sync or async client. */
import type { AnswerSpec } from '../../answers.js';
import type { ClientKind, SliceKind, SourceEntry } from '../kind.js';
import { SOURCE_FILES, sourceExampleRun } from './source.js';

/**
 * How a dynamic source reads its upstream: kept in the source's entry of
 * `.yo-rc.json`. The app asks it too, for a dynamic source it starts with.
 */
export function clientAnswer<A>({ store, when }: { store: boolean; when?: (known: Partial<A>) => boolean }): AnswerSpec<ClientKind, A> {
  return {
    type: 'string',
    flag: 'client',
    label: 'client',
    description: 'How the dynamic source reads its upstream',
    choices: [
      { value: 'sync', name: 'sync: poll a client that returns what is ready' },
      { value: 'async', name: 'async: an async iterator, read with a timeout' },
    ],
    prompt: { message: 'Client of the dynamic source', ...(when ? { when } : {}) },
    default: () => ({ value: 'sync' }),
    defaultText: 'sync',
    store,
  };
}

type DynamicEntry = Extract<SourceEntry, { kind: 'dynamic' }>;

const describe = (entry: DynamicEntry) => `dynamic source${entry.client === 'async' ? ', async client' : ''}`;

export const DYNAMIC_SOURCE: SliceKind<DynamicEntry> = {
  role: 'source',
  kind: 'dynamic',
  title: 'A dynamic source (one stateless reader per worker)',
  answers: { client: clientAnswer({ store: true }) },
  context: (entry) => ({ sourceName: entry.name, client: entry.client }),
  describe,
  templates: 'sources/templates/dynamic',
  files: SOURCE_FILES,
  kit: ['common.py', 'dynamic.py'],
  exports: (c) => [`${c.className}Source`],
  readme: 'readme-section.md.ejs',
  docs: { page: 'source-page.md.ejs', values: { upstream: 'example_backend', options: '', first: "shard='shard-0', offset=0, value='shard-0 #0'" } },
  ci: {
    run: (entry) => sourceExampleRun(entry.name, describe(entry)),
    settings: (entry) => [`${entry.name.toUpperCase()}_URL`],
  },
  pipeline: '_source-dynamic.py.ejs',
};
