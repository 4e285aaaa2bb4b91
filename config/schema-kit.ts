/**
 * A small declarative schema language for YAML files: a key is described once (type, presence,
 * default, check, one-line doc, example) and that single description drives both validation of
 * the parsed YAML document (with line numbers) and the generated reference documentation.
 * The TypeScript type of a decoded value is inferred from the description, so the key list is
 * never written twice.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";
import { nearestWord, type Diagnostic, type Severity } from "../registries/diagnostics";

export type PathSegment = string | number;
export type KeyPath = readonly PathSegment[];

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `upstreams[2].project`, `rewrites."docker.io"[0].match`: keys with dots are quoted. */
export function formatPath(path: KeyPath): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((segment, index) => {
      if (typeof segment === "number") return `[${segment}]`;
      const key = PLAIN_KEY.test(segment) ? segment : JSON.stringify(segment);
      return index === 0 ? key : `.${key}`;
    })
    .join("");
}

/** A value as error messages show it: scalars as JSON, collections by their kind. */
export function showValue(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value !== null && typeof value === "object") return "a mapping";
  return JSON.stringify(value) ?? String(value);
}

/** Marks a value that failed validation; its diagnostics have already been reported. */
export const INVALID: unique symbol = Symbol("invalid");
export type Invalid = typeof INVALID;

interface Position {
  readonly line: number;
  readonly column: number;
}

export interface DecodeOptions {
  /** Directory that relative file paths in the document are resolved against. */
  readonly baseDir: string;
  /**
   * Keys that must never appear (e.g. credentials). Returns the message for such a key; checked
   * for every key that the schema does not declare, including pass-through subtrees.
   */
  readonly forbiddenKey?: (key: string) => string | undefined;
}

/**
 * Collects diagnostics and remembers where each decoded key sits in the source, so that checks run
 * after decoding (cross-key rules) can still name a line.
 */
export class DecodeContext {
  readonly diagnostics: Diagnostic[] = [];
  /** Valid root-level scalars, decoded before any nested value so derived defaults may read them. */
  root: Readonly<Record<string, unknown>> = {};
  private readonly positions = new Map<string, Position>();

  constructor(
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
    readonly options: DecodeOptions,
  ) {}

  /** Remembers the source position of `path` (the key's position for mapping entries). */
  remember(path: KeyPath, node: unknown): void {
    const position = this.positionOf(node);
    if (position) this.positions.set(formatPath(path), position);
  }

  /** True when the document wrote the key at `path` (even with an empty value). */
  wasWritten(path: KeyPath): boolean {
    return this.positions.has(formatPath(path));
  }

  /** Reports at `node`, or at the nearest remembered ancestor of `path` when there is no node. */
  report(severity: Severity, code: string, path: KeyPath, message: string, node?: unknown): void {
    const position = this.positionOf(node) ?? this.nearestPosition(path);
    this.diagnostics.push({
      severity,
      code,
      path: formatPath(path),
      message,
      keyPath: path,
      ...this.asLineColumn(position),
    });
  }

  /** Resolves aliases (`*anchor`) to the node they point at. */
  resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.document) : node;
  }

  positionAtOffset(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  private asLineColumn(position: Position | undefined): Partial<Diagnostic> {
    return position ? { line: position.line, column: position.column } : {};
  }

  private positionOf(node: unknown): Position | undefined {
    const range = (node as Node | undefined)?.range;
    return range ? this.positionAtOffset(range[0]) : undefined;
  }

  private nearestPosition(path: KeyPath): Position | undefined {
    for (let length = path.length; length >= 0; length--) {
      const position = this.positions.get(formatPath(path.slice(0, length)));
      if (position) return position;
    }
    return undefined;
  }
}

/** What the reference documentation needs to know about a value's structure. */
export type Shape =
  | { readonly kind: "scalar" }
  | {
      readonly kind: "object";
      readonly fields: Fields;
      readonly rules: readonly Rule<never>[];
      readonly passthrough?: PassThrough;
    }
  | { readonly kind: "list"; readonly item: Spec<unknown>; readonly rules: readonly Rule<never>[] }
  | {
      readonly kind: "map";
      readonly keyLabel: string;
      readonly key: Spec<string>;
      readonly value: Spec<unknown>;
    };

