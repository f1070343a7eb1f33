/**
 * The mutation catalogue: plausible bugs in the generated sources (and in
 * their demo clients, which stand for the client a user writes), each a small
 * textual edit. Every mutant is applied to a fresh copy of one generated
 * project, and that source's generated test file must fail on it. The
 * unmutated project must pass, so the kit cannot be trivially strict.
 *
 * Each run prints the mutant, the test that killed it and why; a survivor
 * fails this test by name. `MUTANTS=name,name` runs only those mutants.
 *
 * The generated suites run inside a private network namespace where this
 * process may create one (see `isolated`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI } from '../helpers/paths.js';
import { check, ensureVenv, isolated, run, venvBin } from './python.js';

const PACKAGE = 'bytewax_harbor';

/** The project's three sources, as the review made them. */
const SOURCES = {
  harbor_log: 'partitioned',
  pier: 'dynamic, sync client',
  gulls: 'dynamic, async client',
} as const;
type SourceName = keyof typeof SOURCES;

interface Mutant {
  name: string;
  source: SourceName;
  /** `source`: src/<package>/<name>.py; `demo`: its demo upstream (the client a user replaces). */
  file: 'source' | 'demo';
  find: string;
  replace: string;
}

const SLEEP = '__import__("time").sleep(0.001)';
const WAIT = (seconds: string) => `__import__("threading").Event().wait(${seconds})`;
const IDLE_RETURN = '        self._next_awake = datetime.now(timezone.utc) + self._poll_interval\n        return []';
const IDLE_RETURN_ASYNC =
  '            self._next_awake = datetime.now(timezone.utc) + self._poll_interval\n            return []';

/** Bugs every source kind can have, in its `next_batch` idle and data paths. */
function commonMutants(source: SourceName, prefix: string, call: string, asyncIdle: boolean): Mutant[] {
  const idle = asyncIdle ? IDLE_RETURN_ASYNC : IDLE_RETURN;
  const indent = asyncIdle ? '            ' : '        ';
  return [
    {
      name: `${prefix} next_awake set after a non-empty batch (throughput capped)`,
      source,
      file: 'source',
      find: '            self._next_awake = None\n            return batch',
      replace: '            self._next_awake = datetime.now(timezone.utc) + self._poll_interval\n            return batch',
    },
    {
      name: `${prefix} next_awake None after an empty batch (spins)`,
      source,
      file: 'source',
      find: idle,
      replace: idle.replace('datetime.now(timezone.utc) + self._poll_interval', 'None'),
    },
    {
      name: `${prefix} naive datetime in next_awake`,
      source,
      file: 'source',
      find: idle,
      replace: idle.replace('datetime.now(timezone.utc)', 'datetime.now()'),
    },
    {
      name: `${prefix} non-UTC datetime in next_awake`,
      source,
      file: 'source',
      find: idle,
      replace: idle.replace('datetime.now(timezone.utc)', 'datetime.now(timezone(timedelta(hours=1)))'),
    },
    {
      name: `${prefix} time.sleep inside next_batch`,
      source,
      file: 'source',
      find: call,
      replace: `        ${SLEEP}\n${call}`,
    },
    {
      name: `${prefix} 25 ms blocking wait on the idle path (not time.sleep)`,
      source,
      file: 'source',
      find: idle,
      replace: `${indent}${WAIT('0.025')}\n${idle}`,
    },
    {
      name: `${prefix} blocking wait of one poll interval on the idle path`,
      source,
      file: 'source',
      find: idle,
      replace: `${indent}${WAIT('self._poll_interval.total_seconds()')}\n${idle}`,
    },
  ];
}

