/**
 * The mutation catalogue of the generated sinks: plausible bugs in the sink
 * modules (and in their demo downstreams, which stand for the client a user
 * writes), each a small textual edit. Every mutant is applied to a fresh copy
 * of one generated project, and that sink's generated test file, run with
 * `-x`, must fail on it. The unmutated project must pass, so the kit cannot be
 * trivially strict.
 *
 * Each run prints the mutant and the test that killed it; a survivor fails
 * this test by name. `MUTANTS=name,name` runs only the mutants whose names
 * contain one of those. The generated suites run inside a private network
 * namespace where this process may create one (see `isolated`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI } from '../helpers/paths.js';
import { check, ensureVenv, isolated, run, venvBin } from './python.js';

const PACKAGE = 'bytewax_depot';

/** The project's two sinks. */
const SINKS = {
  ledger: 'partitioned',
  results: 'dynamic',
} as const;
type SinkName = keyof typeof SINKS;

interface Mutant {
  name: string;
  sink: SinkName;
  /** `sink`: src/<package>/<name>.py; `demo`: its demo downstream (the client a user replaces). */
  file: 'sink' | 'demo';
  /** `[find, replace]` pairs, each of which must match exactly once. */
  edits: Array<[string, string]>;
}

/** A wait that is not `time.sleep`, like a blocking flush or a lock. */
const WAIT = '__import__("threading").Event().wait(0.02)';

const PART_FN = 'return zlib.crc32(item_key.encode())';
const SNAPSHOT = '        self._flush()\n        return self._position';
const TRUNCATE = 'position = client.truncate(for_part, resume_state)';
const FLUSH_TAKE = '        values, self._pending = self._pending, []';
const FLUSH_CALL = [
  '            self._position = self._client.append(',
  '                self._partition,',
  '                self._position,',
  '                values,',
  '            )',
].join('\n');
const CLOSE_FLUSH = '        try:\n            self._flush()\n        except Exception:\n            logger.exception("%s: values left unwritten at close", self._where)\n';
const WRITE_ERROR = '            msg = f"{self._where}: writing at {self._position!r} failed: {error}"\n            raise RuntimeError(msg) from error';
const ROWS = 'rows = list(dict(items).items())';
const UPSERT_ERROR = '            msg = f"{self._where}: upserting {len(rows)} rows failed: {error}"\n            raise RuntimeError(msg) from error';
const DYNAMIC_CLOSE = '        self._closed = True\n        try:\n            self._client.close()\n';

