/**
 * The contract kit (kit/) is plain Python in this repository: linted,
 * formatted and type-checked with the generated projects' own rules, and
 * tested by its own suite, with the cached venv's tools.
 */
import path from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { check, ensureVenv, isolated, run, venvBin } from './python.js';

describe('e2e: the contract kit', function () {
  this.timeout(20 * 60 * 1000);
  const kit = path.join(REPO_ROOT, 'kit');

  it('passes ruff, ruff format, mypy --strict and its own pytest suite', () => {
    const venv = ensureVenv();
    check(run(venvBin(venv, 'ruff'), ['check', '--no-cache', '.'], kit));
    check(run(venvBin(venv, 'ruff'), ['format', '--check', '--no-cache', '.'], kit));
    check(run(venvBin(venv, 'mypy'), [], kit));
    check(run(...isolated(venvBin(venv, 'pytest'), ['-q', '-p', 'no:cacheprovider']), kit));
  });
});
