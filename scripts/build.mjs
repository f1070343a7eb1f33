// Compiles the TypeScript into dist/ and copies each generator's templates
// beside its compiled index.js, where yo and the runner look for them.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
for (const name of readdirSync(path.join(root, 'src/generators'))) {
  const templates = path.join(root, 'src/generators', name, 'templates');
  if (existsSync(templates)) cpSync(templates, path.join(root, 'dist/generators', name, 'templates'), { recursive: true });
}
chmodSync(path.join(root, 'dist/cli.js'), 0o755);
