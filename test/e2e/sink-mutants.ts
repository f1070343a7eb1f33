/**
 * The mutants of the generated sinks (run by sink-mutants.test.ts through
 * mutants.ts): a project with a partitioned sink `ledger` and a dynamic sink
 * `results`, and plausible mistakes in each sink and in its demo
 * downstream (which stands for the client a user writes), tagged by the
 * issue's mistake class.
 */
import path from 'node:path';
import { CLI } from '../helpers/paths.js';
import type { Mutant } from './mutants.js';
import { check, run } from './python.js';

/** The project's two sinks. */
export const SINKS = {
  ledger: 'partitioned',
  results: 'dynamic',
} as const;
export type SinkName = keyof typeof SINKS;
type SinkMutant = Mutant<SinkName>;

/** A wait that is not `time.sleep`, like a blocking flush or a lock. */
const WAIT = '__import__("threading").Event().wait(0.02)';
const THREAD = '__import__("threading").Thread';

const PART_FN = 'return zlib.crc32(item_key.encode())';
const SNAPSHOT = '        self._flush()\n        return self._position';
const WRITE_BATCH = '        self._pending += values\n        self._flush(keep=self._batch_size - 1)';
const CHUNK = '            values = self._pending[: self._batch_size]';
const APPEND_ERROR = '            except Exception as error:\n                msg = f"{self._where}: writing at {self._position!r} failed: {error}"\n                raise RuntimeError(msg) from error';
const APPEND_CALL = [
  '                self._position = self._client.append(',
  '                    self._partition,',
  '                    self._position,',
  '                    values,',
  '                )',
].join('\n');
const CLOSE_FLUSH = '        try:\n            self._flush()\n        except Exception:\n            logger.exception("%s: values left unwritten at close", self._where)';
const RESUMED = '        if resume_state is not None:\n            # Undo what was written after the snapshot.\n            return client.truncate(partition, resume_state)';
const HELD = '        if held == 0 or self._without_state == "append":';
const TRUNCATE_WARNING = '            logger.warning(\n                "%s: no resume state: deleting the %d values it holds",';
const BUILD_FAILED = '        except Exception as error:\n            client.close()\n            msg = f"{where}: finding where to write failed: {error}"';
const SETUP_FAILED = '        except Exception as error:\n            client.close()\n            msg = f"{where}: setting up the client failed: {error}"';
const LEDGER_PENDING = '        self._pending: list[str] = []\n        self._closed = False';
const FENCE = '            if end != position:\n                msg = f"partition {partition!r} ends at {end}, not at {position}"\n                raise ValueError(msg)\n';
const TRANSACTION = '        db.execute("BEGIN IMMEDIATE")\n        try:\n            end = self._end(db, partition)';
const BUSY_WAIT = '        timeout=wait.total_seconds(),';
const BUSY_SOURCE = '    wait = BUSY_TIMEOUT if timeout is None else timeout';
const LOG_INSERT = [
  '            db.executemany(',
  '                "INSERT INTO log (part, position, value) VALUES (?, ?, ?)",',
  '                [(partition, position + i, value) for i, value in enumerate(values)],',
  '            )',
].join('\n');
const PENDING_DONE = '            del self._pending[: len(values)]';