/** How one kind of value is decoded from YAML and described in the reference. */
export interface Spec<T> {
  /** The type as the reference shows it, e.g. `integer ≥ 1` or `` `public` | `robot` ``. */
  readonly type: string;
  readonly shape: Shape;
  /** Decodes a present value, reporting every problem; `INVALID` when there was one. */
  decode(node: unknown, path: KeyPath, context: DecodeContext): T | Invalid;
  /** The value of an absent key whose presence is `"empty"` (`{}` with defaults, `[]`). */
  decodeAbsent?(path: KeyPath, context: DecodeContext): T | Invalid;
  /** Re-checks a computed value (derived defaults must obey the same rules as written ones). */
  check?(value: T, context: DecodeContext): string | undefined;
}

/** A cross-key rule, run once the value it is attached to decoded without error. */
export interface Rule<T> {
  readonly severity: Severity;
  /** Stable identifier of the rule (see `Diagnostic.code`). */
  readonly code: string;
  /** One line for the reference. */
  readonly doc: string;
  check(value: T, report: (path: KeyPath, message: string) => void, context: DecodeContext): void;
}

export type Presence<T> =
  | { readonly kind: "required" }
  | { readonly kind: "optional" }
  | { readonly kind: "empty" }
  | { readonly kind: "default"; readonly value: T }
  | {
      readonly kind: "derived";
      /** How the default is found, for the reference. */
      readonly describe: string;
      compute(
        siblings: Readonly<Record<string, unknown>>,
        root: Readonly<Record<string, unknown>>,
      ): T | undefined;
    };

export interface Field<T, Out> {
  readonly spec: Spec<T>;
  readonly presence: Presence<T>;
  readonly doc: string;
  /** A YAML value as a user would write it. */
  readonly example?: string;
  /** Phantom: the decoded type, for inference only. */
  readonly out?: Out;
}

// Methods are bivariant, so any Field<T, Out> is a Field<unknown, unknown>.
export type Fields = Readonly<Record<string, Field<unknown, unknown>>>;

export interface PassThrough {
  /** The output property holding the keys the schema does not declare. */
  readonly into: string;
  readonly doc: string;
}

interface FieldDocs {
  readonly doc: string;
  readonly example?: string;
}

export function required<T>(spec: Spec<T>, docs: FieldDocs): Field<T, T> {
  return { spec, presence: { kind: "required" }, ...docs };
}

export function optional<T>(spec: Spec<T>, docs: FieldDocs): Field<T, T | undefined> {
  return { spec, presence: { kind: "optional" }, ...docs };
}

/** An absent object means `{}` (all its defaults); an absent list or map means empty. */
export function defaultEmpty<T>(spec: Spec<T>, docs: FieldDocs): Field<T, T> {
  return { spec, presence: { kind: "empty" }, ...docs };
}

export function withDefault<T>(spec: Spec<T>, value: T, docs: FieldDocs): Field<T, T> {
  return { spec, presence: { kind: "default", value }, ...docs };
}

/** A default computed from sibling keys (and root-level scalars); `undefined` leaves the key out. */
export function derived<T, Out extends T | undefined = T>(
  spec: Spec<T>,
  describe: string,
  compute: (siblings: Readonly<Record<string, unknown>>, root: Readonly<Record<string, unknown>>) => Out,
  docs: FieldDocs,
): Field<T, Out> {
  return { spec, presence: { kind: "derived", describe, compute }, ...docs };
}

