/**
 * The mutation catalogue of the generated sources (see mutants.ts for how a
 * catalogue runs): a project with a partitioned source `harbor_log`, a
 * dynamic source `gulls` with an async client and a dynamic source `pier`
 * with a sync one, and plausible mistakes in each source, in the demo's
 * client and in the demo upstream, tagged by the mistake class.
 * They are mistakes a connector author makes (a truthiness test, a
 * convenient retry, a set, `.seconds`), written from the code, not from the
 * kit's checks.
 */
import path from 'node:path';
import { CLI } from '../helpers/paths.js';
import type { Mutant } from './mutants.js';
import { check, run } from './python.js';

/** The project's three sources. */
export const SOURCES = {
  harbor_log: 'partitioned',
  pier: 'dynamic, sync client',
  gulls: 'dynamic, async client',
} as const;
export type SourceName = keyof typeof SOURCES;
type SourceMutant = Mutant<SourceName>;

const WAIT = (seconds: string) => `__import__("threading").Event().wait(${seconds})`;
const SLEEP = '__import__("time").sleep(0.001)';
const IDLE = '        self._next_awake = datetime.now(timezone.utc) + self._poll_interval\n        return []';
const IDLE_PENDING = '            self._next_awake = datetime.now(timezone.utc) + self._poll_interval\n            return []';
const NOT_CLOSED = '        self._next_awake: datetime | None = None\n        self._closed = False';
const CLOSE = '        if not self._closed:\n            self._closed = True\n            self._client.close()';
const SETUP_FAILED = '        except Exception as error:\n            client.close()\n            msg = f"{where}: setting up the client failed: {error}"';

/** Mistakes any sync source can make on its `next_batch` paths and client. */
function syncMutants(slice: 'harbor_log' | 'pier', prefix: string, call: string, data: string, timeout: string): SourceMutant[] {
  return [
    { name: `${prefix} next_awake None after an empty batch (spins)`, class: 'noise', slice, file: 'module', edits: [[IDLE, '        self._next_awake = None\n        return []']] },
    { name: `${prefix} next_awake in the past after an empty batch`, class: 'noise', slice, file: 'module', edits: [[IDLE, '        self._next_awake = datetime.now(timezone.utc) - self._poll_interval\n        return []']] },
    {
      name: `${prefix} next_awake computed once, when built (stale after the first wait)`,
      class: 'noise',
      slice,
      file: 'module',
      edits: [
        [NOT_CLOSED, `${NOT_CLOSED}\n        self._idle_until = datetime.now(timezone.utc) + poll_interval`],
        [IDLE, '        self._next_awake = self._idle_until\n        return []'],
      ],
    },
    { name: `${prefix} WARNING logged on every empty poll`, class: 'noise', slice, file: 'module', edits: [[IDLE, `        logger.warning("%s: nothing to read", self._where)\n${IDLE}`]] },
    { name: `${prefix} INFO logged on every empty poll`, class: 'noise', slice, file: 'module', edits: [[IDLE, `        logger.info("%s: waiting for records", self._where)\n${IDLE}`]] },
    { name: `${prefix} naive datetime in next_awake`, class: 'contract', slice, file: 'module', edits: [[IDLE, IDLE.replace('datetime.now(timezone.utc)', 'datetime.now()')]] },
    { name: `${prefix} non-UTC timezone in next_awake`, class: 'contract', slice, file: 'module', edits: [[IDLE, IDLE.replace('datetime.now(timezone.utc)', 'datetime.now(timezone(timedelta(hours=1)))')]] },
    {
      name: `${prefix} poll interval converted with .seconds (0 for 50 ms)`,
      class: 'units',
      slice,
      file: 'module',
      edits: [[IDLE, '        self._next_awake = datetime.now(timezone.utc) + timedelta(\n            seconds=self._poll_interval.seconds\n        )\n        return []']],
    },
    {
      name: `${prefix} next_awake set after a non-empty batch (one batch per poll interval)`,
      class: 'contract',
      slice,
      file: 'module',
      edits: [[data, data.replace('self._next_awake = None', 'self._next_awake = datetime.now(timezone.utc) + self._poll_interval')]],
    },
    { name: `${prefix} time.sleep inside next_batch`, class: 'contract', slice, file: 'module', edits: [[call, `        ${SLEEP}\n${call}`]] },
    { name: `${prefix} a 20 ms blocking wait on the idle path (not time.sleep)`, class: 'contract', slice, file: 'module', edits: [[IDLE, `        ${WAIT('0.02')}\n${IDLE}`]] },
    { name: `${prefix} close() does not close the client`, class: 'resources', slice, file: 'module', edits: [[CLOSE, '        if not self._closed:\n            self._closed = True']] },
    { name: `${prefix} close() twice closes the client twice`, class: 'contract', slice, file: 'module', edits: [[CLOSE, '        self._closed = True\n        self._client.close()']] },
    {
      name: `${prefix} a keep-alive thread per partition, never stopped`,
      class: 'resources',
      slice,
      file: 'module',
      edits: [[NOT_CLOSED, `${NOT_CLOSED}\n        self._alive = __import__("threading").Event()\n        __import__("threading").Thread(target=self._alive.wait, daemon=True).start()`]],
    },
    {
      name: `${prefix} a trace file per partition, never closed`,
      class: 'resources',
      slice,
      file: 'module',
      edits: [[NOT_CLOSED, `${NOT_CLOSED}\n        self._trace = __import__("tempfile").TemporaryFile()  # noqa: SIM115`]],
    },
    { name: `${prefix} client timeout converted with .seconds`, class: 'units', slice, file: 'module', edits: [[timeout, timeout.replace('timeout=self._client_timeout', 'timeout=timedelta(seconds=self._client_timeout.seconds)')]] },
    { name: `${prefix} client timeout not passed on (a fixed 10 s)`, class: 'units', slice, file: 'module', edits: [[timeout, timeout.replace('timeout=self._client_timeout', 'timeout=timedelta(seconds=10)')]] },
    { name: `${prefix} setup failure leaves the client open`, class: 'resources', slice, file: 'module', edits: [[SETUP_FAILED, '        except Exception as error:\n            msg = f"{where}: setting up the client failed: {error}"']] },
    {
      name: `${prefix} setup failure re-raised bare (the client's error, naming nothing)`,
      class: 'errors',
      slice,
      file: 'module',
      edits: [[SETUP_FAILED, '        except Exception:\n            client.close()\n            raise\n        try:\n            pass\n        except Exception as error:\n            msg = f"{where}: setting up the client failed: {error}"']],
    },
  ];
}

