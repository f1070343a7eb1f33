import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE_REF_PREFIX, MAX_BASE_BLOB_BYTES, baseRefFor, gitBlobId, openBase, recordBase } from '../../lib/base-store.js';
import { initRepository } from '../../lib/git.js';
import { type FileOutcome, planFile } from '../../lib/merge.js';
import { REPO_ROOT } from '../helpers/paths.js';

/** git for the tests' own setup: no user or system config, a fixed identity. */
function git(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function writeFiles(root: string, files: ReadonlyMap<string, string>): void {
  for (const [relative, text] of files) {
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    fs.writeFileSync(path.join(root, relative), text);
  }
}

const manifestOf = (files: ReadonlyMap<string, string>) => Object.fromEntries([...files].map(([p, t]) => [p, gitBlobId(t)]));

/** A project as 0.1.0 left it: its files, with a `.yo-rc.json` naming the dist and version. */
function projectFiles(dist = 'bytewax-orders', version = '0.1.0'): Map<string, string> {
  return new Map([
    ['.yo-rc.json', `${JSON.stringify({ 'generator-bytewax-connector': { distName: dist, generatorVersion: version } }, null, 2)}\n`],
    ['README.md', `# ${dist}\n\nA connector.\n`],
    ['src/bytewax_orders/__init__.py', '"""Orders."""\n'],
    ['.github/workflows/ci.yml', 'name: CI\n'],
  ]);
}

describe('lib/base-store', function () {
  this.timeout(30_000);
  const saved: Record<string, string | undefined> = {};
  let tmp: string;

  before(() => {
    for (const name of ['GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM', 'PATH']) saved[name] = process.env[name];
    process.env['GIT_CONFIG_GLOBAL'] = '/dev/null';
    process.env['GIT_CONFIG_NOSYSTEM'] = '1';
  });
  after(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-base-')));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('gitBlobId', () => {
    it("is git hash-object's id, for text and bytes", () => {
      for (const text of ['', 'hello\n', 'no newline', 'ünïcödé ✓\r\n', '\0binary\xff']) {
        const file = path.join(tmp, 'f');
        fs.writeFileSync(file, text);
        const expected = git(tmp, ['hash-object', '--no-filters', file]).trim();
        assert.equal(gitBlobId(text), expected, JSON.stringify(text));
        assert.equal(gitBlobId(fs.readFileSync(file)), expected);
      }
    });
  });

  describe('baseRefFor', () => {
    it('names the top "root" and each folder by one escaped component, every name valid and distinct', () => {
      const prefixes = ['', 'root', 'a', 'a/b', 'a%2Fb', 'my.project', 'projects/orders', 'sp ace/ünï', 'x'.repeat(300), `${'x'.repeat(300)}y`];
      const refs = prefixes.map(baseRefFor);
      assert.equal(refs[0], `${BASE_REF_PREFIX}root`);
      assert.equal(refs[6], `${BASE_REF_PREFIX}path-projects%2Forders`);
      assert.equal(new Set(refs).size, refs.length);
      for (const ref of refs) {
        git(tmp, ['check-ref-format', ref]);
        assert.ok(Buffer.byteLength(ref.slice(BASE_REF_PREFIX.length)) < 255);
        assert.ok(!ref.slice(BASE_REF_PREFIX.length).includes('/'), 'one component, so no folder/file clash between nested projects');
      }
    });
  });

  describe('recordBase and openBase', () => {
    it('records the generated files under our ref and reads them back, touching nothing of the user', () => {
      git(tmp, ['init', '-q', '--initial-branch=main']);
      const files = projectFiles();
      writeFiles(tmp, files);
      git(tmp, ['add', '--all']);
      git(tmp, ['commit', '-q', '-m', 'user commit']);
      fs.appendFileSync(path.join(tmp, 'README.md'), 'a user edit, not staged\n');
      // A hook that would tell if git ran it (a ref update runs reference-transaction).
      const marker = path.join(tmp, 'hook-ran');
      fs.writeFileSync(path.join(tmp, '.git/hooks/reference-transaction'), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
      const before = [git(tmp, ['rev-parse', 'HEAD']), git(tmp, ['status', '--porcelain']), fs.readFileSync(path.join(tmp, '.git/index'))];

      const first = recordBase(tmp, files);
      assert.ok(first.recorded);
      assert.equal(first.ref, `${BASE_REF_PREFIX}root`);
      assert.equal('previous' in first, false);
      const changed = new Map(files).set('README.md', '# new readme\n');
      changed.delete('.github/workflows/ci.yml');
      const second = recordBase(tmp, changed, 'Files written by generator-bytewax-connector 0.2.0');
      assert.ok(second.recorded);
      assert.equal(second.previous, first.commit);
      assert.equal(git(tmp, ['rev-parse', `${second.commit}^`]).trim(), first.commit);
      assert.deepEqual(git(tmp, ['ls-tree', '-r', '--name-only', second.ref]).trim().split('\n').sort(), [...changed.keys()].sort());
      assert.match(git(tmp, ['log', '-1', '--format=%B', second.ref]), /^Files written by generator-bytewax-connector 0\.2\.0\n\nProject folder: \(the repository top\)/);

      assert.deepEqual([git(tmp, ['rev-parse', 'HEAD']), git(tmp, ['status', '--porcelain']), fs.readFileSync(path.join(tmp, '.git/index'))], before);
      assert.equal(fs.existsSync(marker), false, 'no hook ran');

      const base = openBase(tmp, manifestOf(changed));
      assert.equal(base.source, 'manifest+git');
      assert.deepEqual([...base.owned].sort(), [...changed.keys()].sort());
      for (const [relative, text] of changed) assert.equal(base.read(relative), text);
      assert.equal(base.read('.github/workflows/ci.yml'), undefined);
      assert.deepEqual(base.notes, []);
    });

    it('records 60 files with a single git fast-import, in well under a second', () => {
      git(tmp, ['init', '-q']);
      const files = new Map(Array.from({ length: 60 }, (_, i) => [`src/pkg/module_${i}.py`, `"""Module ${i}."""\n\n${'x = 1\n'.repeat(50)}`] as const));
      recordBase(tmp, files); // the first run pays for loading git's files into the cache
      const start = performance.now();
      const result = recordBase(tmp, files);
      const elapsed = performance.now() - start;
      assert.ok(result.recorded);
      assert.ok(elapsed < 1000, `${elapsed} ms`);
    });

    it('keeps the bases of two projects in one repository apart', () => {
      git(tmp, ['init', '-q']);
      const one = path.join(tmp, 'connectors', 'one');
      const two = path.join(tmp, 'connectors', 'one-two');
      const nested = path.join(one, 'nested');
      const files = (name: string) => new Map([['README.md', `# ${name}\n`], ['.yo-rc.json', `{"name":"${name}"}\n`]]);
      for (const [dir, name] of [[one, 'one'], [two, 'two'], [nested, 'nested']] as const) {
        fs.mkdirSync(dir, { recursive: true });
        const result = recordBase(dir, files(name));
        assert.ok(result.recorded);
      }
      const refs = git(tmp, ['for-each-ref', '--format=%(refname)', BASE_REF_PREFIX]).trim().split('\n').sort();
      assert.deepEqual(refs, [baseRefFor('connectors/one'), baseRefFor('connectors/one-two'), baseRefFor('connectors/one/nested')].sort());
      assert.equal(git(tmp, ['show', `${baseRefFor('connectors/one')}:README.md`]), '# one\n');
      assert.equal(git(tmp, ['show', `${baseRefFor('connectors/one-two')}:README.md`]), '# two\n');
      assert.equal(git(tmp, ['show', `${baseRefFor('connectors/one/nested')}:README.md`]), '# nested\n');
      // Recording one again moves only its own ref.
      const twoBefore = git(tmp, ['rev-parse', baseRefFor('connectors/one-two')]);
      assert.ok(recordBase(one, new Map([['README.md', '# one, again\n']])).recorded);
      assert.equal(git(tmp, ['rev-parse', baseRefFor('connectors/one-two')]), twoBefore);
      assert.equal(openBase(one, manifestOf(new Map([['README.md', '# one, again\n']]))).read('README.md'), '# one, again\n');
      // Another project's base never answers for this one: its blob id is not this project's.
      const base = openBase(two, { 'README.md': gitBlobId('# two, as it never was\n') });
      assert.equal(base.read('README.md'), undefined);
      assert.equal(base.notes.length, 1);
    });

    it("finds in a clone, which lacks our ref, the blobs of the files committed as generated", () => {
      const origin = path.join(tmp, 'origin');
      fs.mkdirSync(origin);
      git(origin, ['init', '-q', '--initial-branch=main']);
      const generated = projectFiles();
      writeFiles(origin, generated);
      // The user edited the README before the first commit: that base only lives in our ref.
      fs.appendFileSync(path.join(origin, 'README.md'), 'Edited before committing.\n');
      git(origin, ['add', '--all']);
      git(origin, ['commit', '-q', '-m', 'first']);
      assert.ok(recordBase(origin, generated).recorded);
      assert.equal(openBase(origin, manifestOf(generated)).read('README.md'), generated.get('README.md'));

      const clone = path.join(tmp, 'clone');
      // --no-local: a real transfer, of reachable objects only (a local clone copies the object folder).
      git(tmp, ['clone', '-q', '--no-local', origin, clone]);
      assert.equal(git(clone, ['for-each-ref', BASE_REF_PREFIX]), '');
      const base = openBase(clone, manifestOf(generated));
      assert.equal(base.source, 'manifest+git');
      assert.equal(base.owned.size, generated.size);
      for (const relative of ['.yo-rc.json', 'src/bytewax_orders/__init__.py', '.github/workflows/ci.yml']) assert.equal(base.read(relative), generated.get(relative));
      assert.equal(base.read('README.md'), undefined);
      assert.match(base.notes.join('\n'), /unknown for 1 file\(s\): README\.md/);
    });

    it("reads the base from our ref's tree in a SHA-256 repository, where the manifest's SHA-1 ids name no object", function () {
      try {
        git(tmp, ['init', '-q', '--object-format=sha256']);
      } catch {
        this.skip();
      }
      const files = projectFiles();
      const result = recordBase(tmp, files);
      assert.ok(result.recorded);
      assert.equal(result.commit.length, 64);
      const manifest = manifestOf(files);
      manifest['README.md'] = gitBlobId('# what the manifest says was written\n');
      const base = openBase(tmp, manifest);
      assert.equal(base.source, 'manifest+git');
      assert.equal(base.commit, result.commit);
      assert.equal(base.read('.yo-rc.json'), files.get('.yo-rc.json'));
      // The ref's README is not the one the manifest names: not used.
      assert.equal(base.read('README.md'), undefined);
    });

    it('refuses a blob over the size limit, and an id that names no blob', () => {
      git(tmp, ['init', '-q']);
      const big = 'x'.repeat(MAX_BASE_BLOB_BYTES + 1);
      fs.writeFileSync(path.join(tmp, 'big'), big);
      const bigId = git(tmp, ['hash-object', '-w', 'big']).trim();
      git(tmp, ['add', 'big']);
      git(tmp, ['commit', '-q', '-m', 'c']);
      const commitId = git(tmp, ['rev-parse', 'HEAD']).trim();
      const base = openBase(tmp, { 'big.txt': bigId, 'commit.txt': commitId });
      assert.equal(base.read('big.txt'), undefined);
      assert.equal(base.read('commit.txt'), undefined);
      assert.deepEqual([...base.owned].sort(), ['big.txt', 'commit.txt']);
    });

    it('refuses a manifest with a path outside the project or an id that is not one, with one line', () => {
      git(tmp, ['init', '-q']);
      for (const [manifest, pattern] of [
        [{ '../outside': gitBlobId('x') }, /has the path "\.\.\/outside", which has a "\.\." segment\.$/],
        [{ '.git/config': gitBlobId('x') }, /has the path "\.git\/config", which is inside a \.git folder\.$/],
        [{ 'a.txt': 'HEAD:a.txt' }, /gives "a\.txt" the id "HEAD:a\.txt", which is not a git blob id/],
      ] as const) {
        assert.throws(
          () => openBase(tmp, manifest as Record<string, string>),
          (error: Error) => error.name === 'UsageError' && pattern.test(error.message) && !error.message.includes('\n'),
        );
      }
    });

    it('records nothing and reads no base outside a git work tree, or without git', () => {
      const files = projectFiles();
      const outside = recordBase(tmp, files);
      assert.equal(outside.recorded, false);
      assert.match((outside as { reason: string }).reason, /^the project is not inside a git work tree \(git said: fatal: not a git repository/);
      assert.equal(openBase(tmp).source, 'none');
      const withManifest = openBase(tmp, manifestOf(files));
      assert.equal(withManifest.source, 'none');
      assert.deepEqual([...withManifest.owned].sort(), [...files.keys()].sort());
      assert.equal(withManifest.read('README.md'), undefined);

      git(tmp, ['init', '-q']);
      process.env['PATH'] = path.join(tmp, 'no-git-here');
      try {
        assert.deepEqual(recordBase(tmp, files), { recorded: false, reason: 'git is not installed' });
        assert.equal(openBase(tmp).source, 'none');
      } finally {
        process.env['PATH'] = saved['PATH'];
      }
    });
  });

  it("runs none of the programs a hostile repository's config names", () => {
    const files = projectFiles();
    writeFiles(tmp, files);
    assert.equal(initRepository(tmp, [...files.keys()], { name: 'A', email: 'a@example.com' }, 'Create bytewax-orders with generator-bytewax-connector 0.1.0'), undefined);
    const marker = (name: string) => path.join(tmp, `ran-${name}`);
    const hooks = path.join(tmp, 'evil-hooks');
    fs.mkdirSync(hooks);
    for (const hook of ['reference-transaction', 'post-commit', 'pre-auto-gc', 'post-checkout', 'post-index-change']) {
      fs.writeFileSync(path.join(hooks, hook), `#!/bin/sh\ntouch ${marker(hook)}\n`, { mode: 0o755 });
    }
    // A partial clone whose promisor remote runs a command when git fetches a missing object lazily.
    const settings: Array<[string, string]> = [
      ['core.repositoryformatversion', '1'],
      ['extensions.partialClone', 'origin'],
      ['remote.origin.promisor', 'true'],
      ['remote.origin.url', `ext::sh -c touch% ${marker('ext')}`],
      ['protocol.ext.allow', 'always'],
      ['protocol.file.allow', 'always'],
      ['remote.origin.uploadpack', `touch ${marker('uploadpack')}; false`],
      ['core.sshCommand', `touch ${marker('ssh')}; false`],
      ['core.fsmonitor', `touch ${marker('fsmonitor')}; false`],
      ['core.hooksPath', hooks],
      ['core.pager', `touch ${marker('pager')}; cat`],
      ['gc.auto', '1'],
    ];
    for (const [key, value] of settings) git(tmp, ['config', key, value]);
    const missing = '0123456789abcdef0123456789abcdef01234567';
    const recorded = recordBase(tmp, files);
    assert.ok(recorded.recorded);
    assert.equal(openBase(tmp).source, 'first-commit');
    const base = openBase(tmp, { ...manifestOf(files), 'gone.txt': missing });
    assert.equal(base.read('README.md'), files.get('README.md'));
    assert.equal(base.read('gone.txt'), undefined);
    // The same lookup through a file:// remote and an ssh one.
    for (const url of [`file://${tmp}`, 'ssh://example.invalid/repo']) {
      git(tmp, ['config', 'remote.origin.url', url]);
      assert.equal(openBase(tmp, { 'gone.txt': missing }).read('gone.txt'), undefined);
    }
    assert.deepEqual(fs.readdirSync(tmp).filter((name) => name.startsWith('ran-')), []);
  });

  describe('the first commit of a project made by 0.1.0', () => {
    const author = { name: 'Ada Lovelace', email: 'ada@example.com' };

    it("is the base when it is the generator's own commit, with user commits on top", () => {
      const files = projectFiles();
      writeFiles(tmp, files);
      // The install step's lock file is in the first commit too, but the generator did not write it.
      fs.writeFileSync(path.join(tmp, 'uv.lock'), 'version = 1\n');
      assert.equal(initRepository(tmp, [...files.keys(), 'uv.lock'], author, 'Create bytewax-orders with generator-bytewax-connector 0.1.0'), undefined);
      fs.appendFileSync(path.join(tmp, 'README.md'), 'User text.\n');
      fs.writeFileSync(path.join(tmp, 'src/bytewax_orders/helpers.py'), 'def helper(): ...\n');
      git(tmp, ['add', '--all']);
      git(tmp, ['commit', '-q', '-m', 'Create bytewax-orders with generator-bytewax-connector 0.1.0']);

      const base = openBase(tmp);
      assert.equal(base.source, 'first-commit');
      assert.equal(base.commit, git(tmp, ['rev-list', '--max-parents=0', 'HEAD']).trim());
      assert.deepEqual([...base.owned].sort(), [...files.keys()].sort());
      for (const [relative, text] of files) assert.equal(base.read(relative), text);
      assert.equal(base.read('src/bytewax_orders/helpers.py'), undefined);
    });

    it('is not trusted when the user made it, when it has a parent, or when .yo-rc.json disagrees with its message', () => {
      const cases: Array<[string, (dir: string) => void]> = [
        ['a user commit', (dir) => {
          git(dir, ['init', '-q']);
          git(dir, ['add', '--all']);
          git(dir, ['commit', '-q', '-m', 'Initial commit']);
        }],
        ["the generator's message with more text", (dir) => {
          git(dir, ['init', '-q']);
          git(dir, ['add', '--all']);
          git(dir, ['commit', '-q', '-m', 'Create bytewax-orders with generator-bytewax-connector 0.1.0', '-m', 'and my changes']);
        }],
        ["the generator's message on a commit that has a parent", (dir) => {
          git(dir, ['init', '-q']);
          git(dir, ['commit', '-q', '--allow-empty', '-m', 'start']);
          git(dir, ['add', '--all']);
          git(dir, ['commit', '-q', '-m', 'Create bytewax-orders with generator-bytewax-connector 0.1.0']);
        }],
        ["another version in .yo-rc.json than in the message", (dir) => {
          git(dir, ['init', '-q']);
          git(dir, ['add', '--all']);
          git(dir, ['commit', '-q', '-m', 'Create bytewax-orders with generator-bytewax-connector 0.0.9']);
        }],
      ];
      for (const [name, make] of cases) {
        const dir = path.join(tmp, name.replace(/\W+/g, '-'));
        fs.mkdirSync(dir);
        writeFiles(dir, projectFiles());
        make(dir);
        const base = openBase(dir);
        assert.equal(base.source, 'none', name);
        assert.equal(base.owned.size, 0, name);
      }
    });

    it('is none in a repository without commits; found under the folder a history rewrite moved the project to', () => {
      git(tmp, ['init', '-q']);
      assert.equal(openBase(tmp).source, 'none');
      // As git filter-repo --to-subdirectory-filter leaves it: the same commit, its tree one folder down.
      const sub = path.join(tmp, 'project');
      writeFiles(sub, projectFiles());
      writeFiles(tmp, new Map([['other/file.txt', 'not this project\n']]));
      git(tmp, ['add', '--all']);
      git(tmp, ['commit', '-q', '-m', 'Create bytewax-orders with generator-bytewax-connector 0.1.0']);
      const base = openBase(sub);
      assert.equal(base.source, 'first-commit');
      assert.deepEqual([...base.owned].sort(), [...projectFiles().keys()].sort());
      // The repository's top is not that project: its .yo-rc.json is not at the top.
      assert.equal(openBase(tmp).source, 'none');
    });

    it('refuses hostile paths in its tree: never owned, never read', () => {
      git(tmp, ['init', '-q']);
      const files = projectFiles();
      const blob = (text: string) => git(tmp, ['hash-object', '-w', '--stdin'], text).trim();
      const entries = [...files].filter(([p]) => !p.includes('/')).map(([p, t]) => `100644 blob ${blob(t)}\t${p}`);
      const evil = blob('[core]\n\tfsmonitor = "touch /tmp/pwned"\n');
      const dotGit = git(tmp, ['mktree'], `100644 blob ${evil}\tconfig\n`).trim();
      entries.push(`040000 tree ${dotGit}\t.GIT`, `100644 blob ${evil}\t..`, `100644 blob ${evil}\ta\\b`);
      const tree = git(tmp, ['mktree'], `${entries.join('\n')}\n`).trim();
      const commit = git(tmp, ['commit-tree', tree, '-m', 'Create bytewax-orders with generator-bytewax-connector 0.1.0']).trim();
      git(tmp, ['update-ref', 'refs/heads/main', commit]);
      git(tmp, ['symbolic-ref', 'HEAD', 'refs/heads/main']);

      const base = openBase(tmp);
      assert.equal(base.source, 'first-commit');
      assert.deepEqual([...base.owned].sort(), ['.yo-rc.json', 'README.md']);
      assert.equal(base.notes.length, 3);
      assert.match(base.notes.join('\n'), /Ignored "\.GIT\/config" \(it is inside a \.git folder\)/);
      assert.match(base.notes.join('\n'), /Ignored "\.\." \(it has a "\.\." segment\)/);
    });
  });

  describe('the 0.1.0 fixture (test/fixtures/README.md)', () => {
    it("is a 0.1.0 project whose first commit is the base, with the listed user edits on top", () => {
      const project = path.join(tmp, 'legacy');
      git(tmp, ['clone', '-q', path.join(REPO_ROOT, 'test/fixtures/project-0.1.0.bundle'), project]);
      const base = openBase(project);
      assert.equal(base.source, 'first-commit');
      assert.equal(git(project, ['log', '-1', '--format=%s', base.commit!]).trim(), 'Create bytewax-legacy with generator-bytewax-connector 0.1.0');
      assert.equal(base.owned.size, 43);
      assert.deepEqual(base.notes, []);
      const ours = (p: string) => fs.readFileSync(path.join(project, p), 'utf8');
      const changed = [...base.owned].filter((p) => base.read(p) !== ours(p)).sort();
      assert.deepEqual(changed, ['.github/workflows/ci.yml', 'README.md', 'src/bytewax_legacy/orders.py', 'tests/contract/common.py', 'tests/contract/partitioned.py']);
      assert.equal(base.owned.has('src/bytewax_legacy/helpers.py'), false);
      assert.ok(fs.existsSync(path.join(project, 'src/bytewax_legacy/helpers.py')));

      // Against the kit of this branch as the new rendering of tests/contract/.
      const labels = { ours: 'yours', base: 'generated by 0.1.0', theirs: 'generated by 0.2.0' };
      const kit = (name: string) => ({ text: fs.readFileSync(path.join(REPO_ROOT, 'kit/src/bytewax_connector_kit', name), 'utf8') });
      const plan = (file: string): FileOutcome => planFile(`tests/contract/${file}`, kit(file), true, base.read(`tests/contract/${file}`), ours(`tests/contract/${file}`), labels);
      // The user's changed import line meets the kit's rewritten one: a conflict whose sides hold each.
      const conflict = plan('partitioned.py');
      assert.equal(conflict.kind, 'conflict');
      const sides = (conflict as { sides: { ours: string; theirs: string } }).sides;
      assert.match(sides.ours, /^from tests\.contract\.common import \(  # noqa: I001$/m);
      assert.match(sides.theirs, /^from \.common import \($/m);
      assert.doesNotMatch(sides.theirs, /tests\.contract\.common/);
      // The user's comment on an import line the kit also has survives, merged or on its side of a conflict.
      const common = plan('common.py') as { kind: string; text?: string };
      assert.ok(['merged', 'conflict'].includes(common.kind), common.kind);
      assert.match(common.text!, /^import subprocess  # the kit runs each example in a process of its own$/m);
      assert.equal(plan('dynamic.py').kind, 'update');
    });
  });
});
