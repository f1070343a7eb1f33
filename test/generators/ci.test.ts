import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ACTIONS } from '../../lib/versions.js';
import { listFiles, readTree } from '../helpers/paths.js';
import { runGenerator } from '../helpers/run.js';
import { makeProject } from '../helpers/source-slice.js';

describe('ci', () => {
  let dir: string;
  before(async () => {
    dir = await makeProject({ python: '3.11' });
    await runGenerator('ci').cd(path.join(dir, 'tests')).withOptions({ yes: true });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the workflows and dependabot config at the project root', () => {
    for (const file of ['.github/workflows/ci.yml', '.github/workflows/release.yml', '.github/dependabot.yml']) {
      assert.ok(fs.existsSync(path.join(dir, file)), file);
    }
  });

  it('tests on the project\'s Python range', () => {
    const ci = parseYaml(fs.readFileSync(path.join(dir, '.github/workflows/ci.yml'), 'utf8'));
    assert.deepEqual(ci.jobs.test.strategy.matrix['python-version'], ['3.11', '3.12']);
  });

  it('pins every action to a full commit from the one table', () => {
    const text = ['ci.yml', 'release.yml'].map((f) => fs.readFileSync(path.join(dir, '.github/workflows', f), 'utf8')).join('\n');
    const uses = [...text.matchAll(/uses: (\S+)@(\S+) # (\S+)/g)].map((m) => [m[1], m[2], m[3]]);
    assert.ok(uses.length >= 5);
    const pins = new Set(Object.values(ACTIONS).map((a) => `${a.uses}@${a.sha} # ${a.version}`));
    for (const [action, sha, version] of uses) {
      assert.match(sha!, /^[0-9a-f]{40}$/);
      assert.ok(pins.has(`${action}@${sha} # ${version}`), `${action} is not pinned from ACTIONS`);
    }
  });

  it('grants id-token only to the publishing jobs, which have an environment', () => {
    const release = parseYaml(fs.readFileSync(path.join(dir, '.github/workflows/release.yml'), 'utf8'));
    const withToken = Object.entries(release.jobs as Record<string, any>).filter(([, job]) => job.permissions?.['id-token'] === 'write');
    assert.ok(withToken.length >= 1);
    for (const [, job] of withToken) assert.ok(['pypi', 'testpypi'].includes(job.environment?.name ?? job.environment));
    assert.ok(!('id-token' in (release.permissions ?? {})));
  });

  it('adds the trusted-publishing section to the README once and records ci', async () => {
    const count = () => fs.readFileSync(path.join(dir, 'README.md'), 'utf8').split('## Continuous integration and releases').length - 1;
    assert.equal(count(), 1);
    const before = readTree(dir);
    await runGenerator('ci').cd(dir).withOptions({ yes: true });
    assert.deepEqual(readTree(dir), before, 're-running changes nothing');
    const rc = JSON.parse(fs.readFileSync(path.join(dir, '.yo-rc.json'), 'utf8'));
    assert.equal(rc['generator-bytewax-connector'].ci, true);
    assert.match(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'), /\| Workflow name {5}\| `release\.yml` \|/);
  });

  it('fails outside a generated project and writes nothing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-empty-'));
    await assert.rejects(runGenerator('ci').cd(empty).withOptions({ yes: true }), /No generated project here/);
    assert.deepEqual(listFiles(empty), []);
    fs.rmSync(empty, { recursive: true, force: true });
  });
});

describe('ci follows the project', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeProject({ ci: true, partitioned: 'orders' });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const workflow = () => fs.readFileSync(path.join(dir, '.github/workflows/ci.yml'), 'utf8');

  it('a source added later gets its example run and upstream setting; a user edit elsewhere stays', async () => {
    fs.writeFileSync(path.join(dir, '.github/workflows/ci.yml'), workflow().replace('timeout-minutes: 15', 'timeout-minutes: 25 # mine'));
    await runGenerator('dynamic').cd(dir).withArguments(['events']).withOptions({ yes: true, client: 'async' });
    const ci = parseYaml(workflow());
    const runs = (ci.jobs.test.steps as Array<{ run?: string }>).map((step) => step.run).filter((run) => run?.startsWith('python -m bytewax.run'));
    assert.deepEqual(runs, ['python -m bytewax.run examples.orders:flow -w 2', 'python -m bytewax.run examples.events:flow -w 2']);
    assert.deepEqual(Object.keys(ci.jobs.integration.env), ['ORDERS_URL', 'EVENTS_URL']);
    assert.match(workflow(), /timeout-minutes: 25 # mine/);
  });

  it("a sink added later gets its downstream's setting in the integration job", async () => {
    await runGenerator('sink').cd(dir).withArguments(['ledger']).withOptions({ yes: true, kind: 'partitioned' });
    const ci = parseYaml(workflow());
    assert.deepEqual(Object.keys(ci.jobs.integration.env), ['ORDERS_URL', 'LEDGER_URL']);
    assert.match(ci.jobs.integration.name, /upstreams and downstreams/);
  });

  it('equals a project generated with both sources from the start', async () => {
    await runGenerator('dynamic').cd(dir).withArguments(['events']).withOptions({ yes: true });
    const both = await makeProject({ ci: true, partitioned: 'orders', dynamic: 'events' });
    assert.equal(workflow(), fs.readFileSync(path.join(both, '.github/workflows/ci.yml'), 'utf8'));
    fs.rmSync(both, { recursive: true, force: true });
  });

  it('a workflow whose marker lines the user changed is a conflict: refused without a terminal, kept as it is when asked', async () => {
    fs.writeFileSync(path.join(dir, '.github/workflows/ci.yml'), workflow().replaceAll('# generator-bytewax-connector: ', '# '));
    const before = workflow();
    await assert.rejects(
      runGenerator('dynamic').cd(dir).withArguments(['events']).withOptions({ yes: true }),
      /These files differ from what the generator would write[^]*\.github\/workflows\/ci\.yml/,
    );
    await runGenerator('dynamic').cd(dir).withArguments(['events']).withAnswers({ client: 'sync', choice: 'ours' });
    assert.equal(workflow(), before);
    assert.ok(fs.existsSync(path.join(dir, 'examples/events.py')));
  });
});
