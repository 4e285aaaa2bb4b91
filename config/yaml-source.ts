/**
 * The seam between configuration text and everything else: text → plain value, and the source
 * position of any key path on demand. Nothing else in the project touches YAML nodes of the
 * configuration, so a faster parse of the happy path only has to change this module.
 *
 * The document keeps the bounds every YAML file harbor-mirror reads keeps (registries/yaml-limits.ts):
 * size, nesting depth and alias expansion; a recursive or undefined alias and an unknown tag
 * (`!env`) are errors with their position, never a crash or a silently kept string.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node } from "yaml";
import type { Diagnostic, KeyPath } from "../registries/diagnostics";
import {
  coreTags,
  documentDiagnostic,
  expandedValue,
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
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at: At = (offset) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
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
    source: { value: expanded.value ?? null, locate: (path) => locate(document, path, at) },
  };
}

function failure(diagnostics: readonly Diagnostic[]): YamlSourceResult {
  return { ok: false, diagnostics };
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
