/**
 * The mutation catalogue of the generated sources (see mutants.ts for how a
 * catalogue runs): the review project, `--partitioned harbor_log
 * --dynamic gulls --client async` plus `dynamic pier`, and plausible bugs in
 * each source and in its demo upstream.
 */
import path from 'node:path';
import { CLI } from '../helpers/paths.js';
import { type Mutant, describeMutationCatalogue } from './mutants.js';
import { check, run } from './python.js';

/** The project's three sources, as the review made them. */
const SOURCES = {
  harbor_log: 'partitioned',
  pier: 'dynamic, sync client',
  gulls: 'dynamic, async client',
} as const;
type SourceName = keyof typeof SOURCES;

const SLEEP = '__import__("time").sleep(0.001)';
const WAIT = (seconds: string) => `__import__("threading").Event().wait(${seconds})`;
const IDLE_RETURN = '        self._next_awake = datetime.now(timezone.utc) + self._poll_interval\n        return []';
const IDLE_RETURN_ASYNC =
  '            self._next_awake = datetime.now(timezone.utc) + self._poll_interval\n            return []';

/** Bugs every source kind can have, in its `next_batch` idle and data paths. */
function commonMutants(source: SourceName, prefix: string, call: string, asyncIdle: boolean): Array<Mutant<SourceName>> {
  const idle = asyncIdle ? IDLE_RETURN_ASYNC : IDLE_RETURN;
  const indent = asyncIdle ? '            ' : '        ';
  return [
    {
      name: `${prefix} next_awake set after a non-empty batch (throughput capped)`,
      slice: source,
      file: 'module',
      edits: [['            self._next_awake = None\n            return batch', '            self._next_awake = datetime.now(timezone.utc) + self._poll_interval\n            return batch']],
    },
    {
      name: `${prefix} next_awake None after an empty batch (spins)`,
      slice: source,
      file: 'module',
      edits: [[idle, idle.replace('datetime.now(timezone.utc) + self._poll_interval', 'None')]],
    },
    {
      name: `${prefix} naive datetime in next_awake`,
      slice: source,
      file: 'module',
      edits: [[idle, idle.replace('datetime.now(timezone.utc)', 'datetime.now()')]],
    },
    {
      name: `${prefix} non-UTC datetime in next_awake`,
      slice: source,
      file: 'module',
      edits: [[idle, idle.replace('datetime.now(timezone.utc)', 'datetime.now(timezone(timedelta(hours=1)))')]],
    },
    {
      name: `${prefix} time.sleep inside next_batch`,
      slice: source,
      file: 'module',
      edits: [[call, `        ${SLEEP}\n${call}`]],
    },
    {
      name: `${prefix} 25 ms blocking wait on the idle path (not time.sleep)`,
      slice: source,
      file: 'module',
      edits: [[idle, `${indent}${WAIT('0.025')}\n${idle}`]],
    },
    {
      name: `${prefix} blocking wait of one poll interval on the idle path`,
      slice: source,
      file: 'module',
      edits: [[idle, `${indent}${WAIT('self._poll_interval.total_seconds()')}\n${idle}`]],
    },
  ];
}

