/**
 * A small kit of strict validators for YAML configs, and the one error they throw.
 *
 * Every validator is a pure function of (value, where) and throws `ConfigError` naming the file,
 * the exact key path (`kin_flow.hidden_features[1]`), what was expected and what was found;
 * mappings add "did you mean" for near-miss keys. `section` returns its keys in camelCase,
 * derived from the YAML's snake_case (`hidden_features` → `hiddenFeatures`, in the types too);
 * `sectionAsWritten` keeps them (the generator's keys are its parameter names).
 *
 * Hand-written rather than taken from zod (tried, zod 4.6, for issue 15): zod takes over the
 * walk but not the words. Its issues say "expected number, received undefined" for a missing
 * key (ours: "missing required key (expected a positive integer)"), "Too small: expected number
 * to be >=1", "Unrecognized key" with no near miss and no list of known keys, and a misspelt
 * required key gives two issues where we report the misspelling. Getting today's messages back
 * needs a formatter over its issue codes, an "expected" text on every schema and a walk of the
 * schema by path for the known keys: about the size of the message half of this kit, while the
 * schema declarations stay one line per key either way. So the config layer would not shrink,
 * and it would gain a dependency whose error API changed in its last major version.
 */
import { isAbsolute, resolve as resolvePath, extname } from 'node:path';
import { ConfigError } from './error.js';

export { ConfigError } from './error.js';

/** Where a value sits: the file (for messages), its key path, and the directory paths resolve from. */
export interface Where {
  readonly file: string;
  readonly path: string;
  readonly baseDir: string;
}

export type Check<T> = (value: unknown, where: Where) => T;

/** Child location: `at(w, 'lr')` → `training.kin.lr`; `at(w, 2)` → `hidden_features[2]`. */
export function at(where: Where, key: string | number): Where {
  const path = typeof key === 'number' ? `${where.path}[${key}]` : where.path === '' ? key : `${where.path}.${key}`;
  return { ...where, path };
}

/** Throws a ConfigError for `where` saying what was expected and what was found. */
export function fail(where: Where, expected: string, found?: unknown): never {
  const tail = arguments.length >= 3 ? `, found ${describeValue(found)}` : '';
  throw new ConfigError(where.file, where.path, `expected ${expected}${tail}`);
}

/** Throws a ConfigError for `where` with a free-form problem text. */
export function problem(where: Where, text: string): never {
  throw new ConfigError(where.file, where.path, text);
}

/** Short human description of a parsed YAML value, for "found …" in messages. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (empty value)';
  if (typeof v === 'string') return `${JSON.stringify(v)} (a string)`;
  if (typeof v === 'number') return `${v} (a number)`;
  if (typeof v === 'boolean') return `${v} (a boolean)`;
  if (Array.isArray(v)) return `a list of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object') return `a mapping with keys [${Object.keys(v).join(', ')}]`;
  return typeof v;
}

// ---------------------------------------------------------------------------------------------
// Scalars

export interface NumberRule {
  int?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound (e.g. 0 for "positive"). */
  above?: number;
  /** Inclusive upper bound. */
  max?: number;
}

/** Words for a number rule: "a positive integer", "a number ≥ 0", "an integer in [0, 4294967295]". */
export function numberExpectation(rule: NumberRule): string {
  const noun = rule.int ? 'integer' : 'number';
  if (rule.above === 0 && rule.min === undefined && rule.max === undefined) return `a positive ${noun}`;
  if (rule.min === 1 && rule.int && rule.max === undefined && rule.above === undefined) return 'a positive integer';
  if (rule.min === 0 && rule.max === undefined && rule.above === undefined) return `a non-negative ${noun}`;
  const parts: string[] = [];
  if (rule.min !== undefined && rule.max !== undefined) parts.push(`in [${rule.min}, ${rule.max}]`);
  else {
    if (rule.min !== undefined) parts.push(`≥ ${rule.min}`);
    if (rule.max !== undefined) parts.push(`≤ ${rule.max}`);
  }
  if (rule.above !== undefined) parts.push(`> ${rule.above}`);
  const article = rule.int ? 'an' : 'a';
  return [`${article} ${noun}`, ...parts].join(' ');
}

