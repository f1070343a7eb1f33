/**
 * The run of every generator: open the project (its lock taken, a run cut
 * off part-way undone, `.yo-rc.json` read once), change its config by the
 * answers, render the whole project (lib/project/render.ts), and bring the
 * rendering in by a three-way merge per file (lib/merge.ts): base = what the
 * generator wrote last time, ours = the file as it is, theirs = the new
 * rendering. Then `.yo-rc.json` is written once, last, with the new config
 * and the manifest of what the generator wrote, which (with those contents
 * kept as git objects, lib/base-store.ts) is the next run's base.
 *
 * A conflict (the user and the generator changed the same lines, or a file
 * whose base is unknown differs) is asked about in a terminal, refused
 * without one, and overwritten with --force; `update` writes it with
 * markers instead and lists it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { readOption } from '../answers.js';
import { gitBlobId, openBase, recordBase } from '../base-store.js';
import { type PendingChange, type PlanEntry, applyCommit, checkPath, planCommit, preflight } from '../commit.js';
import { UsageError, showPath } from '../errors.js';
import { type FileOutcome, type MergeLabels, hasConflictMarkers, planUpdate } from '../merge.js';
import { CONFIG_FILE, type ProjectConfig, type ProjectState, findProjectRoot, projectStateText, readProjectState } from '../project/config.js';
import { FORMERLY_GENERATED, KNOWN_0_1_0_KIT } from '../project/legacy.js';
import { readRegularFile } from '../read.js';
import { type RenderPlaces, type Rendering, insertionsBetween, renderProject } from '../project/render.js';
import { compareVersions } from '../semver.js';
import { BaseGenerator } from './base.js';

/** What a run did (or, with --dry-run, would do) to each file. */
export interface RunReport {
  /** The generator version that last rendered the project (none for a new one). */
  readonly from: string | undefined;
  readonly to: string;
  readonly outcomes: readonly FileOutcome[];
  /** Files written with conflict markers, to resolve by hand. */
  readonly conflicts: readonly string[];
  /** Files written or removed, relative to the project root. */
  readonly changed: readonly string[];
  /** Files whose contents stay but whose permission bits are set again (a generated script's). */
  readonly modes: readonly string[];
}

/** What a conflict became, when the user was asked. */
type Resolution = 'theirs' | 'ours' | 'markers';

export abstract class ProjectGenerator<A extends object> extends BaseGenerator<A> {
  /** The project root. */
  protected root = '';
  /** `.yo-rc.json` as this run found it (undefined: a new project). */
  protected found: { state: ProjectState; others: Record<string, unknown> } | undefined;
  /** The project's config once this run has changed it (set before the commit). */
  protected project!: ProjectConfig;
  /** What the commit did. */
  protected report: RunReport | undefined;
  /** Every file the generator owns now (what the commit rendered). */
  protected rendered: Rendering | undefined;
  /** What the user may want to know about the base the merge used (none found, blobs refused). */
  protected baseNotes: string[] = [];
  /** `update` writes conflicts with markers; every other run asks about them. */
  protected conflictMode: 'ask' | 'markers' = 'ask';
  /** Nothing written, nothing recorded: the report says what would change. */
  protected dryRun = false;
  /** The app records a new project's base after its first git commit, not at the commit of its files. */
  protected recordBaseAfterCommit = true;
  /** A line per file written (`update` prints its own report instead). */
  protected logEachFile = true;

  /** This generator's version, which the project records. */
  protected get version(): string {
    return this.rootGeneratorVersion();
  }

  /** Where the built templates and kit are. */
  protected get places(): RenderPlaces {
    return { templatesDir: path.join(this.distDir, 'lib', 'project'), kitDir: path.join(this.distDir, 'kit') };
  }

  /** --no-git (the app's): no git process at all, so no base is kept as git objects either. */
  protected get gitAllowed(): boolean {
    return readOption<boolean>(this.options, 'git') !== false;
  }

  /** A dry run reads without the lock (it writes nothing, not even the lock file). */
  protected override get readOnlyRun(): boolean {
    return this.dryRun;
  }

  /** Opens the project at `root` for this run: locked, a run cut off part-way undone, `.yo-rc.json` read once. */
  protected async openProject(root: string): Promise<void> {
    this.root = root;
    await this.startRun(root, { recover: !this.dryRun });
    this.found = readProjectState(root, this.version);
  }

