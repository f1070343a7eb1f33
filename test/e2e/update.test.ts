/**
 * `update` on a project made by 0.1.0 (test/fixtures/project-0.1.0.bundle:
 * the generator's first commit, then a commit of the user's edits): the
 * user's lines all survive (kept, merged, or shown in a conflict), every file
 * the user did not touch becomes exactly what this generator renders from the
 * project's answers, a line both changed is a reported conflict with exit
 * status 1, --dry-run changes no byte, and once the conflicts are resolved the
 * project passes its own checks.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasConflictMarkers } from '../../lib/merge.js';
import { parseProjectState } from '../../lib/project/config.js';
import { renderProject } from '../../lib/project/render.js';
import { CLI, REPO_ROOT, readTree } from '../helpers/paths.js';
import { check, installProject, run, runProjectChecks, VENV } from './python.js';

const BUNDLE = path.join(REPO_ROOT, 'test', 'fixtures', 'project-0.1.0.bundle');
const FIRST = 'c86e0fccbbb3bc57dd446bca17f1813494d10899';

/** The lines the user's commit added, per file (what an update must never drop). */
function userLines(project: string): Map<string, string[]> {
  const diff = check(run('git', ['diff', '-U0', '--no-color', FIRST, 'HEAD'], project)).output;
  const added = new Map<string, string[]>();
  let file = '';
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++ b/')) file = line.slice(6);
    else if (line.startsWith('+') && !line.startsWith('+++') && line.slice(1).trim() !== '') added.set(file, [...(added.get(file) ?? []), line.slice(1)]);
  }
  return added;
}

interface Report {
  from: string;
  to: string;
  dryRun: boolean;
  files: Array<{ path: string; action: string; conflicts?: number }>;
  conflicts: string[];
}

describe('e2e: update of a project made by 0.1.0', function () {
  this.timeout(20 * 60 * 1000);
  let work: string;
  let project: string;
  let edits: Map<string, string[]>;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bytewax-e2e-update-'));
    project = path.join(work, 'legacy');
    check(run('git', ['clone', '--quiet', BUNDLE, project], work));
    edits = userLines(project);
    assert.ok(edits.size >= 5, `the fixture has ${edits.size} edited files`);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  const update = (...args: string[]) => run(process.execPath, [CLI, 'update', ...args], project);
  const refs = () => check(run('git', ['for-each-ref'], project)).output;

  it('a sub-generator stops and names update; --dry-run changes no byte and says per file what would change, as text and as JSON', () => {
    const before = { tree: readTree(project), refs: refs(), status: check(run('git', ['status', '--porcelain'], project)).output };
    const sink = run(process.execPath, [CLI, 'sink', 'more', '--yes'], project);
    assert.equal(sink.status, 1);
    assert.match(sink.output, /^error: This project was made by generator-bytewax-connector 0\.1\.0; bring it up to \d+\.\d+\.\d+ first: `.* update`\. Nothing was written\.$/m);

    const text = update('--dry-run');
    const json = update('--dry-run', '--json');
    for (const ran of [text, json]) assert.ok(ran.status === 0 || ran.status === 1, ran.output);
    const report = JSON.parse(json.output.slice(json.output.indexOf('{'))) as Report;
    assert.equal(report.from, '0.1.0');
    assert.equal(report.dryRun, true);
    assert.ok(report.files.length > 0);
    for (const file of report.files) assert.match(text.output, new RegExp(`^ {2}\\S+ +${file.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    assert.equal(text.status, report.conflicts.length > 0 ? 1 : 0);
    assert.deepEqual(readTree(project), before.tree);
    assert.equal(refs(), before.refs);
    assert.equal(check(run('git', ['status', '--porcelain'], project)).output, before.status);
  });

  it("update keeps every line the user added, makes every other file what this version renders, and reports conflicts with exit status 1", () => {
    const dry = JSON.parse(update('--dry-run', '--json').output.replace(/^[^{]*/, '')) as Report;
    const ran = update();
    const conflicted = Object.entries(Object.fromEntries(readTree(project))).filter(([, text]) => hasConflictMarkers(text)).map(([file]) => file).sort();
    assert.deepEqual([...dry.conflicts].sort(), conflicted, 'the dry run foretold other conflicts');
    assert.ok(conflicted.length > 0, 'the fixture holds a line both sides changed');
    assert.equal(ran.status, 1, ran.output);
    for (const file of conflicted) assert.match(ran.output, new RegExp(`conflict +${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ conflicts?\\)`));

    // Every line the user added is still there (in a conflict, on its "yours" side).
    for (const [file, lines] of edits) {
      const text = fs.readFileSync(path.join(project, file), 'utf8');
      for (const line of lines) assert.ok(text.includes(line), `${file} lost the user's line: ${line}`);
    }
    // Every file the user did not touch is this version's rendering of the project's answers.
    const { state } = { state: parseProjectState('.yo-rc.json', JSON.parse(fs.readFileSync(path.join(project, '.yo-rc.json'), 'utf8'))) };
    assert.equal(state.config.generatorVersion, JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
    const rendering = renderProject(state.config, { templatesDir: path.join(REPO_ROOT, 'lib', 'project'), kitDir: path.join(REPO_ROOT, 'kit', 'src', 'bytewax_connector_kit') });
    let compared = 0;
    for (const [file, generated] of rendering) {
      if (edits.has(file)) continue;
      assert.equal(fs.readFileSync(path.join(project, file), 'utf8'), generated.text, `${file} differs from this version's rendering`);
      compared++;
    }
    assert.ok(compared > 30, `only ${compared} untouched files compared`);
    // What 0.1.0 generated and this version does not (kit 3 merged sink_common.py into common.py) is gone.
    assert.equal(fs.existsSync(path.join(project, 'tests/contract/sink_common.py')), false);
    assert.match(ran.output, /^ {2}delete +tests\/contract\/sink_common\.py$/m);
    // The user's own file, which the generator never made, is as it was.
    assert.equal(check(run('git', ['diff', '--stat', 'HEAD', '--', 'src/bytewax_legacy/helpers.py'], project)).output, '');

    const again = update();
    assert.equal(again.status, 1);
    assert.match(again.output, /These files still have conflict markers from an earlier run:/);
  });

  it('once the conflicts are resolved update is clean, and the project passes its own checks', () => {
    for (const [file, text] of readTree(project)) {
      // Resolved the generator's way: the side after =======.
      if (hasConflictMarkers(text)) fs.writeFileSync(path.join(project, file), text.replace(/^<{7} [^\n]*\n[^]*?^={7}\n([^]*?)^>{7} [^\n]*\n/gm, '$1'));
    }
    const clean = update();
    assert.equal(clean.status, 0, clean.output);
    assert.match(clean.output, /The project is up to date with \d+\.\d+\.\d+: nothing to change\./);
    assert.doesNotMatch(fs.readFileSync(path.join(project, '.yo-rc.json'), 'utf8'), /"conflicts"/);
    installProject(VENV, project);
    runProjectChecks(VENV, project);
  });
});
