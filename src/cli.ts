#!/usr/bin/env node
/**
 * `npx generator-bytewax-connector [generator] [args] [options]`: runs this
 * package's generators with yeoman-environment directly, so it needs no global
 * `yo` and works as root and in CI. Arguments and `--help` come from the
 * generator's own declarations through yeoman-environment's commander command.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const GENERATORS = ['app', 'partitioned', 'dynamic', 'ci'] as const;

const argv = process.argv.slice(2);
const first = argv[0];
const generator = GENERATORS.find((name) => name === first) ?? 'app';
if (generator === first) argv.shift();

try {
  const { createEnv, addEnvironmentOptions } = await import('yeoman-environment');
  const env = createEnv();
  const resolved = path.join(path.dirname(fileURLToPath(import.meta.url)), 'generators', generator, 'index.js');
  const meta = env.register(resolved, { namespace: `bytewax-connector:${generator}` });
  const command = addEnvironmentOptions();
  command
    .name(`generator-bytewax-connector ${generator}`)
    .description(`Run the ${generator} generator (generators: ${GENERATORS.join(', ')}; app is the default)`)
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
