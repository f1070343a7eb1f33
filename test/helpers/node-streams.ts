/**
 * Since Node 24.22, a `Duplex.from(asyncFn)` whose function returns without
 * reading is destroyed with an AbortError (nodejs/node#62953). yeoman-test's
 * TestAdapter (@yeoman/adapter 4 and 5) builds its dummy prompt output as
 * `Duplex.from(async () => {})` and never listens for errors on it, so every
 * in-process generator run would end in an uncaught exception. Only that
 * error, on streams made from a function, is absorbed; any other error on
 * them is raised again as it would have been.
 */
import { Duplex } from 'node:stream';

const from = Duplex.from.bind(Duplex);

Duplex.from = ((source: Parameters<typeof Duplex.from>[0]) => {
  const duplex = from(source);
  if (typeof source === 'function') {
    duplex.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ABORT_ERR' && duplex.listenerCount('error') === 1) throw error;
    });
  }
  return duplex;
}) as typeof Duplex.from;