const P_CALL = '        try:\n            batch = self._client.fetch(';
const P_DATA = '            self._next_awake = None\n            return batch.records';
const P_FETCH_ERROR = '        except Exception as error:\n            msg = f"{self._where}: fetch at {self._position!r} failed: {error}"\n            raise RuntimeError(msg) from error';
const P_RESUME = [
  '            if resume_state is not None:',
  '                position, how = resume_state, "resuming"',
  '            else:',
  '                position, how = self._start_position(client, for_part), "starting"',
].join('\n');
const P_SNAPSHOT = '    def snapshot(self) -> Position:\n        return self._position';
const P_START_FAILED = '        except Exception as error:\n            client.close()\n            msg = f"{where}: finding where to start failed: {error}"';
const P_END = '        if self._stop_at_end and batch.at_end:';
const P_POSITION = '        self._position = batch.next_position';
const P_SIZE = '                self._position,\n                self._batch_size,\n            )';
const P_START_KIND = '        if isinstance(self._start, str):\n            return client.position(partition, self._start)';
const P_START_MAPPED = '        if partition in self._start:\n            return self._start[partition]';
const P_CLIENT_READ = '        read = self._connected().read(partition, position, max_records)';
const P_CLIENT_CONNECT = '        self._connection = self._log.connect(self._timeout)';
const P_CLIENT_CLOSE = '        if self._connection is not None:\n            self._connection.close()';