  /**
   * The project the current folder is in, opened, as every generator but the
   * app finds it: it must have been rendered by this version of the
   * generator (an older one is brought up to date by `update`), with no
   * conflict markers left from an update.
   */
  protected async openEnclosingProject(): Promise<ProjectState> {
    const start = this.env.cwd;
    const root = findProjectRoot(start);
    if (root === undefined) {
      throw new UsageError(
        `No generated project here: neither ${showPath(start)} nor a folder above it has a .yo-rc.json from generator-bytewax-connector.`,
        `Create the project first with \`${this.commandFor('app')}\`, then run this inside it.`,
      );
    }
    await this.openProject(root);
    if (this.found === undefined) throw new UsageError(`${showPath(path.join(root, CONFIG_FILE))} no longer holds this generator's answers.`);
    return this.found.state;
  }

  /** Stops when a newer generator rendered the project: this one would take its files back. */
  protected refuseNewerVersion(state: ProjectState): void {
    const recorded = state.config.generatorVersion;
    if (compareVersions(recorded, this.version) <= 0) return;
    throw new UsageError(
      `This project was last rendered by generator-bytewax-connector ${recorded}, newer than this one (${this.version}); nothing was written.`,
      'Install the newer generator and run it instead.',
    );
  }

  /** Stops unless the project was last rendered by this version: a project an older one made is updated first. */
  protected requireCurrentVersion(state: ProjectState): void {
    this.refuseNewerVersion(state);
    const recorded = state.config.generatorVersion;
    if (recorded === this.version) return;
    throw new UsageError(
      `This project was made by generator-bytewax-connector ${recorded}; bring it up to ${this.version} first: \`${this.commandFor('update')}\`. Nothing was written.`,
    );
  }

  /** Stops while files an update left with conflict markers are unresolved. */
  protected requireConflictsResolved(state: ProjectState): void {
    const left = unresolved(this.root, state.conflicts);
    if (left.length === 0) return;
    throw new UsageError(
      `These files still have conflict markers from an earlier run:\n${left.map((file) => `  ${showPath(file)}`).join('\n')}\nNothing was written.`,
      'Resolve them (keep the lines you want, remove the <<<<<<< ||||||| ======= >>>>>>> lines), then run again.',
    );
  }

