/**
 * The mutation catalogue of the generated sources (the mutants are in
 * source-mutants.ts; mutants.ts runs them): every mutant must be killed by
 * its source's generated tests, none may hang, and together they cover the
 * mistake classes of issue #17 that apply to sources.
 */
import { describeMutationCatalogue } from './mutants.js';
import { SOURCES, SOURCE_MUTANTS, generateSources } from './source-mutants.js';

describeMutationCatalogue({
  of: 'sources',
  packageName: 'bytewax_harbor',
  slices: SOURCES,
  mutants: SOURCE_MUTANTS,
  minimum: 100,
  classes: ['falsy-state', 'errors', 'resources', 'noise', 'batch-edges', 'determinism', 'units', 'upstream', 'contract'],
  generate: generateSources,
});
