/**
 * Answers declared once. A generator's answers table holds, for each answer,
 * its flag (or positional argument), type, choices, help text, prompt, default,
 * rule and whether `.yo-rc.json` keeps it; everything else derives from it:
 * the options yeoman registers (and so `--help`), the check of given flags
 * before the first question, the questions themselves, the defaults taken with
 * `--yes`, the final check, and the `.yo-rc.json` schema (see project-config.ts).
 */
import { UsageError, showValue } from './errors.js';
import type { Problem } from './naming.js';

export interface Choice<V extends string = string> {
  readonly value: V;
  /** How a question shows it. */
  readonly name: string;
}

/** A default and where it came from, for messages ("from git config user.name"). */
export interface Default<V> {
  readonly value: V;
  /** The answer it was derived from, when it was. */
  readonly derivedFrom?: string;
  /** Anything else it came from, in words. */
  readonly from?: string;
}

export interface AnswerSpec<V, A> {
  /** `string` answers are trimmed; `boolean` ones are flags with a `--no-` form. */
  readonly type: 'string' | 'boolean';
  /** The answer as a noun, for questions' messages: "import package". */
  readonly label: string;
  /** Help text (`--help`). */
  readonly description: string;
  /** Help text's note on the default, e.g. "bytewax-<directory name>". */
  readonly defaultText?: string;
  /** Kebab-case flag name; absent for a positional argument or a prompt-only answer. */
  readonly flag?: string;
  readonly alias?: string;
  /** Given as the generator's positional argument instead of a flag. */
  readonly argument?: boolean;
  readonly choices?: readonly Choice<V & string>[];
  /** The question; absent when the answer is never asked. */
  readonly prompt?: {
    readonly message: string;
    /** The answer a question offers when it differs from the default taken without one. */
    readonly default?: V;
    /** Asked only when this holds for the answers so far. */
    readonly when?: (known: Partial<A>) => boolean;
  };
  readonly default?: (known: Partial<A>) => Default<V> | undefined;
  /** The run cannot go on without it (when its question would be asked). */
  readonly required?: boolean;
  /** Why there is no default, for the message when a required answer is missing. */
  readonly missing?: string;
  /** How to give it, for that message: "`partitioned orders`". */
  readonly example?: string;
  /** The rule; `known` holds every other answer known at that point. */
  readonly check?: (value: V, known: Partial<A>) => Problem;
  /** The form a valid value is kept in (a PEP 503 name, say). */
  readonly canonical?: (value: V) => V;
  /** Kept in `.yo-rc.json` under the answer's key. */
  readonly store?: boolean;
  /**
   * A stored answer that projects recorded before it existed lack: the
   * schema accepts its absence, and such a project reads it as this value
   * (what those projects were made with).
   */
  readonly storedDefault?: V;
  /** A stored answer that may be absent in `.yo-rc.json`, with no value then (a GitHub repository not known yet). */
  readonly storedOptional?: boolean;
}

export type AnswerTable<A> = { readonly [K in keyof A]-?: AnswerSpec<NonNullable<A[K]>, A> };

type Entry<A> = [keyof A & string, AnswerSpec<unknown, A>];

export function entries<A>(table: AnswerTable<A>): Array<Entry<A>> {
  return Object.entries(table) as Array<Entry<A>>;
}

