// Time to green: how long a user waits from the generator's command to a
// passing test suite, with uv on PATH and without it (venv + pip). Each run
// generates a fresh project with its install step and a partitioned source,
// then runs the project's pytest; the two set-ups alternate (uv, pip, uv,
// pip, ...) so a drifting machine or network affects both alike. Reports wall
// seconds min / median / max per phase. Downloads are cached by uv and pip
// between runs, as on a developer's machine after the first project.
//
//   npm run build && node scripts/bench-green.mjs      BENCH_RUNS=5 node scripts/bench-green.mjs
//
// Targets (issue 12): with uv at most 12 s, with pip at most 35 s (medians).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const runs = Number(process.env.BENCH_RUNS ?? 3);
const uv = spawnSync('sh', ['-c', 'command -v uv'], { encoding: 'utf8' }).stdout.trim();
if (!uv) {
  console.error('uv is not on PATH: install it (`.ci/run` puts one in .cache/uv/bin)');
  process.exit(1);
}
const uvDir = path.dirname(uv);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-green-'));
const withoutUv = process.env.PATH.split(path.delimiter).filter((dir) => dir !== uvDir).join(path.delimiter);
const answers = ['--yes', '--author-name', 'Bench', '--author-email', 'bench@example.com', '--no-ci', '--partitioned', 'orders'];

function timed(command, args, cwd, env) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return { seconds, output: `${result.stdout}${result.stderr}` };
}

const setups = [
  { label: 'uv', env: {} },
  { label: 'pip', env: { PATH: withoutUv } },
];
const samples = new Map(setups.map((s) => [s.label, { generate: [], pytest: [], total: [] }]));
for (let run = 0; run < runs; run++) {
  for (const setup of setups) {
    const name = `${setup.label}-${run}`;
    const generate = timed(process.execPath, [path.join(root, 'dist', 'cli.js'), name, ...answers], work, setup.env);
    if (!new RegExp(setup.label === 'uv' ? 'uv sync' : '\\(pip\\)').test(generate.output)) {
      throw new Error(`the ${setup.label} run did not install with ${setup.label}:\n${generate.output}`);
    }
    const project = path.join(work, name);
    const pytest = timed(path.join(project, '.venv', 'bin', 'pytest'), ['-q', '-p', 'no:cacheprovider'], project, setup.env);
    const entry = samples.get(setup.label);
    entry.generate.push(generate.seconds);
    entry.pytest.push(pytest.seconds);
    entry.total.push(generate.seconds + pytest.seconds);
    fs.rmSync(project, { recursive: true, force: true });
  }
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const [min, median, max] = [sorted[0], sorted[Math.floor(sorted.length / 2)], sorted[sorted.length - 1]];
  return `${min.toFixed(1)} / ${median.toFixed(1)} / ${max.toFixed(1)}`;
};
console.log(`${runs} runs each, alternating; wall seconds min / median / max; ${os.cpus().length} cores`);
console.log(`${'install'.padEnd(8)}${'generate + install'.padEnd(22)}${'pytest'.padEnd(22)}total`);
for (const [label, entry] of samples) {
  console.log(`${label.padEnd(8)}${stats(entry.generate).padEnd(22)}${stats(entry.pytest).padEnd(22)}${stats(entry.total)}`);
}
console.log('targets: uv total median <= 12 s, pip total median <= 35 s');
fs.rmSync(work, { recursive: true, force: true });
