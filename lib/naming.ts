/**
 * Names a generated project is made of, and the rules every answer must meet.
 * A rule returns the problem as a phrase that reads after the value (`is a
 * Python keyword`), or undefined; the caller says where the value came from.
 */
import { DEPENDENCY_MODULES } from './dependency-modules.js';
import { STDLIB_MODULES } from './stdlib-modules.js';

export type Problem = string | undefined;

/**
 * Longest accepted answers. Every written path stays far below the common
 * 255-byte name and 4096-byte path limits, and every generated line that
 * holds a name fits ruff's 88 columns.
 */
export const LIMITS = {
  distName: 60,
  packageName: 40,
  sliceName: 32,
  description: 200,
  authorName: 100,
  authorEmail: 100,
} as const;

// Python's hard keywords (`keyword.kwlist` on 3.10 to 3.12): none can be an
// import package or a module name.
const PYTHON_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break',
  'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for',
  'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not',
  'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/** Top-level modules and folders every generated project has beside its package. */
const PROJECT_TOP_LEVEL = new Set(['tests', 'examples', 'conftest', 'noxfile', 'docs']);

/**
 * Modules every project may have under its package, tests and examples
 * (`demo/`, `tests/contract/`, `examples/pipeline.py`): a package of one of
 * these names would be confused with them.
 */
const PROJECT_MODULES = new Set(['contract', 'demo', 'pipeline']);

/**
 * Names Windows reserves for devices, with any extension: a file or folder
 * called `con.py` or `lpt1/` cannot be checked out there.
 */
const WINDOWS_DEVICES = new Set(['con', 'prn', 'aux', 'nul', ...[...'0123456789'].flatMap((d) => [`com${d}`, `lpt${d}`])]);

/** Modules inside the package, tests and examples that a slice name would collide with. */
const RESERVED_SLICE_NAMES = new Map([
  ['bytewax', 'examples/bytewax.py would shadow Bytewax when an example runs as a script'],
  ['package', 'tests/test_package.py already tests the package itself'],
  ['contract', 'tests/contract/ holds the contract kit'],
  ['demo', 'the package keeps its demo backends in demo/'],
  ['tests', 'tests/ is the test package'],
  ['examples', 'examples/ is the examples package'],
  ['conftest', 'pytest would load it as a plugin'],
  ['pipeline', 'examples/pipeline.py is the source-to-sink example'],
]);

// PEP 508 names: ASCII letters and digits, with `.`, `_`, `-` inside.
const DIST_NAME = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/i;
const PACKAGE_NAME = /^[a-z_][a-z0-9_]*$/;
const SLICE_NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/** PEP 503 normal form: lower case, runs of `-`, `_`, `.` become one `-`. */
export function normalizeDistName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** The distribution name offered for a project directory: `acme` gives `bytewax-acme`. */
export function defaultDistName(directoryName: string): string {
  const base = normalizeDistName(directoryName.replace(/[^A-Za-z0-9._-]+/g, '-')).replace(/^-+|-+$/g, '');
  const name = base === '' || base === 'bytewax' ? 'bytewax-connector' : base.startsWith('bytewax-') ? base : `bytewax-${base}`;
  // Short enough that the import package derived from it is valid too.
  return name.slice(0, LIMITS.packageName).replace(/-+$/, '');
}