const HARBOR_LOG: SourceMutant[] = [
  ...syncMutants('harbor_log', 'partitioned:', P_CALL, P_DATA, 'self._connect(timeout=self._client_timeout)'),
  // Class 1: a falsy resume state taken for none.
  { name: 'partitioned: `if resume_state:` (offset 0 is no state)', class: 'falsy-state', slice: 'harbor_log', file: 'module', edits: [['            if resume_state is not None:', '            if resume_state:']] },
  {
    name: 'partitioned: `resume_state or` the start position',
    class: 'falsy-state',
    slice: 'harbor_log',
    file: 'module',
    edits: [[P_RESUME, '            position = resume_state or self._start_position(client, for_part)\n            how = "resuming" if resume_state else "starting"']],
  },
  { name: 'partitioned: snapshot returns None for position 0 ("nothing read yet")', class: 'falsy-state', slice: 'harbor_log', file: 'module', edits: [[P_SNAPSHOT, '    def snapshot(self) -> Position:\n        return self._position or None  # type: ignore[return-value]']] },
  // Class 2: errors lost or blurred.
  { name: 'partitioned: fetch error raised `from None`', class: 'errors', slice: 'harbor_log', file: 'module', edits: [[P_FETCH_ERROR, P_FETCH_ERROR.replace('from error', 'from None')]] },
  { name: 'partitioned: fetch error raised without `from` (context only)', class: 'errors', slice: 'harbor_log', file: 'module', edits: [[P_FETCH_ERROR, P_FETCH_ERROR.replace(' from error', '')]] },
  {
    name: 'partitioned: fetch error logged at ERROR and raised',
    class: 'errors',
    slice: 'harbor_log',
    file: 'module',
    edits: [[P_FETCH_ERROR, P_FETCH_ERROR.replace('        except Exception as error:\n', '        except Exception as error:\n            logger.exception("%s: fetch failed", self._where)\n')]],
  },
  {
    name: 'partitioned: lost connections and timeouts taken as transient (empty batch)',
    class: 'errors',
    slice: 'harbor_log',
    file: 'module',
    edits: [[P_FETCH_ERROR, `        except (ConnectionError, TimeoutError):\n            self._next_awake = datetime.now(timezone.utc) + self._poll_interval\n            return []\n${P_FETCH_ERROR}`]],
  },
  { name: 'partitioned: fetch error without the partition\'s name', class: 'errors', slice: 'harbor_log', file: 'module', edits: [['msg = f"{self._where}: fetch at {self._position!r} failed: {error}"', 'msg = f"fetch failed: {error}"']] },
  { name: 'partitioned: a failing start position falls back to offset 0', class: 'errors', slice: 'harbor_log', file: 'module', edits: [[P_START_FAILED, '        except Exception:\n            position, how = 0, "starting"\n        try:\n            pass\n        except Exception as error:\n            client.close()\n            msg = f"{where}: finding where to start failed: {error}"']] },
  {
    name: 'partitioned client: a failed read retried once (swallowed when the upstream is down)',
    class: 'errors',
    slice: 'harbor_log',
    file: 'module',
    edits: [['        read = self._connected().read(partition, position, max_records)', '        try:\n            read = self._connected().read(partition, position, max_records)\n        except Exception:\n            return HarborLogBatch([], position, at_end=False)']],
  },
  // Class 3: resources.
  { name: 'partitioned: list_parts leaks its client', class: 'resources', slice: 'harbor_log', file: 'module', edits: [['            return sorted(client.partitions())\n        finally:\n            client.close()', '            return sorted(client.partitions())\n        finally:\n            pass']] },
  { name: 'partitioned: a failing start position leaves the client open', class: 'resources', slice: 'harbor_log', file: 'module', edits: [[P_START_FAILED, '        except Exception as error:\n            msg = f"{where}: finding where to start failed: {error}"']] },
  { name: 'partitioned client: close() does not close its connection', class: 'resources', slice: 'harbor_log', file: 'module', edits: [['        if self._connection is not None:\n            self._connection.close()', '        if self._connection is not None:\n            pass']] },
  {
    name: 'partitioned client: a fresh connection per fetch, never closed',
    class: 'resources',
    slice: 'harbor_log',
    file: 'module',
    edits: [['        read = self._connected().read(partition, position, max_records)', '        read = self._log.connect(self._timeout).read(partition, position, max_records)']],
  },
  { name: 'partitioned: every record kept (to skip duplicates)', class: 'resources', slice: 'harbor_log', file: 'module', edits: [[P_DATA, '            self._seen = [*getattr(self, "_seen", []), *batch.records]\n' + P_DATA]] },
  { name: 'partitioned client: every batch cached', class: 'resources', slice: 'harbor_log', file: 'module', edits: [['        read = self._connected().read(partition, position, max_records)', '        read = self._connected().read(partition, position, max_records)\n        self._cache = [*getattr(self, "_cache", []), read]']] },
  // Class 4: noise and spinning (above, and:)
  {
    name: 'partitioned: an empty read before the end asks to be called at once',
    class: 'noise',
    slice: 'harbor_log',
    file: 'module',
    edits: [[IDLE, '        self._next_awake = (\n            datetime.now(timezone.utc) + self._poll_interval if batch.at_end else None\n        )\n        return []']],
  },
  // Class 5: batch edges.
  { name: 'partitioned: asks for one record fewer (at least one)', class: 'batch-edges', slice: 'harbor_log', file: 'module', edits: [[P_SIZE, '                self._position,\n                max(1, self._batch_size - 1),\n            )']] },
  { name: 'partitioned: asks for one record more', class: 'batch-edges', slice: 'harbor_log', file: 'module', edits: [[P_SIZE, '                self._position,\n                self._batch_size + 1,\n            )']] },
  { name: 'partitioned: batch size ignored by the partition', class: 'batch-edges', slice: 'harbor_log', file: 'module', edits: [[P_SIZE, '                self._position,\n                1000,\n            )']] },
  { name: 'partitioned demo: the log returns one record fewer than asked', class: 'batch-edges', slice: 'harbor_log', file: 'demo', edits: [['            entries = stored[first : first + limit]', '            entries = stored[first : first + max(1, limit - 1)]']] },
  { name: 'partitioned demo: the log ignores the limit', class: 'batch-edges', slice: 'harbor_log', file: 'demo', edits: [['            entries = stored[first : first + limit]', '            entries = stored[first:]']] },
  {
    name: 'partitioned: a batch of one record waits a poll interval',
    class: 'batch-edges',
    slice: 'harbor_log',
    file: 'module',
    edits: [[P_DATA, '            self._next_awake = (\n                None\n                if len(batch.records) > 1\n                else datetime.now(timezone.utc) + self._poll_interval\n            )\n            return batch.records']],
  },
  // Class 6: determinism across processes.
  { name: 'partitioned: list_parts through a set', class: 'determinism', slice: 'harbor_log', file: 'module', edits: [['            return sorted(client.partitions())', '            return list(set(client.partitions()))']] },
  { name: 'partitioned: list_parts ordered by hash()', class: 'determinism', slice: 'harbor_log', file: 'module', edits: [['            return sorted(client.partitions())', '            return sorted(client.partitions(), key=hash)']] },
  // Class 7: units and settings.
  { name: 'partitioned client: the timeout not passed to the connection', class: 'units', slice: 'harbor_log', file: 'module', edits: [['        self._connection = self._log.connect(self._timeout)', '        self._connection = self._log.connect(None)']] },
  // Class 8: upstream behaviour the demo never showed.
  { name: 'partitioned: stop at the first empty read (not at the end)', class: 'upstream', slice: 'harbor_log', file: 'module', edits: [[P_END, '        if self._stop_at_end:']] },
  {
    name: 'partitioned: consecutive equal values dropped as duplicates',
    class: 'upstream',
    slice: 'harbor_log',
    file: 'module',
    edits: [[P_DATA, '            self._next_awake = None\n            return [r for i, r in enumerate(batch.records) if i == 0 or r.value != batch.records[i - 1].value]']],
  },
  { name: 'partitioned: position counted as offset += records (gaps)', class: 'upstream', slice: 'harbor_log', file: 'module', edits: [[P_POSITION, '        self._position += len(batch.records)']] },
  {
    name: 'partitioned client: lists only the partitions that hold records',
    class: 'upstream',
    slice: 'harbor_log',
    file: 'module',
    edits: [['        return self._connected().partitions()', '        connection = self._connected()\n        return [p for p in connection.partitions() if connection.end(p) > 0]']],
  },
  {
    name: 'partitioned: a partition that never had a record never ends',
    class: 'upstream',
    slice: 'harbor_log',
    file: 'module',
    edits: [[P_END, '        if self._stop_at_end and batch.at_end and self._position > 0:']],
  },
  // Kit 3.1: the classes of the held-out v3 survivors (marked held-out) and
  // variants of each. A falsy option taken as "not given".
  { name: 'partitioned: an empty start mapping taken for "latest" (held-out)', class: 'falsy-state', slice: 'harbor_log', file: 'module', edits: [[P_START_KIND, `        if not self._start:\n            return client.position(partition, "latest")\n${P_START_KIND}`]] },
  { name: 'partitioned: `start or "latest"` when configured (an empty mapping is no start)', class: 'falsy-state', slice: 'harbor_log', file: 'module', edits: [['        self._start = start\n', '        self._start = start or "latest"\n']] },
  {
    name: 'partitioned: a mapped position that is falsy (offset 0) taken as none, started at the end',
    class: 'falsy-state',
    slice: 'harbor_log',
    file: 'module',
    edits: [[P_START_MAPPED, '        if self._start.get(partition):\n            return self._start[partition]\n        if partition in self._start:\n            return client.position(partition, "latest")']],
  },
  // Asking for what does not exist.
  { name: 'partitioned demo: an unknown partition reads as empty and at its end (held-out)', class: 'errors', slice: 'harbor_log', file: 'demo', edits: [['            stored = self._entries[partition]', '            stored = self._entries.get(partition, [])']] },
  {
    name: 'partitioned client: a partition the log lacks is fetched as empty and ended',
    class: 'errors',
    slice: 'harbor_log',
    file: 'module',
    edits: [[P_CLIENT_READ, '        try:\n            read = self._connected().read(partition, position, max_records)\n        except KeyError:\n            return HarborLogBatch([], position, at_end=True)']],
  },
  // Busy-waiting while idle.
  {
    name: 'partitioned client: a watcher thread polls the log without pause',
    class: 'noise',
    slice: 'harbor_log',
    file: 'module',
    edits: [
      [P_CLIENT_CONNECT, `${P_CLIENT_CONNECT}\n        self._watch = __import__("threading").Event()\n        __import__("threading").Thread(target=self._watching, daemon=True).start()`],
      [P_CLIENT_CLOSE, '        if self._connection is not None:\n            self._watch.set()\n            self._connection.close()'],
      ['    def _connected(self) -> demo.DemoConnection:', '    def _watching(self) -> None:\n        while not self._watch.is_set():\n            self._log.partitions()\n\n    def _connected(self) -> demo.DemoConnection:'],
    ],
  },
  // Falsy values dropped by the client.
  { name: 'partitioned client: values that read as false once converted ("", "0") skipped', class: 'upstream', slice: 'harbor_log', file: 'module', edits: [['            [_record(partition, entry) for entry in read.entries],', '            [_record(partition, e) for e in read.entries if e.value.strip("0")],']] },
  // The contract's basics.
  { name: 'partitioned: snapshot off by one', class: 'contract', slice: 'harbor_log', file: 'module', edits: [[P_SNAPSHOT, `${P_SNAPSHOT} + 1`]] },
  { name: 'partitioned: resume state ignored', class: 'contract', slice: 'harbor_log', file: 'module', edits: [['position, how = resume_state, "resuming"', 'position, how = self._start_position(client, for_part), "resuming"']] },
  { name: 'partitioned demo: inclusive start re-reads the last record', class: 'contract', slice: 'harbor_log', file: 'demo', edits: [['after = entries[-1].offset + 1 if entries else offset', 'after = entries[-1].offset if entries else offset']] },
  { name: 'partitioned: a tailing partition stops at the end', class: 'contract', slice: 'harbor_log', file: 'module', edits: [[P_END, '        if batch.at_end:']] },
  { name: 'partitioned: stop_at_end ignored (never ends)', class: 'contract', slice: 'harbor_log', file: 'module', edits: [[P_END, '        if False:']] },
  { name: 'partitioned: the last batch dropped at the end', class: 'contract', slice: 'harbor_log', file: 'module', edits: [['        if batch.records:\n', '        if batch.records and not (self._stop_at_end and batch.at_end):\n']] },
  { name: 'partitioned: start "latest" ignored', class: 'contract', slice: 'harbor_log', file: 'module', edits: [['            return client.position(partition, self._start)', '            return client.position(partition, "earliest")']] },
  { name: 'partitioned: explicit start positions ignored', class: 'contract', slice: 'harbor_log', file: 'module', edits: [['            return self._start[partition]', '            return client.position(partition, "earliest")']] },
  { name: 'partitioned client: "latest" is one past the next record', class: 'contract', slice: 'harbor_log', file: 'module', edits: [['return 0 if where == "earliest" else self._connected().end(partition)', 'return 0 if where == "earliest" else self._connected().end(partition) + 1']] },
  { name: 'partitioned: list_parts returns a set', class: 'contract', slice: 'harbor_log', file: 'module', edits: [['            return sorted(client.partitions())', '            return set(client.partitions())  # type: ignore[return-value]']] },
  { name: 'partitioned: logs do not name the partition', class: 'contract', slice: 'harbor_log', file: 'module', edits: [['where = f"{step_id}: partition {for_part!r}"', 'where = f"{step_id}"']] },
  { name: 'partitioned client: blocks 20 ms per fetch', class: 'contract', slice: 'harbor_log', file: 'module', edits: [['        read = self._connected().read(partition, position, max_records)', `        ${WAIT('0.02')}\n        read = self._connected().read(partition, position, max_records)`]] },
];

