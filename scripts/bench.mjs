// Start-up benchmark: generates the same project with the runner
// (`generator-bytewax-connector --yes`) and with `yo bytewax-connector`,
// several times each, and reports medians, the ratio and peak memory.
// Targets (issue 2): runner median <= 1.0 s and at least 2x faster than yo.
// As root, yo runs as the plain user `bytewax-e2e` (yo refuses root).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const runs = Number(process.env.BENCH_RUNS ?? 7);
const answers = ['--yes', '--skip-install', '--no-ci', '--author-name', 'Bench', '--author-email', 'b@example.com'];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-bench-'));
fs.chmodSync(work, 0o755);
fs.mkdirSync(path.join(work, 'node_modules'));
fs.symlinkSync(root, path.join(work, 'node_modules', 'generator-bytewax-connector'));

const asRoot = process.getuid?.() === 0;
const user = 'bytewax-e2e';
if (asRoot && spawnSync('id', [user]).status !== 0) spawnSync('useradd', ['--create-home', user], { stdio: 'inherit' });

/** Runs `argv` under GNU time; returns wall seconds and peak RSS in MiB. */
function measure(argv, asUser) {
  const timed = ['/usr/bin/time', '-f', '%e %M', ...argv];
  const command = asUser ? ['runuser', '-u', user, '--', ...timed] : timed;
  const result = spawnSync(command[0], command.slice(1), { cwd: work, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  const [seconds, kib] = result.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { seconds, mib: kib / 1024 };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function bench(label, argvFor, asUser) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const dir = `${label}-${i}`;
    samples.push(measure(argvFor(dir), asUser));
    if (asRoot) spawnSync('chown', ['-R', user, work]);
  }
  const seconds = median(samples.map((s) => s.seconds));
  const mib = median(samples.map((s) => s.mib));
  console.log(`${label.padEnd(8)} median ${seconds.toFixed(2)} s  (runs: ${samples.map((s) => s.seconds.toFixed(2)).join(' ')})  peak RSS median ${mib.toFixed(0)} MiB`);
  return seconds;
}

if (asRoot) spawnSync('chown', ['-R', user, work]);
const cli = path.join(root, 'dist', 'cli.js');
const yo = path.join(root, 'node_modules', '.bin', 'yo');
console.log(`${runs} runs each, on ${os.cpus().length} cores, node ${process.version}`);
const runner = bench('runner', (dir) => [process.execPath, cli, dir, ...answers], asRoot);
const viaYo = bench('yo', (dir) => [yo, 'bytewax-connector', dir, ...answers, '--no-insight'], asRoot);
console.log(`yo / runner = ${(viaYo / runner).toFixed(2)}x   targets: runner <= 1.00 s, ratio >= 2.00x`);
fs.rmSync(work, { recursive: true, force: true });
