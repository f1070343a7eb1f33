import type { AnswerSpec, AnswerTable } from '../../lib/answers.js';
import { type SliceNameContext } from '../../lib/naming.js';
import { sliceNameAnswer } from '../../lib/slice-answers.js';

export type ClientKind = 'sync' | 'async';

export interface DynamicAnswers {
  name: string;
  client: ClientKind;
}

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

export function dynamicAnswers(context: SliceNameContext = {}): AnswerTable<DynamicAnswers> {
  return {
    name: sliceNameAnswer('dynamic', 'dynamic source', context),
    client: clientAnswer({ store: true }),
  };
}