const MUTANTS: Mutant[] = [
  // --- partitioned: routing
  { name: 'partitioned: part_fn uses hash() (salted per process)', sink: 'ledger', file: 'sink', edits: [[PART_FN, 'return hash(item_key) & 0x7FFFFFFF']] },
  { name: 'partitioned: part_fn uses id() (unstable from call to call)', sink: 'ledger', file: 'sink', edits: [[PART_FN, 'return id(item_key)']] },
  { name: 'partitioned: part_fn sends every key to one partition', sink: 'ledger', file: 'sink', edits: [[PART_FN, 'return 0']] },
  {
    name: 'partitioned: values written to another partition than built for',
    sink: 'ledger',
    file: 'sink',
    edits: [['            for_part,\n            position,', '            sorted(self.list_parts())[0],\n            position,']],
  },
  // --- partitioned: snapshot and resume
  {
    name: 'partitioned: snapshot taken before the write',
    sink: 'ledger',
    file: 'sink',
    edits: [[SNAPSHOT, '        position = self._position\n        self._flush()\n        return position']],
  },
  { name: 'partitioned: snapshot does not write what waits', sink: 'ledger', file: 'sink', edits: [[SNAPSHOT, '        return self._position']] },
  { name: 'partitioned: snapshot off by one', sink: 'ledger', file: 'sink', edits: [[SNAPSHOT, '        self._flush()\n        return self._position + 1']] },
  { name: 'partitioned: resume state ignored (every build starts empty)', sink: 'ledger', file: 'sink', edits: [[TRUNCATE, 'position = client.truncate(for_part, None)']] },
  {
    name: 'partitioned: truncate skipped on resume',
    sink: 'ledger',
    file: 'sink',
    edits: [[TRUNCATE, 'position = 0 if resume_state is None else resume_state']],
  },
  {
    name: 'partitioned: duplicate on replay (resumes after the log\'s end, unfenced)',
    sink: 'ledger',
    file: 'sink',
    edits: [[TRUNCATE, 'position = client.truncate(for_part, None if resume_state is None else 10**9)']],
  },
  {
    name: 'partitioned demo: truncate keeps the values (a backend that cannot undo)',
    sink: 'ledger',
    file: 'demo',
    edits: [
      ['"DELETE FROM log WHERE part = ? AND position >= ?"', '"DELETE FROM log WHERE part = ? AND position >= ? AND 0"'],
      ['            if end != position:', '            position = end\n            if end != position:'],
    ],
  },
  // --- partitioned: writing
  { name: 'partitioned: blocking write (a 20 ms wait per client write)', sink: 'ledger', file: 'sink', edits: [[FLUSH_TAKE, `${FLUSH_TAKE}\n        ${WAIT}`]] },
  {
    name: 'partitioned: blocking write_batch (a 20 ms wait per call)',
    sink: 'ledger',
    file: 'sink',
    edits: [['        self._pending += values', `        ${WAIT}\n        self._pending += values`]],
  },
  { name: 'partitioned: order broken within a batch', sink: 'ledger', file: 'sink', edits: [[FLUSH_TAKE, '        values, self._pending = self._pending[::-1], []']] },
  {
    name: 'partitioned: batch_size ignored (values pile up until the snapshot)',
    sink: 'ledger',
    file: 'sink',
    edits: [['if len(self._pending) >= self._batch_size:', 'if len(self._pending) >= 100 * self._batch_size:']],
  },
  {
    name: 'partitioned: one client call per value',
    sink: 'ledger',
    file: 'sink',
    edits: [
      [
        FLUSH_CALL,
        [
          '            for value in values:',
          '                self._position = self._client.append(',
          '                    self._partition,',
          '                    self._position,',
          '                    [value],',
          '                )',
        ].join('\n'),
      ],
    ],
  },
  { name: 'partitioned: write errors swallowed', sink: 'ledger', file: 'sink', edits: [[WRITE_ERROR, '            return']] },
  { name: 'partitioned: write error without the partition\'s name', sink: 'ledger', file: 'sink', edits: [['msg = f"{self._where}: writing at', 'msg = f"writing at']] },
  // --- partitioned: close
  { name: 'partitioned: close not flushing', sink: 'ledger', file: 'sink', edits: [[CLOSE_FLUSH, '']] },
  {
    name: 'partitioned: close raises a failed write',
    sink: 'ledger',
    file: 'sink',
    edits: [['        except Exception:\n            logger.exception("%s: values left unwritten at close", self._where)\n', '        finally:\n            pass\n']],
  },
  {
    name: 'partitioned: close not idempotent',
    sink: 'ledger',
    file: 'sink',
    edits: [['        if self._closed:\n            return\n        self._closed = True\n        try:\n            self._flush()', '        self._closed = True\n        try:\n            self._flush()']],
  },
  { name: 'partitioned: close leaks the client', sink: 'ledger', file: 'sink', edits: [['        try:\n            self._client.close()\n        except', '        try:\n            pass\n        except']] },
  { name: 'partitioned: list_parts leaks its client', sink: 'ledger', file: 'sink', edits: [['        finally:\n            client.close()', '        finally:\n            pass']] },

  // --- dynamic
  {
    name: 'dynamic demo: upsert turned into append',
    sink: 'results',
    file: 'demo',
    edits: [
      ['    key TEXT PRIMARY KEY,', '    key TEXT NOT NULL,'],
      ['ON CONFLICT (key) DO UPDATE SET value = excluded.value\n', ''],
    ],
  },
  { name: 'dynamic demo: upsert keeps the first value', sink: 'results', file: 'demo', edits: [['DO UPDATE SET value = excluded.value', 'DO NOTHING']] },
  { name: 'dynamic: order broken within a batch (first value of a key wins)', sink: 'results', file: 'sink', edits: [[ROWS, 'rows = list(dict(reversed(items)).items())']] },
  { name: 'dynamic: only the last item of a batch written', sink: 'results', file: 'sink', edits: [[ROWS, 'rows = list(dict(items[-1:]).items())']] },
  {
    name: 'dynamic: items kept in memory until close (lost in a crash)',
    sink: 'results',
    file: 'sink',
    edits: [
      [`        ${ROWS}`, "        self._kept = [*getattr(self, '_kept', []), *items]\n        rows = list(dict(self._kept).items()) if len(self._kept) > 1000 else []"],
      [DYNAMIC_CLOSE, "        self._closed = True\n        try:\n            self._client.upsert(list(dict(getattr(self, '_kept', [])).items()))\n            self._client.close()\n"],
    ],
  },
  { name: 'dynamic: one client call per row', sink: 'results', file: 'sink', edits: [['            self._client.upsert(rows)', '            for row in rows:\n                self._client.upsert([row])']] },
  {
    name: 'dynamic: blocking write (a 20 ms wait per batch)',
    sink: 'results',
    file: 'sink',
    edits: [['        try:\n            self._client.upsert(rows)', `        ${WAIT}\n        try:\n            self._client.upsert(rows)`]],
  },
  { name: 'dynamic: write errors swallowed', sink: 'results', file: 'sink', edits: [[UPSERT_ERROR, '            return']] },
  { name: 'dynamic: write error without the worker', sink: 'results', file: 'sink', edits: [['msg = f"{self._where}: upserting', 'msg = f"upserting']] },
  { name: 'dynamic: close not idempotent', sink: 'results', file: 'sink', edits: [['        if self._closed:\n            return\n', '']] },
  { name: 'dynamic: close leaks the client', sink: 'results', file: 'sink', edits: [[DYNAMIC_CLOSE, '        self._closed = True\n        try:\n            pass\n']] },
  {
    name: 'dynamic: close raises a failed client close',
    sink: 'results',
    file: 'sink',
    edits: [['        except Exception:\n            logger.exception("%s: closing the client failed", self._where)', '        finally:\n            pass']],
  },
];

