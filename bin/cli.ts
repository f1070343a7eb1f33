#!/usr/bin/env node
/**
 * `npx generator-bytewax-connector [generator] [args] [options]`: runs this
 * package's generators with yeoman-environment directly, so it needs no global
 * `yo` and works as root and in CI. Arguments and `--help` come from each
 * generator's own declarations through yeoman-environment's commander command.
 *
 * The build bundles this file with everything it imports into dist/cli.js for
 * start-up time; the generators are registered under the namespaces yo gives
 * them, with their dist/ paths so their templates are found beside them.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addEnvironmentOptions, createEnv } from 'yeoman-environment';
import AppGenerator from '../generators/app/index.js';
import CiGenerator from '../generators/ci/index.js';
import DynamicGenerator from '../generators/dynamic/index.js';
import PartitionedGenerator from '../generators/partitioned/index.js';

const GENERATORS = {
  app: AppGenerator,
  partitioned: PartitionedGenerator,
  dynamic: DynamicGenerator,
  ci: CiGenerator,
} as const;
type GeneratorName = keyof typeof GENERATORS;

const argv = process.argv.slice(2);
const first = argv[0] as GeneratorName | undefined;
const chosen: GeneratorName = first !== undefined && first in GENERATORS ? first : 'app';
if (chosen === first) argv.shift();

try {
  const env = createEnv();
  const distDir = path.dirname(fileURLToPath(import.meta.url));
  for (const [name, generator] of Object.entries(GENERATORS)) {
    env.register(generator as never, {
      namespace: `bytewax-connector:${name}`,
      resolved: path.join(distDir, 'generators', name, 'index.js'),
    });
  }
  const meta = env.getGeneratorMeta(`bytewax-connector:${chosen}`)!;
  const command = addEnvironmentOptions();
  command
    .name(`generator-bytewax-connector ${chosen}`)
    .description(`Run the ${chosen} generator (generators: ${Object.keys(GENERATORS).join(', ')}; app is the default)`)
    .allowExcessArguments(false);
  command.registerGenerator(await meta.instantiateHelp());
  command.action(async function (this: typeof command) {
    const instance = await meta.instantiate(this.args, this.opts());
    await env.runGenerator(instance);
  });
  await command.parseAsync(argv, { from: 'user' });
} catch (error) {
  const failure = error as Error;
  if (failure.name === 'UsageError') {
    process.stderr.write(`Error: ${failure.message}\n`);
  } else {
    process.stderr.write(`${failure.stack ?? String(failure)}\n`);
  }
  process.exitCode = 1;
}
