/**
 * Issue #17, proof in this repository: a generated project becomes a
 * connector of a real backend by changing only what it says to change. A
 * project with a partitioned source `orders` and a dynamic sink `totals` is
 * generated and installed as a user gets it; then, from the files in
 * `test/e2e/real-server/`, the client section of each module becomes a Redis
 * client (streams for the source, a hash for the sink), the adapter section
 * of each test module reaches a Redis server, and `redis` joins the
 * dependencies. A `redis-server` of its own, on a port found free, then
 * carries the project's checks, the kit's integration tests and the
 * examples. `git diff` against the project's first commit must touch
 * nothing but those sections and the configuration files.
 *
 * It needs `redis-server` on PATH (Debian's package; `.ci/run` installs it)
 * and fails, never skips, without it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, REPO_ROOT } from '../helpers/paths.js';
import { check, run, runProjectChecks, venvBin, type Ran } from './python.js';

/** The replacement Python: real files, each in the place of one section. */
const PARTS = path.join(REPO_ROOT, 'test', 'e2e', 'real-server');
const PACKAGE = 'bytewax_redis_orders';
const REDIS_REQUIREMENT = 'redis>=8.1';

/** Where a section starts and ends: lines beginning so, found once each. */
interface Section {
  file: string;
  start: string;
  end: string;
  /** The file in `PARTS` whose lines after its own `start` line replace the section. */
  replacement: string;
}

const CLIENT = { start: '# --- The client: the part you replace', end: '# --- The Bytewax side: keep as is' };
const SECTIONS: Section[] = [
  { file: `src/${PACKAGE}/orders.py`, ...CLIENT, replacement: 'orders_client.py' },
  { file: `src/${PACKAGE}/totals.py`, ...CLIENT, replacement: 'totals_client.py' },
  // The test modules mark where their adapters start, not where they end:
  // they end where the case's builder begins.
  {
    file: 'tests/test_orders.py',
    start: '# --- The adapters: how the kit reaches the upstream',
    end: 'def make_source(',
    replacement: 'orders_adapter.py',
  },
  {
    file: 'tests/test_totals.py',
    start: '# --- The adapters: how the kit reaches the downstream',
    end: 'def make_sink(',
    replacement: 'totals_adapter.py',
  },
];

/** Configuration: changed anywhere. */
const CONFIG_FILES = new Set(['pyproject.toml', 'uv.lock', '.env']);

/** The 1-based numbers of a section's start and end lines in `text`. */
function sectionLines(text: string, section: Section, what: string): [number, number] {
  const lines = text.split('\n');
  const find = (prefix: string): number => {
    const found = lines.flatMap((line, index) => (line.startsWith(prefix) ? [index + 1] : []));
    assert.equal(found.length, 1, `${what}: ${found.length} lines start with ${JSON.stringify(prefix)}`);
    return found[0]!;
  };
  const start = find(section.start);
  const end = find(section.end);
  assert.ok(start < end, `${what}: the section ends before it starts`);
  return [start, end];
}

/**
 * Puts the replacement of `section` between its start and end lines in the
 * project, keeping as many blank lines before the end line as were there.
 */
function splice(project: string, section: Section): void {
  const replacement = fs.readFileSync(path.join(PARTS, section.replacement), 'utf8').split('\n');
  const from = replacement.filter((line) => line.startsWith(section.start));
  assert.equal(from.length, 1, `${section.replacement}: ${from.length} lines start with ${JSON.stringify(section.start)}`);
  const body = replacement.slice(replacement.indexOf(from[0]!) + 1).join('\n').replace(/^\n+|\n+$/g, '').split('\n');
  const target = path.join(project, section.file);
  const lines = fs.readFileSync(target, 'utf8').split('\n');
  const [start, end] = sectionLines(lines.join('\n'), section, section.file);
  let blank = 0;
  while (lines[end - 2 - blank] === '') blank += 1;
  const spliced = [...lines.slice(0, start), '', ...body, ...Array<string>(blank).fill(''), ...lines.slice(end - 1)];
  fs.writeFileSync(target, spliced.join('\n'));
}

/**
 * What the working tree of `project` changed since `base` outside the
 * sections and the configuration files, one line each: every hunk of
 * `git diff` must lie strictly between a section's start and end lines (as
 * they are at `base`), and no file may be new, untracked, binary or changed
 * in mode only, unless it is configuration.
 */
