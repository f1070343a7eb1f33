import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, listFiles, readTree } from './helpers/paths.js';
import { onlyOnPosix } from './helpers/platform.js';

/** Runs the bin with no terminal on stdin and no git identity, as CI does. */
function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // npm_command: as if run directly, not through npx (which mocha may have been).
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', npm_command: '', ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('runner (generator-bytewax-connector bin)', () => {
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-cli-'));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  it('--help lists every option of the app generator', () => {
    const { status, stdout } = runCli(['--help'], work);
    assert.equal(status, 0);
    for (const flag of ['--name', '--package', '--description', '--author-name', '--author-email', '--license',
      '--python', '--partitioned', '--dynamic', '--client', '--sink', '--sink-kind', '--ci', '--yes', '--skip-install', '[directory]']) {
      assert.ok(stdout.includes(flag), `${flag} missing from --help:\n${stdout}`);
    }
  });

  it('--help shows the generator\'s own options and examples, none of yeoman\'s internals', () => {
    const { stdout } = runCli(['--help'], work);
    assert.match(stdout, /^Create a Bytewax connector project/m);
    assert.match(stdout, /Examples:\n {2}node \S+ my-connector --author-name "Ada Lovelace" --partitioned orders/);
    for (const internal of ['--cwd', '--skip-cache', '--dry-run', '--whitespace', '--bail', '--skip-yo-resolve', '--ask-answered', '--force-install', '--local-config-only']) {
      assert.ok(!stdout.includes(internal), `${internal} in --help`);
    }
    const sub = runCli(['partitioned', '--help'], work).stdout;
    // Every generator takes --skip-install, so scripts can pass it to all; only the app installs.
    assert.match(sub, /--skip-install +Do not create \.venv and install the project into it \(only the\s+app installs\)/);
    assert.match(sub, /Examples:\n {2}node \S+ partitioned orders/);
  });

  it('--version prints the package version', () => {
    const { status, stdout } = runCli(['--version'], work);
    assert.equal(status, 0);
    assert.equal(stdout.trim(), JSON.parse(fs.readFileSync(path.join(path.dirname(CLI), '..', 'package.json'), 'utf8')).version);
  });

  it('a first word close to a generator name is a typo, never a new project directory', () => {
    for (const [typo, meant] of [['partitoned', 'partitioned'], ['dynamc', 'dynamic'], ['sinc', 'sink'], ['updte', 'update']]) {
      const { status, stderr } = runCli([typo!, '--yes', '--author-name', 'A', '--skip-install'], work);
      assert.equal(status, 1);
      assert.match(stderr, new RegExp(`^error: There is no generator "${typo}": did you mean "${meant}"\\?\nTo create a project in a directory of that name, run \`.* \\./${typo}\`\\.$`, 'm'));
    }
    assert.deepEqual(listFiles(work), []);
    // Short names and plurals are folder names people choose.
    for (const name of ['api', 'cli', 'apps', 'sinks']) {
      const made = runCli([name, '--yes', '--author-name', 'A', '--skip-install', '--no-git'], work);
      assert.equal(made.status, 0, `${name}: ${made.stderr}`);
    }
    // A directory of that name that exists is the user's choice.
    fs.mkdirSync(path.join(work, 'dynamc'));
    assert.equal(runCli(['dynamc', '--yes', '--author-name', 'A', '--skip-install', '--no-git'], work).status, 0);
  });

  it('<generator> --help describes that generator', () => {
    const { status, stdout } = runCli(['dynamic', '--help'], work);
    assert.equal(status, 0);
    assert.match(stdout, /--client/);
    assert.match(stdout, /\[name\]/);
  });

  it('without a terminal, a missing required answer fails at once naming the flag', () => {
    const { status, stderr } = runCli(['new-project', '--skip-install'], work);
    assert.equal(status, 1);
    assert.match(stderr, /^error: --author-name is required: there is no terminal to ask for it and git config user\.name is not set\.$/m);
    assert.deepEqual(listFiles(work), []);
  });

  it('invalid input exits 1 with the rule and writes nothing', () => {
    const { status, stderr } = runCli(['x', '--yes', '--author-name', 'A', '--package', 'import'], work);
    assert.equal(status, 1);
    assert.match(stderr, /^error: --package "import" is a Python keyword and cannot be imported\.$/m);
    assert.doesNotMatch(stderr, /\n\s+at /, 'a usage error prints no stack trace');
    assert.deepEqual(listFiles(work), []);
  });

  it('sink --help describes the sink generator', () => {
    const { status, stdout } = runCli(['sink', '--help'], work);
    assert.equal(status, 0);
    assert.match(stdout, /--kind/);
    assert.match(stdout, /dynamic, partitioned/);
    assert.match(stdout, /\[name\]/);
  });

  for (const sub of ['partitioned', 'dynamic', 'sink', 'ci', 'docs']) {
    it(`${sub} outside a generated project fails clearly and writes nothing`, () => {
      const args = sub === 'ci' || sub === 'docs' ? [sub, '--yes'] : [sub, 'orders', '--yes'];
      const { status, stderr } = runCli(args, work);
      assert.equal(status, 1);
      assert.match(stderr, /No generated project here/);
      assert.deepEqual(listFiles(work), []);
    });
  }

  it('generates a project with --yes and reports the next steps', () => {
    const { status, stderr } = runCli(['made', '--yes', '--author-name', 'A', '--skip-install', '--no-ci', '--no-docs'], work);
    assert.equal(status, 0, stderr);
    assert.ok(fs.existsSync(path.join(work, 'made', 'pyproject.toml')));
    // Yeoman logs to stderr, keeping stdout for data.
    assert.match(stderr, /Created bytewax-made in made\.\nNext steps:\n {2}cd made\n/);
    assert.match(stderr, /\n {2}node \S+cli\.js partitioned <name> +# add a source/);
    assert.doesNotMatch(stderr, /package manager install|customInstallTask|An error occured|\bforce\b/);
  });

  it('a re-run keeps your edits where the generator changes nothing, and without a terminal refuses to overwrite a line you both changed; --force takes the generator\'s', () => {
    const args = ['edited', '--yes', '--author-name', 'A', '--skip-install', '--no-ci'];
    assert.equal(runCli(args, work).status, 0);
    const pyproject = path.join(work, 'edited', 'pyproject.toml');
    const original = fs.readFileSync(pyproject, 'utf8');
    // An addition of the user's: the same command again keeps it.
    fs.writeFileSync(pyproject, `${original}\n[tool.coverage.run]\nbranch = true\n`);
    const added = fs.readFileSync(pyproject, 'utf8');
    const again = runCli(args, work);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(fs.readFileSync(pyproject, 'utf8'), added);
    // The user and a changed answer both change the description line.
    fs.writeFileSync(pyproject, added.replace('description = "A Bytewax connector."', 'description = "Mine."'));
    const edited = fs.readFileSync(pyproject, 'utf8');
    const refused = runCli([...args, '--description', 'Theirs.'], work);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /These files differ from what the generator would write[^]*pyproject\.toml[^]*--force/);
    assert.equal(fs.readFileSync(pyproject, 'utf8'), edited);

    // --force takes the generator's side where the two conflict; the user's other change stays.
    assert.equal(runCli([...args, '--description', 'Theirs.', '--force'], work).status, 0);
    assert.equal(fs.readFileSync(pyproject, 'utf8'), added.replace('description = "A Bytewax connector."', 'description = "Theirs."'));
  });

  it('adds sources later without a terminal, and refuses a name that exists, writing nothing', () => {
    assert.equal(runCli(['shop', '--yes', '--author-name', 'A', '--skip-install', '--no-ci'], work).status, 0);
    const project = path.join(work, 'shop');
    const added = runCli(['partitioned', 'orders', '--yes'], path.join(project, 'src'));
    assert.equal(added.status, 0, added.stderr);
    // Run from src/: the commands to try it start by going back to the project root.
    assert.match(added.stderr, /\nTry it:\n {2}cd \.\.\n {2}python -m bytewax\.run examples\.orders:flow -w 2\n {2}pytest tests\/test_orders\.py\n/);
    const async = runCli(['dynamic', 'ticks', '--client', 'async', '--yes'], project);
    assert.equal(async.status, 0, async.stderr);
    const rc = JSON.parse(fs.readFileSync(path.join(project, '.yo-rc.json'), 'utf8'));
    assert.deepEqual(rc['generator-bytewax-connector'].sources, [
      { name: 'orders', kind: 'partitioned' },
      { name: 'ticks', kind: 'dynamic', client: 'async' },
    ]);

    const before = readTree(project);
    const again = runCli(['dynamic', 'orders', '--yes'], project);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /^error: The dynamic source name "orders" is already used by the partitioned source "orders"\.$/m);
    assert.deepEqual(readTree(project), before);
  });

  it('adds sinks at the start and later without a terminal, and refuses a name a source has, writing nothing', () => {
    const first = runCli(['shop', '--yes', '--author-name', 'A', '--skip-install', '--no-ci', '--partitioned', 'orders', '--sink', 'ledger', '--sink-kind', 'partitioned'], work);
    assert.equal(first.status, 0, first.stderr);
    const project = path.join(work, 'shop');
    const later = runCli(['sink', 'results', '--yes'], path.join(project, 'tests'));
    assert.equal(later.status, 0, later.stderr);
    assert.match(later.stderr, /Added the dynamic sink results: src\/bytewax_shop\/results\.py/);
    const rc = JSON.parse(fs.readFileSync(path.join(project, '.yo-rc.json'), 'utf8'));
    assert.deepEqual(rc['generator-bytewax-connector'].sinks, [
      { name: 'ledger', kind: 'partitioned' },
      { name: 'results', kind: 'dynamic' },
    ]);
    const before = readTree(project);
    const again = runCli(['sink', 'orders', '--kind', 'partitioned', '--yes'], project);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /^error: The sink name "orders" is already used by the partitioned source "orders"\.$/m);
    assert.deepEqual(readTree(project), before);
  });

  it('a reader that stops early is not an error: `--help | true` exits 0 with nothing on stderr', function () {
    onlyOnPosix(this);
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = spawnSync('bash', ['-c', '"$0" "$1" --help | true; exit "${PIPESTATUS[0]}"', process.execPath, CLI], { cwd: work, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stderr, '');
    }
  });

  it('Ctrl-C at a question ends with one line and status 130, and writes nothing', function () {
    onlyOnPosix(this);
    // A terminal for the runner: Python's pty, which the e2e needs anyway.
    const script = [
      'import os, pty, select, sys, time',
      'pid, fd = pty.fork()',
      'if pid == 0: os.execv(sys.argv[1], sys.argv[1:])',
      'out = b""',
      'def drain(until):',
      '    global out',
      '    while time.time() < until:',
      '        if select.select([fd], [], [], 0.1)[0]:',
      '            try: out += os.read(fd, 4096)',
      '            except OSError: return',
      'deadline = time.time() + 20',
      'while b"Distribution name" not in out and time.time() < deadline: drain(time.time() + 0.2)',
      'os.write(fd, b"\\x03")',
      'drain(time.time() + 3)',
      'status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])',
      'sys.stdout.write(out.decode(errors="replace") + f"\\nEXIT {status}\\n")',
    ].join('\n');
    const result = spawnSync('python3', ['-c', script, process.execPath, CLI, 'cancelled', '--skip-install'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', NO_COLOR: '1' },
    });
    assert.match(result.stdout, /Distribution name/, result.stdout + result.stderr);
    assert.match(result.stdout, /\r?\nCancelled: nothing was written\.\r?\n/);
    assert.doesNotMatch(result.stdout, /\n\s+at |ExitPromptError/);
    assert.match(result.stdout, /\nEXIT 130\n$/);
    assert.deepEqual(listFiles(work), []);
  });

  describe('code cache', () => {
    const args = ['--yes', '--author-name', 'A', '--skip-install', '--no-ci', '--no-git'];
    const cacheFolder = () => path.join(work, 'cache', 'generator-bytewax-connector');
    const cacheFiles = () => (fs.existsSync(cacheFolder()) ? fs.readdirSync(cacheFolder()).sort() : []);
    const run = (name: string, env: NodeJS.ProcessEnv = {}) => {
      const cache = path.join(work, 'cache');
      const result = runCli([name, ...args], work, { XDG_CACHE_HOME: cache, LOCALAPPDATA: cache, ...env });
      assert.equal(result.status, 0, `${result.status} ${result.stderr}`);
      return readTree(path.join(work, name));
    };
    // The manifest in .yo-rc.json holds ids of contents that name the project: left out.
    const anonymous = (tree: Map<string, string>, name: string) =>
      [...tree].filter(([file]) => file !== '.yo-rc.json').map((entry) => entry.map((part) => part.replaceAll(name, 'NAME')));
    /** The one cache file, after a first run. */
    const firstRun = () => {
      run('alphaproj');
      const files = cacheFiles();
      assert.equal(files.length, 1, files.join(', '));
      return path.join(cacheFolder(), files[0]!);
    };
    const stamp = (file: string) => {
      const stat = fs.statSync(file);
      return { ino: stat.ino, mtimeMs: stat.mtimeMs, bytes: fs.readFileSync(file) };
    };

    it('is written by the first run, private to the user, and used as is by the next', function () {
      onlyOnPosix(this);
      const file = firstRun();
      assert.match(path.basename(file), new RegExp(`^runner-[0-9a-f]{16}-${process.version.replaceAll('.', '\\.')}-${process.arch}\\.v8$`));
      assert.equal(fs.statSync(cacheFolder()).mode & 0o777, 0o700);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const before = stamp(file);
      const first = readTree(path.join(work, 'alphaproj'));
      const second = run('betaproj');
      // Accepted, so not written again; and the run does the same work.
      assert.deepEqual(stamp(file), before);
      assert.deepEqual(anonymous(second, 'betaproj'), anonymous(first, 'alphaproj'));
    });

    it('a damaged cache, or one made from another bundle, is never given to V8: the run works and replaces it', () => {
      const file = firstRun();
      const valid = fs.readFileSync(file);
      // One flipped byte in the cached code: Node 20 and 22 would run it and crash.
      const damaged = Buffer.from(valid);
      damaged[Math.floor(damaged.length * 0.6)]! ^= 0xff;
      // Whole and well-formed, but made from a bundle with other contents.
      const otherBundle = Buffer.from(valid);
      otherBundle[10]! ^= 0xff;
      for (const bytes of [damaged, otherBundle, Buffer.from('not a code cache')]) {
        fs.writeFileSync(file, bytes);
        run('betaproj');
        assert.ok(!fs.readFileSync(file).equals(bytes), 'the bad cache was kept');
        fs.rmSync(path.join(work, 'betaproj'), { recursive: true });
      }
    });

    it('is neither read nor written in a folder others can write, nor read from a file others can write', function () {
      onlyOnPosix(this);
      const file = firstRun();
      fs.writeFileSync(file, 'planted');
      fs.chmodSync(cacheFolder(), 0o777);
      run('betaproj');
      assert.equal(fs.readFileSync(file, 'utf8'), 'planted');
      fs.chmodSync(cacheFolder(), 0o700);
      fs.rmSync(file);
      run('gammaproj');
      fs.chmodSync(file, 0o666);
      run('deltaproj');
      // Not read, so written again: private again.
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    });

    it('keeps the four most recent caches and drops writes left over from an hour ago', () => {
      const file = firstRun();
      const old = Date.now() / 1000 - 7200;
      const planted = ['runner-1-v1.v8', 'runner-2-v1.v8', 'runner-3-v1.v8', 'runner-4-v1.v8', '.stale.tmp', '.fresh.tmp'];
      for (const [index, name] of planted.entries()) {
        fs.writeFileSync(path.join(cacheFolder(), name), 'x');
        if (name !== '.fresh.tmp') fs.utimesSync(path.join(cacheFolder(), name), old + index, old + index);
      }
      fs.rmSync(file);
      run('betaproj');
      assert.deepEqual(cacheFiles(), ['.fresh.tmp', path.basename(file), 'runner-2-v1.v8', 'runner-3-v1.v8', 'runner-4-v1.v8'].sort());
    });

    it('NODE_DISABLE_COMPILE_CACHE turns it off; a relative XDG_CACHE_HOME is ignored; an unusable folder costs nothing but time', function () {
      onlyOnPosix(this);
      run('alphaproj', { NODE_DISABLE_COMPILE_CACHE: '1' });
      assert.ok(!fs.existsSync(path.join(work, 'cache')));
      // A relative XDG_CACHE_HOME falls back to ~/.cache (made if the home folder has none; a missing home is never made).
      fs.mkdirSync(path.join(work, 'home'));
      run('betaproj', { XDG_CACHE_HOME: 'cache', HOME: path.join(work, 'home') });
      assert.ok(!fs.existsSync(path.join(work, 'cache')));
      assert.equal(fs.readdirSync(path.join(work, 'home', '.cache', 'generator-bytewax-connector')).length, 1);
      run('epsilonproj', { HOME: path.join(work, 'no-such-home'), XDG_CACHE_HOME: '' });
      assert.ok(!fs.existsSync(path.join(work, 'no-such-home')));
      fs.writeFileSync(path.join(work, 'cache'), 'a file where the cache folder would go');
      run('gammaproj');
      assert.equal(fs.readFileSync(path.join(work, 'cache'), 'utf8'), 'a file where the cache folder would go');
    });
  });

  describe('install step', () => {
    // pip here: the runs below give --installer pip (the default when uv is not on PATH).
    const byHand =
      /Finish by hand:\n {2}cd \S+\/proj\n {2}python3(\.1[0-2])? -m venv \.venv\n {2}\.venv\/bin\/python -m pip install --upgrade "pip>=25\.1"\n {2}\.venv\/bin\/python -m pip install -e \. --group dev\n/;

    it('without a usable Python keeps every file and prints the commands to finish by hand', () => {
      const { status, stderr } = runCli(['proj', '--yes', '--author-name', 'A', '--no-ci'], work, { PATH: path.join(work, 'empty') });
      assert.equal(status, 0, stderr);
      assert.match(stderr, /No Python 3\.10 or 3\.11 or 3\.12 found on PATH, so nothing was installed\./);
      assert.match(stderr, byHand);
      assert.ok(fs.existsSync(path.join(work, 'proj', 'pyproject.toml')));
    });

    it('when creating the venv fails says so, keeps every file and prints the commands to finish by hand', function () {
      onlyOnPosix(this);
      // A python3.12 that answers the version probe, then fails like a broken install.
      const bin = path.join(work, 'bin');
      fs.mkdirSync(bin);
      fs.writeFileSync(
        path.join(bin, 'python3.12'),
        '#!/bin/sh\nif [ "$1" = -c ]; then echo 3.12; exit 0; fi\nif [ "$2" = pip ]; then exit 1; fi\necho "venv: broken on purpose" >&2\nexit 1\n',
        { mode: 0o755 },
      );
      const { status, stderr } = runCli(['proj', '--yes', '--author-name', 'A', '--no-ci'], work, { PATH: bin });
      assert.equal(status, 0, stderr);
      assert.match(stderr, /Creating \.venv with python3\.12…/);
      assert.match(stderr, /venv: broken on purpose/);
      assert.match(stderr, /Installing failed \(the full log: \S+install\.log\); every generated file is kept\./);
      assert.match(stderr, byHand);
      assert.ok(fs.existsSync(path.join(work, 'proj', 'src', 'bytewax_proj', '__init__.py')));
    });

    it('SIGTERM while installing stops the install tool too, and says how to finish', async function () {
      onlyOnPosix(this);
      // A python3.12 whose venv step hangs, recording its process id.
      const bin = path.join(work, 'bin');
      fs.mkdirSync(bin);
      const pidFile = path.join(work, 'tool.pid');
      // It starts a process of its own (as pip starts builds): stopping the run stops that one too.
      const grandchildFile = path.join(work, 'grandchild.pid');
      fs.writeFileSync(
        path.join(bin, 'python3.12'),
        `#!/bin/sh\nif [ "$1" = -c ]; then echo 3.12; exit 0; fi\nif [ "$2" = pip ]; then exit 1; fi\nsleep 60 &\necho $! > ${grandchildFile}\necho $$ > ${pidFile}\nexec sleep 60\n`,
        { mode: 0o755 },
      );
      const child = spawn(process.execPath, [CLI, 'proj', '--yes', '--author-name', 'A', '--no-ci'], {
        cwd: work,
        env: { ...process.env, PATH: `${bin}:/usr/bin:/bin`, GIT_CONFIG_GLOBAL: '/dev/null' },
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += String(chunk)));
      while (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 50));
      const toolPid = Number(fs.readFileSync(pidFile, 'utf8'));
      const grandchildPid = Number(fs.readFileSync(grandchildFile, 'utf8'));
      child.kill('SIGTERM');
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(status, 143);
      assert.match(stderr, /Stopped during the install: every project file is written\. Finish the install by hand:\n {2}cd /);
      assert.match(stderr, /then run the same command again: it makes the first git commit\./);
      // Gone, or a zombie waiting to be reaped (a container's init may never reap it).
      await new Promise((r) => setTimeout(r, 200));
      for (const pid of [toolPid, grandchildPid]) {
        const state = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
        assert.ok(state === '' || state.startsWith('Z'), `process ${pid} of the install still runs (state ${state})`);
      }
      // The re-run makes the first commit the install held up, and installs nothing.
      const again = spawnSync(process.execPath, [CLI, 'proj', '--yes', '--author-name', 'A', '--no-ci'], {
        cwd: work,
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:/usr/bin:/bin`, GIT_CONFIG_GLOBAL: '/dev/null' },
      });
      assert.equal(again.status, 0, again.stderr);
      assert.doesNotMatch(again.stderr, /Creating \.venv/);
      assert.match(again.stderr, /Made the project a git repository with a first commit\./);
      assert.equal(spawnSync('git', ['status', '--porcelain'], { cwd: path.join(work, 'proj'), encoding: 'utf8' }).stdout.trim(), '');
    });
  });
});
