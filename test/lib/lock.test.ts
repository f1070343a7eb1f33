import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

/** A process that takes the project's lock, holds it a while, and logs when it took and released it. */
const HOLDER = `
import fs from 'node:fs';
const { lockProject, releaseProjectLocks } = await import(process.argv[2]);
const [root, log, hold] = process.argv.slice(3);
await lockProject(root, 'test', 20000);
fs.appendFileSync(log, 'take ' + process.pid + ' ' + performance.timeOrigin + performance.now() + '\\n');
await new Promise((resolve) => setTimeout(resolve, Number(hold)));
fs.appendFileSync(log, 'release ' + process.pid + ' ' + (performance.timeOrigin + performance.now()) + '\\n');
releaseProjectLocks();
`;

describe('lib/lock', function () {
  this.timeout(120_000);
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-lock-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('of runs started together over a lock left by a dead process, one holds it at a time, and none is left', async () => {
    const lock = path.join(REPO_ROOT, 'dist', 'lib', 'lock.js');
    const script = path.join(root, 'holder.mjs');
    fs.writeFileSync(script, HOLDER);
    for (let round = 0; round < 6; round++) {
      const project = path.join(root, `p${round}`);
      fs.mkdirSync(project);
      // A lock whose process is gone: every run below finds it stale at once.
      const dead = spawn(process.execPath, ['-e', '0']);
      await new Promise((resolve) => dead.on('close', resolve));
      fs.writeFileSync(path.join(project, '.generator-bytewax-connector.lock'), JSON.stringify({ pid: dead.pid, host: os.hostname(), command: 'x', started: 'y' }));
      const log = path.join(project, 'log');
      const runs = Array.from({ length: 8 }, () => spawn(process.execPath, [script, lock, project, log, '120'], { stdio: 'inherit' }));
      await Promise.all(runs.map((run) => new Promise((resolve) => run.on('close', resolve))));
      const events = fs.readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split(' '));
      assert.equal(events.length, 16, `round ${round}: ${events.length / 2} of 8 runs got the lock`);
      let holding = 0;
      for (const [what] of events) {
        holding += what === 'take' ? 1 : -1;
        assert.ok(holding <= 1, `round ${round}: two runs held the lock at once:\n${events.map((e) => e.join(' ')).join('\n')}`);
      }
      assert.deepEqual(fs.readdirSync(project).filter((name) => name.startsWith('.generator-bytewax-connector.lock')), []);
    }
  });
});
