/**
 * Properties of runs on hostile input: what a cloned repository or a strange
 * machine can hand the generator. For random `.yo-rc.json` contents, random
 * journals (signed or not, paths anywhere), random environments (HOME, cache
 * and state folders, TERM, NO_COLOR) and two random runs at once, every run
 *
 * - ends in success (exit 0) or in one `error:` message with its hint (exit
 *   1), never a stack trace, never an escape sequence from the input;
 * - touches nothing outside the project (the user's cache and state folders
 *   aside, which only get our own files);
 * - loses nothing: a failed run leaves the project as it was, a successful
 *   one removes no file and records what it wrote.
 *
 * Seeded: HOSTILE_SEED=<seed> replays; HOSTILE_RUNS scales the counts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { type JournalBody, journalText } from '../lib/journal.js';
import { loadRunner, runInProcess } from './helpers/in-process.js';
import { CLI, listFiles, readTree } from './helpers/paths.js';

const SCALE = Number(process.env['HOSTILE_RUNS'] ?? 1);
const SEED = Number(process.env['HOSTILE_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

const ENV = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', npm_command: '' };
const PROJECT_ARGS = ['--yes', '--author-name', 'Ada', '--skip-install', '--no-git', '--partitioned', 'orders', '--sink', 'out'];

/** The invariant on what a run printed: success, or one error message and its hint. */
function assertOneLineOutcome(status: number | null, output: string, what: string): void {
  assert.ok(status === 0 || status === 1, `${what}: exit ${status}\n${output}`);
  assert.doesNotMatch(output, /\n\s+at [\w.<>]+ \(/, `${what}: a stack trace\n${output}`);
  assert.doesNotMatch(output, /[\u001b\u009b\u0007]/, `${what}: an escape sequence printed raw`);
  if (status === 1) {
    const error = output.slice(output.indexOf('error: '));
    assert.ok(output.includes('error: '), `${what}: exit 1 without an error line\n${output}`);
    const lines = error.trimEnd().split('\n');
    // The message, the files it names when it lists some, and one hint.
    assert.ok(lines.length <= 3 || lines.slice(1, -2).every((line) => line.startsWith('  ')), `${what}: not one message\n${output}`);
  }
}

/** A random JSON value: what a hostile .yo-rc.json can hold anywhere. */
const anyJson = fc.jsonValue({ maxDepth: 3 });

const hostileName = fc.oneof(
  fc.constantFrom('../../escape', '/etc/passwd', 'a/b', 'con', 'pytest', '', ' ', 'x'.repeat(400), 'demo', '__init__', 'Orders', 'o\u001b[31m', 'o\u202e', 'o\0x'),
  fc.string({ maxLength: 20 }),
);

/** Valid answers with one part replaced by something hostile. */
function hostileConfig(valid: Record<string, unknown>): fc.Arbitrary<string> {
  const keys = Object.keys(valid);
  const patched = fc.oneof(
    fc.record({ key: fc.constantFrom(...keys), value: anyJson }).map(({ key, value }) => ({ ...valid, [key]: value })),
    fc.constantFrom(...keys).map((key) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key))),
    fc.record({ name: hostileName, kind: fc.constantFrom('partitioned', 'dynamic', 'sideways', 5) }).map((entry) => ({ ...valid, sources: [entry] })),
    fc.record({ name: hostileName, kind: fc.constantFrom('partitioned', 'dynamic', null) }).map((entry) => ({ ...valid, sinks: [entry] })),
    fc.record({ key: fc.constantFrom('packageName', 'distName', 'description', 'authorName'), value: hostileName }).map(({ key, value }) => ({ ...valid, [key]: value })),
  );
  return fc.oneof(
    { weight: 6, arbitrary: patched.map((config) => JSON.stringify({ 'generator-bytewax-connector': config })) },
    { weight: 1, arbitrary: anyJson.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: patched.map((config) => `\ufeff${JSON.stringify({ 'generator-bytewax-connector': config })}`) },
  );
}

