import { UsageError } from './errors.js';

// Python's hard keywords (`keyword.kwlist` on 3.10 to 3.12): none can be an
// import package or a module name.
const PYTHON_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break',
  'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for',
  'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not',
  'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

// PEP 508 names: ASCII letters and digits, with `.`, `_`, `-` inside.
const DIST_NAME = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/i;
const PACKAGE_NAME = /^[a-z_][a-z0-9_]*$/;
// Source names whose files would collide with files every project has.
const RESERVED_SOURCE_NAMES = new Map([
  ['bytewax', 'examples/bytewax.py would shadow Bytewax when an example runs as a script'],
  ['package', 'tests/test_package.py already tests the package itself'],
  ['demo', 'src/<package>/demo/ holds the demo upstreams of every source'],
]);
const SOURCE_NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/** PEP 503 normal form: lower case, runs of `-`, `_`, `.` become one `-`. */
export function normalizeDistName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** The distribution name offered for a project directory: `acme` gives `bytewax-acme`. */
export function defaultDistName(directoryName: string): string {
  const base = normalizeDistName(directoryName.replace(/[^A-Za-z0-9._-]+/g, '-')).replace(/^-+|-+$/g, '');
  if (base === '' || base === 'bytewax') return 'bytewax-connector';
  return base.startsWith('bytewax-') ? base : `bytewax-${base}`;
}

/** The import package for a distribution: `bytewax-acme-feed` gives `bytewax_acme_feed`. */
export function packageFromDistName(distName: string): string {
  const name = normalizeDistName(distName).replace(/-/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/**
 * Class name stem for a source: each `_`-separated part with its first letter
 * upper-cased, joined (`sensor_log` gives `SensorLog`, `queue_1` gives
 * `Queue1`, `s3_bucket` gives `S3Bucket`).
 */
export function classStem(sourceName: string): string {
  return sourceName
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Throws a UsageError naming the flag and the rule when `name` is not a PEP 508 name. */
export function checkDistName(name: string): string {
  if (!DIST_NAME.test(name)) {
    throw new UsageError(
      `--name "${name}" is not a valid distribution name: use ASCII letters and digits, ` +
        'with ".", "_" or "-" only between them (PEP 508).',
    );
  }
  const normalized = normalizeDistName(name);
  if (normalized === 'bytewax') {
    throw new UsageError('--name "bytewax" is taken by Bytewax itself: choose another name, e.g. "bytewax-acme".');
  }
  return normalized;
}

/** Throws a UsageError when `name` cannot be the project's import package. */
export function checkPackageName(name: string): string {
  if (!PACKAGE_NAME.test(name)) {
    throw new UsageError(
      `--package "${name}" is not a valid import package: use lower-case letters, digits and "_", ` +
        'not starting with a digit.',
    );
  }
  if (PYTHON_KEYWORDS.has(name)) {
    throw new UsageError(`--package "${name}" is a Python keyword and cannot be imported.`);
  }
  if (name === 'bytewax') {
    throw new UsageError('--package "bytewax" would shadow Bytewax itself: choose another name.');
  }
  return name;
}

/** Throws a UsageError when `name` cannot name a source module (`orders`, `sensor_log`). */
export function checkSourceName(name: string, flag: string): string {
  if (!SOURCE_NAME.test(name)) {
    throw new UsageError(
      `${flag} "${name}" is not a valid source name: use snake_case, lower-case letters and digits ` +
        'separated by single "_", starting with a letter (e.g. "orders", "sensor_log").',
    );
  }
  if (PYTHON_KEYWORDS.has(name)) {
    throw new UsageError(`${flag} "${name}" is a Python keyword and cannot name a module.`);
  }
  if (RESERVED_SOURCE_NAMES.has(name)) {
    throw new UsageError(`${flag} "${name}" is reserved: ${RESERVED_SOURCE_NAMES.get(name)}.`);
  }
  return name;
}
