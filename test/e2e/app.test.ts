import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AWKWARD, CLI, REPO_ROOT, readTree } from '../helpers/paths.js';
import { check, ensureVenv, installProject, isolated, run, runProjectChecks, VENV, venvBin } from './python.js';
import { runYo, yoHome } from './yo.js';

/** A git config with an identity, so "default answers" do not depend on this machine's. */
function gitIdentity(dir: string): NodeJS.ProcessEnv {
  const file = path.join(dir, 'gitconfig');
  // Git config quoting: \" is a literal double quote in the value.
  fs.writeFileSync(file, '[user]\n\tname = Jürgen O\'Brien \\"JOB\\"\n\temail = job@example.org\n');
  return { GIT_CONFIG_GLOBAL: file, GIT_CONFIG_NOSYSTEM: '1' };
}

describe('e2e: app', function () {
  this.timeout(20 * 60 * 1000);
  let work: string;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-e2e-app-'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('default answers: the runner generates, installs .venv itself (uv sync when uv is there), and every check passes', () => {
    const env = gitIdentity(work);
    const generated = check(run(process.execPath, [CLI, 'plain', '--yes', '--no-ci'], work, env));
    const project = path.join(work, 'plain');
    // The install step made the project's own venv from PyPI.
    assert.ok(fs.existsSync(venvBin(path.join(project, '.venv'), 'pytest')), generated.output);
    const checks = runProjectChecks(path.join(project, '.venv'), project);
    assert.match(checks.pytest, /passed/);
    const pyproject = fs.readFileSync(path.join(project, 'pyproject.toml'), 'utf8');
    assert.match(pyproject, /authors = \[\{ name = "Jürgen O'Brien \\"JOB\\"", email = "job@example.org" \}\]/);
    // A git repository with one commit of everything, the lock included.
    const committed = check(run('git', ['ls-files'], project)).output.split('\n');
    assert.ok(committed.includes('pyproject.toml') && committed.includes('noxfile.py'));
    assert.equal(check(run('git', ['rev-list', '--count', 'HEAD'], project)).output.trim(), '1');
    assert.equal(check(run('git', ['status', '--porcelain'], project)).output.trim(), '', 'the install left files out of the first commit');
    if (check(run('sh', ['-c', 'command -v uv || true'], project)).output.trim() !== '') {
      assert.ok(committed.includes('uv.lock'), 'uv sync wrote no uv.lock');
      const viaUv = check(run(...isolated('uv', ['run', '--frozen', 'pytest', '-q', '-p', 'no:cacheprovider']), project));
      assert.match(viaUv.output, /\b[1-9]\d* passed\b/);
    }
    // The project's task runner: lint, build and docs (a strict Sphinx build and
    // the pages' doctests) sessions in fresh venvs.
    const nox = check(run(venvBin(ensureVenv(), 'nox'), ['-s', 'lint', 'build', 'docs'], project));
    assert.match(nox.output, /Session lint was successful[^]*Session build was successful[^]*Session docs was successful/);
    assert.match(nox.output, /sphinx-build --fail-on-warning -d docs\/_build\/doctrees -b doctest docs docs\/_build\/doctest/);
  });

  it('`yo bytewax-connector[:sub]` and the runner write the same project for the same answers', () => {
    const home = yoHome(work);
    const flags = ['--yes', '--skip-install', '--author-name', 'Ada', '--author-email', 'ada@example.com', '--description', AWKWARD, '--python', '3.11'];
    check(runYo(['bytewax-connector', 'twin', ...flags], home));
    check(run(process.execPath, [CLI, 'twin', ...flags], work));
    // Then a source of each kind, added from inside the project.
    check(runYo(['bytewax-connector:partitioned', 'orders', '--yes'], path.join(home, 'twin', 'src')));
    check(run(process.execPath, [CLI, 'partitioned', 'orders', '--yes'], path.join(work, 'twin', 'src')));
    check(runYo(['bytewax-connector:dynamic', 'ticks', '--client', 'async', '--yes'], path.join(home, 'twin')));
    check(run(process.execPath, [CLI, 'dynamic', 'ticks', '--client', 'async', '--yes'], path.join(work, 'twin')));
    const viaYo = readTree(path.join(home, 'twin'));
    assert.ok(viaYo.has('src/bytewax_twin/orders.py') && viaYo.has('src/bytewax_twin/ticks.py'));
    assert.ok(viaYo.has('pyproject.toml'));
    assert.deepEqual(viaYo, readTree(path.join(work, 'twin')));
  });

  it('yo\'s front door behaves as the runner: --version writes nothing, a mistyped generator name is refused', () => {
    const home = yoHome(fs.mkdtempSync(path.join(work, 'front-')));
    const version = check(runYo(['bytewax-connector', '--version'], home));
    assert.equal(version.output.trim(), JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
    check(runYo(['bytewax-connector:sink', '--version'], home));
    const typo = runYo(['bytewax-connector', 'partitoned', '--yes', '--author-name', 'Ada', '--skip-install'], home);
    assert.equal(typo.status, 1, typo.output);
    assert.match(typo.output, /There is no generator "partitoned": did you mean "partitioned"\?\nTo create a project in a directory of that name, run `yo bytewax-connector \.\/partitoned`\./);
    assert.doesNotMatch(typo.output, /\n\s+at /, 'a stack trace');
    assert.deepEqual(fs.readdirSync(home), ['node_modules'], 'a run wrote files');
  });

  it('the awkward description: every file stays valid and every check passes', () => {
    ensureVenv();
    const project = path.join(work, 'awkward');
    check(
      run(process.execPath, [
        CLI, project, '--yes', '--skip-install', '--no-ci', '--name', 'bytewax-awkward-e2e',
        '--description', AWKWARD, '--author-name', 'Zoë "Z" Back\\slash', '--license', 'BSD-3-Clause',
      ], work),
    );
    installProject(VENV, project);
    runProjectChecks(VENV, project);
    const docstring = check(
      run(venvBin(VENV, 'python'), ['-c', 'import bytewax_awkward_e2e as m; print(m.__doc__)'], project),
    );
    assert.equal(docstring.output.trim(), `A Bytewax connector package.\n\nProject description: ${AWKWARD}`);
    const metadata = check(
      run(venvBin(VENV, 'python'), ['-c', 'import importlib.metadata as m; print(m.metadata("bytewax-awkward-e2e")["Summary"])'], project),
    );
    assert.equal(metadata.output.trim(), AWKWARD);
  });
});