type OutOf<F> = F extends Field<unknown, infer Out> ? Out : never;
type RequiredKeys<F> = { [K in keyof F]-?: undefined extends OutOf<F[K]> ? never : K }[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The decoded type of an object with these fields; keys that may be absent are optional. */
export type ObjectOf<F extends Fields> = Simplify<
  { readonly [K in RequiredKeys<F>]: OutOf<F[K]> } & {
    readonly [K in Exclude<keyof F, RequiredKeys<F>>]?: Exclude<OutOf<F[K]>, undefined>;
  }
>;

export type Decoded<S> = S extends Spec<infer T> ? T : never;

// ---------------------------------------------------------------------------------------------
// Scalars

interface ScalarOptions<T> {
  /** Shown in the reference. */
  readonly type: string;
  /** Completes "must be …" when the YAML value has the wrong type. */
  readonly expected: string;
  /** The typed value, or undefined when the raw value has the wrong type. */
  readonly parse: (raw: unknown) => T | undefined;
  /** Returns what is allowed ("must be …") when the value is not. */
  readonly check?: (value: T, context: DecodeContext) => string | undefined;
  /** Canonical form of a valid value (e.g. a URL without its trailing slash). */
  readonly normalize?: (value: T, context: DecodeContext) => T;
}

export function scalar<T>(options: ScalarOptions<T>): Spec<T> {
  return {
    type: options.type,
    shape: { kind: "scalar" },
    check: options.check,
    decode(node, path, context) {
      const resolved = context.resolve(node);
      const raw = isScalar(resolved) ? resolved.value : isSeq(resolved) ? [] : {};
      const value = options.parse(raw);
      const problem = value === undefined ? `must be ${options.expected}` : options.check?.(value, context);
      if (problem === undefined)
        return options.normalize ? options.normalize(value as T, context) : (value as T);
      // A problem that hides the value (a credential where a name belongs) is not followed by it.
      const got = problem.includes("(not shown)") ? "" : `; got ${showValue(raw)}`;
      context.report("error", "config-invalid-value", path, `${problem}${got}`, resolved);
      return INVALID;
    },
  };
}

export function text(
  type: string,
  check?: (value: string, context: DecodeContext) => string | undefined,
  normalize?: (value: string, context: DecodeContext) => string,
): Spec<string> {
  return scalar({
    type,
    expected: "a string",
    parse: (raw) => (typeof raw === "string" ? raw : undefined),
    check,
    normalize,
  });
}

export function boolean(): Spec<boolean> {
  return scalar({
    type: "boolean",
    expected: "true or false",
    parse: (raw) => (typeof raw === "boolean" ? raw : undefined),
  });
}

interface IntegerOptions {
  readonly min?: number;
  readonly max?: number;
  /** Replaces the range description when the rule is not a plain range. */
  readonly type?: string;
  readonly check?: (value: number) => string | undefined;
}

export function integer(options: IntegerOptions = {}): Spec<number> {
  const range = integerRange(options.min, options.max);
  return scalar({
    type: options.type ?? `integer${range ? ` ${range}` : ""}`,
    expected: "an integer (written without quotes)",
    parse: (raw) => (typeof raw === "number" && Number.isInteger(raw) ? raw : undefined),
    check: (value) => {
      const outOfRange =
        (options.min !== undefined && value < options.min) ||
        (options.max !== undefined && value > options.max);
      // Beyond 2^53 YAML's number is already rounded: the value written is not the value read.
      if (!Number.isSafeInteger(value))
        return `must be an integer from -${Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER} (beyond, the number read is not the number written)`;
      return outOfRange ? `must be an integer ${range}` : options.check?.(value);
    },
  });
}

function integerRange(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `${min}–${max}`;
  if (min !== undefined) return `≥ ${min}`;
  if (max !== undefined) return `≤ ${max}`;
  return "";
}

export function listWords(values: readonly string[]): string {
  return values.map((value) => `\`${value}\``).join(", ");
}

/** One of a fixed set of strings; a wrong-case spelling gets the right one suggested. */
export function oneOf<const V extends string>(values: readonly V[]): Spec<V> {
  return scalar({
    type: values.map((value) => `\`${value}\``).join(" | "),
    expected: "a string",
    parse: (raw) => (typeof raw === "string" ? (raw as V) : undefined),
    check: (value) => oneOfProblem(values, value),
  });
}

/** `must be one of …` with the closest allowed value suggested, or undefined when allowed. */
function oneOfProblem(values: readonly string[], value: string): string | undefined {
  if (values.includes(value)) return undefined;
  return `must be one of ${listWords(values)}${suggestion(value, values)}`;
}

// ---------------------------------------------------------------------------------------------
// Suggestions

/** Code-unit order: unlike localeCompare, the same on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `; did you mean \`x\`?` for the nearest candidate, or `""` when nothing is close. */
export function suggestion(word: string, candidates: readonly string[]): string {
  const nearest = nearestWord(word, candidates);
  return nearest === undefined ? "" : `; did you mean \`${nearest}\`?`;
}

// ---------------------------------------------------------------------------------------------
// Collections

interface Entry {
  readonly key: string;
  readonly keyNode: unknown;
  readonly valueNode: unknown;
}

/** The entries of a mapping, or undefined (after reporting) when the node is not one. */
function mappingEntries(
  node: unknown,
  path: KeyPath,
  context: DecodeContext,
  what: string,
): Entry[] | undefined {
  const resolved = context.resolve(node);
  if (!isMap(resolved)) {
    const raw = isScalar(resolved) ? resolved.value : isSeq(resolved) ? [] : resolved;
    context.report(
      "error",
      "config-not-a-mapping",
      path,
      `must be a mapping (${what}); got ${showValue(raw)}`,
      resolved,
    );
    return undefined;
  }
  const entries: Entry[] = [];
  for (const pair of resolved.items) {
    const keyNode = context.resolve(pair.key);
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof key !== "string") {
      context.report(
        "error",
        "config-key-not-string",
        path,
        `keys must be strings; got ${showValue(key)}`,
        keyNode,
      );
      continue;
    }
    context.remember([...path, key], keyNode);
    entries.push({ key, keyNode, valueNode: context.resolve(pair.value) });
  }
  return entries;
}

