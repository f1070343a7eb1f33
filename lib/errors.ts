/**
 * A mistake in what the user asked for (a bad name, a missing answer, the
 * wrong directory). The runner prints only its message and exits with status 1;
 * anything else is a bug and keeps its stack trace.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