const MUTANTS: Mutant[] = [
  // --- partitioned -----------------------------------------------------------
  ...commonMutants('harbor_log', 'partitioned:', '        try:\n            batch = self._client.fetch(', false),
  {
    name: 'partitioned: snapshot off by one',
    source: 'harbor_log',
    file: 'source',
    find: '    def snapshot(self) -> Position:\n        return self._position',
    replace: '    def snapshot(self) -> Position:\n        return self._position + 1',
  },
  {
    name: 'partitioned: resume state ignored',
    source: 'harbor_log',
    file: 'source',
    find: 'position, how = resume_state, "resuming"',
    replace: 'position, how = self._start_position(client, for_part), "resuming"',
  },
  {
    name: 'partitioned: batch size ignored by the partition',
    source: 'harbor_log',
    file: 'source',
    find: '                self._position,\n                self._batch_size,',
    replace: '                self._position,\n                1000,',
  },
  {
    name: 'partitioned: batch size ignored by the client',
    source: 'harbor_log',
    file: 'demo',
    find: 'records = stored[first : first + limit]',
    replace: 'records = stored[first:]',
  },
  {
    name: 'partitioned: next position counted as offset += len(batch) (gaps)',
    source: 'harbor_log',
    file: 'demo',
    find: 'after = records[-1].offset + 1 if records else offset',
    replace: 'after = offset + len(records)',
  },
  {
    name: 'partitioned: inclusive start re-reads the last record',
    source: 'harbor_log',
    file: 'demo',
    find: 'after = records[-1].offset + 1 if records else offset',
    replace: 'after = records[-1].offset if records else offset',
  },
  {
    name: 'partitioned: client blocks 20 ms per fetch (threading.Event().wait)',
    source: 'harbor_log',
    file: 'demo',
    find: '        self._check_open()\n        return self._log.read(partition, position, max_records)',
    replace: '        self._check_open()\n        threading.Event().wait(0.02)\n        return self._log.read(partition, position, max_records)',
  },
  {
    name: 'partitioned: list_parts leaks its client',
    source: 'harbor_log',
    file: 'source',
    find: '            return sorted(client.partitions())\n        finally:\n            client.close()',
    replace: '            return sorted(client.partitions())\n        finally:\n            pass',
  },
  {
    name: 'partitioned: list_parts returns a set',
    source: 'harbor_log',
    file: 'source',
    find: 'return sorted(client.partitions())',
    replace: 'return set(client.partitions())',
  },
  {
    name: 'partitioned: close() does not close the client',
    source: 'harbor_log',
    file: 'source',
    find: '            self._closed = True\n            self._client.close()',
    replace: '            self._closed = True',
  },
  {
    name: 'partitioned: close() twice closes the client twice (double release)',
    source: 'harbor_log',
    file: 'source',
    find: '        if not self._closed:\n            self._closed = True\n            self._client.close()',
    replace: '        self._closed = True\n        self._client.close()',
  },
  {
    name: 'partitioned: stop_at_end ignored (never ends)',
    source: 'harbor_log',
    file: 'source',
    find: 'if self._stop_at_end and batch.at_end:',
    replace: 'if False:',
  },
  {
    name: 'partitioned: a tailing partition stops at the end',
    source: 'harbor_log',
    file: 'source',
    find: 'if self._stop_at_end and batch.at_end:',
    replace: 'if batch.at_end:',
  },
  {
    name: 'partitioned: the last batch is dropped at the end',
    source: 'harbor_log',
    file: 'source',
    find: '        if batch.records:\n',
    replace: '        if batch.records and not (self._stop_at_end and batch.at_end):\n',
  },
  {
    name: 'partitioned: client\'s "latest" is one past the next record',
    source: 'harbor_log',
    file: 'demo',
    find: 'return 0 if where == "earliest" else self._log.end(partition)',
    replace: 'return 0 if where == "earliest" else self._log.end(partition) + 1',
  },
  {
    name: 'partitioned: start "latest" ignored',
    source: 'harbor_log',
    file: 'source',
    find: '            return client.position(partition, self._start)',
    replace: '            return client.position(partition, "earliest")',
  },
  {
    name: 'partitioned: explicit start positions ignored',
    source: 'harbor_log',
    file: 'source',
    find: '            return self._start[partition]',
    replace: '            return client.position(partition, "earliest")',
  },
  {
    name: 'partitioned: fetch error does not name the partition',
    source: 'harbor_log',
    file: 'source',
    find: 'msg = f"{self._where}: fetch at {self._position!r} failed: {error}"',
    replace: 'msg = f"fetch failed: {error}"',
  },
  {
    name: 'partitioned: fetch error swallowed',
    source: 'harbor_log',
    file: 'source',
    find: '            raise RuntimeError(msg) from error',
    replace: '            return []',
  },
  {
    name: 'partitioned: logs do not name the partition',
    source: 'harbor_log',
    file: 'source',
    find: 'where = f"{step_id}: partition {for_part!r}"',
    replace: 'where = f"{step_id}"',
  },

  // --- dynamic, sync client ---------------------------------------------------
  ...commonMutants('pier', 'dynamic sync:', '        try:\n            batch = self._client.poll(', false),
  {
    name: 'dynamic sync: worker shares overlap',
    source: 'pier',
    file: 'demo',
    find: 'return list(shards[worker_index::worker_count])',
    replace: 'return list(shards[worker_index:])',
  },
  {
    name: 'dynamic sync: worker shares leave shards unread (gaps)',
    source: 'pier',
    file: 'demo',
    find: 'return list(shards[worker_index::worker_count])',
    replace: 'return list(shards[worker_index :: worker_count + 1])',
  },
  {
    name: 'dynamic sync: client blocks 20 ms per poll (threading.Event().wait)',
    source: 'pier',
    file: 'demo',
    find: '        return self._backend.read(self._offsets, max_records)',
    replace: '        threading.Event().wait(0.02)\n        return self._backend.read(self._offsets, max_records)',
  },
  {
    name: 'dynamic sync: batch size ignored',
    source: 'pier',
    file: 'source',
    find: 'batch = self._client.poll(self._batch_size)',
    replace: 'batch = self._client.poll(self._batch_size * 3)',
  },
  {
    name: 'dynamic sync: close() does not close the client',
    source: 'pier',
    file: 'source',
    find: '            self._closed = True\n            self._client.close()',
    replace: '            self._closed = True',
  },
  {
    name: 'dynamic sync: close() not idempotent (double release)',
    source: 'pier',
    file: 'source',
    find: '        if not self._closed:\n            self._closed = True\n            self._client.close()',
    replace: '        self._closed = True\n        self._client.close()',
  },
  {
    name: 'dynamic sync: end of data ignored',
    source: 'pier',
    file: 'source',
    find: '            logger.info("%s: the upstream ended", self._where)\n            raise StopIteration',
    replace: '            return []',
  },
  {
    name: 'dynamic sync: poll error does not name the worker',
    source: 'pier',
    file: 'source',
    find: 'msg = f"{self._where}: poll failed: {error}"',
    replace: 'msg = f"poll failed: {error}"',
  },

  // --- dynamic, async client -------------------------------------------------
  ...commonMutants('gulls', 'dynamic async:', '        if self._fetch is None:\n', true),
  {
    name: 'dynamic async: event loop left open by close()',
    source: 'gulls',
    file: 'source',
    find: '        finally:\n            self._loop.close()',
    replace: '        finally:\n            pass',
  },
  {
    name: 'dynamic async: timeout ignored (waits for the client)',
    source: 'gulls',
    file: 'source',
    find: 'timer = self._loop.call_later(self._timeout, self._loop.stop)',
    replace: 'timer = self._loop.call_later(3600, self._loop.stop)',
  },
  {
    name: 'dynamic async: client blocks its loop 20 ms when idle',
    source: 'gulls',
    file: 'demo',
    find: '            await asyncio.sleep(IDLE_WAIT.total_seconds())',
    replace: '            threading.Event().wait(0.02)\n            await asyncio.sleep(IDLE_WAIT.total_seconds())',
  },
  {
    name: 'dynamic async: client blocks its loop for good when idle (must fail, not hang)',
    source: 'gulls',
    file: 'demo',
    find: '            await asyncio.sleep(IDLE_WAIT.total_seconds())',
    replace: '            threading.Event().wait()',
  },
  {
    name: 'dynamic async: batch size ignored',
    source: 'gulls',
    file: 'source',
    find: 'fetch = self._client.fetch(self._batch_size)',
    replace: 'fetch = self._client.fetch(self._batch_size * 3)',
  },
  {
    name: 'dynamic async: aclose() never awaited',
    source: 'gulls',
    file: 'source',
    find: 'self._loop.run_until_complete(self._client.aclose())',
    replace: 'self._client.aclose()',
  },
  {
    name: 'dynamic async: close() not idempotent',
    source: 'gulls',
    file: 'source',
    find: '        if self._loop.is_closed():\n            return\n',
    replace: '',
  },
  {
    name: 'dynamic async: client connected outside the partition loop',
    source: 'gulls',
    file: 'source',
    find: 'client = loop.run_until_complete(connecting)',
    replace: 'client = asyncio.new_event_loop().run_until_complete(connecting)',
  },
  {
    name: 'dynamic async: worker shares overlap',
    source: 'gulls',
    file: 'demo',
    find: 'return list(shards[worker_index::worker_count])',
    replace: 'return list(shards[worker_index:])',
  },
  {
    name: 'dynamic async: end of data ignored',
    source: 'gulls',
    file: 'source',
    find: '            logger.info("%s: the upstream ended", self._where)\n            raise StopIteration',
    replace: '            return []',
  },
  {
    name: 'dynamic async: fetch error does not name the worker',
    source: 'gulls',
    file: 'source',
    find: 'msg = f"{self._where}: fetch failed: {error}"',
    replace: 'msg = f"fetch failed: {error}"',
  },
];