function outsideSections(project: string, base: string): string[] {
  const git = (...args: string[]) => check(run('git', ['-c', 'core.quotePath=false', ...args], project)).output;
  const wrong: string[] = [];
  const hunks = new Map<string, string[]>();
  let file = '';
  for (const line of git('diff', '--no-color', '--no-ext-diff', '--no-renames', '--unified=0', base).split('\n')) {
    const header = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
    if (header) {
      file = header[2]!;
      hunks.set(file, []);
    } else if (line.startsWith('@@')) hunks.get(file)!.push(line);
  }
  for (const [changed, fileHunks] of hunks) {
    if (CONFIG_FILES.has(changed)) continue;
    const section = SECTIONS.find((s) => s.file === changed);
    if (!section) {
      wrong.push(`${changed}: changed, and it is neither a file with a section nor configuration`);
      continue;
    }
    if (fileHunks.length === 0) wrong.push(`${changed}: changed without a line changed (mode, or binary)`);
    const [start, end] = sectionLines(git('show', `${base}:${changed}`), section, `${changed} at ${base}`);
    for (const hunk of fileHunks) {
      const [, at, count] = /^@@ -(\d+)(?:,(\d+))? /.exec(hunk)!;
      const first = Number(at);
      const removed = count === undefined ? 1 : Number(count);
      // Removing lines first..first+removed-1; adding only: after line first.
      const inside = removed === 0 ? first >= start && first < end : first > start && first + removed - 1 < end;
      if (!inside) wrong.push(`${changed}: ${hunk} is outside lines ${start + 1}-${end - 1} (${section.start} ... ${section.end})`);
    }
  }
  for (const line of git('status', '--porcelain', '--untracked-files=all').split('\n')) {
    if (line.startsWith('?? ') && !CONFIG_FILES.has(line.slice(3))) wrong.push(`${line.slice(3)}: a new file`);
  }
  return wrong;
}

/** `redis-server --version`, or an error saying how to install it. */
function redisServerVersion(): string {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `redis-server did not run (${probe.error ? probe.error.message : `exit ${probe.status}`}): this test needs a real ` +
        'Redis server on PATH. Install Debian\'s package: apt-get install redis-server (.ci/run does).',
    );
  }
  return probe.stdout.trim();
}

/** A port nothing listens on now (another program may take it before we do). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether a Redis server answers PING on `port`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

interface RedisServer {
  port: number;
  /** The URL of database `db`. */
  url: (db?: number) => string;
  stop: () => Promise<void>;
}

/**
 * On Linux, `setpriv --pdeathsig KILL` (util-linux) ends the server with this
 * process, however this process ends: a signal that kills the test skips
 * every hook, and a handler could not run while a synchronous child runs.
 */
const DIES_WITH_US =
  process.platform === 'linux' && spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' }).status === 0
    ? ['setpriv', '--pdeathsig', 'KILL', '--']
    : [];

/**
 * Starts `redis-server` on a free port, with `dir` as its working folder and
 * nothing persisted; retried on another port if one is taken meanwhile.
 */
async function startRedis(dir: string): Promise<RedisServer> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const logFile = path.join(dir, `redis-${port}.log`);
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', logFile];
    const [command, ...prefix] = [...DIES_WITH_US, 'redis-server'];
    const child: ChildProcess = spawn(command!, [...prefix, ...args, '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: 'ignore',
    });
    let failed: Error | undefined;
    child.once('error', (error) => (failed = error));
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const running = () => child.exitCode === null && child.signalCode === null && !failed;
    // Never outlive this process, whatever ends it (see DIES_WITH_US).
    const killNow = () => child.kill('SIGKILL');
    process.once('exit', killNow);
    const stop = async () => {
      if (running()) {
        child.kill('SIGTERM');
        const timer = setTimeout(killNow, 5000);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', killNow);
    };
    const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
    const deadline = Date.now() + 20_000;
    while (running() && Date.now() < deadline) {
      if (/Ready to accept connections/.test(log()) && (await ping(port))) {
        return { port, url: (db = 0) => `redis://127.0.0.1:${port}/${db}`, stop };
      }
      await sleep(50);
    }
    await stop();
    if (/already in use/i.test(log()) && attempt < 5) continue;
    throw new Error(`redis-server did not start on port ${port}: ${failed?.message ?? ''}\n${log()}`);
  }
}

