/**
 * The seam between configuration text and everything else: text → plain value, and the source
 * position of any key path on demand. Nothing else in the project touches YAML nodes of the
 * configuration, so a faster parse of the happy path only has to change this module.
 *
 * The document is bounded before it is used: size, nesting depth and alias expansion (the `yaml`
 * library's `maxAliasCount`); a recursive or undefined alias and an unknown tag (`!env`) are
 * errors with their position, never a crash or a silently kept string.
 */
import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
} from "yaml";
import type { Document, Node } from "yaml";
import type { Diagnostic, KeyPath } from "../registries/diagnostics";

/** Far above any real configuration (5,000 nodes take about 600 kB). */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
export const MAX_NESTING_DEPTH = 32;
/** Expanded alias uses allowed (the `yaml` library's own default). */
export const MAX_ALIAS_COUNT = 100;

export interface Position {
  readonly line: number;
  readonly column: number;
}

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

export function readYamlSource(text: string): YamlSourceResult {
  if (Buffer.byteLength(text, "utf8") > MAX_DOCUMENT_BYTES) {
    const message = `is larger than ${MAX_DOCUMENT_BYTES / 1024 / 1024} MiB: not a harbor-mirror configuration`;
    return failure([documentError("yaml-too-large", "(file)", message, { line: 1, column: 1 })]);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const problems = [
    ...document.errors.map((error) =>
      documentError("yaml-syntax", "(yaml)", `YAML syntax: ${error.message}`, at(error.pos[0])),
    ),
    ...structureProblems(document, at),
  ];
  if (problems.length > 0) return failure(problems);
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = `aliases expand to too many values (${(error as Error).message}); write the values out`;
    return failure([documentError("yaml-alias-expansion", "(yaml)", message, firstAlias(document, at))]);
  }
  return { ok: true, source: { value: value ?? null, locate: (path) => locate(document, path, at) } };
}

function failure(diagnostics: readonly Diagnostic[]): YamlSourceResult {
  return { ok: false, diagnostics };
}

/** A problem of the document as a whole, shown at `(file)` or `(yaml)` instead of a key. */
function documentError(code: string, path: string, message: string, position: Position): Diagnostic {
  return { severity: "error", code, path, message, ...position };
}

type At = (offset: number) => Position;

/** Unknown tags, undefined or recursive aliases, and nesting beyond the limit. */
function structureProblems(document: Document, at: At): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const position = (node: Node) => at(node.range?.[0] ?? 0);
  visit(document, {
    Node(_, node, path) {
      const depth = path.filter((ancestor) => isCollection(ancestor)).length;
      if (isCollection(node) && depth >= MAX_NESTING_DEPTH) {
        const message = `nests deeper than ${MAX_NESTING_DEPTH} levels: not a harbor-mirror configuration`;
        problems.push(documentError("yaml-too-deep", "(yaml)", message, position(node)));
        return visit.BREAK;
      }
      if (node.tag !== undefined && !isKnownTag(node.tag)) {
        const message = `the tag ${node.tag} is not supported: write the value itself (no tags, no environment lookups)`;
        problems.push(documentError("yaml-unknown-tag", "(yaml)", message, position(node)));
      }
      if (isAlias(node)) {
        const problem = aliasProblem(document, node);
        if (problem) problems.push(documentError(problem.code, "(yaml)", problem.message, position(node)));
      }
      return undefined;
    },
  });
  return problems;
}

// The core schema's own tags; anything else (`!env`, `!!binary`, custom tags) is refused.
const KNOWN_TAGS = ["str", "int", "float", "bool", "null", "map", "seq"].map(
  (name) => `tag:yaml.org,2002:${name}`,
);

function isKnownTag(tag: string): boolean {
  return KNOWN_TAGS.includes(tag);
}

function aliasProblem(
  document: Document,
  alias: Node & { source: string },
): { code: string; message: string } | undefined {
  const target = isAlias(alias) ? (alias.resolve(document) as Node | undefined) : undefined;
  if (!target) {
    return {
      code: "yaml-undefined-alias",
      message: `the alias *${alias.source} names no anchor defined before it`,
    };
  }
  const [start, , end] = target.range ?? [0, 0, 0];
  const offset = alias.range?.[0] ?? 0;
  if (offset >= start && offset < end) {
    return {
      code: "yaml-recursive-alias",
      message: `the alias *${alias.source} is inside the value it refers to`,
    };
  }
  return undefined;
}

function firstAlias(document: Document, at: At): Position {
  let offset = 0;
  visit(document, {
    Alias(_, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return at(offset);
}

function locate(document: Document, path: KeyPath, at: At): Position {
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
