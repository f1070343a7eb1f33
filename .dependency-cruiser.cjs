/**
 * The architecture as rules (test/architecture.test.ts runs them):
 * generators/ (what yo finds) use lib/; lib/ never reaches back up; within
 * lib/, the generic modules know nothing of the project model (lib/project/)
 * or of running generators (lib/run/), and the project model knows nothing of
 * yeoman; and no module imports itself round a cycle.
 */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    { name: 'lib-not-to-generators', severity: 'error', from: { path: '^lib/' }, to: { path: '^generators/' } },
    { name: 'lib-not-to-bin', severity: 'error', from: { path: '^lib/' }, to: { path: '^bin/' } },
    { name: 'generators-not-to-bin', severity: 'error', from: { path: '^generators/' }, to: { path: '^bin/' } },
    { name: 'generic-lib-not-to-the-model', severity: 'error', from: { path: '^lib/[^/]+\\.ts$' }, to: { path: '^lib/(project|run)/' } },
    { name: 'the-model-not-to-runs', severity: 'error', from: { path: '^lib/project/' }, to: { path: '^lib/run/' } },
    { name: 'the-model-without-yeoman', severity: 'error', from: { path: '^lib/project/' }, to: { path: 'yeoman' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
