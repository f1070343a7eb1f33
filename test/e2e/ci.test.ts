import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CLI, readTree, REPO_ROOT, withoutManifest } from '../helpers/paths.js';
import { check, run } from './python.js';

const LINT = path.join(REPO_ROOT, 'scripts', 'lint-workflows.sh');

interface Variant {
  label: string;
  flags: string[];
  pythons: string[];
  examples: string[];
}

const VARIANTS: Variant[] = [
  { label: 'no source, Apache-2.0, Python 3.10+', flags: ['--license', 'Apache-2.0', '--python', '3.10'], pythons: ['3.10', '3.11', '3.12'], examples: [] },
  { label: 'partitioned, MIT, Python 3.11+', flags: ['--license', 'MIT', '--python', '3.11', '--partitioned', 'orders'], pythons: ['3.11', '3.12'], examples: ['orders'] },
  { label: 'dynamic, BSD-3-Clause, Python 3.10+', flags: ['--license', 'BSD-3-Clause', '--dynamic', 'events'], pythons: ['3.10', '3.11', '3.12'], examples: ['events'] },
  {
    label: 'both kinds, Proprietary, Python 3.11+',
    flags: ['--license', 'Proprietary', '--python', '3.11', '--partitioned', 'orders', '--dynamic', 'ticks', '--client', 'async'],
    pythons: ['3.11', '3.12'],
    examples: ['orders', 'ticks'],
  },
];

function generate(cwd: string, name: string, flags: string[]): string {
  check(run(process.execPath, [CLI, name, '--yes', '--skip-install', '--author-name', 'Ada', ...flags], cwd));
  return path.join(cwd, name);
}

describe('e2e: ci workflows', function () {
  this.timeout(10 * 60 * 1000);
  let work: string;
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-e2e-ci-'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  VARIANTS.forEach((variant, index) => {
    it(`${variant.label}: actionlint, zizmor and the schemas find nothing; the matrix is the Python range`, () => {
      const project = generate(work, `variant-${index}`, variant.flags);
      const lint = check(run('bash', [LINT, project], REPO_ROOT));
      assert.match(lint.output, /No findings to report/);

      const ci = parseYaml(fs.readFileSync(path.join(project, '.github/workflows/ci.yml'), 'utf8'));
      const matrix = ci.jobs.test.strategy.matrix as { os: string[]; 'python-version': string[]; include: object[] };
      assert.deepEqual(matrix.os, ['ubuntu-latest']);
      assert.deepEqual(matrix['python-version'], variant.pythons);
      const newest = variant.pythons[variant.pythons.length - 1];
      assert.deepEqual(matrix.include, [
        { os: 'macos-latest', 'python-version': newest },
        { os: 'windows-latest', 'python-version': newest },
      ]);
      const steps = JSON.stringify(ci.jobs);
      for (const example of variant.examples) assert.ok(steps.includes(`examples.${example}:flow`), `no smoke run of ${example}`);

      const release = parseYaml(fs.readFileSync(path.join(project, '.github/workflows/release.yml'), 'utf8'));
      for (const [name, job] of Object.entries(release.jobs as Record<string, any>)) {
        const writesToken = job.permissions?.['id-token'] === 'write';
        assert.equal(writesToken, Boolean(job.environment), `${name}: id-token only where an environment guards it`);
      }
    });
  });

  it("this repository's own workflows and dependabot.yml: actionlint, zizmor and the schemas find nothing", () => {
    const lint = check(run('bash', [LINT, REPO_ROOT], REPO_ROOT));
    assert.match(lint.output, /OK: 2 workflow\(s\) and dependabot\.yml passed/);
    const release = parseYaml(fs.readFileSync(path.join(REPO_ROOT, '.github/workflows/release.yml'), 'utf8'));
    assert.deepEqual(release.jobs.publish.permissions, { 'id-token': 'write' });
    assert.equal(release.jobs.publish.environment.name, 'npm');
    const ci = parseYaml(fs.readFileSync(path.join(REPO_ROOT, '.github/workflows/ci.yml'), 'utf8'));
    // The Node versions GitHub Actions tests are the ones .ci/run tests here, plus this machine's 20.
    const local = /^NODE_VERSIONS=\(([\d ]+)\)$/m.exec(fs.readFileSync(path.join(REPO_ROOT, '.ci/run'), 'utf8'))?.[1]?.split(' ');
    assert.deepEqual(ci.jobs.test.strategy.matrix.node, ['20', ...(local ?? [])]);
    assert.deepEqual(ci.jobs.unit.strategy.matrix.os, ['macos-latest', 'windows-latest']);
  });

  it('`ci` added later to a --no-ci project gives the files of a project generated with CI', () => {
    const flags = ['--partitioned', 'orders', '--python', '3.11'];
    const withCi = generate(work, 'with-ci', flags);
    const later = generate(work, 'later', [...flags, '--no-ci']);
    assert.ok(!fs.existsSync(path.join(later, '.github')));
    check(run(process.execPath, [CLI, 'ci', '--yes'], path.join(later, 'src')));
    // The two projects differ only in their names: replace those in paths and contents.
    const anonymous = (text: string) =>
      text.replaceAll(/bytewax-(with-ci|later)/g, 'NAME').replaceAll(/bytewax_(with_ci|later)/g, 'PKG');
    // .yo-rc.json's manifest holds ids of contents that name the project: compared without it.
    const tree = (dir: string) => new Map([...readTree(dir)].map(([file, text]) => [anonymous(file), anonymous(file === '.yo-rc.json' ? withoutManifest(text) : text)]));
    assert.deepEqual(tree(later), tree(withCi));
    // Running it again changes nothing.
    const before = tree(later);
    check(run(process.execPath, [CLI, 'ci', '--yes'], later));
    assert.deepEqual(tree(later), before);
  });
});
