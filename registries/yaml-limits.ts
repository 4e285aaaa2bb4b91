/**
 * The bounds every YAML file harbor-mirror reads must keep — harbor-mirror.yaml (config/yaml-source.ts)
 * and registries.yaml (registries/parse.ts) alike, so that neither can hang, crash or silently read
 * something else: valid UTF-8, a bounded size, a bounded nesting depth, bounded alias expansion
 * (billion laughs), no alias without its anchor and none inside the value it names. yaml.v2, which
 * RKE2 and K3s read registries.yaml with, refuses each of these too ("invalid leading UTF-8 octet",
 * "unknown anchor", "anchor … value contains itself", "document contains excessive aliasing").
 *
 * Tags differ by file, as the readers do: the configuration refuses any tag its schema does not
 * know (`!env` would otherwise silently stay a string), while yaml.v2 reads a string under an unknown
 * tag as its text, so registries.yaml gets a warning. Duplicate keys differ the same way: an error
 * in the configuration, a warning in registries.yaml (yaml.v2 keeps the last one).
 */
import { isUtf8 } from "node:buffer";
import { isAlias, isCollection, visit } from "yaml";
import type { Document, Node } from "yaml";
import type { Diagnostic, Severity } from "./diagnostics";

/** Far above any real file (a configuration of 10,000 nodes takes about 600 kB). */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
export const MAX_NESTING_DEPTH = 32;
/** Expanded alias uses allowed (the `yaml` library's own default of `maxAliasCount`). */
export const MAX_ALIAS_COUNT = 100;

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** The 1-based position of a character offset of the text. */
export type At = (offset: number) => Position;

/** Which tags a file may carry, and what an unknown one is. */
export interface TagPolicy {
  /** Full tag names (`tag:yaml.org,2002:str`). */
  readonly known: readonly string[];
  readonly unknown: Severity;
  /** What the message says after `the tag !x …`. */
  readonly unknownMessage: string;
}

/** `tag:yaml.org,2002:<name>` for each name. */
export function coreTags(...names: string[]): string[] {
  return names.map((name) => `tag:yaml.org,2002:${name}`);
}

/** A problem of the document as a whole, shown at `(file)` or `(yaml)` instead of a key. */
export function documentDiagnostic(
  code: string,
  path: "(file)" | "(yaml)",
  message: string,
  position: Position,
  severity: Severity = "error",
): Diagnostic {
  return { severity, code, path, message, ...position };
}

/**
 * The file's bytes as text, or the located error at the first byte that is not UTF-8 (read as
 * UTF-8 blindly, it would become U+FFFD and reach a node or Harbor changed).
 */
export function decodeUtf8(
  bytes: Buffer,
): { readonly ok: true; readonly text: string } | { readonly ok: false; readonly diagnostic: Diagnostic } {
  const text = bytes.toString("utf8");
  if (isUtf8(bytes)) return { ok: true, text };
  // Read as UTF-8, each bad sequence became U+FFFD: the first byte that differs is the bad one.
  const reencoded = Buffer.from(text, "utf8");
  let offset = 0;
  while (offset < bytes.length && bytes[offset] === reencoded[offset]) offset++;
  const before = bytes.subarray(0, offset).toString("utf8");
  const lineStart = before.lastIndexOf("\n") + 1;
  const position = { line: before.split("\n").length, column: before.length - lineStart + 1 };
  const hex = bytes[offset].toString(16).padStart(2, "0");
  const message = `is not valid UTF-8 (byte 0x${hex} at offset ${offset}): save the file as UTF-8`;
  return { ok: false, diagnostic: documentDiagnostic("file-invalid-utf8", "(file)", message, position) };
}

/** The error of a text beyond the size bound, or undefined. */
export function sizeProblem(text: string): Diagnostic | undefined {
  if (Buffer.byteLength(text, "utf8") <= MAX_DOCUMENT_BYTES) return undefined;
  const message = `is larger than ${MAX_DOCUMENT_BYTES / 1024 / 1024} MiB: not a file harbor-mirror reads`;
  return documentDiagnostic("yaml-too-large", "(file)", message, { line: 1, column: 1 });
}

/** Unknown tags, undefined or recursive aliases, and nesting beyond the limit, each located. */
export function structureProblems(document: Document, at: At, tags: TagPolicy): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const position = (node: Node) => at(node.range?.[0] ?? 0);
  visit(document, {
    Node(_, node, path) {
      const depth = path.filter((ancestor) => isCollection(ancestor)).length;
      if (isCollection(node) && depth >= MAX_NESTING_DEPTH) {
        const message = `nests deeper than ${MAX_NESTING_DEPTH} levels: not a file harbor-mirror reads`;
        problems.push(documentDiagnostic("yaml-too-deep", "(yaml)", message, position(node)));
        return visit.BREAK;
      }
      if (node.tag !== undefined && !tags.known.includes(node.tag)) {
        const message = `the tag ${node.tag} ${tags.unknownMessage}`;
        problems.push(
          documentDiagnostic("yaml-unknown-tag", "(yaml)", message, position(node), tags.unknown),
        );
      }
      if (isAlias(node)) {
        const problem = aliasProblem(document, node);
        if (problem)
          problems.push(documentDiagnostic(problem.code, "(yaml)", problem.message, position(node)));
      }
      return undefined;
    },
  });
  return problems;
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

/**
 * The document as plain data with aliases expanded, or the error when the expansion exceeds the
 * bound (a small file whose aliases multiply into millions of values).
 */
export function expandedValue(
  document: Document,
  at: At,
): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly diagnostic: Diagnostic } {
  try {
    return { ok: true, value: document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    const message = `aliases expand to too many values (${(error as Error).message}); write the values out`;
    return {
      ok: false,
      diagnostic: documentDiagnostic("yaml-alias-expansion", "(yaml)", message, firstAlias(document, at)),
    };
  }
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