interface SuiteRun {
  status: number | null;
  output: string;
  seconds: number;
}

function runSuite(venv: string, project: string, args: string[]): SuiteRun {
  const [command, commandArgs] = isolated(venvBin(venv, 'python'), ['-m', 'pytest', '-p', 'no:cacheprovider', '-q', ...args]);
  const started = process.hrtime.bigint();
  const result = spawnSync(command, commandArgs, {
    cwd: project,
    encoding: 'utf8',
    // Not installed: the copy's own src/ comes first. Wide lines keep pytest's summary whole.
    env: { ...process.env, PYTHONPATH: path.join(project, 'src'), COLUMNS: '400' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, seconds };
}

function copyProject(project: string, into: string): void {
  fs.mkdirSync(into);
  for (const entry of fs.readdirSync(project)) {
    fs.cpSync(path.join(project, entry), path.join(into, entry), { recursive: true });
  }
}

function targetFile(mutant: Mutant): string {
  return mutant.file === 'sink' ? path.join('src', PACKAGE, `${mutant.sink}.py`) : path.join('src', PACKAGE, 'demo', `${mutant.sink}.py`);
}

/** Applies the edits, asserting that each matched exactly once. */
function applyMutant(copy: string, mutant: Mutant): void {
  const file = path.join(copy, targetFile(mutant));
  const original = fs.readFileSync(file, 'utf8');
  let text = original;
  for (const [find, replace] of mutant.edits) {
    const count = text.split(find).length - 1;
    assert.equal(count, 1, `mutant "${mutant.name}": an edit matches ${count} times in ${targetFile(mutant)}, not once:\n${find}`);
    text = text.replace(find, () => replace);
  }
  assert.notEqual(text, original, `mutant "${mutant.name}" changed nothing`);
  fs.writeFileSync(file, text);
}

/** The first failing test and its reason, from pytest's short summary. */
function killer(output: string): string | undefined {
  const failed = /^(?:FAILED|ERROR) tests\/\S+?::(\S+)(?: - (.*))?$/m.exec(output);
  if (!failed) return undefined;
  const reason = (failed[2] ?? '').slice(0, 160);
  return reason ? `${failed[1]} (${reason})` : failed[1];
}

describe('e2e: mutation catalogue of the generated sinks', function () {
  this.timeout(60 * 60 * 1000);
  let work: string;
  let project: string;
  let venv: string;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-e2e-sink-mutants-'));
    venv = ensureVenv();
    const base = ['--yes', '--author-name', 'Ada Lovelace', '--skip-install', '--no-ci'];
    check(run(process.execPath, [CLI, 'depot', ...base, '--sink', 'ledger', '--sink-kind', 'partitioned'], work));
    project = path.join(work, 'depot');
    check(run(process.execPath, [CLI, 'sink', 'results', '--yes'], path.join(project, 'src')));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('has at least 15 mutants, each with a distinct name, covering both kinds', () => {
    assert.ok(MUTANTS.length >= 15, `only ${MUTANTS.length} mutants`);
    assert.equal(new Set(MUTANTS.map((m) => m.name)).size, MUTANTS.length);
    for (const sink of Object.keys(SINKS)) assert.ok(MUTANTS.some((m) => m.sink === sink), `no mutant of ${sink}`);
  });

  it('the unmutated sinks pass their generated tests', () => {
    for (const sink of Object.keys(SINKS)) {
      const ran = runSuite(venv, project, [`tests/test_${sink}.py`]);
      assert.equal(ran.status, 0, `tests/test_${sink}.py failed on the unmutated project:\n${ran.output}`);
      assert.match(ran.output, /\b[1-9]\d* passed\b/);
      console.log(`      unmutated ${sink} (${SINKS[sink as SinkName]}): passed in ${ran.seconds.toFixed(1)} s`);
    }
  });

  it('every mutant is killed by its sink\'s generated tests', () => {
    const only = process.env.MUTANTS?.split(',').map((name) => name.trim());
    const chosen = only ? MUTANTS.filter((m) => only.some((name) => m.name.includes(name))) : MUTANTS;
    assert.ok(chosen.length > 0, `no mutant matches MUTANTS=${process.env.MUTANTS}`);
    const survivors: string[] = [];
    let killed = 0;
    for (const [index, mutant] of chosen.entries()) {
      const copy = path.join(work, `mutant-${index}`);
      copyProject(project, copy);
      applyMutant(copy, mutant);
      const ran = runSuite(venv, copy, [`tests/test_${mutant.sink}.py`, '-x']);
      const by = killer(ran.output);
      const collectionFailed = /errors? during collection|ERROR collecting/.test(ran.output);
      if (ran.status !== 0 && by !== undefined && !collectionFailed) {
        killed += 1;
        console.log(`      killed  ${mutant.name}\n              by ${by} [${ran.seconds.toFixed(1)} s]`);
      } else {
        survivors.push(mutant.name);
        const why = ran.status === 0 ? 'every test passed' : `pytest exited ${ran.status} without a failing test`;
        console.log(`      SURVIVED ${mutant.name}: ${why}\n${ran.output.slice(-2000)}`);
      }
      fs.rmSync(copy, { recursive: true, force: true });
    }
    console.log(`      ${chosen.length} mutants, ${killed} killed`);
    assert.deepEqual(survivors, [], `surviving mutants: ${survivors.join('; ')}`);
  });
});
