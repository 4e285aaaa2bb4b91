/**
 * The seam between configuration text and everything else: text → plain value, and the source
 * position of any key path on demand. Nothing else in the project touches YAML nodes of the
 * configuration.
 *
 * Two parsers, one answer. The happy path is js-yaml, about fifteen times faster than the `yaml`
 * library's positioned parse (whose lexer alone costs more than all of js-yaml), under rules chosen
 * so that whatever it accepts, the positioned parse accepts with the same value (proven by the
 * table in __tests__/config/yaml-source.test.ts). Everything else — every error, aliases, tags,
 * directives, odd keys — goes to the positioned parse, which reports each problem at its line and
 * column; and `locate` parses with positions only when a diagnostic asks for one.
 *
 * The document keeps the bounds every YAML file harbor-mirror reads keeps (registries/yaml-limits.ts):
 * size, nesting depth and alias expansion; a recursive or undefined alias and an unknown tag
 * (`!env`) are errors with their position, never a crash or a silently kept string.
 */
import {
  constructFromEvents,
  CORE_SCHEMA,
  defineMappingTag,
  EVENT_ID,
  getScalarValue,
  parseEvents,
  SCALAR_STYLE,
  type Event,
  type LoadOptions,
} from "js-yaml";
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node } from "yaml";
import type { Diagnostic, KeyPath } from "../registries/diagnostics";
import {
  coreTags,
  documentDiagnostic,
  expandedValue,
  MAX_NESTING_DEPTH,
  sizeProblem,
  structureProblems,
  type At,
  type Position,
  type TagPolicy,
} from "../registries/yaml-limits";

export type { Position } from "../registries/yaml-limits";

export interface YamlSource {
  /** The document as plain data (mappings → objects, sequences → arrays); `null` when empty. */
  readonly value: unknown;
  /**
   * Where `path` is written: the value of a scalar entry, the key of a mapping or sequence entry,
   * the item of a sequence; for a path that is not in the file (a missing key), the nearest
   * ancestor that is. 1-based.
   */
  locate(path: KeyPath): Position;
}

/** The parsed source, or the diagnostics that stop it from being used (all located). */
export type YamlSourceResult =
  | { readonly ok: true; readonly source: YamlSource }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

// The core schema's own tags; anything else (`!env`, `!!binary`, custom tags) is refused.
const CONFIG_TAGS: TagPolicy = {
  known: coreTags("str", "int", "float", "bool", "null", "map", "seq"),
  unknown: "error",
  unknownMessage: "is not supported: write the value itself (no tags, no environment lookups)",
};

export function readYamlSource(text: string): YamlSourceResult {
  const tooLarge = sizeProblem(text);
  if (tooLarge) return failure([tooLarge]);
  const fast = fastParse(text);
  if (!fast.ok) return readPositionedSource(text);
  // A path the events do not hold (a missing key, a key written another way) is found as before.
  let positioned: Positioned | undefined;
  const locateLazily = (path: KeyPath) =>
    fast.locate(path) ?? locate((positioned ??= positionedParse(text)), path);
  return { ok: true, source: { value: fast.value, locate: locateLazily } };
}

/** Plain mappings whose keys are strings, numbers or booleans: what both parsers turn into the same object. */
const PLAIN_MAP = defineMappingTag<Record<string, unknown>>("tag:yaml.org,2002:map", {
  create: () => ({}),
  addPair: (map, key, value) => {
    if (typeof key !== "string" && typeof key !== "number" && typeof key !== "boolean")
      return "a key that is not a string, number or boolean is left to the positioned parse";
    // Defined, not assigned: a `__proto__` key stays a key, as in the positioned parse.
    Object.defineProperty(map, String(key), { value, writable: true, enumerable: true, configurable: true });
    return "";
  },
  has: (map, key) => Object.prototype.hasOwnProperty.call(map, String(key)),
  keys: (map) => Object.keys(map),
  get: (map, key) => map[String(key)],
  identify: () => false, // load only
});

/**
 * What the fast path accepts: the YAML 1.2 core schema (as the positioned parse's default), no
 * aliases (their expansion bound is the positioned parse's), the same nesting bound, duplicate
 * keys refused (js-yaml's default, as `uniqueKeys`).
 */
