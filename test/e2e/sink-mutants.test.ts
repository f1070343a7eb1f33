/**
 * The mutation catalogue of the generated sinks (the mutants are in
 * sink-mutants.ts; mutants.ts runs them): every mutant must be killed by its
 * sink's generated tests, none may hang, and together they cover the mistake
 * classes of issue #17 that apply to sinks.
 */
import { describeMutationCatalogue } from './mutants.js';
import { SINKS, SINK_MUTANTS, generateSinks } from './sink-mutants.js';

describeMutationCatalogue({
  of: 'sinks',
  packageName: 'bytewax_depot',
  slices: SINKS,
  mutants: SINK_MUTANTS,
  minimum: 60,
  classes: ['falsy-state', 'errors', 'resources', 'noise', 'batch-edges', 'determinism', 'units', 'upstream', 'sinks', 'contract'],
  generate: generateSinks,
});
