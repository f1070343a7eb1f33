import assert from 'node:assert/strict';
import { parseProjectState } from '../../../lib/project/config.js';

const VALID = {
  generatorVersion: '0.1.0',
  distName: 'bytewax-shop',
  packageName: 'bytewax_shop',
  description: 'A Bytewax connector.',
  authorName: 'Ada',
  authorEmail: '',
  license: 'MIT',
  python: '3.11',
  installer: 'uv',
  ci: true,
  docs: true,
  sources: [{ name: 'orders', kind: 'partitioned' }, { name: 'ticks', kind: 'dynamic', client: 'async' }],
  sinks: [{ name: 'ledger', kind: 'partitioned' }, { name: 'results', kind: 'dynamic' }],
};

const VALID_WITHOUT_SINKS = { ...VALID, sinks: [] };

const parseProjectConfig = (file: string, data: unknown) => parseProjectState(file, data).config;
const parse = (patch: Record<string, unknown>) => parseProjectConfig('/p/.yo-rc.json', { 'generator-bytewax-connector': { ...VALID, ...patch } });
/** What a project recorded before `createdWith` existed reads as: made by the version it records. */
const read = <T extends object>(config: T) => ({ ...config, createdWith: '0.1.0' });

describe('lib/project/config', () => {
  it('accepts a valid project and keeps it as written', () => {
    assert.deepEqual(parse({}), read(VALID));
    assert.deepEqual(parse({ createdWith: '0.1.0', generatorVersion: '0.2.0' }), { ...VALID, createdWith: '0.1.0', generatorVersion: '0.2.0' });
  });

  it('reads a project written before sinks existed as one without sinks', () => {
    const { sinks: _, ...older } = VALID;
    assert.deepEqual(parseProjectConfig('/p/.yo-rc.json', { 'generator-bytewax-connector': older }), read(VALID_WITHOUT_SINKS));
  });

  it('reads a project recorded before the docs answer existed as one without docs', () => {
    const { docs: _, ...older } = VALID;
    const config = parseProjectConfig('/p/.yo-rc.json', { 'generator-bytewax-connector': older });
    assert.equal(config.docs, false);
    assert.deepEqual(config, read({ ...older, docs: false }));
  });

  it('reads a project recorded before the installer answer existed as one CI installs with pip', () => {
    const { installer: _, ...older } = VALID;
    assert.deepEqual(parseProjectConfig('/p/.yo-rc.json', { 'generator-bytewax-connector': older }), read({ ...older, installer: 'pip' }));
    assert.throws(() => parse({ installer: 'poetry' }), /generator-bytewax-connector\.installer is "poetry", which is not one of uv, pip/);
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a path as package', { packageName: '../../../x' }, /generator-bytewax-connector\.packageName is "\.\.\/\.\.\/\.\.\/x", which is not a valid import package/],
    ['a newline in the package', { packageName: 'shop\n      - run: curl evil' }, /packageName is "shop\\u\{a\}/],
    ['a wrong type', { ci: 'yes' }, /generator-bytewax-connector\.ci is a string \("yes"\), not true or false\./],
    ['a wrong type for docs', { docs: 'no' }, /generator-bytewax-connector\.docs is a string \("no"\), not true or false\./],
    ['a missing field', { distName: undefined }, /generator-bytewax-connector\.distName is missing\./],
    ['an unknown kind', { sources: [{ name: 'x', kind: 'sideways' }] }, /generator-bytewax-connector\.sources\[0\]\.kind has an unknown kind: use one of partitioned, dynamic\./],
    ['a path as source name', { sources: [{ name: '../../escape', kind: 'partitioned' }] }, /sources\[0\]\.name is "\.\.\/\.\.\/escape", which is not a valid name/],
    ['a duplicate source', { sources: [{ name: 'a', kind: 'partitioned' }, { name: 'a', kind: 'partitioned' }] }, /sources\[1\]\.name is "a", which is already used by the partitioned source "a"/],
    ['an unknown client', { sources: [{ name: 'a', kind: 'dynamic', client: 'threads' }] }, /sources\[0\]\.client is "threads", which is not one of sync, async/],
    ['sources that is not a list', { sources: 'orders' }, /generator-bytewax-connector\.sources is a string \("orders"\), not a list\./],
    ['an unknown sink kind', { sinks: [{ name: 'x', kind: 'sideways' }] }, /sinks\[0\]\.kind has an unknown kind: use one of dynamic, partitioned\./],
    ['a manifest path outside the project', { files: { '../x': 'a'.repeat(40) } }, /generator-bytewax-connector\.files\.\.\.\/x is "\.\.\/x", which has a "\.\." segment/],
    ['a manifest entry that is not a blob id', { files: { 'README.md': 'x' } }, /generator-bytewax-connector\.files\.README\.md is not valid/],
    ['a conflict list entry in .git', { conflicts: ['.git/config'] }, /generator-bytewax-connector\.conflicts\[0\] is "\.git\/config", which is inside a \.git folder/],
    ['a creation version that is not one', { createdWith: '../x' }, /generator-bytewax-connector\.createdWith is not valid/],
    ['a GitHub repository that is not owner/name', { repository: 'x y' }, /generator-bytewax-connector\.repository is "x y", which is not a GitHub repository/],
    ['a path as sink name', { sinks: [{ name: '../x', kind: 'dynamic' }] }, /sinks\[0\]\.name is "\.\.\/x", which is not a valid name/],
    ['a sink named like a source', { sinks: [{ name: 'orders', kind: 'dynamic' }] }, /sinks\[0\]\.name is "orders", which is already used by the partitioned source "orders"/],
    ['a duplicate sink', { sinks: [{ name: 'a', kind: 'dynamic' }, { name: 'a', kind: 'partitioned' }] }, /sinks\[1\]\.name is "a", which is already used by the dynamic sink "a"/],
  ];
  it('keeps the manifest and the unresolved conflicts apart from the answers', () => {
    const state = parseProjectState('/p/.yo-rc.json', { 'generator-bytewax-connector': { ...VALID, files: { 'README.md': 'a'.repeat(40) }, conflicts: ['README.md'] } });
    assert.deepEqual(state.files, { 'README.md': 'a'.repeat(40) });
    assert.deepEqual(state.conflicts, ['README.md']);
    assert.deepEqual(state.config, read(VALID));
  });

  for (const [what, patch, message] of cases) {
    it(`refuses ${what}, naming the file and the field`, () => {
      assert.throws(() => parse(patch), (error: Error) => {
        assert.equal(error.name, 'UsageError');
        assert.match(error.message, /^\/p\/\.yo-rc\.json is not a project this generator can work on: /);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});
