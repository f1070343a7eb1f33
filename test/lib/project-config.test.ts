import assert from 'node:assert/strict';
import { parseProjectConfig } from '../../lib/project-config.js';

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

const parse = (patch: Record<string, unknown>) =>
  parseProjectConfig('/p/.yo-rc.json', { 'generator-bytewax-connector': { ...VALID, ...patch } });

describe('lib/project-config', () => {
  it('accepts a valid project and keeps it as written', () => {
    assert.deepEqual(parse({}), VALID);
  });

  it('reads a project written before sinks existed as one without sinks', () => {
    const { sinks: _, ...older } = VALID;
    assert.deepEqual(parseProjectConfig('/p/.yo-rc.json', { 'generator-bytewax-connector': older }), VALID_WITHOUT_SINKS);
  });

  it('reads a project recorded before the docs answer existed as one without docs', () => {
    const { docs: _, ...older } = VALID;
    const config = parseProjectConfig('/p/.yo-rc.json', { 'generator-bytewax-connector': older });
    assert.equal(config.docs, false);
    assert.deepEqual(config, { ...older, docs: false });
  });

  it('reads a project recorded before the installer answer existed as one CI installs with pip', () => {
    const { installer: _, ...older } = VALID;
    assert.deepEqual(parseProjectConfig('/p/.yo-rc.json', { 'generator-bytewax-connector': older }), { ...older, installer: 'pip' });
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
    ['an unknown sink kind', { sinks: [{ name: 'x', kind: 'sideways' }] }, /sinks\[0\]\.kind is "sideways", which is not one of dynamic, partitioned/],
    ['a path as sink name', { sinks: [{ name: '../x', kind: 'dynamic' }] }, /sinks\[0\]\.name is "\.\.\/x", which is not a valid name/],
    ['a sink named like a source', { sinks: [{ name: 'orders', kind: 'dynamic' }] }, /sinks\[0\]\.name is "orders", which is already used by the partitioned source "orders"/],
    ['a duplicate sink', { sinks: [{ name: 'a', kind: 'dynamic' }, { name: 'a', kind: 'partitioned' }] }, /sinks\[1\]\.name is "a", which is already used by the dynamic sink "a"/],
  ];
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