const LEDGER: SinkMutant[] = [
  // Class 1: a falsy resume state taken for none.
  { name: 'partitioned: `if resume_state:` (position 0 is no state)', class: 'falsy-state', slice: 'ledger', file: 'module', edits: [['        if resume_state is not None:\n', '        if resume_state:\n']] },
  { name: 'partitioned: snapshot returns None at position 0 ("nothing written")', class: 'falsy-state', slice: 'ledger', file: 'module', edits: [[SNAPSHOT, '        self._flush()\n        return self._position or None  # type: ignore[return-value]']] },
  {
    name: 'partitioned: a resume state of 0 treated as a fresh start',
    class: 'falsy-state',
    slice: 'ledger',
    file: 'module',
    edits: [[RESUMED, '        if resume_state:\n            # Undo what was written after the snapshot.\n            return client.truncate(partition, resume_state)\n        if resume_state == 0:\n            return client.end(partition)']],
  },
  // Class 2: errors lost or blurred.
  { name: 'partitioned: write error raised `from None`', class: 'errors', slice: 'ledger', file: 'module', edits: [[APPEND_ERROR, APPEND_ERROR.replace('from error', 'from None')]] },
  { name: 'partitioned: write error logged at ERROR and raised', class: 'errors', slice: 'ledger', file: 'module', edits: [[APPEND_ERROR, APPEND_ERROR.replace('            except Exception as error:\n', '            except Exception as error:\n                logger.exception("%s: write failed", self._where)\n')]] },
  {
    name: 'partitioned: a failed flush inside snapshot() only logged',
    class: 'errors',
    slice: 'ledger',
    file: 'module',
    edits: [[SNAPSHOT, '        try:\n            self._flush()\n        except RuntimeError:\n            logger.warning("%s: flush failed, retrying later", self._where)\n        return self._position']],
  },
  {
    name: 'partitioned: a write of a single value is best effort',
    class: 'errors',
    slice: 'ledger',
    file: 'module',
    edits: [[APPEND_ERROR, '            except Exception as error:\n                if len(values) == 1:\n                    logger.warning("%s: dropped one value: %s", self._where, error)\n                    del self._pending[:1]\n                    continue\n                msg = f"{self._where}: writing at {self._position!r} failed: {error}"\n                raise RuntimeError(msg) from error']],
  },
  { name: 'partitioned: a failed flush in close() swallowed silently', class: 'errors', slice: 'ledger', file: 'module', edits: [[CLOSE_FLUSH, '        try:\n            self._flush()\n        except Exception:  # noqa: S110\n            pass']] },
  { name: 'partitioned: a failed flush in close() logged at DEBUG', class: 'errors', slice: 'ledger', file: 'module', edits: [[CLOSE_FLUSH, '        try:\n            self._flush()\n        except Exception:\n            logger.debug("%s: values left unwritten", self._where, exc_info=True)']] },
  { name: 'partitioned: close raises a failed write', class: 'errors', slice: 'ledger', file: 'module', edits: [[CLOSE_FLUSH, '        self._flush()']] },
  { name: 'partitioned: write error without the partition\'s name', class: 'errors', slice: 'ledger', file: 'module', edits: [['msg = f"{self._where}: writing at {self._position!r} failed: {error}"', 'msg = f"writing at {self._position!r} failed: {error}"']] },
  { name: 'partitioned: a failed truncate raised as it is', class: 'errors', slice: 'ledger', file: 'module', edits: [[BUILD_FAILED, '        except Exception:\n            client.close()\n            raise\n        try:\n            pass\n        except Exception as error:\n            msg = f"{where}: finding where to write failed: {error}"']] },
  // Class 3: resources.
  { name: 'partitioned: list_parts leaks its client', class: 'resources', slice: 'ledger', file: 'module', edits: [['        finally:\n            client.close()', '        finally:\n            pass']] },
  { name: 'partitioned: close leaks the client', class: 'resources', slice: 'ledger', file: 'module', edits: [['        try:\n            self._client.close()\n        except', '        try:\n            pass\n        except']] },
  { name: 'partitioned: a failed build leaves its client open', class: 'resources', slice: 'ledger', file: 'module', edits: [[BUILD_FAILED, '        except Exception as error:\n            msg = f"{where}: finding where to write failed: {error}"']] },
  { name: 'partitioned: setup failure leaves the client open', class: 'resources', slice: 'ledger', file: 'module', edits: [[SETUP_FAILED, '        except Exception as error:\n            msg = f"{where}: setting up the client failed: {error}"']] },
  { name: 'partitioned: every value written kept (for a summary at close)', class: 'resources', slice: 'ledger', file: 'module', edits: [[WRITE_BATCH, `        self._written = [*getattr(self, "_written", []), *values]\n${WRITE_BATCH}`]] },
  {
    name: 'partitioned demo: setup opens a second connection and keeps it',
    class: 'resources',
    slice: 'ledger',
    file: 'demo',
    edits: [['        self._log.answer(self._timeout)\n        self._db = _open(self._log.path, self._timeout)', '        self._log.answer(self._timeout)\n        self._check = _open(self._log.path)\n        self._db = _open(self._log.path, self._timeout)']],
  },
  // Class 4: noise.
  { name: 'partitioned: an empty flush still calls the client', class: 'noise', slice: 'ledger', file: 'module', edits: [[SNAPSHOT, `        if not self._pending:\n            self._position = self._client.append(self._partition, self._position, [])\n${SNAPSHOT}`]] },
  { name: 'partitioned: WARNING logged for a snapshot with nothing to write', class: 'noise', slice: 'ledger', file: 'module', edits: [[SNAPSHOT, `        if not self._pending:\n            logger.warning("%s: nothing to write", self._where)\n${SNAPSHOT}`]] },
  // Class 5: batch edges.
  { name: 'partitioned: flush threshold `>` (a full batch waits)', class: 'batch-edges', slice: 'ledger', file: 'module', edits: [[WRITE_BATCH, '        self._pending += values\n        self._flush(keep=self._batch_size)']] },
  { name: 'partitioned: everything waiting written in one call', class: 'batch-edges', slice: 'ledger', file: 'module', edits: [[CHUNK, '            values = list(self._pending)']] },
  { name: 'partitioned: chunks one value longer than batch_size', class: 'batch-edges', slice: 'ledger', file: 'module', edits: [[CHUNK, '            values = self._pending[: self._batch_size + 1]']] },
  {
    name: 'partitioned: one client call per value',
    class: 'batch-edges',
    slice: 'ledger',
    file: 'module',
    edits: [[APPEND_CALL, '                for value in values:\n                    self._position = self._client.append(\n                        self._partition,\n                        self._position,\n                        [value],\n                    )']],
  },
  { name: 'partitioned: batch_size ignored (values pile up until the snapshot)', class: 'batch-edges', slice: 'ledger', file: 'module', edits: [[WRITE_BATCH, '        self._pending += values\n        self._flush(keep=100 * self._batch_size)']] },
  // Class 6: determinism across processes.
  { name: 'partitioned: part_fn uses hash() (salted per process)', class: 'determinism', slice: 'ledger', file: 'module', edits: [[PART_FN, 'return hash(item_key) & 0x7FFFFFFF']] },
  { name: 'partitioned: part_fn uses id() (unstable from call to call)', class: 'determinism', slice: 'ledger', file: 'module', edits: [[PART_FN, 'return id(item_key)']] },
  { name: 'partitioned: list_parts through a set', class: 'determinism', slice: 'ledger', file: 'module', edits: [['            return sorted(client.partitions())', '            return list(set(client.partitions()))']] },
  { name: 'partitioned: list_parts ordered by hash()', class: 'determinism', slice: 'ledger', file: 'module', edits: [['            return sorted(client.partitions())', '            return sorted(client.partitions(), key=hash)']] },
  // Class 7: units and settings.
  { name: 'partitioned: client timeout converted with .seconds', class: 'units', slice: 'ledger', file: 'module', edits: [['client = self._connect(timeout=self._client_timeout)', 'client = self._connect(timeout=timedelta(seconds=self._client_timeout.seconds))']] },
  { name: 'partitioned: client timeout not passed on (a fixed 10 s)', class: 'units', slice: 'ledger', file: 'module', edits: [['client = self._connect(timeout=self._client_timeout)', 'client = self._connect(timeout=timedelta(seconds=10))']] },
  { name: 'partitioned: the demo client gets no timeout', class: 'units', slice: 'ledger', file: 'module', edits: [['        return log.client(timeout)', '        return log.client(None)']] },
  // Class 9: sink semantics.
  { name: 'partitioned demo: append writes at the end, wherever the writer thinks it is', class: 'sinks', slice: 'ledger', file: 'demo', edits: [[FENCE, '            position = end\n']] },
  { name: 'partitioned demo: a write is not one transaction', class: 'sinks', slice: 'ledger', file: 'demo', edits: [[TRANSACTION, '        try:\n            end = self._end(db, partition)'], ['        except BaseException:\n            db.execute("ROLLBACK")\n            raise\n        db.execute("COMMIT")\n', '        except BaseException:\n            raise\n']] },
  { name: 'partitioned: a value repeated in a batch written once', class: 'sinks', slice: 'ledger', file: 'module', edits: [[WRITE_BATCH, '        self._pending += list(dict.fromkeys(values))\n        self._flush(keep=self._batch_size - 1)']] },
  { name: 'partitioned: empty values skipped', class: 'sinks', slice: 'ledger', file: 'module', edits: [[WRITE_BATCH, '        self._pending += [value for value in values if value]\n        self._flush(keep=self._batch_size - 1)']] },
  {
    name: 'partitioned: writes left to a background thread',
    class: 'sinks',
    slice: 'ledger',
    file: 'module',
    edits: [[WRITE_BATCH, `        self._pending += values\n        writer = ${THREAD}(target=self._flush, kwargs={"keep": self._batch_size - 1})\n        writer.start()\n        writer.join()`]],
  },
  { name: 'partitioned: deleting values without resume state logged at INFO only', class: 'sinks', slice: 'ledger', file: 'module', edits: [[TRUNCATE_WARNING, '            logger.info(\n                "%s: no resume state: deleting the %d values it holds",']] },
  { name: 'partitioned: without_state="fail" appends instead', class: 'sinks', slice: 'ledger', file: 'module', edits: [[HELD, '        if held == 0 or self._without_state != "truncate":']] },
  { name: 'partitioned: without_state="append" deletes instead', class: 'sinks', slice: 'ledger', file: 'module', edits: [[HELD, '        if held == 0 or self._without_state == "fail":']] },
  // Kit 3.1: the classes of the held-out v3 survivors (marked held-out) and
  // variants of each. Timeouts of the backend itself, in the demo client.
  { name: 'partitioned demo: busy timeout in ms given to sqlite3, which takes seconds (held-out)', class: 'units', slice: 'ledger', file: 'demo', edits: [[BUSY_WAIT, '        timeout=wait.total_seconds() * 1000,']] },
  { name: 'partitioned demo: busy timeout fixed at 60 s, the client timeout ignored', class: 'units', slice: 'ledger', file: 'demo', edits: [[BUSY_SOURCE, '    wait = timedelta(seconds=60)']] },
  // All or nothing beyond a chunk.
  {
    name: 'partitioned demo: an append committed every 100 rows (held-out)',
    class: 'sinks',
    slice: 'ledger',
    file: 'demo',
    edits: [[
      LOG_INSERT,
      [
        '            rows = [(partition, position + i, value) for i, value in enumerate(values)]',
        '            for start in range(0, len(rows), 100):',
        '                db.executemany(',
        '                    "INSERT INTO log (part, position, value) VALUES (?, ?, ?)",',
        '                    rows[start : start + 100],',
        '                )',
        '                db.execute("COMMIT")',
        '                db.execute("BEGIN IMMEDIATE")',
      ].join('\n'),
    ]],
  },
  // The backend's own failures inside the client.
  {
    name: 'partitioned demo: a locked log taken as written (append returns past the values)',
    class: 'errors',
    slice: 'ledger',
    file: 'demo',
    edits: [[TRANSACTION, '        try:\n            db.execute("BEGIN IMMEDIATE")\n        except sqlite3.OperationalError:\n            return position + len(values)\n        try:\n            end = self._end(db, partition)']],
  },
  // Log noise while writing.
  { name: 'partitioned: INFO logged for every batch written', class: 'noise', slice: 'ledger', file: 'module', edits: [[PENDING_DONE, `${PENDING_DONE}\n            logger.info("%s: wrote %d values", self._where, len(values))`]] },
  // The contract's basics.
  { name: 'partitioned: part_fn sends every key to one partition', class: 'contract', slice: 'ledger', file: 'module', edits: [[PART_FN, 'return 0']] },
  { name: 'partitioned: values written to another partition than built for', class: 'contract', slice: 'ledger', file: 'module', edits: [['            for_part,\n            position,\n            batch_size=self._batch_size,', '            sorted(self.list_parts())[0],\n            position,\n            batch_size=self._batch_size,']] },
  { name: 'partitioned: snapshot taken before the write', class: 'contract', slice: 'ledger', file: 'module', edits: [[SNAPSHOT, '        position = self._position\n        self._flush()\n        return position']] },
  { name: 'partitioned: snapshot does not write what waits', class: 'contract', slice: 'ledger', file: 'module', edits: [[SNAPSHOT, '        return self._position']] },
  { name: 'partitioned: snapshot off by one', class: 'contract', slice: 'ledger', file: 'module', edits: [[SNAPSHOT, '        self._flush()\n        return self._position + 1']] },
  { name: 'partitioned: truncate skipped on resume', class: 'contract', slice: 'ledger', file: 'module', edits: [['            return client.truncate(partition, resume_state)', '            return resume_state']] },
  { name: 'partitioned: order broken within a batch', class: 'contract', slice: 'ledger', file: 'module', edits: [[CHUNK, '            values = self._pending[: self._batch_size][::-1]']] },
  { name: 'partitioned: close not flushing', class: 'contract', slice: 'ledger', file: 'module', edits: [[CLOSE_FLUSH, '']] },
  { name: 'partitioned: close not idempotent', class: 'contract', slice: 'ledger', file: 'module', edits: [['        if self._closed:\n            return\n        self._closed = True\n        try:\n            self._flush()', '        self._closed = True\n        try:\n            self._flush()']] },
  { name: 'partitioned: a 20 ms blocking wait per client write', class: 'contract', slice: 'ledger', file: 'module', edits: [[CHUNK, `${CHUNK}\n            ${WAIT}`]] },
  { name: 'partitioned: a 20 ms blocking wait per write_batch', class: 'contract', slice: 'ledger', file: 'module', edits: [[WRITE_BATCH, `        ${WAIT}\n${WRITE_BATCH}`]] },
];