/** The import package for a distribution: `bytewax-acme-feed` gives `bytewax_acme_feed`. */
export function packageFromDistName(distName: string): string {
  const name = normalizeDistName(distName).replace(/[-.]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/**
 * Class name stem of a slice, in PEP 8 CapWords: each `_`-separated part with
 * its first letter upper-cased (`sensor_log` → `SensorLog`, `queue_1` →
 * `Queue1`, `s3_bucket` → `S3Bucket`).
 */
export function classStem(sliceName: string): string {
  return sliceName
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function tooLong(value: string, max: number): Problem {
  const length = [...value].length;
  return length > max ? `is ${length} characters long; at most ${max} are accepted` : undefined;
}

export function distNameProblem(name: string): Problem {
  if (!DIST_NAME.test(name)) {
    return 'is not a valid distribution name: use ASCII letters and digits, with ".", "_" or "-" only between them (PEP 508)';
  }
  if (normalizeDistName(name) === 'bytewax') return 'is taken by Bytewax itself: choose another name, e.g. "bytewax-acme"';
  return tooLong(name, LIMITS.distName);
}

export function packageNameProblem(name: string): Problem {
  if (!PACKAGE_NAME.test(name)) {
    return 'is not a valid import package: use lower-case letters, digits and "_", not starting with a digit';
  }
  if (!/[a-z]/.test(name)) return 'has no letter: an import package needs a name to read';
  if (/^__|__$/.test(name)) return 'starts or ends with "__", which Python reserves for its own names';
  if (PYTHON_KEYWORDS.has(name)) return 'is a Python keyword and cannot be imported';
  if (STDLIB_MODULES.has(name)) return `would shadow the standard library module ${name}`;
  if (DEPENDENCY_MODULES.has(name)) return `would shadow ${name}, which the project depends on`;
  if (PROJECT_TOP_LEVEL.has(name)) return `is a top-level folder every project has (${name}/)`;
  if (PROJECT_MODULES.has(name)) return `is the name of a module every project may have (${name}), so imports would be ambiguous`;
  if (WINDOWS_DEVICES.has(name)) return 'is a device name on Windows, where a folder of that name cannot be checked out';
  return tooLong(name, LIMITS.packageName);
}

/** What a new slice's name must not collide with in its project. */
export interface SliceNameContext {
  packageName?: string | undefined;
  /** Sources and sinks the project already has. */
  taken?: ReadonlyArray<{ name: string; kind: string }>;
  /** The files a slice of that name would write that exist already. */
  existingFiles?: (name: string) => string[];
}

export function sliceNameProblem(name: string, context: SliceNameContext = {}): Problem {
  if (!SLICE_NAME.test(name)) {
    return (
      'is not a valid name: use snake_case, lower-case letters and digits separated by single "_", ' +
      'starting with a letter (e.g. "orders", "sensor_log")'
    );
  }
  const length = tooLong(name, LIMITS.sliceName);
  if (length) return length;
  if (PYTHON_KEYWORDS.has(name)) return 'is a Python keyword and cannot name a module';
  const reserved = RESERVED_SLICE_NAMES.get(name);
  if (reserved) return `is reserved: ${reserved}`;
  if (STDLIB_MODULES.has(name)) return `would shadow the standard library module ${name} when an example runs as a script`;
  if (DEPENDENCY_MODULES.has(name)) return `would shadow ${name}, which the project depends on, when an example runs as a script`;
  if (WINDOWS_DEVICES.has(name)) return `is a device name on Windows, where a file called ${name}.py cannot be checked out`;
  if (name === context.packageName) return 'is the name of the package itself';
  for (const other of context.taken ?? []) {
    if (other.name === name) return `is already used by the ${other.kind} "${other.name}"`;
    if (classStem(other.name) === classStem(name)) {
      return `gives the class names ${classStem(name)}…, already used by the ${other.kind} "${other.name}"`;
    }
  }
  const existing = context.existingFiles?.(name) ?? [];
  if (existing.length > 0) return `would overwrite ${existing.join(', ')}: choose another name or move those files`;
  return undefined;
}

// Characters a one-line text answer may not hold: controls (tabs and newlines
// included), line and paragraph separators, lone surrogates, unassigned code
// points, and invisible format characters such as bidi overrides. Zero-width
// joiners stay allowed: emoji sequences and some scripts need them.
const FORBIDDEN_IN_TEXT = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\p{Cn}]|(?![\u200c\u200d])\p{Cf}/u;

// What renders as nothing on its own: white space, combining marks and the
// fillers and blanks of Hangul and Braille (U+115F, U+1160, U+3164, U+FFA0, U+2800).
const NOTHING_VISIBLE = /^[\p{White_Space}\p{M}\u115f\u1160\u3164\uffa0\u2800\u200c\u200d]*$/u;

/** A one-line free-text answer (description, author name), already trimmed. */
export function textProblem(value: string, max: number): Problem {
  if (value === '') return 'is empty';
  if (NOTHING_VISIBLE.test(value)) return 'has no visible character: use one line of visible text';
  const bad = FORBIDDEN_IN_TEXT.exec(value);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `contains the control or invisible character U+${code}: use one line of visible text`;
  }
  return tooLong(value, max);
}

export function descriptionProblem(value: string): Problem {
  if (value.includes('<!--') || value.includes('-->')) return 'contains an HTML comment marker ("<!--" or "-->")';
  return textProblem(value, LIMITS.description);
}

// The addr-spec subset that Python's email.headerregistry.Address (which
// hatchling uses to write Author-email) and PyPI accept: an ASCII dot-atom local
// part, and a domain of letter-digit-hyphen labels with a letter-only TLD.
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const EMAIL = new RegExp(`^${ATOM}(?:\\.${ATOM})*@(?:${LABEL}\\.)+[A-Za-z]{2,63}$`);

/** An author email (empty means none), already trimmed. */
export function emailProblem(value: string): Problem {
  if (value === '') return undefined;
  if (!EMAIL.test(value)) {
    return 'is not an email address the package metadata accepts: use name@domain.tld in ASCII, or leave it empty for none';
  }
  return tooLong(value, LIMITS.authorEmail);
}
