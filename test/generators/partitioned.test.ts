import { describeSourceSlice } from '../helpers/source-slice.js';

describe('partitioned', () => {
  describeSourceSlice('partitioned');
});