export function num(rule: NumberRule = {}): Check<number> {
  const expected = numberExpectation(rule);
  return (v, where) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(where, expected, v);
    if (rule.int && !Number.isInteger(v)) return fail(where, expected, v);
    if (rule.min !== undefined && v < rule.min) return fail(where, expected, v);
    if (rule.above !== undefined && v <= rule.above) return fail(where, expected, v);
    if (rule.max !== undefined && v > rule.max) return fail(where, expected, v);
    return v;
  };
}

export const anyNumber = num();
export const positiveNumber = num({ above: 0 });
export const nonNegativeNumber = num({ min: 0 });
export const positiveInt = num({ int: true, min: 1 });
export const nonNegativeInt = num({ int: true, min: 0 });
/** Seeds are 32-bit unsigned so every RNG we may use can take them. */
export const seedInt = num({ int: true, min: 0, max: 4294967295 });

/** Two numbers, each checked by `item` (its message names the element: `sigma_A[1]`). */
export function pairOf(item: Check<number>, what: string): Check<[number, number]> {
  return (v, where) => {
    if (!Array.isArray(v) || v.length !== 2) return fail(where, `a list of 2 ${what}`, v);
    return [item(v[0], at(where, 0)), item(v[1], at(where, 1))];
  };
}

export const bool: Check<boolean> = (v, where) => (typeof v === 'boolean' ? v : fail(where, 'true or false', v));

export function nonEmptyString(v: unknown, where: Where): string {
  return typeof v === 'string' && v.trim() !== '' ? v : fail(where, 'a non-empty string', v);
}