const S_CALL = '        try:\n            batch = self._client.poll(self._batch_size)';
const S_DATA = '            self._next_awake = None\n            return batch';
const S_POLL_ERROR = '        except Exception as error:\n            msg = f"{self._where}: poll failed: {error}"\n            raise RuntimeError(msg) from error';
const S_END = '        if batch is None:\n            logger.info("%s: the upstream ended", self._where)\n            raise StopIteration';
const SHARES = '    return list(shards[worker_index::worker_count])';
const SHARD_ENTRIES = '                    entries = self._entries[shard]';
const SHARD_TAKE = '                        batch.append(entries[offset])\n                        offsets[shard] = offset + 1';
const S_CONNECT = '            client = self._connect(\n                worker_index,\n                worker_count,\n                timeout=self._client_timeout,\n            )';

const PIER: SourceMutant[] = [
  ...syncMutants('pier', 'dynamic sync:', S_CALL, S_DATA, '                timeout=self._client_timeout,'),
  // Class 2.
  { name: 'dynamic sync: poll error raised `from None`', class: 'errors', slice: 'pier', file: 'module', edits: [[S_POLL_ERROR, S_POLL_ERROR.replace('from error', 'from None')]] },
  { name: 'dynamic sync: poll error logged at ERROR and raised', class: 'errors', slice: 'pier', file: 'module', edits: [[S_POLL_ERROR, S_POLL_ERROR.replace('        except Exception as error:\n', '        except Exception as error:\n            logger.error("%s: poll failed: %s", self._where, error)\n')]] },
  { name: 'dynamic sync: timeouts taken as "nothing yet"', class: 'errors', slice: 'pier', file: 'module', edits: [[S_POLL_ERROR, `        except TimeoutError:\n            batch = []\n${S_POLL_ERROR}`]] },
  {
    name: 'dynamic sync: a failing connect raised as it is (naming no worker)',
    class: 'errors',
    slice: 'pier',
    file: 'module',
    edits: [[`        try:\n${S_CONNECT}\n        except Exception as error:\n            msg = f"{where}: connecting failed: {error}"\n            raise RuntimeError(msg) from error`, S_CONNECT.replace(/^ {4}/gm, '')]],
  },
  { name: 'dynamic sync: poll error does not name the worker', class: 'errors', slice: 'pier', file: 'module', edits: [['msg = f"{self._where}: poll failed: {error}"', 'msg = f"poll failed: {error}"']] },
  // Class 3.
  { name: 'dynamic sync client: close() does not close its connection', class: 'resources', slice: 'pier', file: 'module', edits: [['        if self._connection is not None:\n            self._connection.close()', '        if self._connection is not None:\n            pass']] },
  { name: 'dynamic sync: every record kept (to skip duplicates)', class: 'resources', slice: 'pier', file: 'module', edits: [[S_DATA, '            self._seen = [*getattr(self, "_seen", []), *batch]\n' + S_DATA]] },
  // Class 5.
  { name: 'dynamic sync: batch size ignored', class: 'batch-edges', slice: 'pier', file: 'module', edits: [['batch = self._client.poll(self._batch_size)', 'batch = self._client.poll(self._batch_size * 3)']] },
  { name: 'dynamic sync: asks for one record fewer (at least one)', class: 'batch-edges', slice: 'pier', file: 'module', edits: [['batch = self._client.poll(self._batch_size)', 'batch = self._client.poll(max(1, self._batch_size - 1))']] },
  { name: 'dynamic sync demo: a read returns one record fewer than asked', class: 'batch-edges', slice: 'pier', file: 'demo', edits: [['            while len(batch) < limit:', '            while len(batch) < max(1, limit - 1):']] },
  // Class 6.
  { name: 'dynamic sync demo: shares by hash() of the shard name', class: 'determinism', slice: 'pier', file: 'demo', edits: [[SHARES, '    return [s for s in shards if hash(s) % worker_count == worker_index]']] },
  { name: 'dynamic sync demo: shares from an order drawn by hash()', class: 'determinism', slice: 'pier', file: 'demo', edits: [[SHARES, '    return sorted(shards, key=hash)[worker_index::worker_count]']] },
  // Class 7.
  { name: 'dynamic sync client: the timeout not passed to the connection', class: 'units', slice: 'pier', file: 'module', edits: [['        self._connection = self._backend.connect(*self._worker, self._timeout)', '        self._connection = self._backend.connect(*self._worker, None)']] },
  // Class 8.
  {
    name: 'dynamic sync: an empty poll after records taken for the end',
    class: 'upstream',
    slice: 'pier',
    file: 'module',
    edits: [
      [S_END, '        if batch is None or (not batch and getattr(self, "_got", False)):\n            logger.info("%s: the upstream ended", self._where)\n            raise StopIteration'],
      [S_DATA, '            self._got = True\n' + S_DATA],
    ],
  },
  {
    name: 'dynamic sync: consecutive equal values dropped as duplicates',
    class: 'upstream',
    slice: 'pier',
    file: 'module',
    edits: [[S_DATA, '            self._next_awake = None\n            return [r for i, r in enumerate(batch) if i == 0 or r.value != batch[i - 1].value]']],
  },
  {
    name: 'dynamic sync demo: shares cut from the shards that hold records',
    class: 'upstream',
    slice: 'pier',
    file: 'demo',
    edits: [['        shards = worker_shards(self.shards(), worker_index, worker_count)', '        held = [name for name, entries in self._entries.items() if entries]\n        shards = worker_shards(held, worker_index, worker_count)']],
  },
  // Kit 3.1: the classes of the held-out v3 survivors (marked held-out) and
  // variants of each.
  { name: 'dynamic sync demo: a deleted shard reads as empty', class: 'errors', slice: 'pier', file: 'demo', edits: [[SHARD_ENTRIES, '                    entries = self._entries.get(shard, [])']] },
  {
    name: 'dynamic sync client: poll busy-waits 3 ms for records',
    class: 'noise',
    slice: 'pier',
    file: 'module',
    edits: [[
      '        entries = self._connected().read(max_records)',
      '        deadline = __import__("time").monotonic() + 0.003\n        entries = self._connected().read(max_records)\n        while entries == [] and __import__("time").monotonic() < deadline:\n            entries = self._connected().read(max_records)',
    ]],
  },
  { name: 'dynamic sync demo: records with an empty value skipped (held-out)', class: 'upstream', slice: 'pier', file: 'demo', edits: [[SHARD_TAKE, '                        if entries[offset].value:\n                            batch.append(entries[offset])\n                        offsets[shard] = offset + 1']] },
  // The contract's basics.
  { name: 'dynamic sync demo: worker shares overlap', class: 'contract', slice: 'pier', file: 'demo', edits: [[SHARES, '    return list(shards[worker_index:])']] },
  { name: 'dynamic sync demo: worker shares leave shards unread', class: 'contract', slice: 'pier', file: 'demo', edits: [[SHARES, '    return list(shards[worker_index :: worker_count + 1])']] },
  { name: 'dynamic sync: end of data ignored', class: 'contract', slice: 'pier', file: 'module', edits: [[S_END, '        if batch is None:\n            return []']] },
  { name: 'dynamic sync client: blocks 20 ms per poll', class: 'contract', slice: 'pier', file: 'module', edits: [['        entries = self._connected().read(max_records)', `        ${WAIT('0.02')}\n        entries = self._connected().read(max_records)`]] },
];

