import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { markdownText } from '../../lib/escape.js';
import { SOURCES_MARKER } from '../../lib/project/base/readme-markers.js';
import { ACTIONS, DOCS_GROUP } from '../../lib/versions.js';
import { listFiles, readTree } from '../helpers/paths.js';
import { runGenerator } from '../helpers/run.js';
import { makeProject } from '../helpers/source-slice.js';

const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
const rc = (dir: string) => JSON.parse(read(dir, '.yo-rc.json'))['generator-bytewax-connector'] as Record<string, unknown>;
/** The entries of docs/index.md's generated toctree, in order. */
const listed = (dir: string, folder = 'sources') =>
  [...read(dir, 'docs/index.md').matchAll(new RegExp(`^${folder}/(\\w+)$`, 'gm'))].map((m) => m[1]);

/** A project with a partitioned and an async dynamic source and a dynamic sink, CI on, docs as given. */
async function project(docs: boolean, extra: Record<string, unknown> = {}): Promise<string> {
  const dir = await makeProject({ docs, ci: true, partitioned: 'orders', ...extra });
  await runGenerator('dynamic').cd(dir).withArguments(['ticks']).withOptions({ yes: true, client: 'async' });
  await runGenerator('sink').cd(dir).withArguments(['results']).withOptions({ yes: true });
  return dir;
}