export function oneOf<const T extends string>(choices: readonly T[]): Check<T> {
  const expected = `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
  return (v, where) => ((choices as readonly unknown[]).includes(v) ? (v as T) : fail(where, expected, v));
}

/**
 * A file path, resolved against the config file's directory (absolute paths kept as they are).
 * `extensions`, when given, lists the accepted endings (with the dot), compared case-insensitively.
 */
export function filePath(extensions?: readonly string[]): Check<string> {
  return (v, where) => {
    if (typeof v !== 'string' || v.trim() === '') {
      return fail(where, 'a file path (relative to the config file)', v);
    }
    const raw = v;
    if (extensions && !extensions.includes(extname(raw).toLowerCase())) {
      return fail(where, `a path ending in ${extensions.join(' or ')}`, v);
    }
    return isAbsolute(raw) ? raw : resolvePath(where.baseDir, raw);
  };
}

// ---------------------------------------------------------------------------------------------
// Lists

export interface ListRule {
  /** Exact length. */
  length?: number;
  minLength?: number;
}

export function list<T>(item: Check<T>, rule: ListRule = {}): Check<T[]> {
  return (v, where) => {
    const expectedLen =
      rule.length !== undefined
        ? `a list of exactly ${rule.length}`
        : rule.minLength !== undefined && rule.minLength > 0
          ? `a list of at least ${rule.minLength}`
          : 'a list';
    if (!Array.isArray(v)) return fail(where, expectedLen, v);
    if (rule.length !== undefined && v.length !== rule.length) return fail(where, expectedLen, v);
    if (rule.minLength !== undefined && v.length < rule.minLength) return fail(where, expectedLen, v);
    return v.map((x, i) => item(x, at(where, i)));
  };
}

// ---------------------------------------------------------------------------------------------
// Mappings

interface FieldBase<T> {
  readonly check: Check<T>;
}
export interface RequiredField<T> extends FieldBase<T> {
  readonly kind: 'required';
}
export interface DefaultedField<T> extends FieldBase<T> {
  readonly kind: 'default';
  /** Called per load so mutable defaults (lists) are never shared between configs. */
  readonly fallback: () => T;
}
export interface OptionalField<T> extends FieldBase<T> {
  readonly kind: 'optional';
}
export type Field<T> = RequiredField<T> | DefaultedField<T> | OptionalField<T>;

export const required = <T>(check: Check<T>): RequiredField<T> => ({ kind: 'required', check });
export const withDefault = <T>(check: Check<T>, fallback: () => T): DefaultedField<T> => ({
  kind: 'default',
  check,
  fallback,
});
/** A key that may be absent; the typed result then has `undefined`. */
export const optional = <T>(check: Check<T>): OptionalField<T> => ({ kind: 'optional', check });

export type Fields = Record<string, Field<unknown>>;
type FieldValue<F> = F extends OptionalField<infer T> ? T | undefined : F extends Field<infer T> ? T : never;
/** `features_dim` → `featuresDim`, as a type. */
export type Camel<K extends string> = K extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : K;
/** A section's typed result: the YAML keys in camelCase. */
export type SectionOf<S extends Fields> = { [K in keyof S & string as Camel<K>]: FieldValue<S[K]> };
/** A section's typed result with the YAML keys as written. */
export type AsWrittenOf<S extends Fields> = { [K in keyof S]: FieldValue<S[K]> };

/** `features_dim` → `featuresDim` (the derived key of every `section`). */
export function camelKey(key: string): string {
  return key.replace(/_(.)/g, (_, c: string) => c.toUpperCase());
}

/**
 * A mapping with exactly the listed keys: unknown keys, missing required keys and wrong value
 * types all throw. Absent defaulted keys get their default; absent optional keys are undefined.
 *
 * Known keys are checked first, in the order of `fields`, and unknown keys after them — except
 * that a missing required key with a near-miss unknown key beside it (`n_event` for `n_events`)
 * is reported as that unknown key with a "did you mean", the likelier story.
 * `otherKeys`, when given, accepts keys outside `fields` (the caller checks those itself).
 */
export function section<S extends Fields>(fields: S, otherKeys?: (key: string) => boolean): Check<SectionOf<S>> {
  return mapping(fields, camelKey, otherKeys) as Check<SectionOf<S>>;
}

/** `section` with the result's keys as written in the YAML. */
export function sectionAsWritten<S extends Fields>(fields: S): Check<AsWrittenOf<S>> {
  return mapping(fields, (key) => key) as Check<AsWrittenOf<S>>;
}

function mapping(
  fields: Fields,
  rename: (key: string) => string,
  otherKeys?: (key: string) => boolean,
): Check<Record<string, unknown>> {
  const known = Object.keys(fields);
  return (v, where) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      return fail(where, `a mapping with keys [${known.join(', ')}]`, v);
    }
    const obj = v as Record<string, unknown>;
    const unknown = Object.keys(obj).filter((k) => !Object.hasOwn(fields, k) && !(otherKeys?.(k) ?? false));
    const out: Record<string, unknown> = {};
    for (const key of known) {
      const field = fields[key]!;
      const inner = at(where, key);
      if (!Object.hasOwn(obj, key)) {
        if (field.kind === 'required') {
          const typo = unknown.find((u) => closest(u, [key]) === key);
          if (typo !== undefined) unknownKey(where, typo, known);
          const expected = expectationOf(field.check, inner);
          problem(inner, `missing required key${expected ? ` (expected ${expected})` : ''}`);
        }
        out[rename(key)] = field.kind === 'default' ? field.fallback() : undefined;
        continue;
      }
      out[rename(key)] = field.check(obj[key], inner);
    }
    if (unknown.length > 0) unknownKey(where, unknown[0]!, known);
    return out;
  };
}

/** Throws "unknown key; did you mean …? known keys here: …" for `key` inside `where`. */
export function unknownKey(where: Where, key: string, known: readonly string[]): never {
  const hint = closest(key, known);
  const did = hint !== undefined ? `did you mean "${hint}"? ` : '';
  return problem(at(where, key), `unknown key; ${did}known keys here: ${known.join(', ')}`);
}

/** What a check expects, learned by feeding it a value no check accepts (a unique symbol). */
function expectationOf(check: Check<unknown>, where: Where): string | undefined {
  try {
    check(Symbol('probe'), where);
  } catch (e) {
    if (e instanceof ConfigError) {
      const m = /expected (.*?)(, found .*)?$/s.exec(e.message);
      if (m) return m[1];
    }
  }
  return undefined;
}

/** The closest known key within edit distance 2 (for "did you mean"), else undefined. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}