const FAST_OPTIONS: LoadOptions = {
  schema: CORE_SCHEMA.withTags(PLAIN_MAP),
  maxAliases: 0,
  maxDepth: MAX_NESTING_DEPTH,
};

/** The positioned parse's bound on an implicit key: YAML 1.2 allows at most 1,024 characters. */
const MAX_IMPLICIT_KEY = 1024;

function longestLine(text: string): number {
  let longest = 0;
  for (let start = 0; start <= text.length;) {
    const end = text.indexOf("\n", start);
    const stop = end < 0 ? text.length : end;
    longest = Math.max(longest, stop - start);
    start = stop + 1;
  }
  return longest;
}

interface FastParse {
  readonly ok: true;
  readonly value: unknown;
  /** Where a path is written, when the path is in the file; else undefined. */
  readonly locate: (path: KeyPath) => Position | undefined;
}

/** The value when the fast path takes the text, else `ok: false` (the positioned parse decides). */
export function fastParse(text: string): FastParse | { readonly ok: false } {
  // A `%YAML 1.1` directive changes the schema of the positioned parse (`yes` → true), and it
  // refuses implicit keys longer than 1,024 characters: not ours.
  if (/^%/m.test(text) || longestLine(text) > MAX_IMPLICIT_KEY) return { ok: false };
  try {
    const events = parseEvents(text, FAST_OPTIONS);
    // Explicit tags resolve differently (`!!float 1` stays "1" in the positioned parse).
    if (events.some((event) => "tagStart" in event && event.tagStart >= 0)) return { ok: false };
    const documents = constructFromEvents(events, { ...FAST_OPTIONS, source: text });
    // No document (an empty file) or several: the positioned parse's answer.
    if (documents.length !== 1) return { ok: false };
    const [value] = documents;
    return { ok: true, value, locate: eventLocator(text, events) };
  } catch {
    // js-yaml's errors are not reported: the positioned parse says the same, with the line.
    return { ok: false };
  }
}

/**
 * `locate` over js-yaml's events, with the positioned parse's conventions: a scalar entry where its
 * value starts, a collection entry where its key starts, a sequence item where it starts.
 */
function eventLocator(text: string, events: readonly Event[]): (path: KeyPath) => Position | undefined {
  let ends: Int32Array | undefined;
  let lines: LineStarts | undefined;
  return (path) => {
    ends ??= subtreeEnds(events);
    lines ??= lineStarts(text);
    // events[0] opens the document, events[1] is its root.
    let index = 1;
    let offset = startOf(events[index]);
    for (const segment of path) {
      const child = childEvent(text, events, ends, index, segment);
      // A missing key is shown at its nearest ancestor, unless the key may be written as a number.
      if (child === "unsure") return undefined;
      if (child === "missing") break;
      ({ index, offset } = child);
    }
    return offset === undefined ? undefined : lines.at(offset);
  };
}

/**
 * The child of the collection at `parent` named `segment`; `missing` when there is none, `unsure`
 * when a key written as a number or boolean (`1.0`, `0x1F`, `True`) might be the one the
 * positioned parse matches by its value.
 */
function childEvent(
  text: string,
  events: readonly Event[],
  ends: Int32Array,
  parent: number,
  segment: string | number,
): { index: number; offset: number | undefined } | "missing" | "unsure" {
  const node = events[parent];
  let index = parent + 1;
  if (node.type === EVENT_ID.SEQUENCE) {
    for (let item = 0; events[index].type !== EVENT_ID.POP; item++, index = ends[index]) {
      if (item === segment) return { index, offset: startOf(events[index]) };
    }
    return "missing";
  }
  if (node.type !== EVENT_ID.MAPPING) return "missing";
  let unsure = false;
  while (events[index].type !== EVENT_ID.POP) {
    const key = events[index];
    const value = ends[index];
    if (key.type !== EVENT_ID.SCALAR) return "unsure";
    const written = getScalarValue(text, key);
    if (written === String(segment)) {
      const at = events[value].type === EVENT_ID.SCALAR ? events[value] : key;
      return { index: value, offset: startOf(at) };
    }
    unsure ||= key.style === SCALAR_STYLE.PLAIN && NON_STRING_PLAIN.test(written);
    index = ends[value];
  }
  return unsure ? "unsure" : "missing";
}