describe('docs', () => {
  describe('added to a --no-docs project with sources and CI', () => {
    let dir: string;
    let initial: Map<string, string>;
    before(async () => {
      dir = await project(false);
      initial = readTree(dir);
      await runGenerator('docs').cd(path.join(dir, 'src')).withOptions({ yes: true });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('writes the Sphinx site, a page per source and sink, the Pages workflow, and records docs', () => {
      const added = listFiles(dir).filter((file) => !initial.has(file)).map((file) => file.split(path.sep).join('/')).sort();
      assert.deepEqual(added, [
        '.github/workflows/docs.yml',
        'docs/conf.py',
        'docs/index.md',
        'docs/sinks/results.md',
        'docs/sources/orders.md',
        'docs/sources/ticks.md',
      ]);
      assert.deepEqual(listed(dir), ['orders', 'ticks']);
      assert.deepEqual(listed(dir, 'sinks'), ['results']);
      assert.equal(rc(dir)['docs'], true);
    });

    it('renders the app files for docs: the docs group, mypy over docs/, no PY004 waiver, the nox session, .gitignore', () => {
      const pyproject = parseToml(read(dir, 'pyproject.toml')) as Record<string, any>;
      assert.deepEqual(pyproject['dependency-groups'].docs, [...DOCS_GROUP]);
      assert.deepEqual(pyproject.tool.mypy.files, ['src', 'tests', 'examples', 'docs']);
      assert.equal(pyproject.tool['repo-review'].ignore.PY004, undefined);
      assert.ok(!('GH100' in pyproject.tool['repo-review'].ignore));
      const nox = read(dir, 'noxfile.py');
      assert.match(nox, /^DOCS = nox\.project\.dependency_groups\(PYPROJECT, "docs"\)$/m);
      assert.match(nox, /@nox\.session\(default=False\)\ndef docs\(session: nox\.Session\) -> None:/);
      assert.match(nox, /"--fail-on-warning",/);
      assert.match(read(dir, '.gitignore'), /^docs\/_build\/$/m);
    });

    it("adds the README's documentation section once, above its marker", () => {
      const readme = read(dir, 'README.md');
      assert.equal(readme.split('\n## Documentation\n').length, 2);
      assert.ok(readme.indexOf('## Documentation') < readme.indexOf('<!-- generator-bytewax-connector: the docs section is added above this line -->'));
    });

    it("makes each source's page from its README section's template, with a doctest, the example and the API", () => {
      const readme = read(dir, 'README.md');
      for (const [name, heading] of [['orders', '### `OrdersSource` (partitioned source `orders`)'], ['ticks', '### `TicksSource` (dynamic source `ticks`, async client)']] as const) {
        const page = read(dir, `docs/sources/${name}.md`);
        const start = readme.indexOf(heading);
        const ends = [readme.indexOf('\n### ', start + 1), readme.indexOf(SOURCES_MARKER, start)].filter((i) => i !== -1);
        const section = readme.slice(start + heading.length, Math.min(...ends)).trim();
        assert.ok(page.startsWith(`${heading.replace('### ', '# ')}\n\n${section}\n\n## Try it\n`), `${name}: the page does not start with its README section`);
        assert.match(page, /```\{doctest\}\n>>> import bytewax\.operators as op\n[^]*\n>>> run_main\(flow\)\n[^]*\nTrue\n/);
        assert.match(page, new RegExp(`\`\`\`\\{literalinclude\\} \\.\\./\\.\\./examples/${name}\\.py\\n`));
        assert.match(page, new RegExp(`\\.\\. automodule:: bytewax_shop\\.${name}\\n {3}:members:\\n`));
      }
      assert.match(read(dir, 'docs/sources/orders.md'), />>> connect = orders\.demo_connect\(upstream\)\n>>> source = OrdersSource\(connect, stop_at_end=True\)/);
      assert.match(read(dir, 'docs/sources/ticks.md'), />>> source = TicksSource\(connect\)/);
    });

    it('running it again changes nothing', async () => {
      const now = readTree(dir);
      await runGenerator('docs').cd(dir).withOptions({ yes: true });
      assert.deepEqual(readTree(dir), now);
    });

    it('gives the files of a project generated with docs', async () => {
      const generated = await project(true);
      const tree = (root: string) => new Map([...readTree(root)].filter(([file]) => file !== '.yo-rc.json'));
      assert.deepEqual(tree(dir), tree(generated));
      assert.deepEqual(rc(dir), rc(generated));
      fs.rmSync(generated, { recursive: true, force: true });
    });
  });

  describe('the Pages workflow', () => {
    let workflow: Record<string, any>;
    let text: string;
    before(async () => {
      const dir = await makeProject({ ci: true });
      text = read(dir, '.github/workflows/docs.yml');
      workflow = parseYaml(text);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('builds on pull requests and pushes, and deploys from main only', () => {
      assert.deepEqual(Object.keys(workflow['on']), ['push', 'pull_request', 'workflow_dispatch']);
      assert.deepEqual(workflow['on'].push.branches, ['main']);
      assert.equal(workflow.jobs.deploy.if, "github.event_name != 'pull_request' && github.ref == 'refs/heads/main'");
      assert.deepEqual(workflow.jobs.deploy.needs, 'build');
      assert.equal(workflow.jobs.build.if, undefined);
      const runs = (workflow.jobs.build.steps as Array<{ run?: string }>).map((s) => s.run).filter(Boolean);
      assert.ok(runs.includes('sphinx-build --fail-on-warning -d docs/_build/doctrees -b html docs docs/_build/html'));
      assert.ok(runs.includes('sphinx-build --fail-on-warning -d docs/_build/doctrees -b doctest docs docs/_build/doctest'));
    });

    it('grants nothing by default, contents: read to the build, pages and id-token only to the deploy job', () => {
      assert.deepEqual(workflow.permissions, {});
      assert.deepEqual(workflow.jobs.build.permissions, { contents: 'read' });
      assert.deepEqual(workflow.jobs.deploy.permissions, { pages: 'write', 'id-token': 'write' });
      assert.equal(workflow.jobs.deploy.environment.name, 'github-pages');
    });

    it('pins every action to a full commit from the one table', () => {
      const uses = [...text.matchAll(/uses: (\S+)@(\S+) # (\S+)/g)].map((m) => `${m[1]}@${m[2]} # ${m[3]}`);
      assert.equal(uses.length, 4);
      const pins = new Set(Object.values(ACTIONS).map((a) => `${a.uses}@${a.sha} # ${a.version}`));
      for (const use of uses) assert.ok(pins.has(use), `${use} is not pinned from ACTIONS`);
      assert.equal((text.match(/uses:/g) ?? []).length, uses.length);
    });
  });

  describe('and CI', () => {
    it('without CI, no Pages workflow; `ci` added later writes it, as generating with both does', async () => {
      const later = await makeProject({ ci: false, partitioned: 'orders' });
      assert.ok(!fs.existsSync(path.join(later, '.github')));
      await runGenerator('ci').cd(later).withOptions({ yes: true });
      const both = await makeProject({ ci: true, partitioned: 'orders' });
      assert.deepEqual(readTree(later), readTree(both));
      for (const dir of [later, both]) fs.rmSync(dir, { recursive: true, force: true });
    });
  });

  describe('follows the project', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await makeProject({ partitioned: 'orders' });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('a source added later gets its page and its entry; edits elsewhere in the index and in other pages stay', async () => {
      const index = path.join(dir, 'docs/index.md');
      fs.writeFileSync(index, read(dir, 'docs/index.md').replace('# bytewax-shop\n', '# bytewax-shop\n\nMy own words.\n'));
      fs.appendFileSync(path.join(dir, 'docs/sources/orders.md'), '\nMy own note.\n');
      // Without a terminal and without --force: a conflict would fail the run.
      await runGenerator('dynamic').cd(dir).withArguments(['events']).withOptions({ yes: true });
      assert.deepEqual(listed(dir), ['orders', 'events']);
      assert.match(read(dir, 'docs/index.md'), /My own words\./);
      assert.match(read(dir, 'docs/sources/orders.md'), /My own note\.\n$/);
      assert.match(read(dir, 'docs/sources/events.md'), /^# `EventsSource` \(dynamic source `events`\)\n/);
    });

    it('equals a project generated with both sources', async () => {
      await runGenerator('dynamic').cd(dir).withArguments(['events']).withOptions({ yes: true });
      const both = await makeProject({ partitioned: 'orders', dynamic: 'events' });
      for (const file of ['docs/index.md', 'docs/sources/orders.md', 'docs/sources/events.md']) assert.equal(read(dir, file), read(both, file), file);
      fs.rmSync(both, { recursive: true, force: true });
    });

    it('the first source replaces the "no sources or sinks yet" note with the list', async () => {
      const empty = await makeProject();
      assert.match(read(empty, 'docs/index.md'), /No sources or sinks yet/);
      assert.deepEqual(listed(empty), []);
      await runGenerator('partitioned').cd(empty).withArguments(['orders']).withOptions({ yes: true });
      assert.doesNotMatch(read(empty, 'docs/index.md'), /No sources or sinks yet/);
      assert.deepEqual(listed(empty), ['orders']);
      fs.rmSync(empty, { recursive: true, force: true });
    });

    it('a sink added later gets its page under Sinks, as generating with it does', async () => {
      await runGenerator('sink').cd(dir).withArguments(['ledger']).withOptions({ yes: true, kind: 'partitioned' });
      await runGenerator('sink').cd(dir).withArguments(['results']).withOptions({ yes: true });
      assert.deepEqual(listed(dir), ['orders']);
      assert.deepEqual(listed(dir, 'sinks'), ['ledger', 'results']);
      assert.match(read(dir, 'docs/index.md'), /:caption: Sources\n[^]*:caption: Sinks\n/);
      for (const [name, heading] of [['ledger', 'LedgerSink'], ['results', 'ResultsSink']] as const) {
        const page = read(dir, `docs/sinks/${name}.md`);
        assert.match(page, new RegExp(`^# \`${heading}\``));
        assert.match(page, new RegExp(`>>> sink = ${heading}\\(connect[,)][^\n]*\n>>> op\\.output\\("write", [^\n]*, sink\\)\n>>> run_main\\(flow\\)\n`));
        assert.match(page, new RegExp(`\\.\\. automodule:: bytewax_shop\\.${name}\\n`));
      }
      const started = await makeProject({ partitioned: 'orders', sink: 'ledger', sinkKind: 'partitioned' });
      await runGenerator('sink').cd(started).withArguments(['results']).withOptions({ yes: true });
      for (const file of ['docs/index.md', 'docs/sinks/ledger.md', 'docs/sinks/results.md']) assert.equal(read(dir, file), read(started, file), file);
      fs.rmSync(started, { recursive: true, force: true });
    });

    it('refuses a sink whose page exists, writing nothing', async () => {
      fs.mkdirSync(path.join(dir, 'docs/sinks'));
      fs.writeFileSync(path.join(dir, 'docs/sinks/ledger.md'), '# Ledger\n');
      const before = readTree(dir);
      await assert.rejects(
        runGenerator('sink').cd(dir).withArguments(['ledger']).withOptions({ yes: true }),
        /"ledger" would overwrite docs\/sinks\/ledger\.md/,
      );
      assert.deepEqual(readTree(dir), before);
    });

    it('an index whose marker lines the user changed keeps them, and still lists the new page', async () => {
      fs.writeFileSync(path.join(dir, 'docs/index.md'), read(dir, 'docs/index.md').replaceAll('% generator-bytewax-connector: ', '% '));
      const index = read(dir, 'docs/index.md');
      await runGenerator('dynamic').cd(dir).withArguments(['events']).withOptions({ yes: true });
      assert.equal(read(dir, 'docs/index.md'), index.replace('sources/orders\n', 'sources/orders\nsources/events\n'));
      assert.ok(fs.existsSync(path.join(dir, 'docs/sources/events.md')));
    });

    it('refuses a source whose page exists, writing nothing', async () => {
      fs.writeFileSync(path.join(dir, 'docs/sources/alerts.md'), '# Alerts\n');
      const before = readTree(dir);
      await assert.rejects(
        runGenerator('partitioned').cd(dir).withArguments(['alerts']).withOptions({ yes: true }),
        /"alerts" would overwrite docs\/sources\/alerts\.md/,
      );
      assert.deepEqual(readTree(dir), before);
    });
  });

  describe('--no-docs', () => {
    it('writes no docs, waives PY004 with its reason, and has no docs group or session', async () => {
      const dir = await makeProject({ docs: false, partitioned: 'orders' });
      assert.ok(!fs.existsSync(path.join(dir, 'docs')));
      const pyproject = parseToml(read(dir, 'pyproject.toml')) as Record<string, any>;
      assert.match(pyproject.tool['repo-review'].ignore.PY004, /--no-docs/);
      assert.equal(pyproject['dependency-groups'].docs, undefined);
      assert.deepEqual(pyproject.tool.mypy.files, ['src', 'tests', 'examples']);
      assert.doesNotMatch(read(dir, 'noxfile.py'), /docs/);
      assert.doesNotMatch(read(dir, '.gitignore'), /docs/);
      assert.doesNotMatch(read(dir, 'README.md'), /## Documentation/);
      assert.equal(rc(dir)['docs'], false);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });

  it('fails outside a generated project and writes nothing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-empty-'));
    await assert.rejects(runGenerator('docs').cd(empty).withOptions({ yes: true }), /No generated project here/);
    assert.deepEqual(listFiles(empty), []);
    fs.rmSync(empty, { recursive: true, force: true });
  });

  describe('markdownText', () => {
    it('escapes inline markup everywhere and block starts at the start', () => {
      assert.equal(markdownText('A Bytewax connector.'), 'A Bytewax connector.');
      assert.equal(markdownText('*a* `b` {r}`c` [d](e) <f> &amp; ~g~ |h| $i$ \\'), '\\*a\\* \\`b\\` \\{r\\}\\`c\\` \\[d\\](e) \\<f\\> \\&amp; \\~g\\~ \\|h\\| \\$i\\$ \\\\');
      for (const start of ['# h', '- l', '+ l', '> q', '% c', '= s', ': f']) assert.equal(markdownText(start), `\\${start}`);
      assert.equal(markdownText('12. item'), '12\\. item');
      assert.equal(markdownText('3) item'), '3\\) item');
      assert.equal(markdownText('a - b # c 1. d'), 'a - b # c 1. d');
    });
  });
});
