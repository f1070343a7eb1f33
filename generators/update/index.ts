import type Generator from 'yeoman-generator';
import { type AnswerTable, readOption } from '../../lib/answers.js';
import { showPath } from '../../lib/errors.js';
import type { FileOutcome } from '../../lib/merge.js';
import { ProjectGenerator } from '../../lib/run/project.js';

interface UpdateAnswers {
  dryRun: boolean;
  json: boolean;
}

const ANSWERS: AnswerTable<UpdateAnswers> = {
  dryRun: {
    type: 'boolean',
    flag: 'dry-run',
    label: 'dry run',
    description: 'Change nothing: print what the update would do to each file',
    default: () => ({ value: false }),
  },
  json: {
    type: 'boolean',
    flag: 'json',
    label: 'JSON report',
    description: 'Print the report as JSON on stdout',
    default: () => ({ value: false }),
  },
};

/** How the report names each outcome, and whether it is worth a line. */
const SHOWN: Partial<Record<FileOutcome['kind'] | 'mode', string>> = {
  create: 'create',
  update: 'update',
  merged: 'merge',
  conflict: 'conflict',
  delete: 'delete',
  orphaned: 'kept',
  mode: 'mode',
};

/**
 * Brings the project up to this version of the generator: renders it again
 * from its recorded answers and merges the result into each file (base: what
 * the generator wrote last time; a project made by 0.1.0 uses its first
 * commit). Clean merges are written; conflicts are written with markers,
 * listed, and keep the exit status at 1 until they are resolved.
 */
export default class UpdateGenerator extends ProjectGenerator<UpdateAnswers> {
  static readonly help = {
    summary: 'Bring the project up to this version of the generator: render it again from its answers and merge the result into each file.',
    examples: ['', '--dry-run', '--dry-run --json'],
  };

  constructor(args: string[], options: Generator['options']) {
    super(args, options, ANSWERS);
    this.conflictMode = 'markers';
    this.logEachFile = false;
  }

  async initializing(): Promise<void> {
    this.dryRun = readOption<boolean>(this.options, 'dry-run') === true;
    const state = await this.openEnclosingProject();
    // Older is what update is for; newer stops, as for every generator.
    this.refuseNewerVersion(state);
    this.requireConflictsResolved(state);
  }

  async prompting(): Promise<void> {
    await this.answer(ANSWERS);
    this.project = { ...this.found!.state.config, generatorVersion: this.version };
  }

  end(): void {
    const report = this.report;
    if (report === undefined) return;
    const files = report.outcomes
      .filter((outcome) => SHOWN[outcome.kind] !== undefined || (outcome.kind === 'deleted-by-user' && outcome.report))
      .map((outcome) => ({
        path: outcome.path,
        action: outcome.kind as string,
        ...(outcome.kind === 'conflict' ? { conflicts: outcome.conflicts } : {}),
      }))
      // Same contents, permission bits set again (a generated script that lost its executable bit).
      .concat(report.modes.map((file) => ({ path: file, action: 'mode' })))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    if (this.answers.json) {
      process.stdout.write(`${JSON.stringify({ from: report.from, to: report.to, dryRun: this.dryRun, files, conflicts: report.conflicts, notes: this.baseNotes }, null, 2)}\n`);
    } else {
      const lines = files.map(({ path: file, action, ...rest }) => {
        const label = SHOWN[action as keyof typeof SHOWN] ?? 'skipped';
        const note =
          'conflicts' in rest && rest.conflicts !== undefined
            ? ` (${rest.conflicts} conflict${rest.conflicts === 1 ? '' : 's'})`
            : action === 'orphaned'
              ? ' (no longer generated; you changed it)'
              : action === 'deleted-by-user'
                ? ' (you deleted it; not recreated)'
                : action === 'mode'
                  ? ' (its executable bit, set again)'
                  : '';
        return `  ${label.padEnd(9)}${showPath(file)}${note}`;
      });
      const heading = this.dryRun
        ? `An update from ${report.from ?? 'an unknown version'} to ${report.to} would change ${files.length === 0 ? 'nothing' : 'these files'}${this.dryRun ? ' (nothing was written)' : ''}:`
        : files.length === 0
          ? `The project is up to date with ${report.to}: nothing to change.`
          : `Updated the project from ${report.from ?? 'an unknown version'} to ${report.to}:`;
      this.log([heading, ...(this.dryRun || files.length > 0 ? lines : []), ...this.baseNotes.map((note) => `Note: ${note}`)].join('\n'));
      // The installed environment follows pyproject.toml only when it is synced again.
      if (!this.dryRun && files.some((file) => file.path === 'pyproject.toml' && file.action !== 'mode')) {
        this.log('pyproject.toml changed: bring the environment up to date with `uv sync` (or `pip install -e . --group dev` in its venv), review with `git diff`, then commit.');
      }
      if (report.conflicts.length > 0) {
        this.log(
          this.dryRun
            ? `${report.conflicts.length} file(s) would have conflicts to resolve by hand.`
            : `\n${report.conflicts.length} file(s) have conflicts: edit each to keep what you want between its <<<<<<<, |||||||, ======= and >>>>>>> lines, remove the lines themselves, then commit. Until then this command (and every generator) exits 1.`,
        );
      }
    }
    if (report.conflicts.length > 0) this.failRun();
  }
}
