/**
 * Projects with sources, made as a user makes them (one source at generation,
 * one added later through the runner from inside the project), installed in
 * the cached venv and put through every check, including each source's
 * contract tests against the real bytewax. The generated suites start their
 * clusters on free ports, so they may run beside other suites.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI } from '../helpers/paths.js';
import { check, checkContractProject, ensureVenv, installProject, run, venvBin } from './python.js';

const BASE = ['--yes', '--author-name', 'Ada Lovelace', '--skip-install'];

/** The pytest node ids the project collects, e.g. `tests/test_orders.py::test_rescale`. */


const PARTITIONED_CONTRACT = [
  'test_list_parts',
  'test_reads_each_partition_in_order',
  'test_resume_from_every_snapshot',
  'test_stop_at_end',
  'test_start_positions',
  'test_idle',
  'test_reads_records_that_arrive_later',
  'test_errors_surface',
  'test_client_timeout',
  'test_memory_is_flat',
  'test_logs_name_the_partition',
  'test_run_main',
  'test_cluster_main',
  'test_live_dataflow',
  'test_recovery_after_fault',
  'test_rescale',
  'test_example_cluster',
];
const DYNAMIC_CONTRACT = [
  'test_idle',
  'test_reads_by_hand',
  'test_shares_disjoint_and_complete',
  'test_end_of_data',
  'test_close_twice',
  'test_errors_surface',
  'test_client_timeout',
  'test_memory_is_flat',
  'test_logs_name_the_worker',
  'test_disjoint_and_complete',
  'test_live_dataflow',
  'test_end_of_data_ends_the_flow',
  'test_example_cluster',
];
const ASYNC_CONTRACT = ['test_waits_within_timeout'];

describe('e2e: projects with sources', function () {
  this.timeout(20 * 60 * 1000);
  let work: string;
  let venv: string;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-e2e-sources-'));
    venv = ensureVenv();
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));


  /** Generates `name` with `args`, then runs each of `later` from its `src/`. */
  function generate(name: string, args: string[], later: string[][]): string {
    check(run(process.execPath, [CLI, name, ...BASE, ...args], work));
    const project = path.join(work, name);
    for (const command of later) check(run(process.execPath, [CLI, ...command, '--yes'], path.join(project, 'src')));
    installProject(venv, project);
    return project;
  }

  it('--partitioned orders, then `partitioned sensor_log` added later: every check and contract test passes', () => {
    const project = generate('logs', ['--partitioned', 'orders', '--no-ci'], [['partitioned', 'sensor_log']]);
    checkContractProject(venv, project, {
      'tests/test_orders.py': PARTITIONED_CONTRACT,
      'tests/test_sensor_log.py': PARTITIONED_CONTRACT,
    });
  });

  it('--dynamic events, then `dynamic ticks --client async` added later: every check and contract test passes', () => {
    const project = generate('feeds', ['--dynamic', 'events', '--no-ci'], [['dynamic', 'ticks', '--client', 'async']]);
    checkContractProject(venv, project, {
      'tests/test_events.py': DYNAMIC_CONTRACT,
      'tests/test_ticks.py': [...DYNAMIC_CONTRACT, ...ASYNC_CONTRACT],
    });
  });

  it('one partitioned and one dynamic source, with CI: every check passes and the workflows list both examples', () => {
    const project = generate('mixed', ['--partitioned', 'orders', '--dynamic', 'events', '--ci'], []);
    checkContractProject(venv, project, { 'tests/test_orders.py': PARTITIONED_CONTRACT, 'tests/test_events.py': DYNAMIC_CONTRACT });
    const ci = fs.readFileSync(path.join(project, '.github', 'workflows', 'ci.yml'), 'utf8');
    assert.match(ci, /examples\.orders/);
    assert.match(ci, /examples\.events/);
  });
});
