/**
 * The docs slice end to end: projects made through the runner (sources added
 * later from inside the project, as a user adds them), installed in the
 * cached venv, their docs built as `nox -s docs` and docs.yml build them
 * (HTML and the pages' doctests, a Sphinx warning failing either), and the
 * project's own checks that cover docs/ (ruff, mypy, typos, sp-repo-review).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AWKWARD, CLI, readTree, REPO_ROOT, withoutManifest } from '../helpers/paths.js';
import { buildDocs, check, ensureVenv, installProject, repoReview, run, venvBin } from './python.js';

const BASE = ['--yes', '--skip-install', '--author-name', 'Ada Lovelace'];
const LINT = path.join(REPO_ROOT, 'scripts', 'lint-workflows.sh');

interface Variant {
  label: string;
  flags: string[];
  later: string[][];
  sources: Array<{ name: string; className: string }>;
  sinks: Array<{ name: string; className: string }>;
}

const VARIANTS: Variant[] = [
  { label: 'no source, with CI, the awkward description', flags: ['--description', AWKWARD], later: [], sources: [], sinks: [] },
  {
    label: 'partitioned orders, then dynamic events (sync) and ticks (async) and both kinds of sink added later',
    flags: ['--partitioned', 'orders', '--no-ci', '--python', '3.11'],
    later: [['dynamic', 'events'], ['dynamic', 'ticks', '--client', 'async'], ['sink', 'ledger', '--kind', 'partitioned'], ['sink', 'results']],
    sources: [
      { name: 'orders', className: 'Orders' },
      { name: 'events', className: 'Events' },
      { name: 'ticks', className: 'Ticks' },
    ],
    sinks: [
      { name: 'ledger', className: 'Ledger' },
      { name: 'results', className: 'Results' },
    ],
  },
];

describe('e2e: docs', function () {
  this.timeout(20 * 60 * 1000);
  let work: string;
  let venv: string;
  const builds: string[] = [];

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-e2e-docs-'));
    venv = ensureVenv();
  });
  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
    for (const out of builds) fs.rmSync(out, { recursive: true, force: true });
  });

  function generate(name: string, flags: string[], later: string[][] = []): string {
    check(run(process.execPath, [CLI, name, ...BASE, ...flags], work));
    const project = path.join(work, name);
    for (const command of later) check(run(process.execPath, [CLI, ...command, '--yes'], path.join(project, 'src')));
    return project;
  }

  VARIANTS.forEach((variant, index) => {
    it(`${variant.label}: the docs build strictly, every doctest passes, and the project's checks pass`, () => {
      const project = generate(`docs-${index}`, variant.flags, variant.later);
      installProject(venv, project);
      const { html, doctest, out } = buildDocs(venv, project);
      builds.push(out);
      assert.match(html, /build succeeded\./);
      assert.doesNotMatch(html, /WARNING|ERROR/);

      // Every example of every page ran, and none failed.
      const pages = [
        ...variant.sources.map((s) => fs.readFileSync(path.join(project, 'docs', 'sources', `${s.name}.md`), 'utf8')),
        ...variant.sinks.map((s) => fs.readFileSync(path.join(project, 'docs', 'sinks', `${s.name}.md`), 'utf8')),
      ];
      const examples = pages.join('\n').split('\n').filter((line) => line.startsWith('>>> ')).length;
      if (pages.length === 0) assert.equal(examples, 0);
      else {
        assert.match(doctest, new RegExp(`Doctest summary\\n=+\\n\\s+${examples} tests\\n\\s+0 failures in tests\\n`));
        assert.match(doctest, /build succeeded\./);
      }

      // A page per source, in the index, with its API reference from the docstrings.
      const home = fs.readFileSync(path.join(out, 'html', 'index.html'), 'utf8');
      const pkg = `bytewax_docs_${index}`;
      for (const source of variant.sources) {
        assert.match(home, new RegExp(`href="sources/${source.name}\\.html"`));
        const page = fs.readFileSync(path.join(out, 'html', 'sources', `${source.name}.html`), 'utf8');
        for (const object of [`${source.className}Source`, `${source.className}Client`, `${source.className}Record`]) {
          assert.match(page, new RegExp(`id="${pkg}\\.${source.name}\\.${object}"`), `${source.name}: no API entry for ${object}`);
        }
        assert.match(page, /Configure the source; no client is opened here\./, `${source.name}: the __init__ docstring is missing`);
      }
      for (const sink of variant.sinks) {
        assert.match(home, new RegExp(`href="sinks/${sink.name}\\.html"`));
        const page = fs.readFileSync(path.join(out, 'html', 'sinks', `${sink.name}.html`), 'utf8');
        assert.match(page, new RegExp(`id="${pkg}\\.${sink.name}\\.${sink.className}Sink"`), `${sink.name}: no API entry for ${sink.className}Sink`);
      }
      if (pages.length === 0) assert.match(home, /No sources or sinks yet/);
      if (variant.flags.includes(AWKWARD)) {
        // The description on the front page as written, but for Sphinx's smart quotes.
        const straight = home.replaceAll(/[“”]/g, '"').replaceAll(/[‘’]/g, "'");
        assert.ok(straight.includes(`<p>${AWKWARD}</p>`), 'the description is not on the front page as written');
      }

      // The project's checks that read docs/: ruff, mypy (docs/ is in its files), typos, sp-repo-review.
      const bin = (tool: string) => venvBin(venv, tool);
      check(run(bin('ruff'), ['check', '--no-cache', '.'], project));
      check(run(bin('ruff'), ['format', '--check', '--no-cache', '.'], project));
      assert.match(check(run(bin('mypy'), [], project)).output, /Success: no issues found/);
      check(run(bin('typos'), ['.'], project));
      const review = repoReview(project);
      assert.deepEqual(review.failed, [], `sp-repo-review failures not waived in pyproject.toml:\n${review.failed.join('\n')}`);
      assert.ok(!fs.readFileSync(path.join(project, 'pyproject.toml'), 'utf8').includes('PY004'), 'PY004 is waived in a project with docs');
    });
  });

  it('the Pages workflow passes actionlint, zizmor --pedantic and the schemas', () => {
    const project = generate('pages', []);
    const lint = check(run('bash', [LINT, project], REPO_ROOT));
    assert.match(lint.output, /\.github\/workflows\/docs\.yml/);
    assert.match(lint.output, /OK: 3 workflow\(s\) and dependabot\.yml passed/);
  });

  it('`docs` added later to a --no-docs project gives the files of a project generated with docs', () => {
    const flags = ['--partitioned', 'orders', '--dynamic', 'ticks', '--client', 'async'];
    const withDocs = generate('with-docs', flags);
    const later = generate('later', [...flags, '--no-docs']);
    assert.ok(!fs.existsSync(path.join(later, 'docs')));
    check(run(process.execPath, [CLI, 'docs', '--yes'], path.join(later, 'tests')));
    const anonymous = (text: string) =>
      text.replaceAll(/bytewax-(with-docs|later)/g, 'NAME').replaceAll(/bytewax_(with_docs|later)/g, 'PKG');
    // .yo-rc.json's manifest holds ids of contents that name the project: compared without it.
    const tree = (dir: string) => new Map([...readTree(dir)].map(([file, text]) => [anonymous(file), anonymous(file === '.yo-rc.json' ? withoutManifest(text) : text)]));
    assert.deepEqual(tree(later), tree(withDocs));
    // Running it again changes nothing.
    const before = tree(later);
    check(run(process.execPath, [CLI, 'docs', '--yes'], later));
    assert.deepEqual(tree(later), before);
  });
});