const slicePath = fc.oneof(
  fc.constantFrom('README.md', 'src/bytewax_proj/orders.py', 'new.txt', 'lnk/bashrc', '../outside/bashrc', '/etc/hostname', 'a/../../x', 'src\\..\\..\\x', '.', '', 'x\0y'),
  fc.array(fc.constantFrom('a', 'b', '..', 'lnk', '.git', 'src'), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
);

const journal = fc.record({
  signed: fc.constantFrom('ours', 'none', 'other'),
  directories: fc.array(slicePath, { maxLength: 2 }),
  entries: fc.array(
    fc.record({ path: slicePath, action: fc.constantFrom('create', 'update'), content: fc.string({ maxLength: 8 }), before: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }) }),
    { maxLength: 3 },
  ),
});

const sha = async (text: string) => (await import('node:crypto')).createHash('sha256').update(text).digest('hex');

describe('properties of runs on hostile input', function () {
  this.timeout(20 * 60 * 1000);
  let work: string;
  let template: string;
  /** Outcomes of the current property's runs, printed: a property whose runs all end the same way tests little. */
  let tally = { ok: 0, refused: 0 };
  const count = (status: number | null) => (status === 0 ? tally.ok++ : tally.refused++);
  beforeEach(() => {
    tally = { ok: 0, refused: 0 };
  });
  afterEach(() => console.log(`      (runs: ${tally.ok} succeeded, ${tally.refused} stopped with an error)`));

  before(async () => {
    console.log(`      seed ${SEED} (replay with HOSTILE_SEED=${SEED})`);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-hostile-'));
    template = path.join(work, 'template');
    fs.mkdirSync(template);
    const runCli = await loadRunner();
    const made = await runInProcess(runCli, ['proj', ...PROJECT_ARGS], template);
    assert.equal(made.status, 0, made.output);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  /** A fresh copy of the template project in a folder of its own, with an outside file beside it and a link to it. */
  function freshCase(name: string): { root: string; project: string; outside: string } {
    const root = path.join(work, name);
    fs.mkdirSync(root);
    fs.cpSync(path.join(template, 'proj'), path.join(root, 'proj'), { recursive: true });
    const outside = path.join(root, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'bashrc'), 'mine\n');
    fs.symlinkSync('../outside', path.join(root, 'proj', 'lnk'));
    return { root, project: path.join(root, 'proj'), outside };
  }

  /** What a run may have changed: the project, and nothing beside it. */
  function assertNothingLost(before: Map<string, string>, after: Map<string, string>, status: number | null, what: string): void {
    if (status === 1) {
      assert.deepEqual(after, before, `${what}: a failed run changed the project`);
      return;
    }
    for (const file of before.keys()) {
      if (file.startsWith('.generator-bytewax-connector.')) continue;
      assert.ok(after.has(file), `${what}: ${file} is gone`);
    }
  }

  it(`${runs(40)} hostile .yo-rc.json files: one-line outcome, nothing outside touched, nothing lost`, async () => {
    const runCli = await loadRunner();
    const valid = JSON.parse(fs.readFileSync(path.join(template, 'proj', '.yo-rc.json'), 'utf8'))['generator-bytewax-connector'] as Record<string, unknown>;
    const commands = fc.constantFrom<string[]>(['sink', 'extra', '--yes'], ['partitioned', 'extra', '--yes'], ['ci', '--yes'], ['docs', '--yes'], ['.', '--yes', '--skip-install', '--no-git']);
    let index = 0;
    await fc.assert(
      fc.asyncProperty(hostileConfig(valid), commands, async (text, argv) => {
        const { root, project, outside } = freshCase(`rc${index++}`);
        fs.writeFileSync(path.join(project, '.yo-rc.json'), text);
        const before = readTree(project);
        const { status, output } = await runInProcess(runCli, argv, project);
        const what = `${argv.join(' ')} with .yo-rc.json ${JSON.stringify(text).slice(0, 200)}`;
        count(status);
        assertOneLineOutcome(status, output, what);
        assertNothingLost(before, readTree(project), status, what);
        assert.deepEqual(readTree(outside), new Map([['bashrc', 'mine\n']]), `${what}: outside touched`);
        assert.deepEqual(fs.readdirSync(root).sort(), ['outside', 'proj'], `${what}: wrote beside the project`);
        fs.rmSync(root, { recursive: true, force: true });
      }),
      { numRuns: runs(40), seed: SEED },
    );
  });

  it(`${runs(40)} hostile journals: refused in one line unless ours and inside, outside never touched`, async () => {
    const runCli = await loadRunner();
    let index = 0;
    await fc.assert(
      fc.asyncProperty(journal, async (drawn) => {
        const { root, project, outside } = freshCase(`journal${index++}`);
        const body: JournalBody = {
          version: 2,
          command: 'sink out',
          directories: drawn.directories,
          entries: await Promise.all(
            drawn.entries.map(async (entry) => ({
              path: entry.path,
              action: entry.action,
              after: await sha(entry.content),
              ...(entry.before === undefined ? {} : { before: Buffer.from(entry.before).toString('base64') }),
            })),
          ),
        };
        const key = drawn.signed === 'ours' ? undefined : drawn.signed === 'other' ? Buffer.alloc(32, 3) : undefined;
        let text = drawn.signed === 'ours' ? journalText(body) : journalText(body, key);
        if (drawn.signed === 'none') text = text.replace(/"mac": "[0-9a-f]+"/, '"mac": null');
        fs.writeFileSync(path.join(project, '.generator-bytewax-connector.journal.json'), text);
        const before = readTree(project);
        const { status, output } = await runInProcess(runCli, ['sink', 'extra', '--yes'], project);
        const what = `journal ${JSON.stringify(drawn).slice(0, 300)}`;
        count(status);
        assertOneLineOutcome(status, output, what);
        if (drawn.signed !== 'ours') assert.equal(status, 1, `${what}: a journal not ours was used\n${output}`);
        assertNothingLost(before, readTree(project), status, what);
        assert.deepEqual(readTree(outside), new Map([['bashrc', 'mine\n']]), `${what}: outside touched`);
        assert.deepEqual(fs.readdirSync(root).sort(), ['outside', 'proj'], `${what}: wrote beside the project`);
        fs.rmSync(root, { recursive: true, force: true });
      }),
      { numRuns: runs(40), seed: SEED },
    );
  });

  it(`${runs(12)} hostile environments (HOME, cache and state folders, TERM, NO_COLOR): the bin works, nothing outside touched`, async () => {
    const folder = fc.constantFrom('missing', 'file', 'proc', 'relative', 'world-writable', 'link', 'fine', 'unset');
    let index = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ home: folder, cache: folder, state: folder, term: fc.constantFrom('dumb', 'xterm-256color', '', '\u001b[31m'), noColor: fc.boolean() }),
        async (drawn) => {
          const { root, project, outside } = freshCase(`env${index++}`);
          const places = path.join(root, 'places');
          fs.mkdirSync(places);
          const place = (kind: string, name: string): string | undefined => {
            const at = path.join(places, name);
            switch (kind) {
              case 'missing': return at;
              case 'file': fs.writeFileSync(at, 'x'); return at;
              case 'proc': return '/proc/nope';
              case 'relative': return name;
              case 'world-writable': fs.mkdirSync(at, { mode: 0o777 }); fs.chmodSync(at, 0o777); return at;
              case 'link': fs.symlinkSync(outside, at); return at;
              case 'fine': fs.mkdirSync(at); return at;
              default: return undefined;
            }
          };
          const env: NodeJS.ProcessEnv = { ...process.env, ...ENV, TERM: drawn.term };
          for (const [key, kind, name] of [['HOME', drawn.home, 'home'], ['XDG_CACHE_HOME', drawn.cache, 'cache'], ['XDG_STATE_HOME', drawn.state, 'state']] as const) {
            const value = place(kind, name);
            if (value === undefined) delete env[key];
            else env[key] = value;
          }
          if (drawn.noColor) env['NO_COLOR'] = '1';
          else delete env['NO_COLOR'];
          const before = readTree(project);
          const ran = await spawnRun(['sink', 'extra', '--yes'], project, env);
          const what = `environment ${JSON.stringify(drawn)}`;
          count(ran.status);
          assertOneLineOutcome(ran.status, ran.output, what);
          assert.equal(ran.status, 0, `${what}: a valid command failed\n${ran.output}`);
          assertNothingLost(before, readTree(project), ran.status, what);
          // Beside the project, only our own cache and state files, in folders the environment named
          // (a link the user set as their state folder leads where they chose).
          const ours = (file: string) => /generator-bytewax-connector\/(runner-[^/]+\.v8|journal\.key)$/.test(file);
          assert.deepEqual(listFiles(outside).filter((file) => !ours(file)), ['bashrc'], `${what}: outside touched`);
          assert.equal(fs.readFileSync(path.join(outside, 'bashrc'), 'utf8'), 'mine\n');
          const strays = listFiles(places).filter((file) => !ours(file));
          assert.deepEqual(strays.filter((file) => !['file', 'cache', 'state', 'home'].includes(file)), [], `${what}: wrote elsewhere`);
          fs.rmSync(root, { recursive: true, force: true });
        },
      ),
      { numRuns: runs(12), seed: SEED },
    );
  });

  it(`${runs(6)} pairs of runs at once: each succeeds or stops in one line, and the project records exactly what succeeded`, async () => {
    const sliceCommand = fc.record({
      generator: fc.constantFrom('sink', 'partitioned', 'dynamic'),
      name: fc.constantFrom('alpha', 'beta', 'gamma', 'orders'),
    });
    let index = 0;
    await fc.assert(
      fc.asyncProperty(sliceCommand, sliceCommand, async (first, second) => {
        const { root, project } = freshCase(`pair${index++}`);
        const before = readTree(project);
        const [a, b] = await Promise.all([first, second].map((c) => spawnRun([c.generator, c.name, '--yes'], project, { ...process.env, ...ENV })));
        const what = `${first.generator} ${first.name} & ${second.generator} ${second.name}`;
        count(a!.status);
        count(b!.status);
        assertOneLineOutcome(a!.status, a!.output, what);
        assertOneLineOutcome(b!.status, b!.output, what);
        const config = JSON.parse(fs.readFileSync(path.join(project, '.yo-rc.json'), 'utf8'))['generator-bytewax-connector'];
        const names = [...config.sources, ...config.sinks].map((slice: { name: string }) => slice.name).sort();
        const landed = [first, second].filter((_, i) => [a, b][i]!.status === 0).map((c) => c.name);
        assert.deepEqual(names, ['orders', 'out', ...landed].sort(), `${what}: recorded ${names.join(', ')}`);
        assertNothingLost(before, readTree(project), 0, what);
        for (const name of landed) assert.ok(fs.existsSync(path.join(project, 'src/bytewax_proj', `${name}.py`)), `${what}: ${name}.py missing`);
        assert.deepEqual(fs.readdirSync(project).filter((name) => name.startsWith('.generator-bytewax-connector.lock')), [], `${what}: lock left behind`);
        assert.ok(!fs.existsSync(path.join(project, '.generator-bytewax-connector.journal.json')), `${what}: journal left behind`);
        fs.rmSync(root, { recursive: true, force: true });
      }),
      { numRuns: runs(6), seed: SEED },
    );
  });
});

function spawnRun(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (status) => resolve({ status, output }));
  });
}
