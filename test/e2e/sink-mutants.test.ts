/**
 * The mutation catalogue of the generated sinks (see mutants.ts for how a
 * catalogue runs): a project with a partitioned sink `ledger` and a dynamic
 * sink `results`, and plausible bugs in each sink and in its demo downstream.
 */
import path from 'node:path';
import { CLI } from '../helpers/paths.js';
import { type Mutant, describeMutationCatalogue } from './mutants.js';
import { check, run } from './python.js';

/** The project's two sinks. */
const SINKS = {
  ledger: 'partitioned',
  results: 'dynamic',
} as const;
type SinkName = keyof typeof SINKS;

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

const MUTANTS: Array<Mutant<SinkName>> = [
  // --- partitioned: routing
  { name: 'partitioned: part_fn uses hash() (salted per process)', slice: 'ledger', file: 'module', edits: [[PART_FN, 'return hash(item_key) & 0x7FFFFFFF']] },
  { name: 'partitioned: part_fn uses id() (unstable from call to call)', slice: 'ledger', file: 'module', edits: [[PART_FN, 'return id(item_key)']] },
  { name: 'partitioned: part_fn sends every key to one partition', slice: 'ledger', file: 'module', edits: [[PART_FN, 'return 0']] },
  {
    name: 'partitioned: values written to another partition than built for',
    slice: 'ledger',
    file: 'module',
    edits: [['            for_part,\n            position,', '            sorted(self.list_parts())[0],\n            position,']],
  },
  // --- partitioned: snapshot and resume
  {
    name: 'partitioned: snapshot taken before the write',
    slice: 'ledger',
    file: 'module',
    edits: [[SNAPSHOT, '        position = self._position\n        self._flush()\n        return position']],
  },
  { name: 'partitioned: snapshot does not write what waits', slice: 'ledger', file: 'module', edits: [[SNAPSHOT, '        return self._position']] },
  { name: 'partitioned: snapshot off by one', slice: 'ledger', file: 'module', edits: [[SNAPSHOT, '        self._flush()\n        return self._position + 1']] },
  { name: 'partitioned: resume state ignored (every build starts empty)', slice: 'ledger', file: 'module', edits: [[TRUNCATE, 'position = client.truncate(for_part, None)']] },
  {
    name: 'partitioned: truncate skipped on resume',
    slice: 'ledger',
    file: 'module',
    edits: [[TRUNCATE, 'position = 0 if resume_state is None else resume_state']],
  },
  {
    name: 'partitioned: duplicate on replay (resumes after the log\'s end, unfenced)',
    slice: 'ledger',
    file: 'module',
    edits: [[TRUNCATE, 'position = client.truncate(for_part, None if resume_state is None else 10**9)']],
  },
  {
    name: 'partitioned demo: truncate keeps the values (a backend that cannot undo)',
    slice: 'ledger',
    file: 'demo',
    edits: [
      ['"DELETE FROM log WHERE part = ? AND position >= ?"', '"DELETE FROM log WHERE part = ? AND position >= ? AND 0"'],
      ['            if end != position:', '            position = end\n            if end != position:'],
    ],
  },
  // --- partitioned: writing
  { name: 'partitioned: blocking write (a 20 ms wait per client write)', slice: 'ledger', file: 'module', edits: [[FLUSH_TAKE, `${FLUSH_TAKE}\n        ${WAIT}`]] },
  {
    name: 'partitioned: blocking write_batch (a 20 ms wait per call)',
    slice: 'ledger',
    file: 'module',
    edits: [['        self._pending += values', `        ${WAIT}\n        self._pending += values`]],
  },
  { name: 'partitioned: order broken within a batch', slice: 'ledger', file: 'module', edits: [[FLUSH_TAKE, '        values, self._pending = self._pending[::-1], []']] },
  {
    name: 'partitioned: batch_size ignored (values pile up until the snapshot)',
    slice: 'ledger',
    file: 'module',
    edits: [['if len(self._pending) >= self._batch_size:', 'if len(self._pending) >= 100 * self._batch_size:']],
  },
  {
    name: 'partitioned: one client call per value',
    slice: 'ledger',
    file: 'module',
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
  { name: 'partitioned: write errors swallowed', slice: 'ledger', file: 'module', edits: [[WRITE_ERROR, '            return']] },
  { name: 'partitioned: write error without the partition\'s name', slice: 'ledger', file: 'module', edits: [['msg = f"{self._where}: writing at', 'msg = f"writing at']] },
  // --- partitioned: close
  { name: 'partitioned: close not flushing', slice: 'ledger', file: 'module', edits: [[CLOSE_FLUSH, '']] },
  {
    name: 'partitioned: close raises a failed write',
    slice: 'ledger',
    file: 'module',
    edits: [['        except Exception:\n            logger.exception("%s: values left unwritten at close", self._where)\n', '        finally:\n            pass\n']],
  },
  {
    name: 'partitioned: close not idempotent',
    slice: 'ledger',
    file: 'module',
    edits: [['        if self._closed:\n            return\n        self._closed = True\n        try:\n            self._flush()', '        self._closed = True\n        try:\n            self._flush()']],
  },
  { name: 'partitioned: close leaks the client', slice: 'ledger', file: 'module', edits: [['        try:\n            self._client.close()\n        except', '        try:\n            pass\n        except']] },
  { name: 'partitioned: list_parts leaks its client', slice: 'ledger', file: 'module', edits: [['        finally:\n            client.close()', '        finally:\n            pass']] },

  // --- dynamic
  {
    name: 'dynamic demo: upsert turned into append',
    slice: 'results',
    file: 'demo',
    edits: [
      ['    key TEXT PRIMARY KEY,', '    key TEXT NOT NULL,'],
      ['ON CONFLICT (key) DO UPDATE SET value = excluded.value\n', ''],
    ],
  },
  { name: 'dynamic demo: upsert keeps the first value', slice: 'results', file: 'demo', edits: [['DO UPDATE SET value = excluded.value', 'DO NOTHING']] },
  { name: 'dynamic: order broken within a batch (first value of a key wins)', slice: 'results', file: 'module', edits: [[ROWS, 'rows = list(dict(reversed(items)).items())']] },
  { name: 'dynamic: only the last item of a batch written', slice: 'results', file: 'module', edits: [[ROWS, 'rows = list(dict(items[-1:]).items())']] },
  {
    name: 'dynamic: items kept in memory until close (lost in a crash)',
    slice: 'results',
    file: 'module',
    edits: [
      [`        ${ROWS}`, "        self._kept = [*getattr(self, '_kept', []), *items]\n        rows = list(dict(self._kept).items()) if len(self._kept) > 1000 else []"],
      [DYNAMIC_CLOSE, "        self._closed = True\n        try:\n            self._client.upsert(list(dict(getattr(self, '_kept', [])).items()))\n            self._client.close()\n"],
    ],
  },
  { name: 'dynamic: one client call per row', slice: 'results', file: 'module', edits: [['            self._client.upsert(rows)', '            for row in rows:\n                self._client.upsert([row])']] },
  {
    name: 'dynamic: blocking write (a 20 ms wait per batch)',
    slice: 'results',
    file: 'module',
    edits: [['        try:\n            self._client.upsert(rows)', `        ${WAIT}\n        try:\n            self._client.upsert(rows)`]],
  },
  { name: 'dynamic: write errors swallowed', slice: 'results', file: 'module', edits: [[UPSERT_ERROR, '            return']] },
  { name: 'dynamic: write error without the worker', slice: 'results', file: 'module', edits: [['msg = f"{self._where}: upserting', 'msg = f"upserting']] },
  { name: 'dynamic: close not idempotent', slice: 'results', file: 'module', edits: [['        if self._closed:\n            return\n', '']] },
  { name: 'dynamic: close leaks the client', slice: 'results', file: 'module', edits: [[DYNAMIC_CLOSE, '        self._closed = True\n        try:\n            pass\n']] },
  {
    name: 'dynamic: close raises a failed client close',
    slice: 'results',
    file: 'module',
    edits: [['        except Exception:\n            logger.exception("%s: closing the client failed", self._where)', '        finally:\n            pass']],
  },
];

describeMutationCatalogue({
  of: 'sinks',
  packageName: 'bytewax_depot',
  slices: SINKS,
  mutants: MUTANTS,
  minimum: 15,
  generate: (work) => {
    const base = ['--yes', '--author-name', 'Ada Lovelace', '--skip-install', '--no-ci', '--no-git'];
    check(run(process.execPath, [CLI, 'depot', ...base, '--sink', 'ledger', '--sink-kind', 'partitioned'], work));
    const project = path.join(work, 'depot');
    check(run(process.execPath, [CLI, 'sink', 'results', '--yes'], path.join(project, 'src')));
    return project;
  },
});
