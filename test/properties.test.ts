/**
 * Property: every rejected answer set stops with exit status 1, one `error:`
 * line that names the flag the bad value came through, no stack trace, and
 * nothing written. 100 random cases (seeded; PROPERTY_SEED=<seed> replays),
 * each a valid answer set with one answer made invalid, run in-process with
 * the built runner.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { LIMITS } from '../lib/naming.js';
import { commandLines, sliceName, validAnswers } from './helpers/arbitraries.js';
import { loadRunner, runInProcess } from './helpers/in-process.js';
import { listFiles } from './helpers/paths.js';

const RUNS = Number(process.env['PROPERTY_INVALID_RUNS'] ?? 100);
const SEED = Number(process.env['PROPERTY_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

// No surrounding whitespace: trimming must not remove the control character between two of these.
const printable = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 }).filter((s) => s.trim() === s && s !== '');
const control = fc.constantFrom('\t', '\n', '\r', '\u0000', '\u001b[31m', '\u007f', '\u202e', '\u2028', '\u200b', '\ufeff');
const withControl = fc.tuple(printable, control, printable).map(([a, c, b]) => `${a}${c}${b}`);

/** A flag and a value it must refuse. */
const invalid: fc.Arbitrary<{ flag: string; value: string }> = fc.oneof(
  fc.record({
    flag: fc.constant('name'),
    value: fc.oneof(
      fc.constantFrom('my connector', '-lead', 'trail-', 'ünï', 'a/b', 'bytewax', 'ByteWax', '..', 'x'.repeat(LIMITS.distName + 1)),
      fc.tuple(printable, fc.constantFrom(' ', '/', '@', '!', ':')).map(([a, b]) => `a${b}${a}`),
    ),
  }),
  fc.record({
    flag: fc.constant('package'),
    value: fc.oneof(
      fc.constantFrom('class', 'json', 'typing', '_thread', 'bytewax', 'pytest', 'tests', '__main__', '1abc', 'My_pkg', 'a-b', '___'),
      fc.constantFrom('contract', 'demo', 'pipeline', 'con', 'aux', 'nul', 'com1', 'lpt9', 'sphinx', 'typing_extensions'),
      fc.constant('p'.repeat(LIMITS.packageName + 1)),
    ),
  }),
  fc.record({
    flag: fc.constant('description'),
    value: fc.oneof(withControl, printable.map((text) => `\ufeff${text}`), fc.constantFrom('x <!-- y', 'a --> b', 'd'.repeat(LIMITS.description + 1))),
  }),
  fc.record({ flag: fc.constant('author-name'), value: fc.oneof(withControl, fc.constant('n'.repeat(LIMITS.authorName + 1))) }),
  fc.record({
    flag: fc.constant('author-email'),
    value: fc.constantFrom('ann@ex..com', 'a,b@c.io', 'a b@c.io', 'ada@', '@x.io', 'ada@localhost', 'ü@x.io', '.a@b.io', 'a@b.c1', 'a@-b.io'),
  }),
  fc.record({ flag: fc.constant('license'), value: fc.constantFrom('GPL-3.0', 'BSD', 'public domain', 'apache') }),
  fc.record({ flag: fc.constant('python'), value: fc.constantFrom('3.9', '3.13', '3', 'py310', '3.10.1') }),
  fc.record({ flag: fc.constant('sink-kind'), value: fc.constantFrom('static', 'exactly-once', 'Partition', 'both') }),
  fc.record({
    flag: fc.constantFrom('partitioned', 'dynamic', 'sink'),
    value: fc.oneof(
      fc.constantFrom('Orders', 'orders-x', '_orders', 'orders_', 'a__b', '1st', 'async', 'json', 'demo', 'package', 'contract', 'bytewax'),
      fc.constantFrom('con', 'prn', 'aux', 'nul', 'com1', 'com9', 'lpt1', 'pytest', 'mypy', 'sphinx', 'nox', 'typing_extensions', 'hypothesis'),
      sliceName.map((name) => `${name}_${'x'.repeat(LIMITS.sliceName)}`),
    ),
  }),
);

describe('properties of rejected answers', function () {
  this.timeout(10 * 60 * 1000);

  it(`${RUNS} answer sets with one bad answer: exit 1, the flag named, nothing written`, async () => {
    const runCli = await loadRunner();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-invalid-'));
    console.log(`      ${RUNS} rejected answer sets, seed ${SEED} (replay with PROPERTY_SEED=${SEED})`);
    let index = 0;
    try {
      await fc.assert(
        fc.asyncProperty(validAnswers, invalid, async (answers, bad) => {
          const dir = path.join(work, `case${index++}`);
          fs.mkdirSync(dir);
          const [app] = commandLines('project', { ...answers, sources: [] });
          const argv = [...app!, `--${bad.flag}=${bad.value}`];
          const { status, output } = await runInProcess(runCli, argv, dir);
          assert.equal(status, 1, `${argv.join(' ')} exited ${status}:\n${output}`);
          const lines = output.trimEnd().split('\n');
          assert.match(lines[0]!, new RegExp(`^error: --${bad.flag} `), output);
          assert.doesNotMatch(output, /\n\s+at /, 'a stack trace');
          assert.doesNotMatch(output, /[\u001b\u202e\u2028]/, 'a control character echoed raw');
          assert.deepEqual(listFiles(dir), []);
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
