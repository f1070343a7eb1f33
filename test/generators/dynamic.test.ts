import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runGenerator } from '../helpers/run.js';
import { describeSourceSlice, makeProject, sources } from '../helpers/source-slice.js';

describe('dynamic', () => {
  describeSourceSlice('dynamic', { client: 'sync' });

  describe('--client async', () => {
    it('writes a source with an async client on its own event loop and records the client', async () => {
      const dir = await makeProject();
      await runGenerator('dynamic').cd(dir).withArguments(['ticks']).withOptions({ yes: true, client: 'async' });
      const module = fs.readFileSync(path.join(dir, 'src/bytewax_shop/ticks.py'), 'utf8');
      assert.match(module, /async def fetch\(/);
      assert.match(module, /asyncio\.new_event_loop\(\)/);
      assert.deepEqual(sources(dir).map((s) => ({ ...s })), [{ name: 'ticks', kind: 'dynamic', client: 'async' }]);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('refuses an unknown client', async () => {
      const dir = await makeProject();
      await assert.rejects(
        runGenerator('dynamic').cd(dir).withArguments(['ticks']).withOptions({ yes: true, client: 'threads' }),
        /--client "threads" is not one of sync, async\./,
      );
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
});