/** Plain scalars the core schema may read as a number, boolean or null. */
const NON_STRING_PLAIN = /^(?:[-+.~0-9]|(?:true|false|null)$)/i;

/**
 * Where the positioned parse says a node starts (after its anchor and tag; a quoted scalar at its
 * quote), or undefined where the events do not tell (an empty value, a block scalar's header).
 */
function startOf(event: Event): number | undefined {
  if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) return event.start;
  if (event.type !== EVENT_ID.SCALAR || event.valueStart < 0) return undefined;
  if (event.style === SCALAR_STYLE.PLAIN)
    return event.valueEnd > event.valueStart ? event.valueStart : undefined;
  const quoted = event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED;
  return quoted ? event.valueStart - 1 : undefined;
}

/** For each event, the index just past the node it opens (its POP for a collection). */
function subtreeEnds(events: readonly Event[]): Int32Array {
  const ends = new Int32Array(events.length + 1);
  const open: number[] = [];
  events.forEach((event, index) => {
    if (event.type === EVENT_ID.POP) ends[open.pop() ?? 0] = index + 1;
    else if (event.type === EVENT_ID.SCALAR || event.type === EVENT_ID.ALIAS) ends[index] = index + 1;
    else open.push(index);
  });
  return ends;
}

interface LineStarts {
  at(offset: number): Position;
}

function lineStarts(text: string): LineStarts {
  const starts = [0];
  for (let index = text.indexOf("\n"); index >= 0; index = text.indexOf("\n", index + 1))
    starts.push(index + 1);
  return {
    at(offset) {
      let low = 0;
      let high = starts.length - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if (starts[middle] <= offset) low = middle;
        else high = middle - 1;
      }
      return { line: low + 1, column: offset - starts[low] + 1 };
    },
  };
}

interface Positioned {
  readonly document: Document.Parsed;
  readonly at: At;
}

function positionedParse(text: string): Positioned {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at: At = (offset) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return { document, at };
}

/** The value and positions from the positioned parse alone, or every problem it finds, located. */
export function readPositionedSource(text: string): YamlSourceResult {
  const positioned = positionedParse(text);
  const { document, at } = positioned;
  const problems = [
    ...document.errors.map((error) =>
      documentDiagnostic("yaml-syntax", "(yaml)", `YAML syntax: ${error.message}`, at(error.pos[0])),
    ),
    ...structureProblems(document, at, CONFIG_TAGS),
  ];
  if (problems.length > 0) return failure(problems);
  const expanded = expandedValue(document, at);
  if (!expanded.ok) return failure([expanded.diagnostic]);
  return {
    ok: true,
    source: { value: expanded.value ?? null, locate: (path) => locate(positioned, path) },
  };
}

function failure(diagnostics: readonly Diagnostic[]): YamlSourceResult {
  return { ok: false, diagnostics };
}
function locate({ document, at }: Positioned, path: KeyPath): Position {
  let node: unknown = document.contents;
  let best = document.contents?.range?.[0] ?? 0;
  for (const segment of path) {
    const resolved = isAlias(node) ? node.resolve(document) : node;
    const next = childOf(resolved, segment);
    if (!next) break;
    best = next.position ?? best;
    node = next.node;
  }
  return at(best);
}

function childOf(node: unknown, segment: string | number): { node: unknown; position?: number } | undefined {
  if (isMap(node)) {
    const pair = node.items.find(
      (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
    );
    if (!pair) return undefined;
    // A scalar is shown where its value is written; a collection where its key is.
    const at = isScalar(pair.value) ? pair.value : (pair.key as Node);
    return { node: pair.value, position: at.range?.[0] };
  }
  if (isSeq(node) && typeof segment === "number") {
    const item = node.items[segment] as Node | undefined;
    return item ? { node: item, position: item.range?.[0] } : undefined;
  }
  return undefined;
}
