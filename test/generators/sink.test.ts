import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NO_SINKS_YET } from '../../lib/project/base/readme-markers.js';
import { listFiles, readTree } from '../helpers/paths.js';
import { runGenerator } from '../helpers/run.js';
import { makeProject } from '../helpers/source-slice.js';

function sinks(dir: string): Array<Record<string, string>> {
  const rc = JSON.parse(fs.readFileSync(path.join(dir, '.yo-rc.json'), 'utf8'));
  return rc['generator-bytewax-connector'].sinks;
}

const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8');

const run = (cwd: string, name?: string, extra: Record<string, unknown> = {}) => {
  const context = runGenerator('sink').cd(cwd).withOptions({ yes: true, ...extra });
  return name === undefined ? context : context.withArguments([name]);
};

describe('sink', () => {
  for (const kind of ['partitioned', 'dynamic'] as const) {
    describe(`--kind ${kind} added to an existing project`, () => {
      let dir: string;
      before(async () => {
        dir = await makeProject();
        // Run from a sub-directory: the project root is found above it.
        await run(path.join(dir, 'src'), 'sensor_log', { kind });
      });
      after(() => fs.rmSync(dir, { recursive: true, force: true }));

      it('writes the module, its demo downstream, its test, its example and the kit of its kind', () => {
        const files = [
          'src/bytewax_shop/sensor_log.py',
          'src/bytewax_shop/demo/__init__.py',
          'src/bytewax_shop/demo/sensor_log.py',
          'tests/test_sensor_log.py',
          'examples/sensor_log.py',
          'tests/contract/common.py',
          `tests/contract/sink_${kind}.py`,
        ];
        for (const file of files) {
          assert.ok(fs.existsSync(path.join(dir, file)), file);
          assert.doesNotMatch(read(dir, file), /<%|%>/, file);
        }
        const other = kind === 'partitioned' ? 'dynamic' : 'partitioned';
        assert.ok(!fs.existsSync(path.join(dir, `tests/contract/sink_${other}.py`)), `the ${other} kit was written`);
      });

      it(`writes a ${kind === 'partitioned' ? 'FixedPartitionedSink' : 'DynamicSink'} that needs its client factory`, () => {
        const module = read(dir, 'src/bytewax_shop/sensor_log.py');
        assert.match(module, /^class SensorLogSink\(\n {4}(FixedPartitionedSink|DynamicSink)\[/m);
        assert.match(module, kind === 'partitioned' ? /\(\n {4}FixedPartitionedSink\[str, Position\],\n\):/ : /\(\n {4}DynamicSink\[Row\],\n\):/);
        // The demo is never the default: the sink needs its client factory.
        assert.match(module, /connect: SensorLogConnect[,)]/);
        assert.doesNotMatch(module, /connect: SensorLogConnect =/);
        // The demo is reached from the client section only: the Bytewax side never names it.
        assert.doesNotMatch(module.slice(module.indexOf('# --- The Bytewax side')), /demo/i);
        assert.match(module, /^def connect_from_env\(\n {4}environ: Mapping\[str, str\] = os\.environ,\n\) -> SensorLogConnect:/m);
        assert.match(module, /^ {4}def setup\(self\) -> None:/m);
        assert.match(module, /client_timeout: timedelta = timedelta\(seconds=10\)/);
        assert.doesNotMatch(module, /logger\.(error|exception)\([^)]*\)\n\s+msg = /);
        assert.match(module, /logger = logging\.getLogger\(__name__\)/);
        if (kind === 'partitioned') {
          assert.match(module, /without_state: WithoutState,\n/);
          assert.match(module, /logger\.warning\(\n\s+"%s: no resume state: deleting/);
          assert.match(module, /exactly once/i);
          assert.match(module, /zlib\.crc32/);
          assert.doesNotMatch(module, /\bhash\(item_key/);
        } else {
          assert.match(module, /At-least-once/);
          assert.match(module, /upsert/);
        }
      });

      it('exports the sink class only, in the order ruff wants', () => {
        const init = read(dir, 'src/bytewax_shop/__init__.py');
        assert.match(init, /\nfrom \.sensor_log import SensorLogSink\n/);
        assert.match(init, /__all__ = \[\n {4}"SensorLogSink",\n {4}"__version__",\n\]/);
      });

      it('adds its README section under "## Sinks" in place of the "no sinks" note', () => {
        const readme = read(dir, 'README.md');
        assert.ok(!readme.includes(NO_SINKS_YET));
        const section = readme.indexOf(`### \`SensorLogSink\` (${kind} sink \`sensor_log\`)`);
        assert.ok(section > readme.indexOf('## Sinks') && section < readme.indexOf('## Rules every sink here follows'), 'section misplaced');
        assert.match(readme, kind === 'partitioned' ? /\*\*exactly once\*\*/ : /\*\*at-least-once\*\*/);
        // The sources' placeholder stays: this project has no source.
        assert.match(readme, /_No sources yet\._/);
      });

      it('records the sink in .yo-rc.json', () => {
        assert.deepEqual(sinks(dir).map((s) => ({ ...s })), [{ name: 'sensor_log', kind }]);
      });

      it('refuses the same name again, writing nothing', async () => {
        const before = readTree(dir);
        await assert.rejects(run(dir, 'sensor_log'), new RegExp(`sink name "sensor_log" is already used by the ${kind} sink "sensor_log"`));
        assert.deepEqual(readTree(dir), before);
      });

      it('makes a source refuse its name too, writing nothing', async () => {
        const before = readTree(dir);
        await assert.rejects(
          runGenerator('partitioned').cd(dir).withArguments(['sensor_log']).withOptions({ yes: true }),
          new RegExp(`source name "sensor_log" is already used by the ${kind} sink "sensor_log"`),
        );
        assert.deepEqual(readTree(dir), before);
      });

      it('leaves the project as it is when the app is re-run on it', async () => {
        const before = readTree(dir);
        await runGenerator('app').cd(dir).withOptions({ yes: true, skipInstall: true });
        assert.deepEqual(readTree(dir), before);
      });
    });
  }

  describe('answers', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await makeProject();
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('is dynamic when --kind is not given', async () => {
      await run(dir, 'ticks');
      assert.deepEqual(sinks(dir).map((s) => ({ ...s })), [{ name: 'ticks', kind: 'dynamic' }]);
      assert.match(read(dir, 'src/bytewax_shop/ticks.py'), /class TicksSink\(\n {4}DynamicSink\[Row\],\n\):/);
    });

    it('asks for the name and the kind in a terminal', async () => {
      await runGenerator('sink').cd(dir).withAnswers({ name: 'ledger', kind: 'partitioned' });
      assert.deepEqual(sinks(dir).map((s) => ({ ...s })), [{ name: 'ledger', kind: 'partitioned' }]);
    });

    it('refuses a name taken by a source, an unknown kind, a bad name, writing nothing', async () => {
      await runGenerator('partitioned').cd(dir).withArguments(['orders']).withOptions({ yes: true });
      await runGenerator('dynamic').cd(dir).withArguments(['queue_1']).withOptions({ yes: true });
      const before = readTree(dir);
      await assert.rejects(run(dir, 'queue1'), /"queue1" gives the class names Queue1…, already used by the dynamic source "queue_1"\./);
      await assert.rejects(run(dir, 'orders'), /The sink name "orders" is already used by the partitioned source "orders"\.$/);
      await assert.rejects(run(dir, 'ticks', { kind: 'sideways' }), /--kind "sideways" is not one of dynamic, partitioned\.$/);
      await assert.rejects(run(dir, 'Sensor-Log'), /sink name "Sensor-Log" is not a valid name: use snake_case/);
      await assert.rejects(run(dir, 'demo'), /"demo" is reserved: the package keeps its demo backends in demo\//);
      await assert.rejects(run(dir, 'bytewax_shop'), /"bytewax_shop" is the name of the package itself\./);
      assert.deepEqual(readTree(dir), before);
    });

    it('refuses a name whose files exist, writing nothing', async () => {
      fs.mkdirSync(path.join(dir, 'src/bytewax_shop/demo'));
      fs.writeFileSync(path.join(dir, 'src/bytewax_shop/demo/alerts.py'), 'X = 1\n');
      const before = readTree(dir);
      await assert.rejects(run(dir, 'alerts'), /"alerts" would overwrite src\/bytewax_shop\/demo\/alerts\.py: choose another name or move those files\./);
      assert.deepEqual(readTree(dir), before);
    });

    it('requires a name when it cannot ask', async () => {
      await assert.rejects(run(dir), /The sink name argument is required: there is no terminal to ask for it\.\nFor example: sink orders$/);
    });
  });

  describe('shared files', () => {
    it('writes the kit and the demo package once, and leaves them (and edits to them) alone for later sinks', async () => {
      const dir = await makeProject();
      await run(dir, 'first', { kind: 'partitioned' });
      const kit = path.join(dir, 'tests/contract/sink_partitioned.py');
      const common = path.join(dir, 'tests/contract/common.py');
      const demoInit = path.join(dir, 'src/bytewax_shop/demo/__init__.py');
      for (const file of [kit, common, demoInit]) fs.appendFileSync(file, '# edited\n');
      await run(dir, 'second', { kind: 'partitioned' });
      await run(dir, 'third', { kind: 'dynamic' });
      for (const file of [kit, common, demoInit]) assert.match(fs.readFileSync(file, 'utf8'), /# edited\n$/, file);
      assert.ok(fs.existsSync(path.join(dir, 'tests/contract/sink_dynamic.py')));
      assert.deepEqual(sinks(dir).map((s) => s.name), ['first', 'second', 'third']);
      const init = read(dir, 'src/bytewax_shop/__init__.py');
      assert.match(init, /__all__ = \[\n {4}"FirstSink",\n {4}"SecondSink",\n {4}"ThirdSink",\n {4}"__version__",\n\]/);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('writes its section at the end of a README that lost the sinks marker', async () => {
      const dir = await makeProject();
      const readmePath = path.join(dir, 'README.md');
      fs.writeFileSync(readmePath, '# My connector\n\nMine.\n');
      await run(dir, 'ticks');
      const [kept, section] = read(dir, 'README.md').split('\n### `TicksSink`');
      assert.equal(kept, '# My connector\n\nMine.\n');
      assert.match(section!, /^ \(dynamic sink `ticks`\)\n/);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });

  describe('outside a generated project', () => {
    it('fails clearly and writes nothing, not even .yo-rc.json', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-empty-'));
      await assert.rejects(run(dir, 'ticks'), /No generated project here/);
      assert.deepEqual(listFiles(dir), []);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
});

describe('the pipeline example (first source to first sink)', () => {
  const pipeline = (dir: string) => path.join(dir, 'examples', 'pipeline.py');

  it('comes with the first sink added to a project that has a source, and only once', async () => {
    const dir = await makeProject({ partitioned: 'orders' });
    assert.ok(!fs.existsSync(pipeline(dir)), 'a project with no sink has no pipeline');
    await runGenerator('sink').cd(dir).withArguments(['ledger']).withOptions({ yes: true, kind: 'partitioned' });
    const text = fs.readFileSync(pipeline(dir), 'utf8');
    // In ruff's import order: by module, then by name (ledger before orders).
    assert.match(text, /from bytewax_shop import \(\n {4}ledger as sink_connector,\n\)\nfrom bytewax_shop import \(\n {4}orders as source_connector,\n\)\n/);
    assert.match(text, /source_connector\.OrdersSource\(\n {4}source_connector\.connect_from_env\(\),\n {4}stop_at_end=True,\n\)/);
    assert.match(text, /sink = sink_connector\.LedgerSink\(\n {4}sink_connector\.connect_from_env\(\),\n {4}without_state="truncate",\n\)/);
    // The example connects through the connectors only; its test reads the demos.
    assert.doesNotMatch(text, /_demo/);
    assert.match(fs.readFileSync(path.join(dir, 'tests', 'test_pipeline.py'), 'utf8'), /sink_demo\.DemoLog\(path\)\.contents\(\)/);
    assert.ok(fs.existsSync(path.join(dir, 'tests', 'test_pipeline.py')));
    fs.writeFileSync(pipeline(dir), `${text}# mine\n`);
    await runGenerator('sink').cd(dir).withArguments(['results']).withOptions({ yes: true });
    assert.match(fs.readFileSync(pipeline(dir), 'utf8'), /# mine\n$/, 'a later sink rewrote the pipeline');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('comes with the first source added to a project that has a sink', async () => {
    const dir = await makeProject({ sink: 'results' });
    await runGenerator('dynamic').cd(dir).withArguments(['ticks']).withOptions({ yes: true, client: 'async' });
    const text = fs.readFileSync(pipeline(dir), 'utf8');
    assert.match(text, /source_connector\.connect_from_env\(\),\n\)/);
    assert.match(text, /return f"\{record\.shard\}:\{record\.offset\}", record\.value/);
    assert.match(text, /sink = sink_connector\.ResultsSink\(\n {4}sink_connector\.connect_from_env\(\),\n\)/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses "pipeline" as a slice name', async () => {
    const dir = await makeProject();
    await assert.rejects(runGenerator('sink').cd(dir).withArguments(['pipeline']).withOptions({ yes: true }), /"pipeline" is reserved: examples\/pipeline\.py is the source-to-sink example/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
