/**
 * The runner behind `npx generator-bytewax-connector [generator] [args]`: runs
 * this package's generators with yeoman-environment directly, so it needs no
 * global `yo` and works as root and in CI. Arguments and `--help` come from
 * each generator's own declarations through yeoman-environment's commander
 * command. `bin/cli.ts` calls it for the process; tests call it in-process.
 */
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { TerminalAdapter } from '@yeoman/adapter';
import { addEnvironmentOptions, createEnv } from 'yeoman-environment';
import { isUsageError } from './errors.js';
import AppGenerator from '../generators/app/index.js';
import CiGenerator from '../generators/ci/index.js';
import DynamicGenerator from '../generators/dynamic/index.js';
import PartitionedGenerator from '../generators/partitioned/index.js';
import SinkGenerator from '../generators/sink/index.js';

export const GENERATORS = {
  app: AppGenerator,
  partitioned: PartitionedGenerator,
  dynamic: DynamicGenerator,
  sink: SinkGenerator,
  ci: CiGenerator,
} as const;
type GeneratorName = keyof typeof GENERATORS;

export interface RunnerIo {
  cwd: string;
  /** The built package's `dist/`, where each generator's templates are. */
  distDir: string;
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** Runs one command line; resolves to the exit status. */
export async function runCli(argv: string[], io: RunnerIo): Promise<number> {
  const args = [...argv];
  const first = args[0] as GeneratorName | undefined;
  const chosen: GeneratorName = first !== undefined && first in GENERATORS ? first : 'app';
  if (chosen === first) args.shift();
  try {
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
    const command = addEnvironmentOptions();
    command
      .name(`generator-bytewax-connector ${chosen}`)
      .description(`Run the ${chosen} generator (generators: ${Object.keys(GENERATORS).join(', ')}; app is the default)`)
      .allowExcessArguments(false)
      .exitOverride()
      .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
    command.registerGenerator(await meta.instantiateHelp());
    command.action(async function (this: typeof command) {
      const instance = await meta.instantiate(this.args, this.opts());
      await env.runGenerator(instance);
    });
    await command.parseAsync(args, { from: 'user' });
    return 0;
  } catch (error) {
    const commander = error as { code?: string; exitCode?: number };
    if (commander.code?.startsWith('commander.')) return commander.exitCode ?? 1;
    if (isUsageError(error)) io.stderr.write(`error: ${error.message}\n`);
    else io.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
