import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listFiles, readTree } from './paths.js';
import { runGenerator } from './run.js';


/** A fresh generated project without sources (package `bytewax_shop`). */
export async function makeProject(extra: Record<string, unknown> = {}, parent = os.tmpdir()): Promise<string> {
  const dir = fs.mkdtempSync(path.join(parent, 'bytewax-slice-'));
  await runGenerator('app')
    .cd(dir)
    .withOptions({ yes: true, skipInstall: true, name: 'bytewax-shop', authorName: 'Ada', ci: false, ...extra });
  return dir;
}

export function sources(dir: string): Array<Record<string, string>> {
  const rc = JSON.parse(fs.readFileSync(path.join(dir, '.yo-rc.json'), 'utf8'));
  return rc['generator-bytewax-connector'].sources;
}

/** The behaviour both source slices share, run against one of them. */
export function describeSourceSlice(kind: 'partitioned' | 'dynamic', options: Record<string, unknown> = {}): void {
  const run = (cwd: string, name?: string, extra: Record<string, unknown> = {}) => {
    const context = runGenerator(kind).cd(cwd).withOptions({ yes: true, ...options, ...extra });
    return name === undefined ? context : context.withArguments([name]);
  };

  describe(`${kind} added to an existing project`, () => {
    let dir: string;
    before(async () => {
      dir = await makeProject();
      // Run from a sub-directory: the project root is found above it.
      await run(path.join(dir, 'src'), 'sensor_log');
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('writes the module, its demo upstream, its test, its example and the contract kit of its kind only', () => {
      const files = [
        'src/bytewax_shop/sensor_log.py',
        'src/bytewax_shop/demo/__init__.py',
        'src/bytewax_shop/demo/sensor_log.py',
        'tests/test_sensor_log.py',
        'examples/sensor_log.py',
        'tests/contract/__init__.py',
        'tests/contract/common.py',
        `tests/contract/${kind}.py`,
      ];
      const other = kind === 'partitioned' ? 'dynamic' : 'partitioned';
      assert.ok(!fs.existsSync(path.join(dir, `tests/contract/${other}.py`)), `a ${kind}-only project got the ${other} kit`);
      for (const file of files) {
        assert.ok(fs.existsSync(path.join(dir, file)), file);
        assert.doesNotMatch(fs.readFileSync(path.join(dir, file), 'utf8'), /<%|%>/, file);
      }
      const module = fs.readFileSync(path.join(dir, 'src/bytewax_shop/sensor_log.py'), 'utf8');
      assert.match(module, /class SensorLogSource\(/);
      // The demo is never the default: the source needs its client factory.
      assert.match(module, /connect: SensorLogConnect,\n/);
      // The demo is reached from the client section only: the Bytewax side never names it.
      assert.doesNotMatch(module.slice(module.indexOf('# --- The Bytewax side')), /demo/i);
      assert.match(module, /^def connect_from_env\(\n {4}environ: Mapping\[str, str\] = os\.environ,\n\) -> SensorLogConnect:/m);
      assert.match(module, /client_timeout: timedelta = timedelta\(seconds=10\)/);
      assert.doesNotMatch(module, /logger\.(error|exception)\(/);
    });

    it('exports the source class (not its partition class) from the package', () => {
      const init = fs.readFileSync(path.join(dir, 'src/bytewax_shop/__init__.py'), 'utf8');
      assert.match(init, /\nfrom \.sensor_log import SensorLogSource\n/);
      assert.match(init, /__all__ = \[\n {4}"SensorLogSource",\n {4}"__version__",\n\]/);
    });

    it('adds a README section in place of the "no sources" note', () => {
      const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
      assert.doesNotMatch(readme, /_No sources yet\._/);
      const section = readme.indexOf('sensor_log');
      assert.ok(section > readme.indexOf('## Sources') && section < readme.indexOf('## Rules every source here follows'));
    });

    it(`records the source in .yo-rc.json`, () => {
      assert.deepEqual(sources(dir).map((s) => ({ ...s })), [{ name: 'sensor_log', kind, ...options }]);
    });

    it('refuses the same name again, writing nothing', async () => {
      const before = readTree(dir);
      await assert.rejects(run(dir, 'sensor_log'), new RegExp(`source name "sensor_log" is already used by the ${kind} source "sensor_log"`));
      assert.deepEqual(readTree(dir), before);
    });

    it('refuses a name whose files exist, writing nothing', async () => {
      fs.writeFileSync(path.join(dir, 'examples/alerts.py'), 'flow = None\n');
      const before = readTree(dir);
      await assert.rejects(run(dir, 'alerts'), /"alerts" would overwrite examples\/alerts\.py: choose another name or move those files\./);
      assert.deepEqual(readTree(dir), before);
      fs.rmSync(path.join(dir, 'examples/alerts.py'));
    });

    it('refuses an invalid name, writing nothing', async () => {
      const before = readTree(dir);
      await assert.rejects(run(dir, 'Sensor-Log'), /source name "Sensor-Log" is not a valid name: use snake_case/);
      await assert.rejects(run(dir, 'package'), /"package" is reserved: tests\/test_package\.py already tests the package itself\./);
      await assert.rejects(run(dir, 'json'), /"json" would shadow the standard library module json/);
      await assert.rejects(run(dir, 'bytewax_shop'), /"bytewax_shop" is the name of the package itself\./);
      await assert.rejects(run(dir, 'sensor_log_'), /not a valid name/);
      assert.deepEqual(readTree(dir), before);
    });

    it('requires a name when it cannot ask', async () => {
      await assert.rejects(run(dir), new RegExp(`The ${kind} source name argument is required: there is no terminal to ask for it\\.\nFor example: ${kind} orders`));
    });

    it('leaves the project as it is when the app is re-run on it', async () => {
      const before = readTree(dir);
      // No answers scripted: a question would fail the run.
      await runGenerator('app').cd(dir).withOptions({ yes: true, skipInstall: true });
      assert.deepEqual(readTree(dir), before);
    });
  });

  describe(`${kind} and the user's edits`, () => {
    it('writes the demo package once and leaves it (and edits to it) alone for later sources', async () => {
      const dir = await makeProject();
      await run(dir, 'first_log');
      const init = path.join(dir, 'src/bytewax_shop/demo/__init__.py');
      fs.appendFileSync(init, '# edited\n');
      await run(dir, 'second_log');
      assert.match(fs.readFileSync(init, 'utf8'), /# edited\n$/);
      assert.ok(fs.existsSync(path.join(dir, 'src/bytewax_shop/demo/second_log.py')));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('keeps what the user wrote in README.md and __init__.py', async () => {
      const dir = await makeProject();
      const readmePath = path.join(dir, 'README.md');
      const initPath = path.join(dir, 'src/bytewax_shop/__init__.py');
      fs.writeFileSync(readmePath, fs.readFileSync(readmePath, 'utf8').replace('## Install', 'My own intro.\n\n## Install'));
      fs.writeFileSync(
        initPath,
        fs.readFileSync(initPath, 'utf8')
          .replace('from importlib.metadata', 'import logging\nfrom importlib.metadata')
          .replace('__all__ = [', 'LOG = logging.getLogger(__name__)\n\n__all__ = [\n    "LOG",'),
      );
      await run(dir, 'orders');
      const readme = fs.readFileSync(readmePath, 'utf8');
      assert.match(readme, /My own intro\.\n\n## Install/);
      const init = fs.readFileSync(initPath, 'utf8');
      assert.match(init, /^import logging\nfrom importlib\.metadata import PackageNotFoundError, version\n\nfrom \.orders import OrdersSource\n/m);
      assert.match(init, /LOG = logging\.getLogger\(__name__\)/);
      assert.match(init, /__all__ = \[\n {4}"LOG",\n {4}"OrdersSource",\n {4}"__version__",\n\]/);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });

  describe(`${kind} outside a generated project`, () => {
    it('fails clearly and writes nothing, not even .yo-rc.json', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-empty-'));
      await assert.rejects(run(dir, 'orders'), /No generated project here/);
      assert.deepEqual(listFiles(dir), []);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
}
