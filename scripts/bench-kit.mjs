// How the contract kit behaves on a busy machine: the unmodified generated
// suite of a project with 3 sources (one with an async client) and 2 sinks,
// run ROUNDS times as two copies at once (2 runs per round), then one round
// of both copies under `pytest -n 2`; and the suite of a project with one
// source and one sink, alone. Reports passes and wall and CPU seconds
// (min / median / max; CPU counts pytest and every process it started).
//
//   npm run build && node scripts/bench-kit.mjs        BENCH_ROUNDS=15 (default)
//
// Targets (issue 17): every run passes (30 of 30 at the default), and the
// one-source-one-sink suite takes at most 12 s wall. The projects are
// installed (editable, with the dev group) into a venv of their own in
// .cache/bench-kit/, through uv (on PATH, or at $UV).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const uv = process.env.UV ?? spawnSync('sh', ['-c', 'command -v uv'], { encoding: 'utf8' }).stdout.trim();
if (!uv) {
  console.error('uv is not on PATH (or set UV): `.ci/run` puts one in .cache/uv/bin');
  process.exit(1);
}
// The first of these that runs: a pyenv shim is on PATH even for a version pyenv has not activated.
const python =
  process.env.BENCH_PYTHON ??
  ['python3.12', 'python3'].find((name) => spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0) ??
  'python3';
const cli = path.join(root, 'dist', 'cli.js');
const cache = path.join(root, '.cache', 'bench-kit');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-bench-kit-'));

function must(command, args, cwd, env = {}) {
  const result = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** A project in `work`: the generator's command, then slices added from inside it. */
function generate(name, first, later) {
  const base = ['--yes', '--author-name', 'Bench', '--skip-install', '--no-git', '--no-ci', '--no-docs'];
  must(process.execPath, [cli, name, ...base, ...first], work);
  const project = path.join(work, name);
  for (const args of later) must(process.execPath, [cli, ...args, '--yes'], path.join(project, 'src'));
  return project;
}

/** A venv with the project installed (editable) and its dev group. */
function install(project, venv) {
  if (!fs.existsSync(path.join(venv, 'bin', 'python'))) must(uv, ['venv', '--quiet', '--python', python, venv], root);
  must(uv, ['pip', 'install', '--quiet', '--python', path.join(venv, 'bin', 'python'), '-e', project, '--group', `${project}/pyproject.toml:dev`], root);
}

// Runs pytest under a small Python wrapper that reports wall and the CPU of
// pytest and every process it started.
const MEASURE = `
import json, resource, subprocess, sys, time
start = time.monotonic()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"status": done.returncode, "wall": time.monotonic() - start,
                  "cpu": usage.ru_utime + usage.ru_stime, "tail": (done.stdout + done.stderr)[-3000:]}))
`;

function pytest(venv, project, extra = []) {
  const bin = path.join(venv, 'bin', 'python');
  return new Promise((resolve) => {
    const child = spawn(bin, ['-c', MEASURE, bin, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', ...extra], { cwd: project });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('close', () => resolve(JSON.parse(out)));
  });
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return `min ${sorted[0].toFixed(1)} / median ${median.toFixed(1)} / max ${sorted.at(-1).toFixed(1)} s`;
};

function report(label, runs) {
  const passed = runs.filter((run) => run.status === 0);
  console.log(`${label}: ${passed.length} of ${runs.length} passed`);
  console.log(`  wall ${stats(runs.map((run) => run.wall))}`);
  console.log(`  cpu  ${stats(runs.map((run) => run.cpu))}`);
  for (const run of runs.filter((r) => r.status !== 0)) console.log(`  FAILED:\n${run.tail}`);
  return passed.length === runs.length;
}

const five = generate('five', ['--partitioned', 'orders', '--dynamic', 'ticks', '--client', 'async', '--sink', 'ledger', '--sink-kind', 'partitioned'], [
  ['dynamic', 'events'],
  ['sink', 'results', '--kind', 'dynamic'],
]);
const copies = [five, path.join(work, 'five-copy')];
fs.cpSync(five, copies[1], { recursive: true });
const pair = generate('pair', ['--partitioned', 'orders', '--sink', 'ledger', '--sink-kind', 'partitioned'], []);
const venvs = [path.join(cache, 'venv-a'), path.join(cache, 'venv-b')];
install(copies[0], venvs[0]);
install(copies[1], venvs[1]);
install(pair, path.join(cache, 'venv-pair'));

console.log(`${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${rounds} rounds of two copies at once`);
const serial = [];
for (let round = 0; round < rounds; round++) {
  const both = await Promise.all(copies.map((project, index) => pytest(venvs[index], project)));
  serial.push(...both);
  process.stdout.write(both.map((run) => (run.status === 0 ? '.' : 'F')).join(''));
}
process.stdout.write('\n');
const parallel = await Promise.all(copies.map((project, index) => pytest(venvs[index], project, ['-n', '2'])));
const alone = [];
for (let run = 0; run < 3; run++) alone.push(await pytest(path.join(cache, 'venv-pair'), pair));

const ok = [
  report('3 sources (one async) and 2 sinks, two copies at once', serial),
  report('the same, two copies at once, each under pytest -n 2', parallel),
  report('1 source and 1 sink, alone (target: at most 12 s wall)', alone),
];
fs.rmSync(work, { recursive: true, force: true });
process.exit(ok.every(Boolean) ? 0 : 1);
