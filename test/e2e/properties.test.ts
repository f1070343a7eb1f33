/**
 * Property: every accepted answer set gives a project whose files parse and
 * whose Python passes ruff. 300 random valid answer sets (seeded; the seed is
 * printed, and PROPERTY_SEED=<seed> replays a run) are generated in-process
 * with the built runner, then checked in one batch: TOML, YAML and JSON parse,
 * `.yo-rc.json` reads back through the schema, the project grown run by run
 * (the app, then each further source and sink added by its own generator) is
 * exactly the rendering of its final answers in one go, Python parses
 * (`ast`), the author and summary pass hatchling's and packaging's metadata
 * rules, and `ruff check` plus `ruff format --check` find nothing.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parse as parseToml } from 'smol-toml';
import { parseAllDocuments } from 'yaml';
import { gitBlobId } from '../../lib/base-store.js';
import { parseProjectState } from '../../lib/project/config.js';
import { renderProject } from '../../lib/project/render.js';
import { type ValidAnswers, commandLines, validAnswers } from '../helpers/arbitraries.js';
import { loadRunner, runInProcess } from '../helpers/in-process.js';
import { listFiles, REPO_ROOT } from '../helpers/paths.js';
import { ensureVenv, run, venvBin } from './python.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 300);
const SEED = Number(process.env['PROPERTY_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

/** Checks every project given on the command line; prints one line per problem. */
const PYTHON_CHECKS = String.raw`
import ast, pathlib, sys
from hatchling.metadata.core import ProjectMetadata
from hatchling.plugin.manager import PluginManager
from packaging.metadata import Metadata

for root in sys.argv[1:]:
    project = pathlib.Path(root)
    for file in sorted(project.rglob("*.py")):
        try:
            ast.parse(file.read_text(encoding="utf-8"), str(file))
        except SyntaxError as error:
            print(f"{file}: does not parse: {error}")
    try:
        core = ProjectMetadata(root, PluginManager()).core
        authors = core.authors_data
        Metadata.from_raw(
            {
                "metadata_version": "2.4",
                "name": core.raw_name,
                "version": "0.0.0",
                "summary": core.description,
                "author": ", ".join(authors["name"]) or None,
                "author_email": ", ".join(authors["email"]) or None,
            },
            validate=True,
        )
    except Exception as error:
        print(f"{project}/pyproject.toml: metadata refused: {error!r}")
`;

describe('e2e: properties of generated projects', function () {
  this.timeout(30 * 60 * 1000);
  let work: string;
  let samples: ValidAnswers[];

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-properties-'));
    samples = fc.sample(validAnswers, { numRuns: RUNS, seed: SEED });
    console.log(`      ${RUNS} valid answer sets, seed ${SEED} (replay with PROPERTY_SEED=${SEED})`);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  const explain = (index: number) => `project p${index} (seed ${SEED}) from ${JSON.stringify(samples[index])}`;
  const projectOf = (file: string) => Number(/(?:^|\/)p(\d+)\//.exec(path.relative(work, file).replace(/^\.\//, ''))?.[1]);

  it(`${RUNS} accepted answer sets: each generates, and every file parses, reads back and passes ruff`, async () => {
    const runCli = await loadRunner();
    const started = Date.now();
    for (const [index, answers] of samples.entries()) {
      for (const [step, argv] of commandLines(`p${index}`, answers).entries()) {
        const cwd = step === 0 ? work : path.join(work, `p${index}`);
        const { status, output } = await runInProcess(runCli, argv, cwd);
        assert.equal(status, 0, `${explain(index)}\n\`${argv.join(' ')}\` exited ${status}:\n${output}`);
      }
    }
    const generated = (Date.now() - started) / 1000;

    for (const [index, answers] of samples.entries()) {
      const dir = path.join(work, `p${index}`);
      const pyproject = parseToml(fs.readFileSync(path.join(dir, 'pyproject.toml'), 'utf8')) as { project: Record<string, unknown> };
      if (answers.description !== undefined) assert.equal(pyproject.project['description'], answers.description, explain(index));
      const { config, files } = parseProjectState(path.join(dir, '.yo-rc.json'), JSON.parse(fs.readFileSync(path.join(dir, '.yo-rc.json'), 'utf8')));
      assert.equal(config.authorName, answers.authorName, explain(index));
      // Grown one generator at a time, it is what one rendering of the final answers gives.
      const rendering = renderProject(config, { templatesDir: path.join(REPO_ROOT, 'lib', 'project'), kitDir: path.join(REPO_ROOT, 'kit', 'src', 'bytewax_connector_kit') });
      assert.deepEqual(listFiles(dir).filter((file) => file !== '.yo-rc.json').sort(), [...rendering.keys()].sort(), explain(index));
      for (const [file, generated] of rendering) {
        assert.equal(fs.readFileSync(path.join(dir, file), 'utf8'), generated.text, `${explain(index)}: ${file}`);
        assert.equal(files?.[file], gitBlobId(generated.text), `${explain(index)}: the manifest's id of ${file}`);
      }
      assert.deepEqual(config.sources.map((s) => s.name).sort(), answers.sources.map((s) => s.name).sort(), explain(index));
      for (const file of listFiles(dir).filter((f) => /\.ya?ml$/.test(f))) {
        for (const document of parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
          assert.deepEqual(document.errors, [], `${explain(index)}: ${file}`);
        }
      }
    }

    const venv = ensureVenv();
    const dirs = samples.map((_, index) => path.join(work, `p${index}`));
    const python = run(venvBin(venv, 'python'), ['-c', PYTHON_CHECKS, ...dirs], work);
    const pythonProblems = python.output.trim();
    assert.equal(python.status, 0, python.output);
    assert.equal(pythonProblems, '', describeProblems(pythonProblems));

    const lint = run(venvBin(venv, 'ruff'), ['check', '--no-cache', '--output-format', 'concise', '.'], work);
    assert.equal(lint.status, 0, describeProblems(lint.output));
    const format = run(venvBin(venv, 'ruff'), ['format', '--check', '--no-cache', '.'], work);
    assert.equal(format.status, 0, describeProblems(format.output));
    console.log(`      generated ${RUNS} projects in ${generated.toFixed(1)} s; checked ${listFiles(work).filter((f) => f.endsWith('.py')).length} Python files`);
  });

  /** Ruff's or the checker's lines, with the answers behind each project they name. */
  function describeProblems(output: string): string {
    const projects = new Set<number>();
    for (const line of output.split('\n')) {
      const file = line.split(':')[0]!;
      const index = projectOf(path.isAbsolute(file) ? file : path.join(work, file));
      if (!Number.isNaN(index)) projects.add(index);
    }
    return `${output}\n${[...projects].slice(0, 10).map(explain).join('\n')}`;
  }
});
