import assert from 'node:assert/strict';
import { type AnswerTable, checkGiven, completeAnswers, questions } from '../../lib/answers.js';
import { packageFromDistName, packageNameProblem } from '../../lib/naming.js';

interface Answers {
  distName: string;
  packageName: string;
  color: 'red' | 'blue';
}

const TABLE: AnswerTable<Answers> = {
  distName: { type: 'string', flag: 'name', label: 'distribution name', description: 'd', prompt: { message: 'Name' }, default: () => ({ value: 'acme' }) },
  packageName: {
    type: 'string',
    flag: 'package',
    label: 'import package',
    description: 'p',
    prompt: { message: 'Package' },
    default: (known) => (known.distName ? { value: packageFromDistName(known.distName), derivedFrom: 'distName' } : undefined),
    check: packageNameProblem,
  },
  color: {
    type: 'string',
    flag: 'color',
    label: 'color',
    description: 'c',
    choices: [{ value: 'red', name: 'Red' }, { value: 'blue', name: 'Blue' }],
    default: () => ({ value: 'red' }),
  },
};

describe('lib/answers', () => {
  it('names the flag and the value given', () => {
    assert.throws(() => checkGiven(TABLE, { packageName: 'json' }), /^UsageError: --package "json" would shadow the standard library module json\.$/);
    assert.throws(() => checkGiven(TABLE, { color: 'green' as 'red' }), /^UsageError: --color "green" is not one of red, blue\.$/);
  });

  it('names the flag a derived default came from, and the flag that would fix it', () => {
    assert.doesNotThrow(() => checkGiven(TABLE, { distName: 'json' }));
    assert.throws(
      () => checkGiven(TABLE, { distName: 'json' }, { derived: true }),
      /^UsageError: --name gives the import package "json", which would shadow the standard library module json\. Give --package, or choose another --name\.$/,
    );
  });

  it('speaks of the answer, not a flag, in a question', () => {
    const question = questions(TABLE, {}).find((q) => q.name === 'packageName')!;
    assert.equal(question.validate!('  json ', {}), 'Import package "json" would shadow the standard library module json.');
    assert.equal(question.validate!('shop', {}), true);
    assert.equal(question.filter!('  shop  '), 'shop');
  });

  it('asks only what was not given, with defaults that see earlier answers', () => {
    const asked = questions(TABLE, { distName: 'acme-feed' });
    assert.deepEqual(asked.map((q) => q.name), ['packageName']);
    assert.equal(asked[0]!.default!({}), 'acme_feed');
  });

  it('fills defaults in order and checks every answer', () => {
    assert.deepEqual(completeAnswers(TABLE, {}, {}), { distName: 'acme', packageName: 'acme', color: 'red' });
    assert.throws(() => completeAnswers(TABLE, { distName: 'json' }, { distName: 'json' }), /--name gives the import package "json"/);
  });

  it('escapes what it echoes: terminal escapes and bidi overrides are shown, not obeyed', () => {
    assert.throws(
      () => checkGiven(TABLE, { packageName: '\u001b[31mred\u202e' }),
      (error: Error) => error.message.startsWith('--package "\\u{1b}[31mred\\u{202e}" is not a valid import package') && !/[\u001b\u202e]/.test(error.message),
    );
  });
});
