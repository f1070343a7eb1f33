/**
 * The package as npm ships it: `npm pack` of this repository holds exactly
 * what runs, and the tarball installed into an empty prefix (beside `yo`)
 * serves both front doors, which write the same project.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readTree, REPO_ROOT } from '../helpers/paths.js';
import { check, run, type Ran } from './python.js';

/** Runs `yo` from `prefix` as a plain user when we are root (yo refuses root). */
function runInstalledYo(prefix: string, args: string[], cwd: string): Ran {
  const env = [`PATH=${path.join(prefix, 'bin')}:${process.env['PATH']}`, `npm_config_prefix=${prefix}`];
  if (process.getuid?.() !== 0) return run('env', [...env, 'yo', ...args, '--no-insight'], cwd);
  const user = 'bytewax-e2e';
  if (run('id', [user], cwd).status !== 0) check(run('useradd', ['--create-home', user], cwd));
  return run('runuser', ['-u', user, '--', 'env', ...env, `HOME=/home/${user}`, 'yo', ...args, '--no-insight'], cwd);
}

describe('e2e: the packed package', function () {
  this.timeout(10 * 60 * 1000);
  let work: string;
  let tarball: string;
  let files: string[];

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-e2e-pack-'));
    fs.chmodSync(work, 0o755);
    const packed = check(run('npm', ['pack', '--json', '--pack-destination', work], REPO_ROOT));
    // npm pack runs prepack (the build) first; its report is the JSON array that follows.
    const report = /^\[\s*\{\s*"id"[^]*?^\]$/m.exec(packed.output)![0];
    const [info] = JSON.parse(report) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(work, info!.filename);
    files = info!.files.map((f) => f.path);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('holds the built runner, generators, templates, kit, LICENSE, README and CHANGELOG, and nothing of the sources or tests', () => {
    for (const file of [
      'LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/cli.js', 'dist/runner.cjs', 'dist/generators/app/index.js', 'dist/generators/update/index.js',
      'dist/lib/project/base/templates/pyproject.toml.ejs', 'dist/lib/project/render.js', 'dist/lib/run/base.js', 'dist/kit/common.py',
    ]) {
      assert.ok(files.includes(file), `${file} is not in the tarball`);
    }
    const stray = files.filter((file) => !/^(LICENSE|README\.md|CHANGELOG\.md|package\.json|dist\/.*)$/.test(file) || file.endsWith('.ts') || file.startsWith('dist/bin/'));
    assert.deepEqual(stray, []);
  });

  it('installed from the tarball, the runner and yo write the same project', () => {
    const prefix = path.join(work, 'prefix');
    check(run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball, 'yo@7'], work));
    fs.chmodSync(prefix, 0o755);
    const flags = ['--yes', '--skip-install', '--no-git', '--author-name', 'Ada', '--author-email', 'ada@example.com', '--partitioned', 'orders', '--dynamic', 'events'];
    const viaRunner = path.join(work, 'runner');
    const viaYo = path.join(work, 'yo');
    for (const dir of [viaRunner, viaYo]) fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(viaYo, 0o777);
    check(run(path.join(prefix, 'bin', 'generator-bytewax-connector'), ['shop', ...flags], viaRunner));
    check(runInstalledYo(prefix, ['bytewax-connector', 'shop', ...flags], viaYo));
    const tree = readTree(path.join(viaRunner, 'shop'));
    assert.ok(tree.has('src/bytewax_shop/orders.py') && tree.has('.github/workflows/ci.yml'));
    assert.deepEqual(readTree(path.join(viaYo, 'shop')), tree);
  });
});