/** A value that YAML leaves empty (`key:`) counts as absent, so the key's default applies. */
function isAbsent(node: unknown): boolean {
  return node === undefined || node === null || (isScalar(node) && node.value === null);
}

type Decoder<T> = (entries: readonly Entry[], path: KeyPath, context: DecodeContext) => T | Invalid;

function objectSpec<T>(shape: Shape & { kind: "object" }, decodeEntries: Decoder<T>): Spec<T> {
  const what = `keys ${listWords(Object.keys(shape.fields))}`;
  return {
    type: "mapping",
    shape,
    decode: (node, path, context) => {
      const entries = mappingEntries(node, path, context, what);
      return entries ? decodeEntries(entries, path, context) : INVALID;
    },
    decodeAbsent: (path, context) => decodeEntries([], path, context),
  };
}

interface ObjectOptions<T> {
  readonly rules?: readonly Rule<T>[];
}

/** A mapping with exactly these keys. */
export function object<F extends Fields>(
  fields: F,
  options: ObjectOptions<ObjectOf<F>> = {},
): Spec<ObjectOf<F>> {
  const rules = options.rules ?? [];
  const shape = { kind: "object", fields, rules: rules as readonly Rule<never>[] } as const;
  return objectSpec(shape, (entries, path, context) => {
    const value = decodeFields(fields, entries, path, context, undefined);
    return value === INVALID ? INVALID : applyRules(rules, value as ObjectOf<F>, path, context);
  });
}

/** A mapping with these keys plus any others, which are kept as-is under `passthrough.into`. */
export function openObject<F extends Fields, P extends string>(
  fields: F,
  passthrough: PassThrough & { readonly into: P },
): Spec<ObjectOf<F> & { readonly [K in P]: Readonly<Record<string, unknown>> }> {
  type Out = ObjectOf<F> & { readonly [K in P]: Readonly<Record<string, unknown>> };
  const shape = { kind: "object", fields, rules: [], passthrough } as const;
  return objectSpec(shape, (entries, path, context) => {
    const value = decodeFields(fields, entries, path, context, passthrough);
    return value as Out | Invalid;
  });
}

function decodeFields(
  fields: Fields,
  entries: readonly Entry[],
  path: KeyPath,
  context: DecodeContext,
  passthrough: PassThrough | undefined,
): Record<string, unknown> | Invalid {
  const byKey = new Map(entries.map((entry) => [entry.key, entry]));
  const extra = passthrough ? passThroughEntries(fields, entries, path, context) : undefined;
  if (!passthrough) reportUnknownKeys(fields, entries, path, context);
  const decoded: Record<string, unknown> = {};
  let valid = extra !== INVALID;
  // Scalars first, so that the root's scalars (e.g. `distribution`) are known to nested defaults;
  // derived defaults last, and only from valid siblings.
  for (const name of decodeOrder(fields)) {
    const field = fields[name];
    const entry = byKey.get(name);
    const skip = field.presence.kind === "derived" && !valid && isAbsent(entry?.valueNode);
    const result = skip ? undefined : decodeField(field, entry, decoded, [...path, name], context);
    if (result === INVALID) valid = false;
    else if (result !== undefined) decoded[name] = result;
    if (path.length === 0) context.root = { ...decoded };
  }
  if (!valid) return INVALID;
  const ordered = Object.fromEntries(
    Object.keys(fields)
      .filter((name) => name in decoded)
      .map((name) => [name, decoded[name]]),
  );
  return passthrough ? { ...ordered, [passthrough.into]: extra } : ordered;
}

