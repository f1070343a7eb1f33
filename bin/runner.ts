/**
 * The runner behind `npx generator-bytewax-connector [generator] [args]`: runs
 * this package's generators with yeoman-environment directly, so it needs no
 * global `yo` and works as root and in CI. Its `--help` lists the generator's
 * own options (from its answers table), never yeoman's internals.
 * `bin/cli.ts` calls it for the process; tests call it in-process (built as
 * dist/bin/runner.js, which the package does not ship).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { TerminalAdapter } from '@yeoman/adapter';
import { Command, Option } from 'commander';
import { createEnv } from 'yeoman-environment';
import { isUsageError } from '../lib/errors.js';
import { type GeneratorName, refuseGeneratorTypo } from '../lib/generator-names.js';
import { releaseProjectLocks } from '../lib/lock.js';
import { runExitCode } from '../lib/run/base.js';
import { shellWord } from '../lib/shell.js';
import AppGenerator from '../generators/app/index.js';
import UpdateGenerator from '../generators/update/index.js';
import CiGenerator from '../generators/ci/index.js';
import DocsGenerator from '../generators/docs/index.js';
import DynamicGenerator from '../generators/dynamic/index.js';
import PartitionedGenerator from '../generators/partitioned/index.js';
import SinkGenerator from '../generators/sink/index.js';

/** What `--help` says of a generator: one line, and examples to copy. */
export interface GeneratorHelp {
  readonly summary: string;
  readonly examples: readonly string[];
}

export const GENERATORS = {
  app: AppGenerator,
  partitioned: PartitionedGenerator,
  dynamic: DynamicGenerator,
  sink: SinkGenerator,
  ci: CiGenerator,
  docs: DocsGenerator,
  update: UpdateGenerator,
} as const satisfies Record<GeneratorName, { help: GeneratorHelp }>;

export interface RunnerIo {
  cwd: string;
  /** The built package's `dist/`, where each generator's templates are. */
  distDir: string;
  /** How the user ran this program, for the commands the generators suggest. */
  invokedAs?: string;
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
}

interface OptionSpec {
  type: unknown;
  alias?: string;
  description?: string;
  hide?: boolean;
}

/** A commander command with the generator's own arguments and options, in their declared order. */
function commandFor(name: GeneratorName, invokedAs: string, declared: { _arguments: Array<{ name: string; description?: string }>; _options: Record<string, OptionSpec> }): Command {
  const { help } = GENERATORS[name];
  const command = new Command(name === 'app' ? invokedAs : `${invokedAs} ${name}`)
    .description(help.summary)
    .helpOption('-h, --help', 'Show this help')
    .allowExcessArguments(false)
    .exitOverride();
  for (const argument of declared._arguments) command.argument(`[${argument.name}]`, argument.description);
  for (const [flag, spec] of Object.entries(declared._options)) {
    if (flag === 'help' || spec.hide) continue;
    const short = spec.alias ? `-${spec.alias}, ` : '';
    if (spec.type === Boolean) {
      command.addOption(new Option(`${short}--${flag}`, spec.description));
      command.addOption(new Option(`--no-${flag}`).hideHelp());
    } else {
      command.addOption(new Option(`${short}--${flag} <value>`, spec.description));
    }
  }
  const examples = help.examples.map((example) => `  ${command.name()} ${example}`.trimEnd()).join('\n');
  command.addHelpText('after', `\nExamples:\n${examples}\n\nOther generators: ${Object.keys(GENERATORS).filter((g) => g !== name).join(', ')} (\`${invokedAs} <generator> --help\`).`);
  return command;
}

function packageVersion(distDir: string): string {
  return (JSON.parse(fs.readFileSync(path.join(distDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The generator a command line names. An unknown first word that is close to
 * a generator's name is a typo, never the name of a new project's directory.
 */
function chooseGenerator(args: string[], cwd: string, invokedAs: string): GeneratorName {
  const first = args[0];
  if (first === undefined || first.startsWith('-')) return 'app';
  if (first in GENERATORS) {
    args.shift();
    return first as GeneratorName;
  }
  refuseGeneratorTypo(first, cwd, `${invokedAs} ${shellWord(`./${first}`)}`);
  return 'app';
}

/** Runs one command line; resolves to the exit status. */
export async function runCli(argv: string[], io: RunnerIo): Promise<number> {
  const invokedAs = io.invokedAs ?? 'generator-bytewax-connector';
  const args = [...argv];
  try {
    if (args[0] === '--version' || args[0] === '-V') {
      io.stdout.write(`${packageVersion(io.distDir)}\n`);
      return 0;
    }
    const chosen = chooseGenerator(args, io.cwd, invokedAs);
    const adapter = new TerminalAdapter({
      stdin: (io.stdin ?? process.stdin) as NodeJS.ReadStream,
      stdout: io.stdout as NodeJS.WriteStream,
      stderr: io.stderr as NodeJS.WriteStream,
    });
    const env = createEnv({ cwd: io.cwd, adapter });
    for (const [name, generator] of Object.entries(GENERATORS)) {
      env.register(generator as never, {
        namespace: `bytewax-connector:${name}`,
        resolved: path.join(io.distDir, 'generators', name, 'index.js'),
      });
    }
    const meta = env.getGeneratorMeta(`bytewax-connector:${chosen}`)!;
    const command = commandFor(chosen, invokedAs, (await meta.instantiateHelp()) as never);
    command.configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
    let status = 0;
    command.action(async function (this: Command) {
      const options = { ...this.opts(), invokedAs };
      // Arguments only, after `--`: yeoman parses what it is given again, and
      // would read a directory named `-foo` as flags.
      const instance = await meta.instantiate(['--', ...this.args], options);
      await env.runGenerator(instance);
      status = runExitCode(env);
    });
    try {
      await command.parseAsync(args, { from: 'user' });
    } finally {
      releaseProjectLocks();
    }
    return status;
  } catch (error) {
    const commander = error as { code?: string; exitCode?: number };
    if (commander.code?.startsWith('commander.')) return commander.exitCode ?? 1;
    // Ctrl-C at a question: every question comes before the first write.
    if ((error as Error | undefined)?.name === 'ExitPromptError') {
      io.stderr.write('\nCancelled: nothing was written.\n');
      return 130;
    }
    if (isUsageError(error)) io.stderr.write(`error: ${error.message}\n`);
    else io.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
