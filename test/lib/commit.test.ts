import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JOURNAL, applyCommit, planCommit, preflight, recoverInterruptedRun, resolveRoot } from '../../lib/commit.js';
import { type JournalBody, journalText } from '../../lib/journal.js';
import { readTree } from '../helpers/paths.js';
import { onlyOnPosix } from '../helpers/platform.js';

const file = (root: string, relative: string, text: string | null) => ({
  path: path.join(root, relative),
  contents: text === null ? null : Buffer.from(text),
});

describe('lib/commit', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-commit-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('classifies new, identical, updated and removed files, flags read-only ones, .yo-rc.json last', () => {
    fs.writeFileSync(path.join(root, 'same.txt'), 'same');
    fs.writeFileSync(path.join(root, 'README.md'), 'old');
    fs.writeFileSync(path.join(root, 'gone.txt'), 'old');
    fs.writeFileSync(path.join(root, 'locked.txt'), 'old', { mode: 0o444 });
    const plan = planCommit(root, [
      file(root, '.yo-rc.json', '{}'),
      file(root, 'new/deep/file.txt', 'new'),
      file(root, 'same.txt', 'same'),
      file(root, 'README.md', 'new'),
      file(root, 'gone.txt', null),
      file(root, 'never-there.txt', null),
      file(root, 'locked.txt', 'new'),
    ]);
    assert.deepEqual(
      plan.map((e) => [e.relative, e.action, e.readOnly ?? false]),
      [
        ['new/deep/file.txt', 'create', false],
        ['same.txt', 'identical', false],
        ['README.md', 'update', false],
        ['gone.txt', 'delete', false],
        ['never-there.txt', 'identical', false],
        ['locked.txt', 'update', true],
        ['.yo-rc.json', 'create', false],
      ],
    );
  });

  it('removes files and undoes a removal when a later write fails', () => {
    fs.writeFileSync(path.join(root, 'gone.txt'), 'was here');
    const plan = planCommit(root, [file(root, 'gone.txt', null), file(root, 'a.txt', 'a')]);
    assert.equal(applyCommit(root, plan, 'test').length, 2);
    assert.ok(!fs.existsSync(path.join(root, 'gone.txt')));
    fs.writeFileSync(path.join(root, 'gone.txt'), 'was here');
    fs.rmSync(path.join(root, 'a.txt'));
    const failing = planCommit(root, [file(root, 'gone.txt', null), file(root, 'two/b.txt', 'b')]);
    fs.writeFileSync(path.join(root, 'two'), 'in the way');
    assert.throws(() => applyCommit(root, failing, 'test'), /Every change of this run was undone/);
    assert.equal(fs.readFileSync(path.join(root, 'gone.txt'), 'utf8'), 'was here');
  });

  it('refuses a path outside the root', () => {
    assert.throws(() => planCommit(root, [file(root, '../escaped.txt', 'x')]), /Refusing to write .*escaped\.txt: it is outside the project/);
  });

  it('refuses to write through a symbolic link, file or folder, even a dangling one', function () {
    onlyOnPosix(this);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-outside-'));
    fs.symlinkSync(path.join(outside, 'missing.py'), path.join(root, 'x.py'));
    assert.throws(() => planCommit(root, [file(root, 'x.py', 'x')]), /x\.py is a symbolic link \(to ".*missing\.py"\); the generator never writes through links/);
    fs.symlinkSync(outside, path.join(root, 'src'));
    assert.throws(() => planCommit(root, [file(root, 'src/pkg/a.py', 'x')]), /^UsageError: src is a symbolic link/);
    assert.deepEqual(fs.readdirSync(outside), []);
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('a folder swapped for a link between the plan and the write is never written through', function () {
    onlyOnPosix(this);
    fs.mkdirSync(path.join(root, 'examples'));
    const plan = planCommit(root, [file(root, 'a.txt', 'a'), file(root, 'examples/orders.py', 'x')]);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-outside-'));
    fs.rmdirSync(path.join(root, 'examples'));
    fs.symlinkSync(outside, path.join(root, 'examples'));
    assert.throws(() => applyCommit(root, plan, 'test'), /Could not write examples\/orders\.py: examples is a symbolic link .*Every change of this run was undone/);
    assert.deepEqual(fs.readdirSync(outside), []);
    assert.ok(!fs.existsSync(path.join(root, 'a.txt')));
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('refuses a file where a folder is needed, and names too long for a file system', () => {
    fs.writeFileSync(path.join(root, 'src'), 'a file');
    assert.throws(() => planCommit(root, [file(root, 'src/pkg/a.py', 'x')]), /src is a file, but src\/pkg\/a\.py needs it to be a folder/);
    assert.throws(() => planCommit(root, [file(root, `${'n'.repeat(256)}.py`, 'x')]), /is longer than 255 bytes/);
    assert.throws(() => resolveRoot(path.join(root, 'src', 'project')), /src" is a file, so the project cannot be created there/);
  });

  it('writes every file, keeps the mode of replaced ones and leaves no journal', function () {
    onlyOnPosix(this);
    fs.writeFileSync(path.join(root, 'run.sh'), 'old', { mode: 0o755 });
    const plan = planCommit(root, [file(root, 'a/b.txt', 'b'), file(root, 'run.sh', 'new')]);
    preflight(plan);
    assert.equal(applyCommit(root, plan, 'test').length, 2);
    assert.equal(fs.readFileSync(path.join(root, 'a/b.txt'), 'utf8'), 'b');
    assert.equal(fs.statSync(path.join(root, 'run.sh')).mode & 0o777, 0o755);
    assert.ok(!fs.existsSync(path.join(root, JOURNAL)));
  });

  it('undoes everything when a write fails part-way, and says so', () => {
    fs.writeFileSync(path.join(root, 'README.md'), 'original');
    const plan = planCommit(root, [
      file(root, 'README.md', 'changed'),
      file(root, 'one/a.txt', 'a'),
      file(root, 'two/b.txt', 'b'),
    ]);
    const before = readTree(root);
    // After planning, something takes the place of a folder the commit needs.
    fs.writeFileSync(path.join(root, 'two'), 'in the way');
    assert.throws(() => applyCommit(root, plan, 'test'), /^UsageError: Could not write two\/b\.txt: two is a file, but two\/b\.txt needs it to be a folder\. Every change of this run was undone/);
    fs.rmSync(path.join(root, 'two'));
    assert.deepEqual(readTree(root), before);
  });

  it('recovers from a run cut off part-way: created files removed, replaced ones restored, edited ones kept', () => {
    fs.writeFileSync(path.join(root, 'README.md'), 'original');
    const journal: JournalBody = {
      version: 2,
      command: 'generator-bytewax-connector partitioned orders',
      directories: ['src/pkg'],
      entries: [
        { path: 'README.md', action: 'update', after: sha('changed'), before: Buffer.from('original').toString('base64') },
        { path: 'src/pkg/orders.py', action: 'create', after: sha('module') },
        { path: 'tests/test_orders.py', action: 'create', after: sha('test') },
        { path: 'old.txt', action: 'delete', after: '', before: Buffer.from('removed by the run').toString('base64') },
      ],
    };
    fs.writeFileSync(path.join(root, 'README.md'), 'changed');
    fs.mkdirSync(path.join(root, 'src/pkg'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src/pkg/orders.py'), 'module');
    fs.writeFileSync(path.join(root, 'src/pkg/.orders.py.generator-tmp'), 'half');
    fs.mkdirSync(path.join(root, 'tests'));
    fs.writeFileSync(path.join(root, 'tests/test_orders.py'), 'edited since');
    fs.writeFileSync(path.join(root, JOURNAL), journalText(journal));
    const recovery = recoverInterruptedRun(root);
    assert.deepEqual(recovery, { command: journal.command, undone: 3, kept: ['tests/test_orders.py'] });
    assert.equal(fs.readFileSync(path.join(root, 'README.md'), 'utf8'), 'original');
    assert.equal(fs.readFileSync(path.join(root, 'old.txt'), 'utf8'), 'removed by the run');
    assert.ok(!fs.existsSync(path.join(root, 'src/pkg')));
    assert.ok(!fs.existsSync(path.join(root, JOURNAL)));
    assert.equal(recoverInterruptedRun(root), undefined);
  });

  describe('a journal is untrusted input: anything but our own, inside the project, is refused and left', () => {
    let outside: string;
    beforeEach(() => {
      outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-victim-'));
      fs.writeFileSync(path.join(outside, 'bashrc'), 'mine');
    });
    afterEach(() => fs.rmSync(outside, { recursive: true, force: true }));

    const body = (entries: JournalBody['entries'], directories: string[] = []): JournalBody => ({ version: 2, command: 'sink out', directories, entries });
    const update = (file: string): JournalBody['entries'][number] => ({ path: file, action: 'update', after: sha('mine'), before: Buffer.from('evil').toString('base64') });

    const refused = (text: string, message: RegExp) => {
      fs.writeFileSync(path.join(root, JOURNAL), text);
      const before = readTree(root);
      assert.throws(() => recoverInterruptedRun(root), (error: Error) => {
        assert.equal(error.name, 'UsageError');
        assert.match(error.message, /^\S*\.generator-bytewax-connector\.journal\.json is left from a run that was cut off, but .*, so it was not used\.\n/);
        assert.match(error.message, message);
        return true;
      });
      assert.deepEqual(readTree(root), before, 'the journal and the project are left as they were');
      assert.equal(fs.readFileSync(path.join(outside, 'bashrc'), 'utf8'), 'mine');
    };

    it('text that is not JSON, or not a journal', () => {
      refused('not json', /not a journal this version of the generator wrote/);
      refused('[]', /not a journal this version/);
      refused(JSON.stringify({ body: JSON.stringify({ ...body([]), entries: [{ path: 5, action: 'create', after: sha('x') }] }), mac: null }), /not a journal this version/);
      refused(JSON.stringify({ body: '{', mac: 'ab' }), /not a journal this version/);
    });

    it('a journal without a signature, or signed with another key', () => {
      const journal = body([{ path: 'README.md', action: 'create', after: sha('x') }]);
      refused(journalText(journal, undefined).replace(/"mac": "[0-9a-f]+"/, '"mac": null'), /carries no signature/);
      refused(journalText(journal, randomBytes(32)), /signature does not match/);
      const tampered = JSON.parse(journalText(journal)) as { body: string; mac: string };
      refused(JSON.stringify({ ...tampered, body: tampered.body.replace('README.md', 'LICENSE') }), /signature does not match/);
    });

    it('paths outside the project, absolute, or through a symbolic link, even when signed', () => {
      fs.symlinkSync(outside, path.join(root, 'lnk'));
      refused(journalText(body([update('lnk/bashrc')])), /names "lnk\/bashrc", which a run may not write: lnk is a symbolic link/);
      refused(journalText(body([update(`../${path.basename(outside)}/bashrc`)])), /not a path inside the project/);
      refused(journalText(body([update(path.join(outside, 'bashrc'))])), /not a path inside the project/);
      refused(journalText(body([], ['lnk'])), /names "lnk"/);
      refused(journalText(body([], ['a/../../x'])), /not a path inside the project/);
    });
  });
});

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
