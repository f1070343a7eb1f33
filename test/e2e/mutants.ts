/**
 * The mutation catalogues (sources and sinks) share this runner: plausible
 * bugs, each a small textual edit of a slice's module or of its demo backend
 * (which stands for the client a user writes), applied to a fresh copy of one
 * generated project; that slice's generated test file, run with `-x`, must
 * fail on it. The unmutated project must pass, so the kit cannot be trivially
 * strict. Each run prints the mutant and the test that killed it; a survivor
 * fails the test by name. `MUTANTS=name,name` runs the mutants whose names
 * contain one of those, `MUTANT_CLASSES=errors,units` those of these
 * classes. Generated suites run inside a private network namespace where
 * this process may create one (see `isolated`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureVenv, isolated, venvBin } from './python.js';

/**
 * The mistake classes (#17), and `contract` for the contract's basics
 * the first catalogue covered (positions, ordering, waiting, naming).
 */
export const MISTAKE_CLASSES = {
  'falsy-state': '1. a falsy resume state taken as none',
  errors: '2. errors lost or blurred',
  resources: '3. resources left open or growing',
  noise: '4. noise and spinning',
  'batch-edges': '5. batch edges',
  determinism: '6. determinism across processes',
  units: '7. units and settings ignored',
  upstream: '8. upstream behaviour the demo never shows',
  sinks: '9. sink semantics',
  contract: 'the contract\'s basics',
} as const;
export type MistakeClass = keyof typeof MISTAKE_CLASSES;

/** A mutant whose suite runs longer than this counts as hanging: the kit must fail, not wait. */
const HANG_SECONDS = 180;

export interface Mutant<S extends string> {
  name: string;
  /** The mistake class it belongs to. */
  class: MistakeClass;
  /** The source or sink it breaks. */
  slice: S;
  /** `module`: src/<package>/<slice>.py; `demo`: src/<package>/demo/<slice>.py. */
  file: 'module' | 'demo';
  /** `[find, replace]` pairs, each of which must match exactly once. */
  edits: Array<[string, string]>;
}

interface SuiteRun {
  status: number | null;
  output: string;
  seconds: number;
}