const MUTANTS: Array<Mutant<SourceName>> = [
  // --- partitioned -----------------------------------------------------------
  ...commonMutants('harbor_log', 'partitioned:', '        try:\n            batch = self._client.fetch(', false),
  {
    name: 'partitioned: snapshot off by one',
    slice: 'harbor_log',
    file: 'module',
    edits: [['    def snapshot(self) -> Position:\n        return self._position', '    def snapshot(self) -> Position:\n        return self._position + 1']],
  },
  {
    name: 'partitioned: resume state ignored',
    slice: 'harbor_log',
    file: 'module',
    edits: [['position, how = resume_state, "resuming"', 'position, how = self._start_position(client, for_part), "resuming"']],
  },
  {
    name: 'partitioned: batch size ignored by the partition',
    slice: 'harbor_log',
    file: 'module',
    edits: [['                self._position,\n                self._batch_size,', '                self._position,\n                1000,']],
  },
  {
    name: 'partitioned: batch size ignored by the client',
    slice: 'harbor_log',
    file: 'demo',
    edits: [['records = stored[first : first + limit]', 'records = stored[first:]']],
  },
  {
    name: 'partitioned: next position counted as offset += len(batch) (gaps)',
    slice: 'harbor_log',
    file: 'demo',
    edits: [['after = records[-1].offset + 1 if records else offset', 'after = offset + len(records)']],
  },
  {
    name: 'partitioned: inclusive start re-reads the last record',
    slice: 'harbor_log',
    file: 'demo',
    edits: [['after = records[-1].offset + 1 if records else offset', 'after = records[-1].offset if records else offset']],
  },
  {
    name: 'partitioned: client blocks 20 ms per fetch (threading.Event().wait)',
    slice: 'harbor_log',
    file: 'demo',
    edits: [['        self._check_open()\n        return self._log.read(partition, position, max_records)', '        self._check_open()\n        threading.Event().wait(0.02)\n        return self._log.read(partition, position, max_records)']],
  },
  {
    name: 'partitioned: list_parts leaks its client',
    slice: 'harbor_log',
    file: 'module',
    edits: [['            return sorted(client.partitions())\n        finally:\n            client.close()', '            return sorted(client.partitions())\n        finally:\n            pass']],
  },
  {
    name: 'partitioned: list_parts returns a set',
    slice: 'harbor_log',
    file: 'module',
    edits: [['return sorted(client.partitions())', 'return set(client.partitions())']],
  },
  {
    name: 'partitioned: close() does not close the client',
    slice: 'harbor_log',
    file: 'module',
    edits: [['            self._closed = True\n            self._client.close()', '            self._closed = True']],
  },
  {
    name: 'partitioned: close() twice closes the client twice (double release)',
    slice: 'harbor_log',
    file: 'module',
    edits: [['        if not self._closed:\n            self._closed = True\n            self._client.close()', '        self._closed = True\n        self._client.close()']],
  },
  {
    name: 'partitioned: stop_at_end ignored (never ends)',
    slice: 'harbor_log',
    file: 'module',
    edits: [['if self._stop_at_end and batch.at_end:', 'if False:']],
  },
  {
    name: 'partitioned: a tailing partition stops at the end',
    slice: 'harbor_log',
    file: 'module',
    edits: [['if self._stop_at_end and batch.at_end:', 'if batch.at_end:']],
  },
  {
    name: 'partitioned: the last batch is dropped at the end',
    slice: 'harbor_log',
    file: 'module',
    edits: [['        if batch.records:\n', '        if batch.records and not (self._stop_at_end and batch.at_end):\n']],
  },
  {
    name: 'partitioned: client\'s "latest" is one past the next record',
    slice: 'harbor_log',
    file: 'demo',
    edits: [['return 0 if where == "earliest" else self._log.end(partition)', 'return 0 if where == "earliest" else self._log.end(partition) + 1']],
  },
  {
    name: 'partitioned: start "latest" ignored',
    slice: 'harbor_log',
    file: 'module',
    edits: [['            return client.position(partition, self._start)', '            return client.position(partition, "earliest")']],
  },
  {
    name: 'partitioned: explicit start positions ignored',
    slice: 'harbor_log',
    file: 'module',
    edits: [['            return self._start[partition]', '            return client.position(partition, "earliest")']],
  },
  {
    name: 'partitioned: fetch error does not name the partition',
    slice: 'harbor_log',
    file: 'module',
    edits: [['msg = f"{self._where}: fetch at {self._position!r} failed: {error}"', 'msg = f"fetch failed: {error}"']],
  },
  {
    name: 'partitioned: fetch error swallowed',
    slice: 'harbor_log',
    file: 'module',
    edits: [['            raise RuntimeError(msg) from error', '            return []']],
  },
  {
    name: 'partitioned: logs do not name the partition',
    slice: 'harbor_log',
    file: 'module',
    edits: [['where = f"{step_id}: partition {for_part!r}"', 'where = f"{step_id}"']],
  },

  // --- dynamic, sync client ---------------------------------------------------
  ...commonMutants('pier', 'dynamic sync:', '        try:\n            batch = self._client.poll(', false),
  {
    name: 'dynamic sync: worker shares overlap',
    slice: 'pier',
    file: 'demo',
    edits: [['return list(shards[worker_index::worker_count])', 'return list(shards[worker_index:])']],
  },
  {
    name: 'dynamic sync: worker shares leave shards unread (gaps)',
    slice: 'pier',
    file: 'demo',
    edits: [['return list(shards[worker_index::worker_count])', 'return list(shards[worker_index :: worker_count + 1])']],
  },
  {
    name: 'dynamic sync: client blocks 20 ms per poll (threading.Event().wait)',
    slice: 'pier',
    file: 'demo',
    edits: [['        return self._backend.read(self._offsets, max_records)', '        threading.Event().wait(0.02)\n        return self._backend.read(self._offsets, max_records)']],
  },
  {
    name: 'dynamic sync: batch size ignored',
    slice: 'pier',
    file: 'module',
    edits: [['batch = self._client.poll(self._batch_size)', 'batch = self._client.poll(self._batch_size * 3)']],
  },
  {
    name: 'dynamic sync: close() does not close the client',
    slice: 'pier',
    file: 'module',
    edits: [['            self._closed = True\n            self._client.close()', '            self._closed = True']],
  },
  {
    name: 'dynamic sync: close() not idempotent (double release)',
    slice: 'pier',
    file: 'module',
    edits: [['        if not self._closed:\n            self._closed = True\n            self._client.close()', '        self._closed = True\n        self._client.close()']],
  },
  {
    name: 'dynamic sync: end of data ignored',
    slice: 'pier',
    file: 'module',
    edits: [['            logger.info("%s: the upstream ended", self._where)\n            raise StopIteration', '            return []']],
  },
  {
    name: 'dynamic sync: poll error does not name the worker',
    slice: 'pier',
    file: 'module',
    edits: [['msg = f"{self._where}: poll failed: {error}"', 'msg = f"poll failed: {error}"']],
  },

  // --- dynamic, async client -------------------------------------------------
  ...commonMutants('gulls', 'dynamic async:', '        if self._fetch is None:\n', true),
  {
    name: 'dynamic async: event loop left open by close()',
    slice: 'gulls',
    file: 'module',
    edits: [['        finally:\n            self._loop.close()', '        finally:\n            pass']],
  },
  {
    name: 'dynamic async: timeout ignored (waits for the client)',
    slice: 'gulls',
    file: 'module',
    edits: [['timer = self._loop.call_later(self._timeout, self._loop.stop)', 'timer = self._loop.call_later(3600, self._loop.stop)']],
  },
  {
    name: 'dynamic async: client blocks its loop 20 ms when idle',
    slice: 'gulls',
    file: 'demo',
    edits: [['            await asyncio.sleep(IDLE_WAIT.total_seconds())', '            threading.Event().wait(0.02)\n            await asyncio.sleep(IDLE_WAIT.total_seconds())']],
  },
  {
    name: 'dynamic async: client blocks its loop for good when idle (must fail, not hang)',
    slice: 'gulls',
    file: 'demo',
    edits: [['            await asyncio.sleep(IDLE_WAIT.total_seconds())', '            threading.Event().wait()']],
  },
  {
    name: 'dynamic async: batch size ignored',
    slice: 'gulls',
    file: 'module',
    edits: [['fetch = self._client.fetch(self._batch_size)', 'fetch = self._client.fetch(self._batch_size * 3)']],
  },
  {
    name: 'dynamic async: aclose() never awaited',
    slice: 'gulls',
    file: 'module',
    edits: [['self._loop.run_until_complete(self._client.aclose())', 'self._client.aclose()']],
  },
  {
    name: 'dynamic async: close() not idempotent',
    slice: 'gulls',
    file: 'module',
    edits: [['        if self._loop.is_closed():\n            return\n', '']],
  },
  {
    name: 'dynamic async: client connected outside the partition loop',
    slice: 'gulls',
    file: 'module',
    edits: [['client = loop.run_until_complete(connecting)', 'client = asyncio.new_event_loop().run_until_complete(connecting)']],
  },
  {
    name: 'dynamic async: worker shares overlap',
    slice: 'gulls',
    file: 'demo',
    edits: [['return list(shards[worker_index::worker_count])', 'return list(shards[worker_index:])']],
  },
  {
    name: 'dynamic async: end of data ignored',
    slice: 'gulls',
    file: 'module',
    edits: [['            logger.info("%s: the upstream ended", self._where)\n            raise StopIteration', '            return []']],
  },
  {
    name: 'dynamic async: fetch error does not name the worker',
    slice: 'gulls',
    file: 'module',
    edits: [['msg = f"{self._where}: fetch failed: {error}"', 'msg = f"fetch failed: {error}"']],
  },
];

describeMutationCatalogue({
  of: 'sources',
  packageName: 'bytewax_harbor',
  slices: SOURCES,
  mutants: MUTANTS,
  minimum: 40,
  generate: (work) => {
    const base = ['--yes', '--author-name', 'Ada Lovelace', '--skip-install', '--no-ci', '--no-git'];
    check(run(process.execPath, [CLI, 'harbor', ...base, '--partitioned', 'harbor_log', '--dynamic', 'gulls', '--client', 'async'], work));
    const project = path.join(work, 'harbor');
    check(run(process.execPath, [CLI, 'dynamic', 'pier', '--yes'], path.join(project, 'src')));
    return project;
  },
});