/** The counts in pytest's summary line, e.g. `{ passed: 36 }`. */
/**
 * The known lines that concurrent workers printed, in print order, and all
 * other text. bytewax's `StdOutSink` writes a line and its newline apart, so
 * two workers' lines can share one (`AB`, then an empty line); each write
 * stays whole, so the text without newlines is the lines back to back. As
 * the kit's `split_printed` does.
 */
function splitPrinted(output: string, lines: string[]): [string[], string] {
  const known = [...new Set(lines)].sort((a, b) => b.length - a.length);
  const text = output.replaceAll('\n', '');
  const found: string[] = [];
  let other = '';
  for (let at = 0; at < text.length; ) {
    const line = known.find((candidate) => text.startsWith(candidate, at));
    if (line === undefined) {
      other += text[at];
      at += 1;
    } else {
      found.push(line);
      at += line.length;
    }
  }
  return [found, other];
}

function outcomes(pytest: Ran): Record<string, number> {
  const summary = pytest.output.trim().split('\n').at(-1) ?? '';
  return Object.fromEntries([...summary.matchAll(/(\d+) (\w+)/g)].map(([, count, what]) => [what!, Number(count)]));
}

describe('e2e: a generated connector made real against a Redis server', function () {
  this.timeout(20 * 60 * 1000);
  let work: string;
  let redis: RedisServer | undefined;

  before(async () => {
    redisServerVersion();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-e2e-redis-'));
    const dir = path.join(work, 'redis');
    fs.mkdirSync(dir);
    redis = await startRedis(dir);
  });

  after(async () => {
    await redis?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('replacing the client and adapter sections and the configuration: every check passes against Redis, and nothing else changed', () => {
    assert.ok(redis);
    const url = redis.url(0);
    // Generated and installed as a user gets it: a .venv, and a first commit.
    check(run(process.execPath, [CLI, 'redis-orders', '--yes', '--author-name', 'Ada Lovelace', '--partitioned', 'orders', '--sink', 'totals', '--no-ci', '--no-docs'], work));
    const project = path.join(work, 'redis-orders');
    const venv = path.join(project, '.venv');
    const python = venvBin(venv, 'python');
    const base = check(run('git', ['rev-list', '--max-parents=0', 'HEAD'], project)).output.trim();
    assert.match(base, /^[0-9a-f]{40}$/, 'the project has one first commit');

    // The swap: the sections, then the dependency (as `uv add` writes it,
    // with the lock; without uv, by hand and pip).
    for (const section of SECTIONS) splice(project, section);
    if (fs.existsSync(path.join(project, 'uv.lock'))) {
      check(run('uv', ['add', '--quiet', REDIS_REQUIREMENT], project));
    } else {
      const pyproject = path.join(project, 'pyproject.toml');
      const text = fs.readFileSync(pyproject, 'utf8');
      const added = text.replace(/^dependencies = \[(.*)\]$/m, `dependencies = [$1, "${REDIS_REQUIREMENT}"]`);
      assert.notEqual(added, text, 'no dependencies line in pyproject.toml');
      fs.writeFileSync(pyproject, added);
      check(run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-e', '.'], project));
    }

    // Only the sections and configuration changed, and the check can tell:
    // a line added just past a section, or in a file without one, is caught.
    assert.deepEqual(outsideSections(project, base), [], 'changed outside the sections and configuration');
    const orders = path.join(project, SECTIONS[0]!.file);
    const example = path.join(project, 'examples', 'orders.py');
    const kept = [orders, example].map((file) => fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(orders, kept[0]!.replace(`\n${CLIENT.end}`, `\n${CLIENT.end}\n# an edit past the section`));
    fs.appendFileSync(example, '# an edit in a file without a section\n');
    const caught = outsideSections(project, base);
    fs.writeFileSync(orders, kept[0]!);
    fs.writeFileSync(example, kept[1]!);
    assert.equal(caught.length, 2, caught.join('\n'));
    assert.match(caught[0]!, /^examples\/orders\.py: changed/);
    assert.match(caught[1]!, new RegExp(`^src/${PACKAGE}/orders\\.py: @@ .* is outside lines`));
    assert.deepEqual(outsideSections(project, base), []);

    // The replacement files lint and type-check as the modules they stand for.
    const parts = fs.readdirSync(PARTS).filter((name) => name.endsWith('.py')).map((name) => path.join(PARTS, name));
    const config = ['--config', 'pyproject.toml'];
    // Test modules are exempt from docstrings (per-file-ignores for tests/**).
    check(run(venvBin(venv, 'ruff'), ['check', '--no-cache', ...config, '--config', "lint.extend-per-file-ignores = {'*_adapter.py' = ['D']}", ...parts], project));
    check(run(venvBin(venv, 'ruff'), ['format', '--check', '--no-cache', ...config, ...parts], project));
    check(run(venvBin(venv, 'mypy'), ['--config-file', 'pyproject.toml', ...parts], project));

    // Every check the project promises, on its demo path (URLs unset).
    runProjectChecks(venv, project);

    // The kit's integration tests, against Redis: every contract test the
    // demo runs, run again as `[integration]`, and passed.
    const env = { ORDERS_URL: url, TOTALS_URL: url };
    const files = ['tests/test_orders.py', 'tests/test_totals.py'];
    const pytestArgs = ['-q', '-p', 'no:cacheprovider', '-m', 'integration or not integration', ...files];
    const ids = check(run(venvBin(venv, 'pytest'), ['--collect-only', ...pytestArgs], project, env))
      .output.split('\n')
      .filter((line) => line.includes('::'));
    const integration = ids.filter((id) => id.includes('[integration'));
    const demo = ids.filter((id) => id.includes('[demo'));
    for (const id of demo) assert.ok(integration.includes(id.replace('[demo', '[integration')), `no integration twin of ${id}`);
    assert.ok(demo.length > 0 && integration.length === demo.length, `${demo.length} demo and ${integration.length} integration tests`);
    const integrationRun = check(run(venvBin(venv, 'pytest'), [...pytestArgs.slice(0, 4), 'integration', ...files], project, env));
    assert.deepEqual(outcomes(integrationRun), { passed: integration.length, deselected: ids.length - integration.length }, integrationRun.output);

    // They ran on Redis, and left nothing in it.
    const data = (...args: string[]) => JSON.parse(check(run(python, [path.join(PARTS, 'redis_data.py'), ...args], project)).output) as unknown;
    const stats = data('stats', url) as { keys: number; calls: Record<string, number> };
    // Redis 7 counts `XINFO STREAM` as `xinfo|stream`, Redis 6 as `xinfo`.
    const calls = (command: string) =>
      Object.entries(stats.calls).reduce((sum, [name, count]) => (name === command || name.startsWith(`${command}|`) ? sum + count : sum), 0);
    for (const command of ['xadd', 'xrange', 'xinfo', 'scan', 'hset', 'hgetall']) {
      assert.ok(calls(command) > 0, `no ${command} reached Redis: ${JSON.stringify(stats.calls)}`);
    }
    assert.equal(stats.keys, 0, 'the adapters left keys behind');

    // The examples, as the README runs them, with 2 workers: the source's
    // prints every entry of the streams once, in order per stream ...
    const seeded = data('seed', url, 'orders:', '4', 'eu west', 'us-east', 'ap:1') as Record<string, Array<[string, string]>>;
    const bytewax = (flow: string, extra: Record<string, string>) =>
      check(run(python, ['-m', 'bytewax.run', flow, '-w', '2'], project, { ...env, ...extra })).output;
    const records = Object.entries(seeded).flatMap(([name, entries]) =>
      entries.map(([id, value]) => `OrdersRecord(partition='${name}', offset='${id}', value='${value}')`),
    );
    const [printed, other] = splitPrinted(bytewax('examples.orders:flow', {}), records);
    assert.ok(!other.includes('OrdersRecord('), `the example printed records it was not given:\n${other}`);
    assert.deepEqual([...printed].sort(), [...records].sort(), 'the example printed other records');
    for (const [name] of Object.entries(seeded)) {
      const mine = records.filter((line) => line.startsWith(`OrdersRecord(partition='${name}'`));
      assert.deepEqual(printed.filter((line) => mine.includes(line)), mine, `stream ${name} out of order`);
    }
    // ... the pipeline carries them into a hash, keyed by stream and id ...
    bytewax('examples.pipeline:flow', { TOTALS_URL: `${url}?key=pipeline` });
    const wanted = Object.fromEntries(Object.entries(seeded).flatMap(([name, entries]) => entries.map(([id, value]) => [`${name}:${id}`, value])));
    assert.deepEqual(data('hash', url, 'pipeline'), wanted);
    // ... and the sink's example leaves the last value of each key.
    bytewax('examples.totals:flow', { TOTALS_URL: `${url}?key=example` });
    assert.deepEqual(data('hash', url, 'example'), data('example-items', PACKAGE));
  });
});