function decodeOrder(fields: Fields): string[] {
  const rank = (field: Field<unknown, unknown>): number =>
    field.presence.kind === "derived" ? 2 : field.spec.shape.kind === "scalar" ? 0 : 1;
  return Object.keys(fields).sort((a, b) => rank(fields[a]) - rank(fields[b]));
}

function decodeField(
  field: Field<unknown, unknown>,
  entry: Entry | undefined,
  siblings: Readonly<Record<string, unknown>>,
  path: KeyPath,
  context: DecodeContext,
): unknown {
  if (entry && !isAbsent(entry.valueNode)) return field.spec.decode(entry.valueNode, path, context);
  const presence = field.presence;
  switch (presence.kind) {
    case "required":
      context.report(
        "error",
        "config-required",
        path,
        `is required (${field.spec.type}): ${field.doc}`,
        entry?.keyNode,
      );
      return INVALID;
    case "optional":
      return undefined;
    case "empty":
      return field.spec.decodeAbsent ? field.spec.decodeAbsent(path, context) : undefined;
    case "default":
      return presence.value;
    case "derived":
      return checkDerived(field, presence.compute(siblings, context.root), path, context);
  }
}

function checkDerived(
  field: Field<unknown, unknown>,
  value: unknown,
  path: KeyPath,
  context: DecodeContext,
): unknown {
  const problem = value === undefined ? undefined : field.spec.check?.(value, context);
  if (problem === undefined) return value;
  context.report(
    "error",
    "config-invalid-default",
    path,
    `the default ${showValue(value)} is not valid: ${problem}; set it explicitly`,
  );
  return INVALID;
}

function reportUnknownKeys(
  fields: Fields,
  entries: readonly Entry[],
  path: KeyPath,
  context: DecodeContext,
): void {
  const known = Object.keys(fields);
  for (const entry of entries) {
    if (entry.key in fields) continue;
    const forbidden = context.options.forbiddenKey?.(entry.key);
    const message =
      forbidden ??
      `unknown key \`${entry.key}\`${suggestion(entry.key, known)}; allowed keys: ${listWords(known)}`;
    context.report(
      "error",
      forbidden ? "config-credential-key" : "config-unknown-key",
      [...path, entry.key],
      message,
      entry.keyNode,
    );
  }
}

/** Undeclared keys of an open object, as plain values; forbidden keys are rejected at any depth. */
function passThroughEntries(
  fields: Fields,
  entries: readonly Entry[],
  path: KeyPath,
  context: DecodeContext,
): Record<string, unknown> | Invalid {
  const extra = entries.filter((entry) => !(entry.key in fields));
  const forbidden = extra.flatMap((entry) =>
    forbiddenKeysIn(entry.key, entry.keyNode, entry.valueNode, path),
  );
  for (const hit of forbidden) {
    context.report(
      "error",
      "config-credential-key",
      hit.path,
      context.options.forbiddenKey?.(hit.key) ?? "",
      hit.keyNode,
    );
  }
  if (forbidden.length > 0) return INVALID;
  return Object.fromEntries(
    extra
      .sort((a, b) => compareText(a.key, b.key))
      .map((entry) => [entry.key, (entry.valueNode as Node | null)?.toJSON?.() ?? null]),
  );

  /** Walks mappings and lists alike (a credential key may hide in a list item), remembering positions for later rules. */
  function forbiddenKeysIn(
    key: string | number,
    keyNode: unknown,
    valueNode: unknown,
    parent: KeyPath,
  ): { key: string; keyNode: unknown; path: KeyPath }[] {
    const here = [...parent, key];
    context.remember(here, keyNode);
    const own =
      typeof key === "string" && context.options.forbiddenKey?.(key) ? [{ key, keyNode, path: here }] : [];
    const nested = isMap(valueNode)
      ? valueNode.items.flatMap((pair) => {
          const childKey = isScalar(pair.key) ? String(pair.key.value) : "";
          return forbiddenKeysIn(childKey, pair.key, context.resolve(pair.value), here);
        })
      : isSeq(valueNode)
        ? valueNode.items.flatMap((item, index) => forbiddenKeysIn(index, item, context.resolve(item), here))
        : [];
    return [...own, ...nested];
  }
}

