/**
 * fast-check arbitraries for the answers a user can give: valid ones (names
 * with digits and underscores, long ones, names next to keywords and standard
 * library modules, any printable Unicode in free text) and invalid ones.
 */
import fc from 'fast-check';
import {
  LIMITS,
  classStem,
  descriptionProblem,
  distNameProblem,
  emailProblem,
  packageFromDistName,
  packageNameProblem,
  sliceNameProblem,
  textProblem,
} from '../../lib/naming.js';

const LOWER = [...'abcdefghijklmnopqrstuvwxyz'];
const DIGITS = [...'0123456789'];
/** Names valid ones sit next to: keywords, standard library modules, the project's own. */
const NEIGHBOURS = ['class', 'async', 'match', 'type', 'json', 'typing', 'queue', 'asyncio', 'test', 'tests', 'bytewax', 'demo', 'package', 'contract', 'examples', 'pytest', 'init', 'main', 'source', 'sink'];

const word = fc.string({ unit: fc.constantFrom(...LOWER, ...DIGITS), minLength: 1, maxLength: 9 });
const letterWord = fc.tuple(fc.constantFrom(...LOWER), fc.string({ unit: fc.constantFrom(...LOWER, ...DIGITS), maxLength: 8 })).map(([a, b]) => a + b);

/** snake_case slice names up to the limit, digits included, some beside reserved words. */
export const sliceName: fc.Arbitrary<string> = fc
  .oneof(
    fc.tuple(letterWord, fc.array(word, { maxLength: 5 })).map(([first, rest]) => [first, ...rest].join('_')),
    fc.tuple(fc.constantFrom(...NEIGHBOURS), fc.constantFrom('_1', '2', 's', '_x', '_log', '_v2')).map(([n, s]) => n + s),
    fc.tuple(fc.constantFrom(...NEIGHBOURS), fc.constantFrom('my_', 'a_', 'x')).map(([n, p]) => p + n),
    fc.tuple(letterWord, fc.array(word, { minLength: 6, maxLength: 10 })).map(([first, rest]) => [first, ...rest].join('_').slice(0, LIMITS.sliceName).replace(/_+$/, '')),
  )
  .filter((name) => sliceNameProblem(name) === undefined);

/** Import packages: letters, digits, underscores (leading ones too), up to the limit. */
export const packageName: fc.Arbitrary<string> = fc
  .oneof(
    fc.tuple(fc.constantFrom('', '_'), letterWord, fc.array(word, { maxLength: 4 })).map(([u, first, rest]) => u + [first, ...rest].join('_')),
    fc.tuple(fc.constantFrom(...NEIGHBOURS), fc.constantFrom('_', '2', 'x', '_io')).map(([n, s]) => n + s),
    fc.string({ unit: fc.constantFrom(...LOWER, ...DIGITS, '_'), minLength: LIMITS.packageName - 3, maxLength: LIMITS.packageName }).map((s) => `p${s}`.slice(0, LIMITS.packageName)),
  )
  .filter((name) => packageNameProblem(name) === undefined);

/** PEP 508 names, mixed case and separators, up to the limit, whose derived package is valid. */
export const distName: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.string({ unit: fc.constantFrom(...LOWER, ...DIGITS, 'A', 'Z', 'Q'), minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }),
    fc.array(fc.constantFrom('-', '_', '.', '--', '-_'), { minLength: 5, maxLength: 5 }),
  )
  .map(([parts, seps]) => parts.map((p, i) => (i === 0 ? p : seps[i - 1] + p)).join('').slice(0, LIMITS.distName))
  .filter((name) => distNameProblem(name) === undefined);

/** Text from anywhere in Unicode, plus what breaks naive escaping in TOML, Python, Markdown and EJS. */
const TRICKY = ['"', '"""', "'", "'''", '\\', '\\n', '{', '}', '<%', '%>', '$', '`', '#', '*', 'Args:', 'Returns:', 'Note', '—', '…', '\u00a0', '👨‍👩‍👧', '漢字', 'ﬁ', 'é'];
function text(max: number, check: (value: string) => string | undefined): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }) },
    { weight: 2, arbitrary: fc.constantFrom(...TRICKY) },
    { weight: 2, arbitrary: fc.constant(' ') },
  );
  return fc
    .array(piece, { minLength: 1, maxLength: 40 })
    .map((pieces) => [...pieces.join('')].slice(0, max).join('').trim())
    .filter((value) => check(value) === undefined);
}

export const description = text(LIMITS.description, descriptionProblem);
export const authorName = text(LIMITS.authorName, (v) => textProblem(v, LIMITS.authorName));

