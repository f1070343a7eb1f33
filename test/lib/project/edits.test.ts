import assert from 'node:assert/strict';
import { addExports, insertSection, naturalCompare, sortNames } from '../../../lib/project/base/edits.js';

const INIT = ['"""Doc."""', '', 'from importlib.metadata import version', '', '__all__ = [', '    "__version__",', ']', ''].join('\n');

describe('lib/project-edits', () => {
  it('sorts as ruff does: numbers by value, constants then classes then the rest', () => {
    assert.ok(naturalCompare('s9', 's10') < 0);
    assert.ok(naturalCompare('s10', 's9') > 0);
    assert.deepEqual(sortNames(['__version__', 'S10Source', 'S9Source', 'LIMIT', 'helper']), ['LIMIT', 'S9Source', 'S10Source', '__version__', 'helper']);
  });

  it('inserts relative imports in natural order and is idempotent', () => {
    const one = addExports(INIT, 's10', ['S10Source']) as string;
    const two = addExports(one, 's9', ['S9Source']) as string;
    assert.match(two, /from \.s9 import S9Source\nfrom \.s10 import S10Source\n/);
    assert.match(two, /"S9Source",\n {4}"S10Source",\n {4}"__version__"/);
    assert.equal(addExports(two, 's9', ['S9Source']), 'present');
  });

  it('writes a long import in the exploded form and inserts after it', () => {
    const name = 'a_source_name_of_thirty_two_char';
    const stem = 'ASourceNameOfThirtyTwoChar';
    const one = addExports(INIT, name, [`${stem}Partition`, `${stem}Source`]) as string;
    assert.match(one, new RegExp(`from \\.${name} import \\(\\n {4}${stem}Partition,\\n {4}${stem}Source,\\n\\)\\n`));
    const two = addExports(one, 'zeta', ['ZetaSource']) as string;
    assert.match(two, /\n\)\nfrom \.zeta import ZetaSource\n/);
  });

  it('inserts a README section once, at the last marker line, and not at a mention of the marker', () => {
    const marker = '<!-- marker -->';
    const readme = ['# P', '', `Text that quotes ${marker} inline.`, '', '## Sources', '', 'placeholder', marker, ''].join('\n');
    const once = insertSection(readme, '### A\n\nabout a\n', marker, 'placeholder');
    assert.equal(once.atMarker, true);
    assert.match(once.text, /## Sources\n\n### A\n\nabout a\n\n<!-- marker -->/);
    assert.match(once.text, /Text that quotes <!-- marker --> inline\./);
    const twice = insertSection(once.text, '### A\n\nabout a\n', marker, 'placeholder');
    assert.equal(twice.present, true);
    assert.equal(twice.text, once.text);
  });
  it('leaves an __all__ that is more than a list of names to the user', () => {
    for (const all of ['__all__ = [\n    "__version__",\n] + EXTRA', '__all__ = [\n    *codecs.__all__,\n    "__version__",\n]', '__all__ = [  # mine\n    "__version__",\n]']) {
      const init = INIT.replace('__all__ = [\n    "__version__",\n]', all);
      assert.equal(addExports(init, 'orders', ['OrdersSource']), undefined, all);
    }
  });
});
