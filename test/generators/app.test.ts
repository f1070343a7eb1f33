import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { gitBlobId } from '../../lib/base-store.js';
import { AWKWARD, generatorPath, listFiles, readTree } from '../helpers/paths.js';
import { runGenerator } from '../helpers/run.js';

const APP = generatorPath('app');
const FLAGS = {
  yes: true,
  skipInstall: true,
  authorName: 'Ada Lovelace',
  authorEmail: 'ada@example.com',
  ci: false,
};

function readJson(file: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, any>;
}

describe('app', () => {
  describe('with flags and --yes', () => {
    let dir: string;
    before(async () => {
      const result = await runGenerator('app')
        .withArguments(['acme-feed'])
        .withOptions({ ...FLAGS, description: AWKWARD, license: 'MIT', python: '3.11', installer: 'uv' });
      dir = path.join(result.cwd, 'acme-feed');
    });

    it('writes the base project into the named directory', () => {
      for (const file of [
        'pyproject.toml', 'README.md', 'CHANGELOG.md', 'LICENSE', '.gitignore', '.pre-commit-config.yaml',
        'src/bytewax_acme_feed/__init__.py', 'src/bytewax_acme_feed/py.typed',
        'tests/__init__.py', 'tests/test_package.py', 'examples/__init__.py',
      ]) {
        assert.ok(fs.existsSync(path.join(dir, file)), `${file} is missing`);
      }
      // The contract kit comes with the first source or sink that needs it.
      assert.ok(!fs.existsSync(path.join(dir, 'tests/contract')));
    });

    it('derives the distribution and package names from the directory', () => {
      const pyproject = parseToml(fs.readFileSync(path.join(dir, 'pyproject.toml'), 'utf8')) as Record<string, any>;
      assert.equal(pyproject.project.name, 'bytewax-acme-feed');
      assert.deepEqual(pyproject.tool.hatch.build.targets.wheel.packages, ['src/bytewax_acme_feed']);
    });

    it('keeps the awkward description exact in TOML and in the package docstring', () => {
      const pyproject = parseToml(fs.readFileSync(path.join(dir, 'pyproject.toml'), 'utf8')) as Record<string, any>;
      assert.equal(pyproject.project.description, AWKWARD);
      const init = fs.readFileSync(path.join(dir, 'src/bytewax_acme_feed/__init__.py'), 'utf8');
      assert.deepEqual(init.split('\n').slice(0, 4), ['"""A Bytewax connector package.', '', 'Project description: He said \\"hi\\" \\\\ o\'clock — ünïcødé', '"""']);
    });

    it('matches license and Python range in metadata and classifiers', () => {
      const pyproject = parseToml(fs.readFileSync(path.join(dir, 'pyproject.toml'), 'utf8')) as Record<string, any>;
      assert.equal(pyproject.project.license, 'MIT');
      assert.equal(pyproject.project['requires-python'], '>=3.11');
      const versions = (pyproject.project.classifiers as string[])
        .filter((c) => /^Programming Language :: Python :: 3\.\d+$/.test(c))
        .map((c) => c.split(' :: ').pop());
      assert.deepEqual(versions, ['3.11', '3.12']);
      assert.ok(!(pyproject.project.classifiers as string[]).some((c) => c.startsWith('License ::')));
      assert.deepEqual(pyproject.project.dependencies, ['bytewax>=0.21.1,<0.22']);
      assert.equal(pyproject.tool.mypy.python_version, '3.11');
      // ruff reads the minimum Python from requires-python (sp-repo-review RF002).
      assert.equal(pyproject.tool.ruff?.['target-version'], undefined);
      const license = fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8');
      assert.match(license, new RegExp(`^MIT License\\n\\nCopyright \\(c\\) ${new Date().getFullYear()} Ada Lovelace\\n`));
    });

    it('records every answer and the generator version in .yo-rc.json', () => {
      const rc = readJson(path.join(dir, '.yo-rc.json'))['generator-bytewax-connector'];
      const { version } = readJson(path.resolve(APP, '../../../../package.json'));
      const { files, ...answers } = rc;
      // The manifest: every file the generator wrote (this one aside), by git blob id.
      assert.deepEqual(Object.keys(files).sort(), listFiles(dir).filter((file) => file !== '.yo-rc.json').sort());
      for (const [file, id] of Object.entries(files)) assert.equal(id, gitBlobId(fs.readFileSync(path.join(dir, file))), file);
      assert.deepEqual(answers, {
        generatorVersion: version,
        distName: 'bytewax-acme-feed',
        packageName: 'bytewax_acme_feed',
        description: AWKWARD,
        authorName: 'Ada Lovelace',
        authorEmail: 'ada@example.com',
        license: 'MIT',
        python: '3.11',
        installer: 'uv',
        ci: false,
        docs: true,
        copyrightYear: new Date().getFullYear(),
        createdWith: version,
        sources: [],
        sinks: [],
      });
    });

    it('writes LF line endings only', () => {
      for (const file of listFiles(dir)) {
        assert.ok(!fs.readFileSync(path.join(dir, file), 'utf8').includes('\r'), `${file} has a CR`);
      }
    });

    it('leaves no HTML-escaped text from templates', () => {
      for (const file of listFiles(dir)) {
        assert.doesNotMatch(fs.readFileSync(path.join(dir, file), 'utf8'), /&#39;|&quot;|&amp;|&lt;|&gt;/, file);
      }
    });
  });

  describe('with prompts', () => {
    it('asks for what no flag gave and uses the answers', async () => {
      const result = await runGenerator('app')
        .withOptions({ skipInstall: true })
        .withAnswers({
          distName: 'Bytewax.Sensor_Hub',
          packageName: 'sensor_hub',
          description: 'Reads sensors.',
          authorName: 'Grace Hopper',
          authorEmail: 'grace@example.com',
          license: 'BSD-3-Clause',
          python: '3.10',
          startSource: 'none',
          ci: false,
        });
      const rc = readJson(path.join(result.cwd, '.yo-rc.json'))['generator-bytewax-connector'];
      assert.equal(rc.distName, 'bytewax-sensor-hub');
      assert.equal(rc.packageName, 'sensor_hub');
      assert.equal(rc.license, 'BSD-3-Clause');
      const pyproject = parseToml(fs.readFileSync(path.join(result.cwd, 'pyproject.toml'), 'utf8')) as Record<string, any>;
      assert.deepEqual((pyproject.project.authors as object[]).map((a) => ({ ...a })), [{ name: 'Grace Hopper', email: 'grace@example.com' }]);
      assert.ok(fs.existsSync(path.join(result.cwd, 'src/sensor_hub/__init__.py')));
    });

    it('starts with the source chosen at the prompt, asking for the client of a dynamic one', async () => {
      const result = await runGenerator('app')
        .withArguments(['hub'])
        .withOptions({ skipInstall: true, authorName: 'Grace Hopper', ci: false })
        .withAnswers({ startSource: 'dynamic', sourceName: 'ticks', client: 'async' });
      const rc = readJson(path.join(result.cwd, 'hub', '.yo-rc.json'))['generator-bytewax-connector'];
      assert.deepEqual(rc.sources, [{ name: 'ticks', kind: 'dynamic', client: 'async' }]);
      assert.match(fs.readFileSync(path.join(result.cwd, 'hub/src/bytewax_hub/ticks.py'), 'utf8'), /async def fetch\(/);
    });
  });

  describe('with sinks', () => {
    it('--sink and --sink-kind start the project with that sink, beside a source', async () => {
      const result = await runGenerator('app')
        .withArguments(['hub'])
        .withOptions({ ...FLAGS, dynamic: 'events', sink: 'ledger', sinkKind: 'partitioned' });
      const dir = path.join(result.cwd, 'hub');
      const rc = readJson(path.join(dir, '.yo-rc.json'))['generator-bytewax-connector'];
      assert.deepEqual(rc.sources, [{ name: 'events', kind: 'dynamic', client: 'sync' }]);
      assert.deepEqual(rc.sinks, [{ name: 'ledger', kind: 'partitioned' }]);
      assert.match(fs.readFileSync(path.join(dir, 'src/bytewax_hub/ledger.py'), 'utf8'), /class LedgerSink\(\n {4}FixedPartitionedSink/);
      assert.ok(fs.existsSync(path.join(dir, 'tests/contract/sink_partitioned.py')));
      const init = fs.readFileSync(path.join(dir, 'src/bytewax_hub/__init__.py'), 'utf8');
      assert.match(init, /from \.events import EventsSource\nfrom \.ledger import LedgerSink\n/);
    });

    it('--sink alone starts with a dynamic sink', async () => {
      const result = await runGenerator('app').withArguments(['hub']).withOptions({ ...FLAGS, sink: 'results' });
      const rc = readJson(path.join(result.cwd, 'hub', '.yo-rc.json'))['generator-bytewax-connector'];
      assert.deepEqual(rc.sinks, [{ name: 'results', kind: 'dynamic' }]);
      assert.ok(fs.existsSync(path.join(result.cwd, 'hub', 'tests/contract/sink_dynamic.py')));
    });

    it('asks "Start with a sink?" after the source question and uses the answer', async () => {
      const result = await runGenerator('app')
        .withArguments(['hub'])
        .withOptions({ skipInstall: true, authorName: 'Grace Hopper', ci: false })
        .withAnswers({ startSource: 'partitioned', sourceName: 'orders', startSink: 'partitioned', sinkName: 'ledger' });
      const rc = readJson(path.join(result.cwd, 'hub', '.yo-rc.json'))['generator-bytewax-connector'];
      assert.deepEqual(rc.sources, [{ name: 'orders', kind: 'partitioned' }]);
      assert.deepEqual(rc.sinks, [{ name: 'ledger', kind: 'partitioned' }]);
    });

    it('refuses a sink named like the first source at the prompt', async () => {
      const context = runGenerator('app')
        .withArguments(['hub'])
        .withOptions({ skipInstall: true, authorName: 'Grace Hopper', ci: false })
        .withAnswers({ startSource: 'dynamic', sourceName: 'orders', client: 'sync', startSink: 'dynamic', sinkName: 'orders' });
      await assert.rejects(context, /The source name "orders" is already used by the dynamic sink "orders"\./);
    });
  });

  describe('with --yes and no other answers', () => {
    it('takes every default', async () => {
      const result = await runGenerator('app').withArguments(['feed']).withOptions({ yes: true, skipInstall: true, authorName: 'A' });
      const rc = readJson(path.join(result.cwd, 'feed', '.yo-rc.json'))['generator-bytewax-connector'];
      assert.equal(rc.distName, 'bytewax-feed');
      assert.equal(rc.packageName, 'bytewax_feed');
      assert.equal(rc.license, 'Apache-2.0');
      assert.equal(rc.python, '3.10');
      assert.equal(rc.ci, true);
      assert.equal(rc.docs, true);
      assert.equal(rc.description, 'A Bytewax connector.');
    });
  });

  describe('re-run on its own output', () => {
    it('is idempotent: identical files, nothing asked', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-rerun-'));
      await runGenerator('app').cd(dir).withOptions({ ...FLAGS, name: 'bytewax-twice' });
      const before = readTree(dir);
      // No answers scripted: a question would fail the run.
      await runGenerator('app').cd(dir).withOptions({ yes: true, skipInstall: true });
      assert.deepEqual(readTree(dir), before);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });

  describe('rejects bad input before writing anything', () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['a name with spaces', { name: 'my connector' }, /^--name "my connector" is not a valid distribution name/],
      ['the name bytewax', { name: 'Bytewax' }, /^--name "Bytewax" is taken by Bytewax itself/],
      ['a name whose package is a keyword', { name: 'pass' }, /^--name gives the import package "pass", which is a Python keyword and cannot be imported\. Give --package, or choose another --name\.$/],
      ['a name whose package shadows the standard library', { name: 'json' }, /^--name gives the import package "json", which would shadow the standard library module json\./],
      ['a keyword as package', { package: 'class' }, /^--package "class" is a Python keyword/],
      ['a package with a dash', { package: 'my-pkg' }, /^--package "my-pkg" is not a valid import package/],
      ['bytewax as package', { package: 'bytewax' }, /^--package "bytewax" would shadow bytewax, which the project depends on\./],
      ['a standard library module as package', { package: 'typing' }, /^--package "typing" would shadow the standard library module typing\./],
      ['tests as package', { package: 'tests' }, /^--package "tests" is a top-level folder every project has/],
      ['__main__ as package', { package: '__main__' }, /^--package "__main__" starts or ends with "__"/],
      ['a package of 41 characters', { package: 'p'.repeat(41) }, /is 41 characters long; at most 40 are accepted\.$/],
      ['an email with two dots', { authorEmail: 'ann@ex..com' }, /^--author-email "ann@ex\.\.com" is not an email address the package metadata accepts/],
      ['an email with a comma', { authorEmail: 'a,b@c.io' }, /^--author-email "a,b@c\.io" is not an email address/],
      ['an unknown license', { license: 'GPL-3.0' }, /^--license "GPL-3\.0" is not one of Apache-2\.0, MIT, BSD-3-Clause, Proprietary\.$/],
      ['an unsupported Python', { python: '3.13' }, /^--python "3\.13" is not one of 3\.10, 3\.11, 3\.12\.$/],
      ['a two-line description', { description: 'one\ntwo' }, /^--description "one\\u\{a\}two" contains the control or invisible character U\+000A/],
      ['a description with a bidi override', { description: 'abc\u202edef' }, /^--description "abc\\u\{202e\}def" contains the control or invisible character U\+202E/],
      ['a description with an HTML comment', { description: 'x <!-- generator-bytewax-connector: sources are added above this line -->' }, /contains an HTML comment marker/],
      ['a blank author name', { authorName: '   ' }, /^--author-name "" is empty\.$/],
      ['a bad source name', { partitioned: 'Orders' }, /^--partitioned "Orders" is not a valid name: use snake_case/],
      ['a keyword source name', { dynamic: 'async' }, /^--dynamic "async" is a Python keyword/],
      ['a source named like the package', { package: 'shop', partitioned: 'shop' }, /^--partitioned "shop" is the name of the package itself\.$/],
      ['two sources of one name', { partitioned: 'orders', dynamic: 'orders' }, /^--partitioned "orders" is already used by the dynamic source "orders"\./],
      ['two sources of one class name', { partitioned: 'queue_1', dynamic: 'queue1' }, /^--partitioned "queue_1" gives the class names Queue1…, already used by the dynamic source "queue1"\./],
      ['an unknown client', { dynamic: 'ticks', client: 'threads' }, /^--client "threads" is not one of sync, async\.$/],
      ['a client without a dynamic source', { client: 'async' }, /^--client applies to a dynamic source/],
      ['a bad sink name', { sink: 'Ledger' }, /^--sink "Ledger" is not a valid name: use snake_case/],
      ['a sink named like a source', { partitioned: 'orders', sink: 'orders' }, /^--partitioned "orders" is already used by the dynamic sink "orders"\.$/],
      ['a sink of one class name with a source', { dynamic: 'queue1', sink: 'queue_1', sinkKind: 'partitioned' }, /^--dynamic "queue1" gives the class names Queue1…, already used by the partitioned sink "queue_1"\.$/],
      ['an unknown sink kind', { sink: 'ledger', sinkKind: 'sideways' }, /^--sink-kind "sideways" is not one of dynamic, partitioned\.$/],
      ['a sink kind without a sink', { sinkKind: 'partitioned' }, /^--sink-kind applies to a sink: give --sink <name> too, or leave --sink-kind out\.$/],
    ];
    for (const [what, options, message] of cases) {
      it(`refuses ${what}`, async () => {
        const context = runGenerator('app').withArguments(['target']).withOptions({ ...FLAGS, ...options });
        await assert.rejects(context, (error: Error) => {
          assert.equal(error.name, 'UsageError');
          assert.match(error.message, message);
          return true;
        });
        assert.deepEqual(listFiles(context.targetDirectory!), []);
      });
    }
  });
});