const ATOM_CHARS = [...LOWER, ...DIGITS, 'A', 'Z', ...'!#$%&\'*+/=?^_`{|}~-'];
export const email: fc.Arbitrary<string> = fc
  .oneof(
    fc.constant(''),
    fc
      .tuple(
        fc.array(fc.string({ unit: fc.constantFrom(...ATOM_CHARS), minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.constantFrom(...LOWER, ...DIGITS), fc.string({ unit: fc.constantFrom(...LOWER, ...DIGITS, '-'), maxLength: 6 }), fc.constantFrom(...LOWER, ...DIGITS)), { minLength: 1, maxLength: 3 }),
        fc.string({ unit: fc.constantFrom(...LOWER, 'X'), minLength: 2, maxLength: 6 }),
      )
      .map(([local, labels, tld]) => `${local.join('.')}@${labels.map(([a, m, z]) => a + m + z).join('.')}.${tld}`),
  )
  .filter((value) => emailProblem(value) === undefined);

export interface SourceAnswer {
  kind: 'partitioned' | 'dynamic';
  name: string;
  client?: 'sync' | 'async';
}

export interface SinkAnswer {
  kind: 'partitioned' | 'dynamic';
  name: string;
}

export interface ValidAnswers {
  distName?: string;
  packageName?: string;
  description?: string;
  authorName: string;
  authorEmail?: string;
  license?: string;
  python?: string;
  ci?: boolean;
  docs?: boolean;
  sources: SourceAnswer[];
  sinks?: SinkAnswer[];
}

const source: fc.Arbitrary<SourceAnswer> = fc.oneof(
  sliceName.map((name) => ({ kind: 'partitioned' as const, name })),
  fc.tuple(sliceName, fc.constantFrom('sync' as const, 'async' as const)).map(([name, client]) => ({ kind: 'dynamic' as const, name, client })),
);

const sink: fc.Arbitrary<SinkAnswer> = fc.tuple(sliceName, fc.constantFrom('partitioned' as const, 'dynamic' as const)).map(([name, kind]) => ({ name, kind }));

/** A whole valid answer set (the project directory supplies the default name when `distName` is absent). */
export const validAnswers: fc.Arbitrary<ValidAnswers> = fc
  .record(
    {
      distName,
      packageName,
      description,
      authorName,
      authorEmail: email,
      license: fc.constantFrom('Apache-2.0', 'MIT', 'BSD-3-Clause', 'Proprietary', 'mit'),
      python: fc.constantFrom('3.10', '3.11', '3.12'),
      ci: fc.boolean(),
      docs: fc.boolean(),
      sources: fc.array(source, { maxLength: 3 }),
      sinks: fc.array(sink, { maxLength: 3 }),
    },
    { requiredKeys: ['authorName', 'sources'] },
  )
  .filter((answers) => {
    const pkg = answers.packageName ?? (answers.distName === undefined ? undefined : packageFromDistName(answers.distName));
    if (pkg !== undefined && packageNameProblem(pkg) !== undefined) return false;
    // Sources and sinks share one namespace.
    const slices = [...answers.sources, ...(answers.sinks ?? [])];
    return slices.every(
      (s, i) =>
        s.name !== pkg &&
        slices.slice(0, i).every((other) => classStem(other.name) !== classStem(s.name)),
    );
  });

/** The command lines that make the project: the app (first source of each kind and first sink as its flags), then slices. */
export function commandLines(directory: string, answers: ValidAnswers): string[][] {
  // --flag=value: a value may start with "-".
  const flag = (name: string, value: string | undefined) => (value === undefined ? [] : [`--${name}=${value}`]);
  const app = [directory, '--yes', '--skip-install', ...flag('author-name', answers.authorName)];
  app.push(
    ...flag('name', answers.distName),
    ...flag('package', answers.packageName),
    ...flag('description', answers.description),
    ...flag('author-email', answers.authorEmail),
    ...flag('license', answers.license),
    ...flag('python', answers.python),
  );
  if (answers.ci !== undefined) app.push(answers.ci ? '--ci' : '--no-ci');
  if (answers.docs !== undefined) app.push(answers.docs ? '--docs' : '--no-docs');
  const later: string[][] = [];
  const firstOf = new Set<string>();
  for (const s of answers.sources) {
    if (!firstOf.has(s.kind)) {
      firstOf.add(s.kind);
      app.push(`--${s.kind}`, s.name, ...(s.client ? ['--client', s.client] : []));
      // --client belongs to the app's --dynamic: one client per command line.
      if (s.kind === 'dynamic') continue;
    } else {
      later.push([s.kind, s.name, '--yes', ...(s.client ? ['--client', s.client] : [])]);
    }
  }
  // The first sink as the app's --sink, the others added later.
  for (const [index, s] of (answers.sinks ?? []).entries()) {
    if (index === 0) app.push('--sink', s.name, '--sink-kind', s.kind);
    else later.push(['sink', s.name, '--kind', s.kind, '--yes']);
  }
  return [app, ...later];
}
