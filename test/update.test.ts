/**
 * Regression tests for what an independent review of `update` and of the
 * merge every generator makes broke, each through the real bin. Projects
 * "made by 0.1.0" are the fixture bundle, or repositories built from it the
 * way people's histories look (a first commit that also holds their files,
 * an amended one, several root commits, a kit module a later slice added).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import helpers from 'yeoman-test';
import { compareVersions } from '../lib/semver.js';
import { CLI, REPO_ROOT, listFiles, readTree } from './helpers/paths.js';
import { onlyOnPosix } from './helpers/platform.js';

const BUNDLE = path.join(REPO_ROOT, 'test', 'fixtures', 'project-0.1.0.bundle');
const FIRST = 'c86e0fccbbb3bc57dd446bca17f1813494d10899';
const ENV = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', npm_command: '' };
const IDENTITY = { GIT_AUTHOR_NAME: 'Ada Lovelace', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada Lovelace', GIT_COMMITTER_EMAIL: 'ada@example.com' };

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...ENV, ...env }, timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...ENV, ...IDENTITY, ...env } });
  assert.equal(result.status, 0, `git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * A repository whose only commit is the fixture's first commit with `extra`
 * files added to its tree, under the generator's message; `dates` are its
 * author and committer dates (equal: made in one go, as 0.1.0 made it).
 */
function rootCommitWith(work: string, name: string, extra: Record<string, string>, dates = ['2026-01-15T10:00:00Z', '2026-01-15T10:00:00Z']): string {
  const dir = path.join(work, name);
  git(work, ['clone', '--quiet', BUNDLE, dir]);
  git(dir, ['checkout', '--quiet', FIRST]);
  for (const [file, text] of Object.entries(extra)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  git(dir, ['add', '--all']);
  const tree = git(dir, ['write-tree']);
  const message = git(dir, ['log', '-1', '--format=%B', FIRST]);
  const commit = spawnSync('git', ['commit-tree', tree, '-m', message], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...ENV, ...IDENTITY, GIT_AUTHOR_DATE: dates[0], GIT_COMMITTER_DATE: dates[1] },
  }).stdout.trim();
  git(dir, ['checkout', '--quiet', '-B', 'main', commit]);
  return dir;
}

