// Compiles the TypeScript into dist/, copies the project model's templates
// beside its compiled modules (dist/lib/project/**/templates, where the
// renderer reads them) and the contract kit into dist/kit, then bundles the
// runner into one file: loading yeoman-environment's ~900 modules one by one
// is most of a run's start-up time.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
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
const isFolder = (file) => statSync(file).isDirectory();
cpSync(path.join(root, 'lib', 'project'), path.join(dist, 'lib', 'project'), {
  recursive: true,
  filter: (file) => isFolder(file) || file.endsWith('.ejs'),
});
// The contract kit's Python modules, copied as they are into every project that needs them.
cpSync(path.join(root, 'kit', 'src', 'bytewax_connector_kit'), path.join(dist, 'kit'), { recursive: true, filter: (file) => !file.includes('__pycache__') });

// Modules the runner bundles but never uses on its path, replaced by stubs
// that fail if called: their top-level code would otherwise be parsed and run
// at every start. fly-import installs generators from npm at run time (through
// @npmcli/arborist, hundreds of modules); execa and simple-git back yeoman's
// spawnCommand and git helpers (the generators use neither: lib/git.ts and
// lib/install.ts spawn by themselves); latest-version backs yeoman's
// addDependencies; the editor prompt brings iconv-lite and chardet.
const STUBS = {
  'fly-import':
    'export class FlyRepository { constructor() {} }\n' +
    'export async function flyImport(name) { throw new Error(`installing ${name} at run time is not supported by this runner`); }\n',
  execa: ['execa', 'execaSync', 'execaCommand', 'execaCommandSync'].map((name) => `export function ${name}() { throw new Error('${name} is not available in this runner'); }\n`).join(''),
  'simple-git': "export const CheckRepoActions = {};\nexport const CleanOptions = {};\nexport function simpleGit() { throw new Error('simple-git is not available in this runner'); }\n",
  'latest-version': "export default async function latestVersion() { throw new Error('latest-version is not available in this runner'); }\n",
  '@inquirer/editor': "export default function editor() { throw new Error('the editor prompt is not available in this runner'); }\n",
};
const unusedModules = {
  name: 'unused-modules',
  setup(esbuild) {
    const filter = new RegExp(`^(${Object.keys(STUBS).map((name) => name.replace(/[/]/g, '\\/')).join('|')})$`);
    esbuild.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'stub' }));
    esbuild.onLoad({ filter: /.*/, namespace: 'stub' }, (args) => ({ contents: STUBS[args.path], loader: 'js' }));
  },
};
// yeoman-generator puts all of lodash on every generator as `this._`, which
// keeps 380 KB of it in the bundle; nothing here uses it.
const LODASH_FIELD = /^ {4}_ = _;$/m;
function dropLodashField(file, text) {
  if (!/[\\/]yeoman-generator[\\/]dist[\\/]generator\.js$/.test(file)) return text;
  if (!LODASH_FIELD.test(text)) throw new Error('yeoman-generator no longer sets `_ = _;`: update scripts/build.mjs');
  return text.replace(LODASH_FIELD, '    _ = undefined;');
}
// Bundled modules that read files beside themselves through import.meta.url
// (yeoman-environment its package.json, for one) get a path under
// dist/vendor/<package>/ instead of the bundle's own, and their package.json
// is copied there: the runner's bundled packages need not be installed.
const vendored = new Map();
const vendorModuleUrls = {
  name: 'vendor-module-urls',
  setup(esbuild) {
    esbuild.onLoad({ filter: /[\\/]node_modules[\\/].*\.m?js$/ }, async (args) => {
      const text = dropLodashField(args.path, await readFile(args.path, 'utf8'));
      if (!text.includes('import.meta.url')) return undefined;
      const [before, after] = splitAtLastNodeModules(args.path);
      const parts = after.split(/[\\/]/);
      const nameLength = parts[0].startsWith('@') ? 2 : 1;
      const name = parts.slice(0, nameLength).join('/');
      vendored.set(name, path.join(before, 'node_modules', ...parts.slice(0, nameLength), 'package.json'));
      const url = `new URL(${JSON.stringify(`./vendor/${parts.join('/')}`)}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};
function splitAtLastNodeModules(file) {
  const at = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  return [file.slice(0, at), file.slice(at + `${path.sep}node_modules${path.sep}`.length)];
}
await build({
  entryPoints: [path.join(dist, 'bin', 'cli.js')],
  outfile: path.join(dist, 'runner.cjs'),
  bundle: true,
  platform: 'node',
  // CommonJS, so that the bin can compile it as one script with V8's code
  // cache (bin/loader.ts); its modules' import.meta.url is the bundle's URL.
  format: 'cjs',
  target: 'node20',
  plugins: [unusedModules, vendorModuleUrls],
  // Strict, as the ES modules it is made of were; and the bundle's own paths
  // under names no bundled module can redeclare (one declares `var __filename`).
  banner: {
    js: [
      '"use strict";',
      'const __bundleFilename = __filename;',
      'const __bundleDirname = __dirname;',
      "const __bundleUrl = require('node:url').pathToFileURL(__bundleFilename).href;",
    ].join('\n'),
  },
  define: { 'import.meta.url': '__bundleUrl', __filename: '__bundleFilename', __dirname: '__bundleDirname' },
  logLevel: 'warning',
});
for (const [name, manifest] of vendored) {
  mkdirSync(path.join(dist, 'vendor', name), { recursive: true });
  cpSync(manifest, path.join(dist, 'vendor', name, 'package.json'));
}
// The bin is bin/loader.ts as compiled; dist/bin/ keeps the runner unbundled for the tests (not shipped).
cpSync(path.join(dist, 'bin', 'loader.js'), path.join(dist, 'cli.js'));
chmodSync(path.join(dist, 'cli.js'), 0o755);