  /**
   * What the generator wrote last time: the manifest's contents (from a
   * rendering of the recorded answers when the manifest agrees, else from
   * git), or, for a project made by 0.1.0, its first commit; a kit module
   * 0.1.0 copied is recognised by its contents. The generator owns only paths
   * it knows it writes or wrote (`known`): a manifest or a first commit may
   * name a file of the user's, which is never taken for generated.
   */
  #base(theirs: Rendering): { owned: ReadonlySet<string>; read: (file: string) => string | undefined; notes: () => string[] } {
    const state = this.found?.state;
    if (state === undefined) return { owned: new Set(), read: () => undefined, notes: () => [] };
    const manifest = state.files;
    let again: Rendering | undefined;
    try {
      again = renderProject(state.config, this.places);
    } catch {
      again = undefined;
    }
    const known = new Set([...(again?.keys() ?? []), ...theirs.keys(), ...FORMERLY_GENERATED, ...Object.keys(KNOWN_0_1_0_KIT)]);
    let stored: ReturnType<typeof openBase> | undefined;
    const fromGit = () => (stored ??= this.gitAllowed ? openBase(this.root, manifest, state.config.distName) : undefined);
    const listed = manifest !== undefined ? Object.keys(manifest) : [...(fromGit()?.owned ?? [])];
    // .yo-rc.json is the run's own record, never part of the rendering (a 0.1.0 first commit holds it).
    const owned = new Set(listed.filter((file) => known.has(file) && file !== CONFIG_FILE));
    const read = (file: string): string | undefined => {
      const rendered = again?.get(file)?.text;
      if (rendered !== undefined && state.config.generatorVersion === this.version && manifest?.[file] === gitBlobId(rendered)) return rendered;
      const found = fromGit()?.read(file);
      if (found !== undefined) return found;
      // A kit module as 0.1.0 copied it: the user's file is that exact text, so it is the base.
      const ours = KNOWN_0_1_0_KIT[file] === undefined ? undefined : this.#ours(file);
      return ours !== undefined && KNOWN_0_1_0_KIT[file]!.includes(gitBlobId(ours)) ? ours : undefined;
    };
    const notes = () => [
      ...(stored?.notes ?? []),
      ...(manifest === undefined && stored?.source !== 'first-commit'
        ? [`No record of what ${state.config.generatorVersion} wrote was found (the generator's own first commit, unamended, in a full history), so every file you changed is shown as a conflict.`]
        : []),
    ];
    return { owned, read, notes };
  }

  /** The file at `relative` as it is now (a symbolic link in the way stops the run, as for a write). */
  #ours(relative: string): string | undefined {
    const native = relative.split('/').join(path.sep);
    checkPath(this.root, native);
    const bytes = readRegularFile(path.join(this.root, native), relative);
    if (bytes === undefined) return undefined;
    try {
      return UTF8.decode(bytes);
    } catch {
      // A merge of text it cannot read would replace every byte it cannot decode.
      throw new UsageError(`${showPath(relative)} is not UTF-8 text, so the generator cannot merge it. Nothing was written.`, 'Convert it to UTF-8 (or move it away) and run again.');
    }
  }

  protected override async commitProject(root: string): Promise<void> {
    this.root = root;
    const config = { ...this.project, generatorVersion: this.version };
    const theirs = renderProject(config, this.places);
    this.rendered = theirs;
    const base = this.#base(theirs);
    const from = this.found?.state.config.generatorVersion;
    const labels: MergeLabels = { ours: 'yours', base: `generated by ${from ?? 'an earlier run'}`, theirs: `generated by ${this.version}` };
    const planned = planUpdate({ rendered: theirs, baseOwned: base.owned, base: base.read, ours: (file) => this.#ours(file), labels });
    this.baseNotes = base.notes();
    const outcomes = keepPackagesWithFiles(this.#placeInsertions(planned, theirs, base.read), root);
    const resolutions = await this.#resolveConflicts(outcomes);
    const conflicts = outcomes.filter((o) => o.kind === 'conflict' && resolutions.get(o.path) === 'markers').map((o) => o.path);

    const changes: PendingChange[] = [];
    const absolute = (file: string) => path.join(root, ...file.split('/'));
    for (const outcome of outcomes) {
      switch (outcome.kind) {
        case 'create':
        case 'update':
        case 'merged':
          changes.push({ path: absolute(outcome.path), contents: Buffer.from(outcome.text), ...modeOf(outcome) });
          break;
        case 'conflict': {
          // Each side is taken only where the two conflict: every other change, of either, stays merged in.
          const resolution = resolutions.get(outcome.path)!;
          const text = resolution === 'markers' ? outcome.text : outcome.sides[resolution];
          changes.push({ path: absolute(outcome.path), contents: Buffer.from(text), ...modeOf(outcome) });
          break;
        }
        case 'delete':
          changes.push({ path: absolute(outcome.path), contents: null });
          break;
        case 'identical': {
          // Its permission bits still count: a generated script that lost them gets them back.
          const generated = theirs.get(outcome.path);
          if (generated?.mode !== undefined) changes.push({ path: absolute(outcome.path), contents: Buffer.from(fs.readFileSync(absolute(outcome.path))), mode: generated.mode });
          break;
        }
        default:
          break;
      }
    }
    const state: ProjectState = {
      config,
      files: Object.fromEntries([...theirs].map(([file, generated]) => [file, gitBlobId(generated.text)])),
      conflicts,
      ...(this.found?.state.extra === undefined ? {} : { extra: this.found.state.extra }),
    };
    changes.push({ path: path.join(root, CONFIG_FILE), contents: Buffer.from(projectStateText(state, this.found?.others)) });

    const plan = planCommit(root, changes);
    const changed = plan.filter((entry) => entry.action !== 'identical').map((entry) => entry.relative.split(path.sep).join('/'));
    const unchanged = new Set(outcomes.filter((o) => o.kind === 'identical').map((o) => o.path));
    this.report = { from, to: this.version, outcomes, conflicts, changed, modes: changed.filter((file) => unchanged.has(file)) };
    if (this.dryRun) return;
    await this.#confirmReadOnly(plan);
    preflight(plan);
    applyCommit(root, plan, this.runCommand);
    this.runState.written.push(...this.report.changed);
    if (this.logEachFile) this.#logChanges(outcomes, plan, resolutions);
    if (this.recordBaseAfterCommit) this.recordBase();
    if (conflicts.length > 0) {
      // `update` says so in its own report.
      if (this.logEachFile) {
        this.log(
          `\n${conflicts.length} file(s) have conflicts: edit each to keep what you want between its <<<<<<<, |||||||, ======= and >>>>>>> lines and remove those lines. ` +
            'Until then every generator here stops and exits with status 1.',
        );
      }
      this.failRun();
    }
  }

  /**
   * Conflicts where all the generator changed is its insertions (a README
   * section, a package export): the same insertions made in the user's file
   * instead, as a merge. A line merge cannot place two insertions at one spot
   * (the user's export and the generator's, in one sorted list).
   */
  #placeInsertions(outcomes: FileOutcome[], theirs: Rendering, base: (file: string) => string | undefined): FileOutcome[] {
    const before = this.found?.state.config;
    if (before === undefined) return outcomes;
    const insertions = insertionsBetween(before, this.project, this.places);
    return outcomes.map((outcome) => {
      const insert = insertions.get(outcome.path);
      const was = base(outcome.path);
      if (outcome.kind !== 'conflict' || insert === undefined || was === undefined || insert(was) !== theirs.get(outcome.path)?.text) return outcome;
      const ours = this.#ours(outcome.path);
      if (ours === undefined) return outcome;
      // A file the user keeps in CRLF gets its insertions in CRLF, at the same places.
      const crlf = ours.includes('\r\n') && !/(^|[^\r])\n/.test(ours);
      const inserted = insert(crlf ? ours.replaceAll('\r\n', '\n') : ours);
      if (inserted === undefined) return outcome;
      return { path: outcome.path, kind: 'merged', text: crlf ? inserted.replaceAll('\n', '\r\n') : inserted };
    });
  }

  /**
   * Keeps what the generator wrote as git objects (when the project is in a
   * repository), the next update's base. A help, never a need: the manifest
   * and a rendering of the recorded answers serve runs of the same version,
   * so a repository that cannot take them only costs a later update questions.
   */
  protected recordBase(): void {
    if (!this.gitAllowed || this.dryRun || this.rendered === undefined || this.report?.changed.length === 0) return;
    try {
      recordBase(this.root, new Map([...this.rendered].map(([file, generated]) => [file, generated.text])));
    } catch (error) {
      this.log(`Could not keep the generated files as git objects (${(error as Error).message.split('\n')[0]}); a later update may ask about more files.`);
    }
  }

  /** Each conflict's fate: markers (update), the generator's (--force), or the user's choice in a terminal. */
  async #resolveConflicts(outcomes: readonly FileOutcome[]): Promise<Map<string, Resolution>> {
    const conflicts = outcomes.filter((o): o is Extract<FileOutcome, { kind: 'conflict' }> => o.kind === 'conflict');
    const resolutions = new Map<string, Resolution>();
    if (conflicts.length === 0) return resolutions;
    if (this.conflictMode === 'markers' || this.dryRun) {
      for (const conflict of conflicts) resolutions.set(conflict.path, 'markers');
      return resolutions;
    }
    if (this.force) {
      for (const conflict of conflicts) resolutions.set(conflict.path, 'theirs');
      return resolutions;
    }
    if (!this.canPrompt()) {
      throw new UsageError(
        'These files differ from what the generator would write, and no terminal is attached to ask:\n' +
          conflicts.map((conflict) => `  ${showPath(conflict.path)}`).join('\n') +
          '\nNothing was written.',
        'Run again in a terminal to review each change, or pass --force to overwrite them.',
      );
    }
    for (const conflict of conflicts) {
      for (;;) {
        const { choice } = await this.prompt<{ choice: Resolution | 'diff' | 'stop' }>({
          type: 'select',
          name: 'choice',
          message: `${showPath(conflict.path)}: your changes and the generator's overlap. What should it hold?`,
          choices: [
            { value: 'markers', name: 'Both, with conflict markers to resolve by hand' },
            { value: 'ours', name: "Mine where they overlap (the generator's other changes still go in)" },
            { value: 'theirs', name: "The generator's where they overlap (my other changes stay)" },
            { value: 'diff', name: 'Show the conflicts' },
            { value: 'stop', name: 'Stop and write nothing' },
          ],
        } as never);
        if (choice === 'diff') {
          this.log(showText(conflict.text));
          continue;
        }
        if (choice === 'stop') throw new UsageError('Stopped at your request: nothing was written.');
        resolutions.set(conflict.path, choice);
        break;
      }
    }
    return resolutions;
  }

  /** A read-only file is changed only when asked: refused without a terminal unless --force. */
  async #confirmReadOnly(plan: PlanEntry[]): Promise<void> {
    const locked = plan.filter((entry) => entry.readOnly);
    if (locked.length === 0 || this.force) return;
    if (!this.canPrompt()) {
      throw new UsageError(
        'These files differ from what the generator would write, and no terminal is attached to ask:\n' +
          locked.map((entry) => `  ${showPath(entry.relative)} (read-only)`).join('\n') +
          '\nNothing was written.',
        'Run again in a terminal to review each change, or pass --force to overwrite them.',
      );
    }
    for (const entry of locked) {
      for (;;) {
        const { choice } = await this.prompt<{ choice: string }>({
          type: 'select',
          name: 'choice',
          message: `${showPath(entry.relative)} is read-only. ${entry.action === 'delete' ? 'Remove' : 'Overwrite'} it?`,
          choices: [
            { value: 'yes', name: entry.action === 'delete' ? 'Remove it' : 'Overwrite it' },
            { value: 'diff', name: 'Show the differences' },
            { value: 'stop', name: 'Stop and write nothing' },
          ],
        } as never);
        if (choice === 'diff') {
          this.log(showText(createTwoFilesPatch(entry.relative, entry.relative, entry.before?.toString('utf8') ?? '', entry.contents.toString('utf8'), 'yours', 'generated')));
          continue;
        }
        if (choice === 'stop') throw new UsageError('Stopped at your request: nothing was written.');
        break;
      }
    }
  }

  #logChanges(outcomes: readonly FileOutcome[], plan: readonly PlanEntry[], resolutions: ReadonlyMap<string, Resolution>): void {
    const kinds = new Map(outcomes.map((o) => [o.path, o]));
    const shown = (entry: PlanEntry) => showPath(path.relative(this.env.cwd, entry.absolute) || entry.relative);
    for (const entry of plan) {
      if (entry.action === 'identical') continue;
      const outcome = kinds.get(entry.relative.split(path.sep).join('/'));
      const label =
        entry.action === 'delete'
          ? 'delete'
          : outcome?.kind === 'merged'
            ? 'merge'
            : outcome?.kind === 'conflict' && resolutions.get(outcome.path) === 'markers'
              ? 'conflict'
              : entry.action;
      this.log(`  ${label.padEnd(9)}${shown(entry)}`);
    }
    for (const outcome of outcomes) {
      if (outcome.kind === 'orphaned') this.log(`  ${'kept'.padEnd(9)}${showPath(outcome.path)} (no longer generated; you changed it)`);
      if (outcome.kind === 'deleted-by-user' && outcome.report) this.log(`  ${'skipped'.padEnd(9)}${showPath(outcome.path)} (you deleted it; the generator's version changed)`);
    }
  }
}

