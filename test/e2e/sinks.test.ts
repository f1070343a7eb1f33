/**
 * Projects with sinks of both kinds, made as a user makes them (one sink at
 * generation, one added later from inside the project), through the runner
 * and through `yo`, installed in the cached venv and put through every check:
 * ruff, ruff format, mypy --strict, pytest (each sink's contract suite against
 * the real bytewax), build, twine, and the workflow linters when CI is on.
 * The examples run as the README says. Generated suites run in a private
 * network namespace where this process may create one (see `isolated`).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, readTree, REPO_ROOT } from '../helpers/paths.js';
import { check, checkContractProject, ensureVenv, installProject, isolated, run, venvBin } from './python.js';
import { runYo, yoHome } from './yo.js';

const BASE = ['--yes', '--author-name', 'Ada Lovelace', '--skip-install'];

/** Contract tests each kind's test module must collect (a sample that covers every area). */
const PARTITIONED_SINK_CONTRACT = [
  'test_part_fn_is_stable_and_spreads',
  'test_writes_in_order_within_the_batch_bound',
  'test_resume_from_every_snapshot',
  'test_without_state',
  'test_second_writer_is_seen',
  'test_batch_is_all_or_nothing',
  'test_errors_surface',
  'test_idle_is_quiet',
  'test_close_writes_what_waits_and_is_idempotent',
  'test_close_never_raises',
  'test_client_timeout',
  'test_memory_is_flat',
  'test_cluster_main',
  'test_recovery_after_fault',
  'test_rescale',
  'test_example_cluster',
];
const DYNAMIC_SINK_CONTRACT = [
  'test_writes_before_returning',
  'test_each_call_within_the_batch_bound',
  'test_replay_changes_nothing',
  'test_batch_is_all_or_nothing',
  'test_errors_surface',
  'test_idle_is_quiet',
  'test_close_never_raises',
  'test_client_timeout',
  'test_memory_is_flat',
  'test_cluster_main',
  'test_recovery_after_fault',
  'test_rescale',
  'test_example_cluster',
];

/** The pytest node ids the project collects, e.g. `tests/test_ledger.py::test_rescale[demo]`. */


describe('e2e: projects with sinks', function () {
  this.timeout(20 * 60 * 1000);
  let work: string;
  let venv: string;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-e2e-sinks-'));
    venv = ensureVenv();
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));


  /**
   * The example's commands from the README (`bytewax.run -w 2`, then the
   * module itself to print what the demo downstream holds), and the 2-process
   * run; returns the printed lines of the last print.
   */
  function runExample(project: string, name: string): string[] {
    const db = path.join(fs.mkdtempSync(path.join(work, 'db-')), 'demo.sqlite3');
    const env = { [`${name.toUpperCase()}_URL`]: db };
    const python = venvBin(venv, 'python');
    check(run(python, ['-m', 'bytewax.run', `examples.${name}:flow`, '-w', '2'], project, env));
    const first = check(run(python, ['-m', `examples.${name}`], project, env)).output;
    check(run(...isolated(python, ['-m', 'bytewax.testing', `examples.${name}:flow`, '-p', '2', '-w', '1']), project, env));
    const second = check(run(python, ['-m', `examples.${name}`], project, env)).output;
    // A run without recovery starts partitions afresh; upserts write the same rows.
    assert.equal(second, first, `examples.${name}: a second run changed what is stored`);
    return first.trimEnd().split('\n');
  }

  it('--partitioned orders --sink ledger --sink-kind partitioned with CI, then `sink results` added later: every check passes', () => {
    check(run(process.execPath, [CLI, 'depot', ...BASE, '--partitioned', 'orders', '--sink', 'ledger', '--sink-kind', 'partitioned', '--ci'], work));
    const project = path.join(work, 'depot');
    check(run(process.execPath, [CLI, 'sink', 'results', '--yes'], path.join(project, 'src')));
    const rc = JSON.parse(fs.readFileSync(path.join(project, '.yo-rc.json'), 'utf8'))['generator-bytewax-connector'];
    assert.deepEqual(rc.sinks, [
      { name: 'ledger', kind: 'partitioned' },
      { name: 'results', kind: 'dynamic' },
    ]);
    installProject(venv, project);
    checkContractProject(venv, project, { 'tests/test_ledger.py': PARTITIONED_SINK_CONTRACT, 'tests/test_results.py': DYNAMIC_SINK_CONTRACT });
    const lint = check(run('bash', [path.join(REPO_ROOT, 'scripts', 'lint-workflows.sh'), project], REPO_ROOT));
    assert.match(lint.output, /No findings to report/);

    // Three partitions holding the 30 readings, each key's in order.
    const ledger = runExample(project, 'ledger');
    assert.deepEqual(ledger.map((line) => line.split(' ')[0]), ['part-0', 'part-1', 'part-2']);
    const readings = ledger.join('\n').match(/sensor-\d reading \d+/g) ?? [];
    assert.equal(new Set(readings).size, 30, ledger.join('\n'));
    // One row per key with its last value.
    assert.deepEqual(runExample(project, 'results'), [25, 26, 27, 28, 29].map((i) => `sensor-${i % 5} sensor-${i % 5} reading ${i}`));
  });

  it('`yo bytewax-connector --sink feed`, then `yo bytewax-connector:sink archive --kind partitioned`: the same project as the runner writes, and every check passes', () => {
    const home = yoHome(work);
    // The author in full: yo runs as another user, with another git identity.
    const flags = [...BASE, '--author-email', 'ada@example.com', '--no-ci', '--sink', 'feed'];
    check(runYo(['bytewax-connector', 'twin', ...flags], home));
    check(run(process.execPath, [CLI, 'twin', ...flags], work));
    check(runYo(['bytewax-connector:sink', 'archive', '--kind', 'partitioned', '--yes'], path.join(home, 'twin', 'tests')));
    check(run(process.execPath, [CLI, 'sink', 'archive', '--kind', 'partitioned', '--yes'], path.join(work, 'twin', 'tests')));
    const viaYo = readTree(path.join(home, 'twin'));
    assert.ok(viaYo.has('src/bytewax_twin/feed.py') && viaYo.has('src/bytewax_twin/archive.py'));
    assert.deepEqual(viaYo, readTree(path.join(work, 'twin')));
    const project = path.join(home, 'twin');
    installProject(venv, project);
    checkContractProject(venv, project, { 'tests/test_feed.py': DYNAMIC_SINK_CONTRACT, 'tests/test_archive.py': PARTITIONED_SINK_CONTRACT });
  });
});
