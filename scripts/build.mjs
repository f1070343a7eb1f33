// Compiles the TypeScript into dist/, copies each generator's templates beside
// its compiled index.js (where yo and the runner look for them), then bundles
// the runner into one file: loading yeoman-environment's ~900 modules one by
// one is most of a run's start-up time.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
for (const name of readdirSync(path.join(root, 'generators'))) {
  const templates = path.join(root, 'generators', name, 'templates');
  if (existsSync(templates)) cpSync(templates, path.join(dist, 'generators', name, 'templates'), { recursive: true });
}

// fly-import installs generators from npm at run time (through @npmcli/arborist,
// hundreds of modules); the runner only runs its own generators, so it gets a stub.
const noFlyImport = {
  name: 'no-fly-import',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^fly-import$/ }, () => ({ path: 'fly-import', namespace: 'stub' }));
    esbuild.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents:
        'export class FlyRepository { constructor() {} }\n' +
        'export async function flyImport(name) { throw new Error(`installing ${name} at run time is not supported by this runner`); }\n',
      loader: 'js',
    }));
  },
};
// Bundled modules that read files beside themselves (their package.json) through
// import.meta.url get their original module's URL instead of the bundle's,
// found at run time wherever npm installed the package.
const originalModuleUrls = {
  name: 'original-module-urls',
  setup(esbuild) {
    esbuild.onLoad({ filter: /[\\/]node_modules[\\/].*\.m?js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const parts = args.path.split(/[\\/]node_modules[\\/]/).pop().split(/[\\/]/);
      const nameLength = parts[0].startsWith('@') ? 2 : 1;
      const name = JSON.stringify(parts.slice(0, nameLength).join('/'));
      const subpath = JSON.stringify(parts.slice(nameLength).join('/'));
      return {
        contents: text.replaceAll('import.meta.url', `__bundleModuleUrl(${name}, ${subpath})`),
        loader: 'js',
        resolveDir: path.dirname(args.path),
      };
    });
  },
};
await build({
  entryPoints: [path.join(dist, 'bin', 'cli.js')],
  outfile: path.join(dist, 'cli.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [noFlyImport, originalModuleUrls],
  // CommonJS dependencies inside an ES module bundle still expect these.
  banner: {
    js: [
      "import { createRequire as __bundleRequire } from 'node:module';",
      "import { fileURLToPath as __bundleFileURLToPath } from 'node:url';",
      'const require = __bundleRequire(import.meta.url);',
      'const __bundleFilename = __bundleFileURLToPath(import.meta.url);',
      "const __bundleDirname = __bundleFilename.slice(0, __bundleFilename.lastIndexOf('/'));",
      "import { existsSync as __bundleExists, readFileSync as __bundleRead } from 'node:fs';",
      "import { dirname as __bundleParent, join as __bundleJoin } from 'node:path';",
      "import { pathToFileURL as __bundlePathToFileURL } from 'node:url';",
      'const __bundleModuleUrl = (name, subpath) => {',
      '  try {',
      '    let dir = __bundleParent(require.resolve(name));',
      "    for (;;) {",
      "      const manifest = __bundleJoin(dir, 'package.json');",
      "      if (__bundleExists(manifest) && JSON.parse(__bundleRead(manifest, 'utf8')).name === name) break;",
      '      if (__bundleParent(dir) === dir) throw new Error(name);',
      '      dir = __bundleParent(dir);',
      '    }',
      '    return __bundlePathToFileURL(__bundleJoin(dir, subpath)).href;',
      '  } catch {',
      '    return import.meta.url;',
      '  }',
      '};',
    ].join('\n'),
  },
  define: { __filename: '__bundleFilename', __dirname: '__bundleDirname' },
  logLevel: 'warning',
});
rmSync(path.join(dist, 'bin'), { recursive: true });
chmodSync(path.join(dist, 'cli.js'), 0o755);
