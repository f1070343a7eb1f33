/**
 * What earlier versions of the generator wrote that this one can recognise
 * without their templates. Every 0.1.0 build copied the contract kit's
 * modules into tests/contract/ as they were (no template tags): a file there
 * holding one of these contents (git blob ids of every version of those
 * templates in this repository's history) is untouched generator output, so
 * an update takes the new kit for it even where no base was recorded (a
 * module a later slice added, a shallow clone).
 */
export const KNOWN_0_1_0_KIT: Readonly<Record<string, readonly string[]>> = {
  'tests/contract/__init__.py': [
    '62cc5718d955432affd35d55b907219d283a9cfe',
    'ba931cb488aa67a707939a5012657e2e2c06b21e',
  ],
  'tests/contract/common.py': [
    '2aaceaa6790ef6c3541c366f549b4fd847d4117e',
    'e33c1b8159490c72c4fdd0f3f090718ea8550f8d',
  ],
  'tests/contract/partitioned.py': [
    'c42a673e3baab516fa5c33bfcb3eea9640323adc',
  ],
  'tests/contract/dynamic.py': [
    'fd787b9cddbaf4886da558cc71dc3483c8be8ae3',
  ],
  'tests/contract/sink_common.py': [
    '0e6e9ae4538a2fc5d92c2c232107273f85cc5cdb',
    '669c477043ee3135d2a581022bbc4981ca4e26f7',
    'ba4441049e6409087c511ba55dc24d1fc05e1be5',
  ],
  'tests/contract/sink_dynamic.py': [
    '7cbcef4778502adb3a4d4c08ed30f529852e2ffb',
    'c1ee3f2a9f0dd87969460beed100d954cf692a77',
    'ce629b165a7548972ad07801e89d726fa8a42cbd',
  ],
  'tests/contract/sink_partitioned.py': [
    '39c96a55a1649fc13ef69d7490d253ba961f1f6d',
    '684c9170db181d4292787c8bce7c26e495117b5a',
    '726a0c4f4bcefe70928ef37d17212ac9c966ec1c',
  ],
};

/** Paths an earlier version generated that this one no longer does: an update removes them when untouched. */
export const FORMERLY_GENERATED: readonly string[] = [];