function applyRules<T>(
  rules: readonly Rule<T>[],
  value: T,
  path: KeyPath,
  context: DecodeContext,
): T | Invalid {
  let valid = true;
  for (const rule of rules) {
    rule.check(
      value,
      (relative, message) => {
        if (rule.severity === "error") valid = false;
        context.report(rule.severity, rule.code, [...path, ...relative], message);
      },
      context,
    );
  }
  return valid ? value : INVALID;
}

interface ListOptions<T> {
  readonly minItems?: number;
  readonly rules?: readonly Rule<readonly T[]>[];
}

/** A YAML sequence; items keep their order. */
export function list<T>(item: Spec<T>, options: ListOptions<T> = {}): Spec<readonly T[]> {
  const rules = options.rules ?? [];
  const minItems = options.minItems ?? 0;
  const decodeItems = (node: unknown, path: KeyPath, context: DecodeContext): readonly T[] | Invalid => {
    const resolved = context.resolve(node);
    if (!isSeq(resolved)) {
      const raw = isScalar(resolved) ? resolved.value : {};
      context.report(
        "error",
        "config-not-a-list",
        path,
        `must be a list (one \`- \` item per line); got ${showValue(raw)}`,
        resolved,
      );
      return INVALID;
    }
    const items = resolved.items.map((itemNode, index) => {
      context.remember([...path, index], itemNode);
      return item.decode(itemNode, [...path, index], context);
    });
    if (items.length < minItems) {
      context.report(
        "error",
        "config-too-few-items",
        path,
        `must have at least ${minItems} item(s); got ${items.length}`,
        resolved,
      );
      return INVALID;
    }
    return items.includes(INVALID) ? INVALID : applyRules(rules, items as T[], path, context);
  };
  return {
    type: `list of ${item.shape.kind === "object" ? "mappings" : item.type}`,
    shape: { kind: "list", item: item as Spec<unknown>, rules: rules as readonly Rule<never>[] },
    decode: decodeItems,
    decodeAbsent: () => [],
  };
}

/** Rule: no two items share the value of `key` (read with `keyOf`, so defaults count too). */
export function uniqueBy<T>(
  code: string,
  key: string,
  keyOf: (item: T) => string,
  reason: string,
): Rule<readonly T[]> {
  return {
    severity: "error",
    code,
    doc: `No two items share a \`${key}\` (defaults included): ${reason}.`,
    check(items, report) {
      const firstIndex = new Map<string, number>();
      items.forEach((item, index) => {
        const value = keyOf(item);
        const first = firstIndex.get(value);
        if (first === undefined) firstIndex.set(value, index);
        else report([index, key], `${showValue(value)} is already used by item [${first}]; ${reason}`);
      });
    },
  };
}

/** A mapping whose keys are data (e.g. registry hosts); output keys are sorted. */
export function map<V>(
  keyLabel: string,
  key: Spec<string>,
  value: Spec<V>,
): Spec<Readonly<Record<string, V>>> {
  const decodeEntries = (node: unknown, path: KeyPath, context: DecodeContext) => {
    const entries = mappingEntries(node, path, context, `${keyLabel} → value`);
    if (!entries) return INVALID;
    const decoded = [...entries]
      .sort((a, b) => compareText(a.key, b.key))
      .map((entry) => {
        const keyProblem = key.check?.(entry.key, context);
        if (keyProblem)
          context.report(
            "error",
            "config-invalid-value",
            [...path, entry.key],
            `${keyProblem}; got ${showValue(entry.key)}`,
          );
        const item = value.decode(entry.valueNode, [...path, entry.key], context);
        return [entry.key, keyProblem ? INVALID : item] as const;
      });
    return decoded.some(([, item]) => item === INVALID) ? INVALID : Object.fromEntries(decoded);
  };
  return {
    type: `mapping \`${keyLabel}\` → ${value.type}`,
    shape: { kind: "map", keyLabel, key, value: value as Spec<unknown> },
    decode: decodeEntries as Spec<Readonly<Record<string, V>>>["decode"],
    decodeAbsent: () => ({}),
  };
}
