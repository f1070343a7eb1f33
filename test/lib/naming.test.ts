import assert from 'node:assert/strict';
import {
  LIMITS,
  classStem,
  defaultDistName,
  descriptionProblem,
  emailProblem,
  packageFromDistName,
  packageNameProblem,
  sliceNameProblem,
  textProblem,
} from '../../lib/naming.js';
import { STDLIB_MODULES } from '../../lib/stdlib-modules.js';

describe('lib/naming', () => {
  it('maps slice names to PEP 8 class names, digits included', () => {
    assert.equal(classStem('sensor_log'), 'SensorLog');
    assert.equal(classStem('queue_1'), 'Queue1');
    assert.equal(classStem('s3_bucket'), 'S3Bucket');
    assert.equal(classStem('a_b_c'), 'ABC');
  });

  it('derives names a project can use from any directory name', () => {
    assert.equal(defaultDistName('acme'), 'bytewax-acme');
    assert.equal(defaultDistName('bytewax'), 'bytewax-connector');
    assert.equal(defaultDistName('Ünïcødé Feed!'), 'bytewax-n-c-d-feed');
    const long = defaultDistName('x'.repeat(300));
    assert.equal(packageNameProblem(packageFromDistName(long)), undefined);
    assert.equal(packageFromDistName('123-go'), '_123_go');
  });

  it('refuses package names that would shadow what the project imports', () => {
    assert.match(packageNameProblem('json')!, /shadow the standard library module json/);
    assert.match(packageNameProblem('_thread')!, /shadow the standard library module _thread/);
    assert.match(packageNameProblem('pytest')!, /which the project depends on/);
    assert.match(packageNameProblem('examples')!, /top-level folder/);
    assert.match(packageNameProblem('___')!, /has no letter/);
    assert.equal(packageNameProblem('p'.repeat(LIMITS.packageName)), undefined);
  });

  it('refuses, as a package, the modules every project may have and Windows device names', () => {
    for (const name of ['contract', 'demo', 'pipeline']) assert.match(packageNameProblem(name)!, /module every project may have/, name);
    for (const name of ['con', 'aux', 'nul', 'prn', 'com1', 'com9', 'lpt1', 'lpt9']) assert.match(packageNameProblem(name)!, /device name on Windows/, name);
    for (const name of ['console', 'auxiliary', 'com10', 'lpt', 'null']) assert.equal(packageNameProblem(name), undefined, name);
  });

  it('refuses slice names that are Windows device names or shadow what the project imports', () => {
    for (const name of ['con', 'aux', 'nul', 'prn', 'com0', 'com1', 'com9', 'lpt1', 'lpt9']) {
      assert.match(sliceNameProblem(name)!, new RegExp(`device name on Windows, where a file called ${name}\\.py`), name);
    }
    for (const name of ['pytest', 'mypy', 'sphinx', 'nox', 'typing_extensions', 'hypothesis', 'ruff', 'yaml', 'xdist', 'myst_parser']) {
      assert.match(sliceNameProblem(name)!, /which the project depends on/, name);
    }
    for (const name of ['com10', 'console', 'pytest_x', 'my_nox']) assert.equal(sliceNameProblem(name), undefined, name);
  });

  it('keeps the standard library list to modules of every supported Python', () => {
    for (const name of ['asyncio', 'tomllib', 'distutils', 'imp', '__future__']) assert.ok(STDLIB_MODULES.has(name), name);
  });

  it('refuses slice names that collide with the project', () => {
    const context = { packageName: 'shop', taken: [{ name: 'orders', kind: 'partitioned source' }] };
    assert.match(sliceNameProblem('orders', context)!, /already used by the partitioned source "orders"/);
    assert.match(sliceNameProblem('shop', context)!, /the name of the package itself/);
    assert.match(sliceNameProblem('demo', context)!, /reserved/);
    assert.match(sliceNameProblem('conftest', context)!, /reserved/);
    assert.equal(sliceNameProblem('orders_x', { taken: [{ name: 'ordersx', kind: 'sink' }] }), undefined);
    assert.match(sliceNameProblem('a'.repeat(33))!, /at most 32/);
    assert.equal(sliceNameProblem('a'.repeat(32)), undefined);
  });

  it('accepts only emails the package metadata accepts', () => {
    for (const ok of ['', 'ada@example.com', "o'brien+x@mail.example.co.uk", 'a.b-c@d-e.io']) assert.equal(emailProblem(ok), undefined, ok);
    for (const bad of ['ann@ex..com', 'a,b@c.io', 'a b@c.io', 'ada@', '@x.io', 'ada@localhost', 'ü@x.io', 'a@b.c1', '.a@b.io']) {
      assert.ok(emailProblem(bad), bad);
    }
  });

  it('refuses invisible and control characters in free text, but not joiners', () => {
    assert.match(textProblem('tab\there', 100)!, /U\+0009/);
    assert.match(textProblem('rtl\u202eoverride', 100)!, /U\+202E/);
    assert.match(textProblem('line\u2028separator', 100)!, /U\+2028/);
    assert.equal(textProblem('family 👨‍👩‍👧 and ZWNJ می‌خواهم', 100), undefined);
    assert.match(descriptionProblem('<!-- x -->')!, /HTML comment/);
  });

  it('trims white space but not a byte order mark, which the text rules then refuse', async () => {
    const { trimSpace } = await import('../../lib/answers.js');
    assert.equal(trimSpace(' \t\u00a0Ada\u3000\n'), 'Ada');
    assert.equal(trimSpace('\ufeffAda'), '\ufeffAda');
    assert.match(textProblem(trimSpace('\ufeffAda '), 100)!, /U\+FEFF/);
  });
});

describe('lib/escape', () => {
  it('wraps a docstring paragraph with no whitespace at either end of a line', async () => {
    const { docstringParagraph } = await import('../../lib/escape.js');
    const text = `${'word '.repeat(13)}  two  spaces  at  the  break ${'x'.repeat(70)}  "quoted" \\ back`;
    const lines = docstringParagraph(text).split('\n');
    assert.ok(lines.length > 1);
    for (const line of lines) {
      assert.equal(line, line.trim(), JSON.stringify(line));
      assert.ok(line.length <= 72 || !line.includes(' '), `${line.length}: ${line}`);
    }
    assert.match(lines.join(' '), /\\"quoted\\" \\\\ back/);
  });
});