/** How a message names the answer, by where its value came from. */
export function subject<A>(key: string, spec: AnswerSpec<unknown, A>, origin: 'given' | 'prompt'): string {
  if (origin === 'prompt') return capitalize(spec.label);
  return spec.flag ? `--${spec.flag}` : `The ${spec.label}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The help line of an answer: description, choices, default. */
export function helpText<A>(spec: AnswerSpec<unknown, A>): string {
  const choices = spec.choices ? ` (${spec.choices.map((c) => c.value).join(', ')})` : '';
  const fallback = spec.defaultText ? `; default: ${spec.defaultText}` : '';
  return `${spec.description}${choices}${fallback}`;
}

/**
 * `value` without surrounding Unicode white space. Not String#trim, which also
 * drops U+FEFF (a byte order mark, invisible format character the text rules
 * refuse): Python's str.strip keeps it, and so must we.
 */
export function trimSpace(value: string): string {
  return value.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');
}

/** A given value as the answer's type: trimmed text, a choice matched without regard to case. */
export function normalize<A>(spec: AnswerSpec<unknown, A>, raw: unknown): unknown {
  if (spec.type === 'boolean') return raw;
  const text = trimSpace(String(raw));
  const choice = spec.choices?.find((c) => c.value.toLowerCase() === text.toLowerCase());
  return choice ? choice.value : text;
}

/** The problem with `value`, choices included, or undefined. */
export function problemOf<A>(spec: AnswerSpec<unknown, A>, value: unknown, known: Partial<A>): Problem {
  if (spec.type === 'boolean') return typeof value === 'boolean' ? undefined : 'is not true or false';
  if (typeof value !== 'string') return 'is not text';
  if (spec.choices && !spec.choices.some((c) => c.value === value)) {
    return `is not one of ${spec.choices.map((c) => c.value).join(', ')}`;
  }
  return spec.check?.(value, known);
}

/**
 * Checks the values given on the command line before anything is asked.
 * Throws a UsageError naming the flag (or argument) and the value given. With
 * `derived`, a default computed from a given flag is checked too (when no
 * question could offer to change it), naming the flag it came from.
 */
export function checkGiven<A>(table: AnswerTable<A>, given: Partial<A>, { derived = false } = {}): void {
  for (const [key, spec] of entries(table)) {
    const value = given[key];
    if (value === undefined) continue;
    const problem = problemOf(spec, value, given);
    if (problem) throw new UsageError(`${subject(key, spec, 'given')} ${showValue(value)} ${problem}.`);
  }
  if (!derived) return;
  for (const [key, spec] of entries(table)) {
    if (given[key] !== undefined || !spec.default) continue;
    const fallback = spec.default(given);
    if (fallback?.derivedFrom === undefined || given[fallback.derivedFrom as keyof A] === undefined) continue;
    const problem = problemOf(spec, fallback.value, given);
    if (problem) throw new UsageError(defaultMessage(table, key, spec, fallback, problem));
  }
}

/**
 * Fills every answer not given from its default, in table order, and checks
 * all of them. Used with `--yes`, without a terminal, and after the questions
 * (for answers that were not asked). A missing answer or a bad default stops
 * with a message that says what the value came from and which flag to give.
 */
export function completeAnswers<A>(table: AnswerTable<A>, known: Partial<A>, given: Partial<A>): A {
  const answers: Partial<A> = { ...known };
  for (const [key, spec] of entries(table)) {
    if (answers[key] !== undefined) continue;
    const fallback = spec.default?.(answers);
    if (fallback === undefined) {
      if (!spec.required || (spec.prompt?.when && !spec.prompt.when(answers))) continue;
      const how = spec.argument
        ? `The ${spec.label} argument is required`
        : spec.flag
          ? `--${spec.flag} is required`
          : `The ${spec.label} is required`;
      const why = spec.missing ? ` and ${spec.missing}` : '';
      throw new UsageError(`${how}: there is no terminal to ask for it${why}.`, spec.example ? `For example: ${spec.example}` : undefined);
    }
    const problem = problemOf(spec, fallback.value, answers);
    if (problem) throw new UsageError(defaultMessage(table, key, spec, fallback, problem));
    answers[key] = fallback.value as A[typeof key];
  }
  for (const [key, spec] of entries(table)) {
    const value = answers[key];
    if (value === undefined) continue;
    const problem = problemOf(spec, value, answers);
    if (problem) {
      const origin = given[key] !== undefined ? `${subject(key, spec, 'given')} ${showValue(value)}` : `The ${spec.label} ${showValue(value)}`;
      throw new UsageError(`${origin} ${problem}.`);
    }
    if (spec.canonical) answers[key] = spec.canonical(value) as A[typeof key];
  }
  return answers as A;
}

function defaultMessage<A>(
  table: AnswerTable<A>,
  key: string,
  spec: AnswerSpec<unknown, A>,
  fallback: Default<unknown>,
  problem: string,
): string {
  const fix = spec.flag ? ` Give --${spec.flag}` : '';
  if (fallback.derivedFrom) {
    const source = table[fallback.derivedFrom as keyof A] as AnswerSpec<unknown, A>;
    const sourceFlag = source.flag ? `--${source.flag}` : `the ${source.label}`;
    return (
      `${sourceFlag} gives the ${spec.label} ${showValue(fallback.value)}, which ${problem}.` +
      `${fix ? `${fix}, or choose another ${sourceFlag}.` : ''}`
    );
  }
  const from = fallback.from ? ` (from ${fallback.from})` : '';
  return `The default ${spec.label} ${showValue(fallback.value)}${from} ${problem}.${fix ? `${fix}.` : ''}`;
}

/** A question for yeoman's `prompt`, from one answer's declaration. */
export interface Question<A> {
  type: 'input' | 'select' | 'confirm';
  name: string;
  message: string;
  choices?: Array<{ value: string; name: string }>;
  default?: (answers: Partial<A>) => unknown;
  when: (answers: Partial<A>) => boolean;
  filter?: (value: string) => string;
  validate?: (value: string, answers?: Partial<A>) => true | string;
}

/**
 * The questions for every answer with a prompt that `given` lacks. Defaults
 * and rules see the answers given and those answered before.
 */
export function questions<A>(table: AnswerTable<A>, given: Partial<A>): Array<Question<A>> {
  const known = (asked: Partial<A> | undefined): Partial<A> => ({ ...given, ...asked });
  return entries(table)
    .filter(([key, spec]) => spec.prompt !== undefined && given[key] === undefined)
    .map(([key, spec]) => {
      const type = spec.choices ? 'select' : spec.type === 'boolean' ? 'confirm' : 'input';
      const question: Question<A> = {
        type,
        name: key,
        message: spec.prompt!.message,
        default: (asked) => spec.prompt!.default ?? spec.default?.(known(asked))?.value,
        when: (asked) => spec.prompt!.when?.(known(asked)) ?? true,
      };
      if (spec.choices) question.choices = spec.choices.map((c) => ({ value: c.value, name: c.name }));
      if (type === 'input') {
        question.filter = (value) => trimSpace(value);
        question.validate = (value, asked) => {
          const problem = problemOf(spec, trimSpace(value), known(asked));
          return problem ? `${subject(key, spec, 'prompt')} ${showValue(trimSpace(value))} ${problem}.` : true;
        };
      }
      return question;
    });
}

/** The values given on the command line, normalised, read by flag (or argument) name. */
export function readGiven<A>(table: AnswerTable<A>, options: Record<string, unknown>): Partial<A> {
  const given: Partial<A> = {};
  for (const [key, spec] of entries(table)) {
    const name = spec.argument ? key : spec.flag;
    if (name === undefined) continue;
    const raw = readOption(options, name);
    if (raw !== undefined) given[key] = normalize(spec, raw) as A[typeof key];
  }
  return given;
}

/**
 * Reads a generator option by its kebab-case flag name. `yo` passes both
 * `author-name` and `authorName`, the commander-based runner only the
 * camelCase key and yeoman-test whatever the test wrote: accept each.
 */
export function readOption<T = unknown>(options: Record<string, unknown>, flag: string): T | undefined {
  const camel = flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const value = options[camel] ?? options[flag];
  return value === undefined ? undefined : (value as T);
}