const ROWS = '        rows = list(dict(items).items())';
const UPSERT_CHUNK = '            chunk = rows[start : start + self._batch_size]';
const UPSERT_CALL = '            try:\n                self._client.upsert(chunk)';
const UPSERT_ERROR = '            except Exception as error:\n                msg = f"{self._where}: upserting {len(chunk)} rows failed: {error}"\n                raise RuntimeError(msg) from error';
const DYNAMIC_CLOSE = '        self._closed = True\n        try:\n            self._client.close()\n        except Exception:\n            logger.exception("%s: closing the client failed", self._where)';
const UPSERT_SQL = 'ON CONFLICT (key) DO UPDATE SET value = excluded.value';
const D_SETUP_FAILED = SETUP_FAILED;
const UPSERT_END = '        except BaseException:\n            self._db.execute("ROLLBACK")\n            raise\n        self._db.execute("COMMIT")';
const UPSERT_BEGIN = '        self._table.answer(self._timeout)\n        self._db.execute("BEGIN IMMEDIATE")';

const RESULTS: SinkMutant[] = [
  // Class 2.
  { name: 'dynamic: write error raised `from None`', class: 'errors', slice: 'results', file: 'module', edits: [[UPSERT_ERROR, UPSERT_ERROR.replace('from error', 'from None')]] },
  { name: 'dynamic: write error logged at ERROR and raised', class: 'errors', slice: 'results', file: 'module', edits: [[UPSERT_ERROR, UPSERT_ERROR.replace('            except Exception as error:\n', '            except Exception as error:\n                logger.error("%s: upsert failed: %s", self._where, error)\n')]] },
  { name: 'dynamic: a batch of one row is best effort', class: 'errors', slice: 'results', file: 'module', edits: [[UPSERT_ERROR, '            except Exception as error:\n                if len(chunk) == 1:\n                    continue\n                msg = f"{self._where}: upserting {len(chunk)} rows failed: {error}"\n                raise RuntimeError(msg) from error']] },
  { name: 'dynamic: write errors swallowed', class: 'errors', slice: 'results', file: 'module', edits: [[UPSERT_ERROR, '            except Exception:\n                logger.warning("%s: upsert failed", self._where)']] },
  { name: 'dynamic: a failed close swallowed silently', class: 'errors', slice: 'results', file: 'module', edits: [[DYNAMIC_CLOSE, '        self._closed = True\n        try:\n            self._client.close()\n        except Exception:  # noqa: S110\n            pass']] },
  { name: 'dynamic: close raises a failed client close', class: 'errors', slice: 'results', file: 'module', edits: [[DYNAMIC_CLOSE, '        self._closed = True\n        self._client.close()']] },
  { name: 'dynamic: write error without the worker', class: 'errors', slice: 'results', file: 'module', edits: [['msg = f"{self._where}: upserting', 'msg = f"upserting']] },
  {
    name: 'dynamic: a failing connect raised as it is',
    class: 'errors',
    slice: 'results',
    file: 'module',
    edits: [['        try:\n            client = self._connect(timeout=self._client_timeout)\n        except Exception as error:\n            msg = f"{where}: connecting failed: {error}"\n            raise RuntimeError(msg) from error', '        client = self._connect(timeout=self._client_timeout)']],
  },
  // Class 3.
  { name: 'dynamic: close leaks the client', class: 'resources', slice: 'results', file: 'module', edits: [[DYNAMIC_CLOSE, '        self._closed = True']] },
  { name: 'dynamic: setup failure leaves the client open', class: 'resources', slice: 'results', file: 'module', edits: [[D_SETUP_FAILED, '        except Exception as error:\n            msg = f"{where}: setting up the client failed: {error}"']] },
  { name: 'dynamic: every row written kept (for statistics)', class: 'resources', slice: 'results', file: 'module', edits: [[ROWS, `${ROWS}\n        self._seen = [*getattr(self, "_seen", []), *rows]`]] },
  {
    name: 'dynamic: a second client per worker (to read back), never closed',
    class: 'resources',
    slice: 'results',
    file: 'module',
    edits: [['        logger.info("%s: connected", where)', '        self._reader = self._connect(timeout=self._client_timeout)\n        logger.info("%s: connected", where)']],
  },
  // Class 4.
  { name: 'dynamic: an empty batch still calls the client', class: 'noise', slice: 'results', file: 'module', edits: [[ROWS, `${ROWS}\n        if not rows:\n            self._client.upsert(rows)`]] },
  { name: 'dynamic: WARNING logged for an empty batch', class: 'noise', slice: 'results', file: 'module', edits: [[ROWS, `${ROWS}\n        if not rows:\n            logger.warning("%s: empty batch", self._where)`]] },
  // Class 5.
  { name: 'dynamic: batch_size ignored (one call per write_batch)', class: 'batch-edges', slice: 'results', file: 'module', edits: [[UPSERT_CHUNK, '            chunk = rows[start:]'], ['        for start in range(0, len(rows), self._batch_size):', '        for start in range(0, min(len(rows), 1)):']] },
  { name: 'dynamic: chunks one row longer than batch_size', class: 'batch-edges', slice: 'results', file: 'module', edits: [[UPSERT_CHUNK, '            chunk = rows[start : start + self._batch_size + 1]']] },
  { name: 'dynamic: one client call per row', class: 'batch-edges', slice: 'results', file: 'module', edits: [[UPSERT_CALL, '            try:\n                for row in chunk:\n                    self._client.upsert([row])']] },
  // Class 6.
  { name: 'dynamic: duplicate items dropped through a set', class: 'determinism', slice: 'results', file: 'module', edits: [[ROWS, '        rows = list(dict(set(items)).items())']] },
  // Class 7.
  { name: 'dynamic: client timeout converted with .seconds', class: 'units', slice: 'results', file: 'module', edits: [['client = self._connect(timeout=self._client_timeout)', 'client = self._connect(timeout=timedelta(seconds=self._client_timeout.seconds))']] },
  { name: 'dynamic: client timeout not passed on (a fixed 10 s)', class: 'units', slice: 'results', file: 'module', edits: [['client = self._connect(timeout=self._client_timeout)', 'client = self._connect(timeout=timedelta(seconds=10))']] },
  { name: 'dynamic: the demo client gets no timeout', class: 'units', slice: 'results', file: 'module', edits: [['        return table.client(timeout)', '        return table.client(None)']] },
  // Class 8: keys and values the demo never had.
  {
    name: 'dynamic demo: upsert built with string formatting (quotes in keys)',
    class: 'upstream',
    slice: 'results',
    file: 'demo',
    edits: [['            self._db.executemany(_UPSERT, rows)', '            for key, value in rows:\n                self._db.execute(\n                    f"INSERT INTO rows (key, value) VALUES (\'{key}\', \'{value}\') "\n                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"\n                )']],
  },
  {
    name: 'dynamic demo: replace by deleting keys LIKE the new one',
    class: 'upstream',
    slice: 'results',
    file: 'demo',
    edits: [['            self._db.executemany(_UPSERT, rows)', '            for key, value in rows:\n                self._db.execute("DELETE FROM rows WHERE key LIKE ?", (key + "%",))\n                self._db.execute("INSERT INTO rows (key, value) VALUES (?, ?)", (key, value))']],
  },
  // Class 9.
  { name: 'dynamic: the first value of a key in a batch wins', class: 'sinks', slice: 'results', file: 'module', edits: [[ROWS, '        rows = list(dict(reversed(items)).items())']] },
  { name: 'dynamic demo: the largest value of a key wins', class: 'sinks', slice: 'results', file: 'demo', edits: [[UPSERT_SQL, 'ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)']] },
  { name: 'dynamic demo: upsert keeps the first value', class: 'sinks', slice: 'results', file: 'demo', edits: [['DO UPDATE SET value = excluded.value', 'DO NOTHING']] },
  { name: 'dynamic: empty values skipped', class: 'sinks', slice: 'results', file: 'module', edits: [[ROWS, '        rows = [(key, value) for key, value in dict(items).items() if value]']] },
  { name: 'dynamic demo: an upsert is not one transaction', class: 'sinks', slice: 'results', file: 'demo', edits: [['        self._db.execute("BEGIN IMMEDIATE")\n        try:\n            self._db.executemany(_UPSERT, rows)\n        except BaseException:\n            self._db.execute("ROLLBACK")\n            raise\n        self._db.execute("COMMIT")', '        self._db.executemany(_UPSERT, rows)']] },
  {
    name: 'dynamic: writes left to a background thread',
    class: 'sinks',
    slice: 'results',
    file: 'module',
    edits: [[UPSERT_CALL, `            try:\n                writer = ${THREAD}(target=self._client.upsert, args=(chunk,))\n                writer.start()\n                writer.join()`]],
  },
  {
    name: 'dynamic: items kept in memory until close (lost in a crash)',
    class: 'sinks',
    slice: 'results',
    file: 'module',
    edits: [
      [ROWS, "        self._kept = [*getattr(self, '_kept', []), *items]\n        rows = list(dict(self._kept).items()) if len(self._kept) > 1000 else []"],
      [DYNAMIC_CLOSE, "        self._closed = True\n        try:\n            self._client.upsert(list(dict(getattr(self, '_kept', [])).items()))\n            self._client.close()\n        except Exception:\n            logger.exception(\"%s: closing the client failed\", self._where)"],
    ],
  },
  {
    name: 'dynamic demo: upsert turned into append',
    class: 'sinks',
    slice: 'results',
    file: 'demo',
    edits: [
      ['    key TEXT PRIMARY KEY,', '    key TEXT NOT NULL,'],
      [`${UPSERT_SQL}\n`, ''],
    ],
  },
  // Kit 3.1: the classes of the held-out v3 survivors and weak kills (marked
  // held-out) and variants of each.
  { name: 'dynamic demo: busy timeout of a thousandth of the client timeout (ms for s, held-out)', class: 'units', slice: 'results', file: 'demo', edits: [[BUSY_WAIT, '        timeout=wait.total_seconds() / 1000,']] },
  { name: 'dynamic demo: a lock is never waited for (busy timeout 0)', class: 'units', slice: 'results', file: 'demo', edits: [[BUSY_SOURCE, '    wait = timedelta(0)']] },
  {
    name: 'dynamic demo: upserts committed every 128 rows',
    class: 'sinks',
    slice: 'results',
    file: 'demo',
    edits: [['            self._db.executemany(_UPSERT, rows)', '            for start in range(0, len(rows), 128):\n                self._db.executemany(_UPSERT, rows[start : start + 128])\n                self._db.execute("COMMIT")\n                self._db.execute("BEGIN IMMEDIATE")']],
  },
  {
    name: 'dynamic demo: an SQLite error rolled back and the upsert returns (held-out weak kill)',
    class: 'errors',
    slice: 'results',
    file: 'demo',
    edits: [[UPSERT_END, '        except sqlite3.Error:\n            self._db.execute("ROLLBACK")\n            return\n' + UPSERT_END]],
  },
  {
    name: 'dynamic demo: a locked table skipped (the upsert returns without writing)',
    class: 'errors',
    slice: 'results',
    file: 'demo',
    edits: [[UPSERT_BEGIN, '        self._table.answer(self._timeout)\n        try:\n            self._db.execute("BEGIN IMMEDIATE")\n        except sqlite3.OperationalError:\n            return']],
  },
  { name: 'dynamic: WARNING logged for every upsert (held-out weak kill)', class: 'noise', slice: 'results', file: 'module', edits: [[UPSERT_CALL, `${UPSERT_CALL}\n                logger.warning("%s: upserted %d rows", self._where, len(chunk))`]] },
  { name: 'dynamic: WARNING when a batch holds a key twice', class: 'noise', slice: 'results', file: 'module', edits: [[ROWS, `${ROWS}\n        if len(rows) < len(items):\n            logger.warning("%s: %d items replaced in their batch", self._where, len(items) - len(rows))`]] },
  // The contract's basics.
  { name: 'dynamic: only the last item of a batch written', class: 'contract', slice: 'results', file: 'module', edits: [[ROWS, '        rows = list(dict(items[-1:]).items())']] },
  { name: 'dynamic: close not idempotent', class: 'contract', slice: 'results', file: 'module', edits: [['        if self._closed:\n            return\n', '']] },
  { name: 'dynamic: a 20 ms blocking wait per batch', class: 'contract', slice: 'results', file: 'module', edits: [[ROWS, `        ${WAIT}\n${ROWS}`]] },
];

export const SINK_MUTANTS: SinkMutant[] = [...LEDGER, ...RESULTS];

/** Generates the catalogue's project in `work`; returns its folder. */
export function generateSinks(work: string): string {
  const base = ['--yes', '--author-name', 'Ada Lovelace', '--skip-install', '--no-ci', '--no-git'];
  check(run(process.execPath, [CLI, 'depot', ...base, '--sink', 'ledger', '--sink-kind', 'partitioned'], work));
  const project = path.join(work, 'depot');
  check(run(process.execPath, [CLI, 'sink', 'results', '--yes'], path.join(project, 'src')));
  return project;
}
