/** Lines of the generated README that the slices insert their sections above. */
export const SOURCES_MARKER = '<!-- generator-bytewax-connector: sources are added above this line -->';
export const SINKS_MARKER = '<!-- generator-bytewax-connector: sinks are added above this line -->';
export const DOCS_MARKER = '<!-- generator-bytewax-connector: the docs section is added above this line -->';
export const CI_MARKER = '<!-- generator-bytewax-connector: the CI section is added above this line -->';
export const NO_SOURCES_YET =
  '_No sources yet._ Add one with `yo bytewax-connector:partitioned <name>` (a source with ' +
  'partitions it can resume) or `yo bytewax-connector:dynamic <name>` (one stateless reader per worker).';
export const NO_SINKS_YET =
  '_No sinks yet._ Add one with `yo bytewax-connector:sink <name>` (one stateless writer per worker, ' +
  'at-least-once with idempotent upserts) or `yo bytewax-connector:sink <name> --kind partitioned` ' +
  '(resumable partitions, exactly-once).';