describe('update and merges: what a review broke', function () {
  this.timeout(10 * 60 * 1000);
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-update-'));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  it('files of the user in a 0.1.0 first commit are never taken for generated: kept, never deleted', () => {
    const dir = rootCommitWith(work, 'notes', { 'NOTES.md': 'Design notes\n', '.python-version': '3.11\n', 'src/bytewax_legacy/util.py': 'def util():\n    return 1\n' });
    // A dry run names pyproject.toml, but no environment to sync: nothing changed.
    const dry = cli(['update', '--dry-run'], dir);
    assert.match(dry.output, /^ {2}update +pyproject\.toml$/m);
    assert.doesNotMatch(dry.output, /uv sync/);
    const ran = cli(['update'], dir);
    assert.equal(ran.status, 0, ran.output);
    assert.match(ran.output, /^ {2}update +pyproject\.toml$/m);
    assert.match(ran.output, /^pyproject\.toml changed: bring the environment up to date with `uv sync`/m);
    // Only what 0.1.0 generated and this version no longer does goes (the sinks' kit module).
    for (const line of ran.output.split('\n').filter((l) => /^ {2}delete /.test(l))) assert.match(line, /^ {2}delete +tests\/contract\/sink_common\.py$/);
    assert.equal(fs.readFileSync(path.join(dir, 'NOTES.md'), 'utf8'), 'Design notes\n');
    assert.ok(fs.existsSync(path.join(dir, '.python-version')) && fs.existsSync(path.join(dir, 'src/bytewax_legacy/util.py')));
  });

  it('an amended first commit is not the base: the user lines it holds are kept or shown, never reverted', () => {
    const readme = (dir: string) => fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    const dir = rootCommitWith(work, 'amended', {}, ['2026-01-15T10:00:00Z', '2026-01-15T10:05:00Z']);
    fs.writeFileSync(path.join(dir, 'README.md'), readme(dir).replace('A Bytewax connector.', 'Orders from the ACME exchange.'));
    git(dir, ['commit', '--quiet', '-am', 'mine']);
    const ran = cli(['update'], dir);
    assert.match(ran.output, /No record of what 0\.1\.0 wrote was found/);
    assert.match(readme(dir), /Orders from the ACME exchange\./);
  });

  it('of several root commits, only the project\'s own is its base; two of its own, none', () => {
    const dir = path.join(work, 'mono');
    git(work, ['clone', '--quiet', BUNDLE, dir]);
    const other = rootCommitWith(work, 'other', {});
    // Another project's first commit, its tree under other/, merged in as an unrelated history.
    fs.writeFileSync(path.join(other, '.yo-rc.json'), fs.readFileSync(path.join(other, '.yo-rc.json'), 'utf8').replaceAll('bytewax-legacy', 'bytewax-other'));
    const otherTree = git(other, ['write-tree']);
    void otherTree;
    git(other, ['commit', '--quiet', '--amend', '--allow-empty', '-m', 'Create bytewax-other with generator-bytewax-connector 0.1.0'], { GIT_COMMITTER_DATE: '2026-01-15T10:00:00Z', GIT_AUTHOR_DATE: '2026-01-15T10:00:00Z' });
    git(dir, ['fetch', '--quiet', other, 'main']);
    git(dir, ['merge', '--quiet', '--allow-unrelated-histories', '-s', 'ours', '--no-commit', 'FETCH_HEAD']);
    git(dir, ['read-tree', '--prefix=other/', '-u', 'FETCH_HEAD']);
    git(dir, ['commit', '--quiet', '-m', 'merge other']);
    const report = JSON.parse(cli(['update', '--dry-run', '--json'], dir).output.replace(/^[^{]*/, '')) as { conflicts: string[] };
    // The fixture's own conflicts (lines the user and this version both changed), and nothing in files nobody touched.
    assert.deepEqual([...report.conflicts].sort(), ['.github/workflows/ci.yml', 'tests/contract/common.py', 'tests/contract/partitioned.py']);
  });

  it('a kit module that a later 0.1.0 slice added, untouched, takes the new kit (no base recorded for it)', () => {
    const dir = path.join(work, 'grown');
    git(work, ['clone', '--quiet', BUNDLE, dir]);
    const kit = spawnSync('git', ['show', '7c2de40:generators/sink/templates/kit/sink_dynamic.py.ejs'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout;
    assert.ok(kit.length > 1000);
    fs.writeFileSync(path.join(dir, 'tests/contract/sink_dynamic.py'), kit);
    const rc = path.join(dir, '.yo-rc.json');
    const data = JSON.parse(fs.readFileSync(rc, 'utf8'));
    data['generator-bytewax-connector'].sinks.push({ name: 'tally', kind: 'dynamic' });
    fs.writeFileSync(rc, JSON.stringify(data, null, 2));
    git(dir, ['add', '--all']);
    git(dir, ['commit', '--quiet', '-m', 'sink tally']);
    const report = JSON.parse(cli(['update', '--dry-run', '--json'], dir).output.replace(/^[^{]*/, '')) as { files: Array<{ path: string; action: string }> };
    assert.deepEqual(report.files.filter((f) => f.path === 'tests/contract/sink_dynamic.py'), [{ path: 'tests/contract/sink_dynamic.py', action: 'update' }]);
  });

  describe('in a project of this version', () => {
    let project: string;
    beforeEach(() => {
      const made = cli(['p', '--yes', '--skip-install', '--author-name', 'Ada', '--author-email', 'a@b.co', '--partitioned', 'orders', '--installer', 'pip', '--git'], work, IDENTITY);
      assert.equal(made.status, 0, made.output);
      project = path.join(work, 'p');
    });
    const read = (file: string) => fs.readFileSync(path.join(project, file), 'utf8');
    const write = (file: string, text: string) => fs.writeFileSync(path.join(project, file), text);

    it('--force takes the generator\'s side only where the two overlap: an unrelated line of the user stays', () => {
      write('.github/workflows/ci.yml', `# MY TEAM NOTE\n${read('.github/workflows/ci.yml').replace('ORDERS_URL: ${{ vars.ORDERS_URL }}', 'ORDERS_URL: "4"')}`);
      const ran = cli(['dynamic', 'ticks', '--yes', '--force'], project);
      assert.equal(ran.status, 0, ran.output);
      const ci = read('.github/workflows/ci.yml');
      assert.match(ci, /^# MY TEAM NOTE\n/);
      assert.match(ci, /examples\.ticks:flow/);
    });

    it('an __all__ the user extended beyond a list of names keeps its extension: merged by lines, or the run stops on it', () => {
      const init = 'src/bytewax_p/__init__.py';
      const list = '__all__ = [\n    "OrdersSource",\n    "__version__",\n]';
      // By lines: the new name goes in, `+ EXTRA_EXPORTS` stays.
      write(init, read(init).replace(list, `${list} + EXTRA_EXPORTS`));
      assert.equal(cli(['dynamic', 'ticks', '--yes'], project).status, 0);
      assert.match(read(init), /"TicksSource",\n {4}"__version__",\n\] \+ EXTRA_EXPORTS/);
      // One line of the user's where the generator inserts: never rewritten without the extension.
      write(init, read(init).replace(/__all__ = \[[^\]]*\] \+ EXTRA_EXPORTS/, '__all__ = ["OrdersSource", "TicksSource", "__version__"] + EXTRA_EXPORTS'));
      const before = read(init);
      const ran = cli(['sink', 'out', '--yes'], project);
      assert.equal(ran.status, 1, ran.output);
      assert.match(ran.output, /no terminal is attached to ask:\n {2}src\/bytewax_p\/__init__\.py/);
      assert.equal(read(init), before);
    });

    it('a file that is not UTF-8 stops the run in one line instead of being merged lossily', () => {
      fs.writeFileSync(path.join(project, 'README.md'), Buffer.concat([Buffer.from(read('README.md')), Buffer.from('Ren\xe9 M\xfcller\n', 'latin1')]));
      const before = readTree(project);
      const ran = cli(['dynamic', 'ticks', '--yes'], project);
      assert.equal(ran.status, 1);
      assert.match(ran.output, /^error: README\.md is not UTF-8 text, so the generator cannot merge it\. Nothing was written\.$/m);
      assert.deepEqual(readTree(project), before);
    });

    it('a conflict list naming a link to a device is refused in one line, quickly', function () {
      onlyOnPosix(this);
      fs.symlinkSync('/dev/zero', path.join(project, 'notes.md'));
      const rc = path.join(project, '.yo-rc.json');
      const data = JSON.parse(fs.readFileSync(rc, 'utf8'));
      data['generator-bytewax-connector'].conflicts = ['notes.md'];
      fs.writeFileSync(rc, JSON.stringify(data, null, 2));
      const ran = cli(['update', '--dry-run'], project);
      assert.equal(ran.status, 1);
      assert.match(ran.output, /notes\.md is a symbolic link/);
    });

    it('git runs none of the programs the repository\'s config names (content filters, signing)', function () {
      onlyOnPosix(this);
      const fresh = path.join(work, 'fresh');
      fs.mkdirSync(fresh);
      git(fresh, ['init', '--quiet']);
      const marker = path.join(work, 'PWNED');
      git(fresh, ['config', 'filter.x.clean', `sh -c 'touch ${marker}-filter; cat'`]);
      git(fresh, ['config', 'commit.gpgSign', 'true']);
      git(fresh, ['config', 'gpg.program', `sh -c 'touch ${marker}-gpg'`]);
      fs.writeFileSync(path.join(fresh, '.git', 'info', 'attributes'), '* filter=x\n');
      const ran = cli(['.', '--yes', '--skip-install', '--author-name', 'Ada', '--installer', 'pip', '--git'], fresh, IDENTITY);
      assert.equal(ran.status, 0, ran.output);
      assert.match(ran.output, /Made the project a git repository with a first commit\./);
      assert.ok(!fs.existsSync(`${marker}-filter`) && !fs.existsSync(`${marker}-gpg`), 'a program of the repository ran');
    });

    it('a run that leaves conflict markers exits 1 and says how to finish', async () => {
      write('.github/workflows/ci.yml', read('.github/workflows/ci.yml').replace('ORDERS_URL: ${{ vars.ORDERS_URL }}', 'ORDERS_URL: "4"'));
      // In this process, not a child: yeoman-test's adapter crashes a process of its own on Node 24 and
      // later (its output stream, Duplex.from(async () => {}), errors when the function settles).
      const before = process.exitCode;
      try {
        await helpers
          .run(path.join(REPO_ROOT, 'dist', 'generators', 'dynamic', 'index.js'))
          .cd(project)
          .withArguments(['ticks'])
          .withAnswers({ client: 'sync', choice: 'markers' })
          // yeoman-test passes --force unless told not to; its option types do not list it.
          .withOptions({ force: false } as Record<string, unknown>);
        assert.equal(process.exitCode, 1);
      } finally {
        process.exitCode = before;
      }
      assert.match(read('.github/workflows/ci.yml'), /^<{7} yours$/m);
      const next = cli(['sink', 'out', '--yes'], project);
      assert.equal(next.status, 1);
      assert.match(next.output, /These files still have conflict markers from an earlier run:\n {2}\.github\/workflows\/ci\.yml/);
    });

    it('insertions the line merge cannot place keep a CRLF README\'s endings and land at its marker', () => {
      const lf = read('README.md').replace('<!-- generator-bytewax-connector: sources are added above this line -->', 'A line of mine.\n<!-- generator-bytewax-connector: sources are added above this line -->');
      write('README.md', lf.replaceAll('\n', '\r\n'));
      const ran = cli(['dynamic', 'ticks', '--yes'], project);
      assert.equal(ran.status, 0, ran.output);
      const readme = read('README.md');
      assert.doesNotMatch(readme.replaceAll('\r\n', ''), /\n/, 'a bare LF in a CRLF file');
      const [, beforeLicense] = /([^]*)## License/.exec(readme)!;
      assert.match(beforeLicense!, /TicksSource/);
      assert.match(readme, /A line of mine\.\r\n/);
    });

    it('--dry-run lists a script whose executable bit the update sets again, as the update does', function () {
      onlyOnPosix(this);
      fs.chmodSync(path.join(project, 'noxfile.py'), 0o644);
      const report = JSON.parse(cli(['update', '--dry-run', '--json'], project).output.replace(/^[^{]*/, '')) as { files: Array<{ path: string; action: string }> };
      assert.deepEqual(report.files, [{ path: 'noxfile.py', action: 'mode' }]);
      const mtime = fs.statSync(project).mtimeMs;
      assert.equal(cli(['update', '--dry-run'], project).status, 0);
      assert.equal(fs.statSync(project).mtimeMs, mtime, 'the dry run touched the project folder (a lock file)');
      assert.equal(cli(['update'], project).status, 0);
      assert.equal(fs.statSync(path.join(project, 'noxfile.py')).mode & 0o777, 0o755);
    });

    it('a manifest that names a file of the user never makes the generator delete it', () => {
      write('src/bytewax_p/mine.py', 'VALUE = 1\n');
      const id = git(project, ['hash-object', 'src/bytewax_p/mine.py']);
      const rc = path.join(project, '.yo-rc.json');
      const data = JSON.parse(fs.readFileSync(rc, 'utf8'));
      data['generator-bytewax-connector'].files['src/bytewax_p/mine.py'] = id;
      fs.writeFileSync(rc, JSON.stringify(data, null, 2));
      // Committed, so git holds the contents the manifest names.
      git(project, ['add', '--all']);
      git(project, ['commit', '--quiet', '-m', 'mine']);
      assert.equal(cli(['update'], project).status, 0);
      assert.equal(read('src/bytewax_p/mine.py'), 'VALUE = 1\n');
    });

    it('keys of its own section this version does not know are kept; a newer version\'s project is refused as newer, before its fields', () => {
      const rc = path.join(project, '.yo-rc.json');
      const data = JSON.parse(fs.readFileSync(rc, 'utf8'));
      data['generator-bytewax-connector'].notes = 'ask Ada before changing the sink';
      fs.writeFileSync(rc, JSON.stringify(data, null, 2));
      assert.equal(cli(['dynamic', 'ticks', '--yes'], project).status, 0);
      assert.equal(JSON.parse(fs.readFileSync(rc, 'utf8'))['generator-bytewax-connector'].notes, 'ask Ada before changing the sink');
      const newer = JSON.parse(fs.readFileSync(rc, 'utf8'));
      newer['generator-bytewax-connector'].generatorVersion = '9.0.0';
      newer['generator-bytewax-connector'].sources.push({ name: 'feed', kind: 'polling' });
      fs.writeFileSync(rc, JSON.stringify(newer, null, 2));
      const ran = cli(['sink', 'out', '--yes'], project);
      assert.equal(ran.status, 1);
      assert.match(ran.output, /was last written by generator-bytewax-connector 9\.0\.0, newer than this one/);
    });

    it('GIT_DIR and GIT_WORK_TREE from the environment never send the first commit elsewhere', () => {
      const other = path.join(work, 'other');
      fs.mkdirSync(other);
      git(other, ['init', '--quiet']);
      const ran = cli(['envp', '--yes', '--skip-install', '--author-name', 'Ada', '--installer', 'pip', '--git'], work, { ...IDENTITY, GIT_DIR: path.join(other, '.git'), GIT_WORK_TREE: path.join(work, 'envp') });
      assert.equal(ran.status, 0, ran.output);
      assert.ok(fs.existsSync(path.join(work, 'envp', '.git')));
      assert.equal(spawnSync('git', ['rev-parse', '--verify', '-q', 'HEAD'], { cwd: other, encoding: 'utf8' }).status, 1, 'the other repository got a commit');
    });

    it('a new package name keeps the old package importable while files the user changed stay in it', () => {
      write('src/bytewax_p/orders.py', `${read('src/bytewax_p/orders.py')}\n# mine\n`);
      const ran = cli(['p', '--yes', '--skip-install', '--author-name', 'Ada', '--author-email', 'a@b.co', '--partitioned', 'orders', '--installer', 'pip', '--package', 'bytewax_q'], work);
      assert.equal(ran.status, 0, ran.output);
      assert.ok(fs.existsSync(path.join(project, 'src/bytewax_p/orders.py')));
      assert.ok(fs.existsSync(path.join(project, 'src/bytewax_p/__init__.py')), 'the old package lost its __init__.py');
      assert.ok(fs.existsSync(path.join(project, 'src/bytewax_q/orders.py')));
    });
  });

  it('versions: a pre-release comes before its release, build metadata does not count', () => {
    assert.ok(compareVersions('0.2.0-rc.1', '0.2.0') < 0);
    assert.equal(compareVersions('0.2.0+local', '0.2.0'), 0);
    assert.ok(compareVersions('0.10.0', '0.9.9') > 0);
    assert.ok(compareVersions('1.0.0-alpha', '1.0.0-alpha.1') < 0);
    assert.ok(compareVersions('1.0.0-alpha.beta', '1.0.0-beta') < 0);
    assert.ok(compareVersions('1.0.0-2', '1.0.0-11') < 0);
    assert.deepEqual(listFiles(work), []);
  });
});