/** A file's text for a terminal: lines kept, every other control or invisible character escaped. */
function showText(text: string): string {
  return text.split('\n').map((line) => showPath(line.replace(/\r$/, ''))).join('\n');
}

function modeOf(outcome: FileOutcome): { mode?: number } {
  return 'mode' in outcome && outcome.mode !== undefined ? { mode: outcome.mode } : {};
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A package's `__init__.py` the generator no longer writes stays while its
 * folder keeps other files (the user's, or ones kept because the user changed
 * them): removing it would leave them in a folder Python no longer imports.
 */
function keepPackagesWithFiles(outcomes: FileOutcome[], root: string): FileOutcome[] {
  const leaving = new Set(outcomes.filter((o) => o.kind === 'delete').map((o) => o.path));
  return outcomes.map((outcome) => {
    if (outcome.kind !== 'delete' || path.posix.basename(outcome.path) !== '__init__.py') return outcome;
    const folder = path.posix.dirname(outcome.path);
    let staying: string[];
    try {
      staying = fs.readdirSync(path.join(root, ...folder.split('/'))).filter((name) => !leaving.has(`${folder}/${name}`) && name !== '__pycache__');
    } catch {
      staying = [];
    }
    return staying.length > 0 ? { path: outcome.path, kind: 'orphaned' } : outcome;
  });
}

/** Of the files `listed` as conflicted, those that still hold conflict markers (read as any project file: no links, no devices). */
function unresolved(root: string, listed: readonly string[]): string[] {
  return listed.filter((file) => {
    const native = file.split('/').join(path.sep);
    checkPath(root, native);
    const bytes = readRegularFile(path.join(root, native), file);
    return bytes !== undefined && hasConflictMarkers(bytes.toString('utf8'));
  });
}

