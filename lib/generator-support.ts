import fs from 'node:fs';
import path from 'node:path';
import type Generator from 'yeoman-generator';
import { UsageError } from './errors.js';
import { readOption } from './options.js';

type AnyGenerator = Generator;

/**
 * Whether this run may ask questions. `--yes` never does; otherwise a real
 * terminal or yeoman-test's scripted adapter can answer. Without either an
 * inquirer prompt would fail with ExitPromptError, so callers must instead stop
 * with a message naming the missing flag.
 */
export function canPrompt(generator: AnyGenerator): boolean {
  if (readOption<boolean>(generator.options, 'yes')) return false;
  if (process.stdin.isTTY) return true;
  const adapter = generator.env.adapter as { actualAdapter?: object };
  return 'mockedAnswers' in (adapter.actualAdapter ?? adapter);
}

/**
 * Marks a file this generator deliberately edits (an insertion into a file the
 * user owns) so the conflicter writes it without asking.
 */
export function markDeliberateEdit(generator: AnyGenerator, filePath: string): void {
  const file = generator.env.sharedFs.get(filePath) as { conflicter?: string };
  file.conflicter = 'force';
}

/**
 * Stops a run that would overwrite a file the user changed when nobody can be
 * asked about it. Runs before the commit, so nothing has been written yet; the
 * conflicter's own prompt would otherwise crash part-way through the commit.
 */
export function refuseSilentOverwrites(generator: AnyGenerator): void {
  if (canPrompt(generator) || readOption<boolean>(generator.options, 'force')) return;
  const changed: string[] = [];
  for (const file of generator.env.sharedFs.all() as Array<{
    path: string;
    state?: string;
    contents: Buffer | null;
    conflicter?: string;
  }>) {
    if (file.state !== 'modified' || file.conflicter === 'force' || file.contents === null) continue;
    // Our answers store: yeoman-environment's commit forces it (forceYoFiles).
    if (path.basename(file.path) === '.yo-rc.json') continue;
    if (!fs.existsSync(file.path)) continue;
    if (!fs.readFileSync(file.path).equals(file.contents)) changed.push(file.path);
  }
  if (changed.length > 0) {
    throw new UsageError(
      `These files differ from what the generator would write, and no terminal is attached to ask:\n` +
        changed.map((p) => `  ${p}`).join('\n') +
        '\nNothing was written. Run again in a terminal to review each change, or pass --force to overwrite them.',
    );
  }
}