interface SuiteRun {
  status: number | null;
  output: string;
  seconds: number;
}

/** Runs one generated test file (or all) of `project` with the cached venv's pytest. */
function runSuite(venv: string, project: string, args: string[]): SuiteRun {
  const [command, commandArgs] = isolated(venvBin(venv, 'python'), ['-m', 'pytest', '-p', 'no:cacheprovider', '-q', ...args]);
  const started = Date.now();
  const result = spawnSync(command, commandArgs, {
    cwd: project,
    encoding: 'utf8',
    // The package comes from this copy's src/, never from an installed one.
    // COLUMNS: pytest's summary lines keep the failure's message whole.
    env: { ...process.env, PYTHONPATH: path.join(project, 'src'), COLUMNS: '400' },
    maxBuffer: 64 * 1024 * 1024,
    // pytest-timeout and the kit's deadlines end a stuck suite long before this.
    timeout: 10 * 60 * 1000,
    killSignal: 'SIGKILL',
  });
  return {
    status: result.status,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}`,
    seconds: (Date.now() - started) / 1000,
  };
}

/** A fresh copy of what a suite needs: sources, tests, examples and pytest's settings. */
function copyProject(project: string, into: string): void {
  for (const entry of ['src', 'tests', 'examples', 'pyproject.toml']) {
    fs.cpSync(path.join(project, entry), path.join(into, entry), { recursive: true });
  }
}

function targetFile(mutant: Mutant): string {
  const name = mutant.source;
  return mutant.file === 'source' ? path.join('src', PACKAGE, `${name}.py`) : path.join('src', PACKAGE, 'demo', `${name}.py`);
}

/** Applies the edit, asserting that it matched exactly once. */
function applyMutant(copy: string, mutant: Mutant): void {
  const file = path.join(copy, targetFile(mutant));
  const text = fs.readFileSync(file, 'utf8');
  const count = text.split(mutant.find).length - 1;
  assert.equal(count, 1, `mutant "${mutant.name}": its edit matches ${count} times in ${targetFile(mutant)}, not once`);
  const mutated = text.replace(mutant.find, () => mutant.replace);
  assert.notEqual(mutated, text, `mutant "${mutant.name}" changed nothing`);
  fs.writeFileSync(file, mutated);
}

/** The first failing test and its reason, from pytest's short summary. */
function killer(output: string): string | undefined {
  const failed = /^(?:FAILED|ERROR) tests\/\S+?::(\S+)(?: - (.*))?$/m.exec(output);
  if (!failed) return undefined;
  const reason = (failed[2] ?? '').slice(0, 160);
  return reason ? `${failed[1]} (${reason})` : failed[1];
}

describe('e2e: mutation catalogue of the generated sources', function () {
  this.timeout(90 * 60 * 1000);
  let work: string;
  let project: string;
  let venv: string;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-e2e-mutants-'));
    venv = ensureVenv();
    const base = ['--yes', '--author-name', 'Ada Lovelace', '--skip-install', '--no-ci'];
    check(run(process.execPath, [CLI, 'harbor', ...base, '--partitioned', 'harbor_log', '--dynamic', 'gulls', '--client', 'async'], work));
    project = path.join(work, 'harbor');
    check(run(process.execPath, [CLI, 'dynamic', 'pier', '--yes'], path.join(project, 'src')));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('has at least 40 mutants, each with a distinct name', () => {
    assert.ok(MUTANTS.length >= 40, `only ${MUTANTS.length} mutants`);
    assert.equal(new Set(MUTANTS.map((m) => m.name)).size, MUTANTS.length);
  });

  it('the unmutated sources pass their generated tests', () => {
    for (const source of Object.keys(SOURCES)) {
      const ran = runSuite(venv, project, [`tests/test_${source}.py`]);
      assert.equal(ran.status, 0, `tests/test_${source}.py failed on the unmutated project:\n${ran.output}`);
      assert.match(ran.output, /\b[1-9]\d* passed\b/);
      console.log(`      unmutated ${source} (${SOURCES[source as SourceName]}): passed in ${ran.seconds.toFixed(1)} s`);
    }
  });

  it('every mutant is killed by its source\'s generated tests', () => {
    const only = process.env.MUTANTS?.split(',').map((name) => name.trim());
    const chosen = only ? MUTANTS.filter((m) => only.some((name) => m.name.includes(name))) : MUTANTS;
    assert.ok(chosen.length > 0, `no mutant matches MUTANTS=${process.env.MUTANTS}`);
    const survivors: string[] = [];
    let killed = 0;
    for (const [index, mutant] of chosen.entries()) {
      const copy = path.join(work, `mutant-${index}`);
      copyProject(project, copy);
      applyMutant(copy, mutant);
      const ran = runSuite(venv, copy, [`tests/test_${mutant.source}.py`, '-x']);
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