/** Runs test files of `project` with the cached venv's pytest, the package from the project's own src/. */
function runSuite(venv: string, project: string, args: string[]): SuiteRun {
  const [command, commandArgs] = isolated(venvBin(venv, 'python'), ['-m', 'pytest', '-p', 'no:cacheprovider', '-q', ...args]);
  const started = process.hrtime.bigint();
  const result = spawnSync(command, commandArgs, {
    cwd: project,
    encoding: 'utf8',
    // Wide lines keep pytest's summary (the failure's message) whole.
    env: { ...process.env, PYTHONPATH: path.join(project, 'src'), COLUMNS: '400' },
    maxBuffer: 64 * 1024 * 1024,
    // pytest-timeout and the kit's deadlines end a stuck suite long before this.
    timeout: 10 * 60 * 1000,
    killSignal: 'SIGKILL',
  });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

function applyMutant<S extends string>(copy: string, packageName: string, mutant: Mutant<S>): void {
  const relative = mutant.file === 'module' ? path.join('src', packageName, `${mutant.slice}.py`) : path.join('src', packageName, 'demo', `${mutant.slice}.py`);
  const file = path.join(copy, relative);
  const original = fs.readFileSync(file, 'utf8');
  let text = original;
  for (const [find, replace] of mutant.edits) {
    const count = text.split(find).length - 1;
    assert.equal(count, 1, `mutant "${mutant.name}": an edit matches ${count} times in ${relative}, not once:\n${find}`);
    text = text.replace(find, () => replace);
  }
  assert.notEqual(text, original, `mutant "${mutant.name}" changed nothing`);
  fs.writeFileSync(file, text);
}

/** The first failing test and its reason, from pytest's short summary. */
function killer(output: string): string | undefined {
  const failed = /^(?:FAILED|ERROR) tests\/\S+?::(\S+)(?: - (.*))?$/m.exec(output);
  if (!failed) return undefined;
  const reason = (failed[2] ?? '').slice(0, 160);
  return reason ? `${failed[1]} (${reason})` : failed[1];
}

export interface Catalogue<S extends string> {
  /** What it breaks, for the suite's title: "sources", "sinks". */
  of: string;
  packageName: string;
  /** Each slice of the project, with what it is. */
  slices: Record<S, string>;
  mutants: Array<Mutant<S>>;
  /** The fewest mutants the catalogue may hold. */
  minimum: number;
  /** Mistake classes the catalogue must cover. */
  classes: MistakeClass[];
  /** Generates the project in `work` and returns its folder. */
  generate: (work: string) => string;
}

export function describeMutationCatalogue<S extends string>(catalogue: Catalogue<S>): void {
  const slices = Object.keys(catalogue.slices) as S[];

  describe(`e2e: mutation catalogue of the generated ${catalogue.of}`, function () {
    this.timeout(90 * 60 * 1000);
    let work: string;
    let project: string;
    let venv: string;

    before(() => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), `bytewax-e2e-mutants-${catalogue.of}-`));
      venv = ensureVenv();
      project = catalogue.generate(work);
    });
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    it(`has at least ${catalogue.minimum} mutants, each with a distinct name, covering every ${catalogue.of.replace(/s$/, '')}`, () => {
      assert.ok(catalogue.mutants.length >= catalogue.minimum, `only ${catalogue.mutants.length} mutants`);
      assert.equal(new Set(catalogue.mutants.map((m) => m.name)).size, catalogue.mutants.length);
      for (const slice of slices) assert.ok(catalogue.mutants.some((m) => m.slice === slice), `no mutant of ${slice}`);
      for (const mistake of catalogue.classes) assert.ok(catalogue.mutants.some((m) => m.class === mistake), `no mutant of class ${mistake}`);
    });

    it(`the unmutated ${catalogue.of} pass their generated tests`, () => {
      for (const slice of slices) {
        const ran = runSuite(venv, project, [`tests/test_${slice}.py`]);
        assert.equal(ran.status, 0, `tests/test_${slice}.py failed on the unmutated project:\n${ran.output}`);
        assert.match(ran.output, /\b[1-9]\d* passed\b/);
        console.log(`      unmutated ${slice} (${catalogue.slices[slice]}): passed in ${ran.seconds.toFixed(1)} s`);
      }
    });

    it(`every mutant is killed by its generated tests`, () => {
      const only = process.env['MUTANTS']?.split(',').map((name) => name.trim());
      const classes = process.env['MUTANT_CLASSES']?.split(',').map((name) => name.trim());
      const chosen = catalogue.mutants.filter(
        (m) => (!only || only.some((name) => m.name.includes(name))) && (!classes || classes.includes(m.class)),
      );
      assert.ok(chosen.length > 0, `no mutant matches MUTANTS=${process.env['MUTANTS']}`);
      const survivors: string[] = [];
      const slow: string[] = [];
      const tally = new Map<string, { total: number; killed: number }>();
      let slowest = { seconds: 0, name: '' };
      let killed = 0;
      for (const [index, mutant] of chosen.entries()) {
        const copy = path.join(work, `mutant-${index}`);
        fs.cpSync(project, copy, { recursive: true, filter: (from) => !/[\\/](\.venv|\.git)$/.test(from) });
        applyMutant(copy, catalogue.packageName, mutant);
        const ran = runSuite(venv, copy, [`tests/test_${mutant.slice}.py`, '-x']);
        const by = killer(ran.output);
        const collectionFailed = /errors? during collection|ERROR collecting/.test(ran.output);
        const key = `${mutant.class}\t${mutant.slice}`;
        const counts = tally.get(key) ?? { total: 0, killed: 0 };
        counts.total += 1;
        tally.set(key, counts);
        if (ran.seconds > slowest.seconds) slowest = { seconds: ran.seconds, name: mutant.name };
        if (ran.seconds > HANG_SECONDS) slow.push(`${mutant.name} (${ran.seconds.toFixed(0)} s)`);
        if (ran.status !== 0 && by !== undefined && !collectionFailed) {
          killed += 1;
          counts.killed += 1;
          console.log(`      killed  [${mutant.class}] ${mutant.name}\n              by ${by} [${ran.seconds.toFixed(1)} s]`);
        } else {
          survivors.push(mutant.name);
          const why = ran.status === 0 ? 'every test passed' : `pytest exited ${ran.status} without a failing test`;
          console.log(`      SURVIVED ${mutant.name}: ${why}\n${ran.output.slice(-2000)}`);
        }
        fs.rmSync(copy, { recursive: true, force: true });
      }
      console.log(`      ${chosen.length} mutants, ${killed} killed; slowest ${slowest.seconds.toFixed(1)} s (${slowest.name})`);
      for (const [mistake, title] of Object.entries(MISTAKE_CLASSES)) {
        const rows = slices.map((slice) => [slice, tally.get(`${mistake}\t${slice}`)] as const).filter(([, c]) => c);
        if (rows.length === 0) continue;
        const cells = rows.map(([slice, c]) => `${slice} ${c!.killed}/${c!.total}`).join(', ');
        console.log(`      ${title}: ${cells}`);
      }
      assert.deepEqual(survivors, [], `surviving mutants: ${survivors.join('; ')}`);
      assert.deepEqual(slow, [], `mutants that ran over ${HANG_SECONDS} s (hanging): ${slow.join('; ')}`);
    });
  });
}