const A_FETCH_ERROR = '            msg = f"{self._where}: fetch failed: {error}"\n            raise RuntimeError(msg) from error';
const A_DATA = '            self._next_awake = None\n            return batch';
const A_BUILD_FAILED = '        except Exception as error:\n            loop.close()\n            msg = f"{where}: connecting failed: {error}"';
const A_SETUP = '        try:\n            await client.setup()\n        except BaseException:\n            await client.aclose()\n            raise';
const A_IDLE_WAIT = '            await asyncio.sleep(IDLE_WAIT.total_seconds())';
const A_ACLOSE = '            self._loop.run_until_complete(self._client.aclose())';

const GULLS: SourceMutant[] = [
  // Class 2.
  { name: 'dynamic async: fetch error raised `from None`', class: 'errors', slice: 'gulls', file: 'module', edits: [[A_FETCH_ERROR, A_FETCH_ERROR.replace('from error', 'from None')]] },
  { name: 'dynamic async: fetch error logged at ERROR and raised', class: 'errors', slice: 'gulls', file: 'module', edits: [[A_FETCH_ERROR, `            logger.exception("%s: fetch failed", self._where)\n${A_FETCH_ERROR}`]] },
  { name: 'dynamic async: lost connections taken as "nothing yet"', class: 'errors', slice: 'gulls', file: 'module', edits: [['            batch = fetched.result()\n        except Exception as error:', '            batch = fetched.result()\n        except ConnectionError:\n            batch = []\n        except Exception as error:']] },
  { name: 'dynamic async: a failing connect re-raised bare (naming no worker)', class: 'errors', slice: 'gulls', file: 'module', edits: [[A_BUILD_FAILED, '        except Exception:\n            loop.close()\n            raise\n        try:\n            pass\n        except Exception as error:\n            msg = f"{where}: connecting failed: {error}"']] },
  { name: 'dynamic async: fetch error does not name the worker', class: 'errors', slice: 'gulls', file: 'module', edits: [['msg = f"{self._where}: fetch failed: {error}"', 'msg = f"fetch failed: {error}"']] },
  // Class 3.
  { name: 'dynamic async: event loop left open by close()', class: 'resources', slice: 'gulls', file: 'module', edits: [['        finally:\n            self._loop.close()', '        finally:\n            pass']] },
  { name: 'dynamic async: aclose() never awaited', class: 'resources', slice: 'gulls', file: 'module', edits: [['            self._loop.run_until_complete(self._client.aclose())\n', '']] },
  { name: 'dynamic async: the pending fetch not cancelled by close()', class: 'resources', slice: 'gulls', file: 'module', edits: [['            if self._fetch is not None:\n                self._fetch.cancel()', '            if self._fetch is not None and self._fetch.done():\n                self._fetch.cancel()']] },
  { name: 'dynamic async: a failed build leaves its event loop open', class: 'resources', slice: 'gulls', file: 'module', edits: [[A_BUILD_FAILED, '        except Exception as error:\n            msg = f"{where}: connecting failed: {error}"']] },
  { name: 'dynamic async: setup failure leaves the client open', class: 'resources', slice: 'gulls', file: 'module', edits: [[A_SETUP, '        await client.setup()']] },
  { name: 'dynamic async: every record kept (to skip duplicates)', class: 'resources', slice: 'gulls', file: 'module', edits: [[A_DATA, '            self._seen = [*getattr(self, "_seen", []), *batch]\n' + A_DATA]] },
  // Class 4.
  { name: 'dynamic async: next_awake None after an empty batch (spins)', class: 'noise', slice: 'gulls', file: 'module', edits: [[IDLE_PENDING, '            self._next_awake = None\n            return []']] },
  { name: 'dynamic async: WARNING logged while waiting for the client', class: 'noise', slice: 'gulls', file: 'module', edits: [[IDLE_PENDING, `            logger.warning("%s: the fetch is still pending", self._where)\n${IDLE_PENDING}`]] },
  // Class 5.
  { name: 'dynamic async: batch size ignored', class: 'batch-edges', slice: 'gulls', file: 'module', edits: [['fetch = self._client.fetch(self._batch_size)', 'fetch = self._client.fetch(self._batch_size + 2)']] },
  { name: 'dynamic async: asks for one record fewer (at least one)', class: 'batch-edges', slice: 'gulls', file: 'module', edits: [['fetch = self._client.fetch(self._batch_size)', 'fetch = self._client.fetch(max(1, self._batch_size - 1))']] },
  // Class 6.
  { name: 'dynamic async demo: shares by hash() of the shard name', class: 'determinism', slice: 'gulls', file: 'demo', edits: [[SHARES, '    return [s for s in shards if hash(s) % worker_count == worker_index]']] },
  // Class 7.
  { name: 'dynamic async: loop timeout converted with .seconds (0 for 5 ms)', class: 'units', slice: 'gulls', file: 'module', edits: [['self._timeout = timeout.total_seconds()', 'self._timeout = timeout.seconds']] },
  { name: 'dynamic async: connecting timeout converted with .seconds', class: 'units', slice: 'gulls', file: 'module', edits: [['                self._client_timeout.total_seconds(),\n', '                self._client_timeout.seconds,\n']] },
  { name: 'dynamic async: no timeout on connecting (wait_for without one)', class: 'units', slice: 'gulls', file: 'module', edits: [['                self._client_timeout.total_seconds(),\n', '                None,\n']] },
  { name: 'dynamic async: client timeout not passed on (a fixed 10 s)', class: 'units', slice: 'gulls', file: 'module', edits: [['            timeout=self._client_timeout,', '            timeout=timedelta(seconds=10),']] },
  { name: 'dynamic async: client timeout converted with .seconds', class: 'units', slice: 'gulls', file: 'module', edits: [['            timeout=self._client_timeout,', '            timeout=timedelta(seconds=self._client_timeout.seconds),']] },
  // Class 8.
  { name: 'dynamic async: an empty fetch taken for the end', class: 'upstream', slice: 'gulls', file: 'module', edits: [['        if batch is None:\n', '        if not batch:\n']] },
  {
    name: 'dynamic async: consecutive equal values dropped as duplicates',
    class: 'upstream',
    slice: 'gulls',
    file: 'module',
    edits: [[A_DATA, '            self._next_awake = None\n            return [r for i, r in enumerate(batch) if i == 0 or r.value != batch[i - 1].value]']],
  },
  // Kit 3.1: the classes of the held-out v3 survivors (marked held-out) and
  // variants of each. Closing an async client.
  { name: 'dynamic async: an aclose() error swallowed (held-out)', class: 'errors', slice: 'gulls', file: 'module', edits: [[A_ACLOSE, '            try:\n                self._loop.run_until_complete(self._client.aclose())\n            except Exception:  # noqa: S110\n                pass']] },
  { name: 'dynamic async: an aclose() error logged at DEBUG only', class: 'errors', slice: 'gulls', file: 'module', edits: [[A_ACLOSE, '            try:\n                self._loop.run_until_complete(self._client.aclose())\n            except Exception:\n                logger.debug("%s: closing failed", self._where, exc_info=True)']] },
  { name: 'dynamic async: aclose() scheduled, never awaited (held-out)', class: 'resources', slice: 'gulls', file: 'module', edits: [[A_ACLOSE, '            self._loop.create_task(self._client.aclose())']] },
  { name: 'dynamic async: aclose() given one turn of the loop', class: 'resources', slice: 'gulls', file: 'module', edits: [[A_ACLOSE, '            self._loop.create_task(self._client.aclose())\n            self._loop.run_until_complete(asyncio.sleep(0))']] },
  // Busy-waiting while idle.
  { name: 'dynamic async demo: the idle client only yields, sleep(0) (held-out)', class: 'noise', slice: 'gulls', file: 'demo', edits: [[A_IDLE_WAIT, '            await asyncio.sleep(0)']] },
  // Falsy values dropped by the client.
  { name: 'dynamic async client: records with an empty value dropped', class: 'upstream', slice: 'gulls', file: 'module', edits: [['        return [_record(entry) for entry in entries]', '        return [_record(entry) for entry in entries if entry.value]']] },
  // The contract's basics.
  { name: 'dynamic async: timeout ignored (waits for the client)', class: 'contract', slice: 'gulls', file: 'module', edits: [['            timer = self._loop.call_later(self._timeout, self._loop.stop)', '            timer = self._loop.call_later(3600, self._loop.stop)']] },
  { name: 'dynamic async demo: the client blocks its loop 20 ms when idle', class: 'contract', slice: 'gulls', file: 'demo', edits: [[A_IDLE_WAIT, `            ${WAIT('0.02')}\n${A_IDLE_WAIT}`]] },
  { name: 'dynamic async demo: the client blocks its loop for good when idle (fails, not hangs)', class: 'contract', slice: 'gulls', file: 'demo', edits: [[A_IDLE_WAIT, `            ${WAIT('')}`]] },
  { name: 'dynamic async: close() not idempotent', class: 'contract', slice: 'gulls', file: 'module', edits: [['        if self._loop.is_closed():\n            return\n', '']] },
  { name: 'dynamic async: client connected outside the partition loop', class: 'contract', slice: 'gulls', file: 'module', edits: [['            client = loop.run_until_complete(opening)', '            client = asyncio.run(self._open(worker_index, worker_count))']] },
  { name: 'dynamic async demo: worker shares overlap', class: 'contract', slice: 'gulls', file: 'demo', edits: [[SHARES, '    return list(shards[worker_index:])']] },
  { name: 'dynamic async: end of data ignored', class: 'contract', slice: 'gulls', file: 'module', edits: [['            logger.info("%s: the upstream ended", self._where)\n            raise StopIteration', '            return []']] },
];

export const SOURCE_MUTANTS: SourceMutant[] = [...HARBOR_LOG, ...PIER, ...GULLS];

/** Generates the catalogue's project in `work`; returns its folder. */
export function generateSources(work: string): string {
  const base = ['--yes', '--author-name', 'Ada Lovelace', '--skip-install', '--no-ci', '--no-git'];
  check(run(process.execPath, [CLI, 'harbor', ...base, '--partitioned', 'harbor_log', '--dynamic', 'gulls', '--client', 'async'], work));
  const project = path.join(work, 'harbor');
  check(run(process.execPath, [CLI, 'dynamic', 'pier', '--yes'], path.join(project, 'src')));
  return project;
}
