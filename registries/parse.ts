/**
 * Reads `registries.yaml` the way RKE2/K3s do (`gopkg.in/yaml.v2` v2.4.0 `Unmarshal`,
 * docs/registries.md#keys-rke2-and-k3s-know), with one deliberate difference: keys RKE2 silently
 * ignores are errors here, because a typo there means a mirror or credential silently has no effect.
 *
 * The document is parsed with the failsafe schema (every scalar stays a string) and tags are
 * resolved here with yaml.v2's YAML 1.1 rules, so string fields keep their source text
 * (`password: 0123` → "0123") exactly as RKE2 sees them.
 */
import {
  Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  Node,
  parseAllDocuments,
  Scalar,
} from "yaml";
import { Diagnostic, errorsOf, nearestWord } from "./diagnostics";
import { Mirror, RegistriesFile, RegistryAuth, RegistryConfig, RegistryTls } from "./model";
import { coreTags, expandedValue, sizeProblem, structureProblems, type TagPolicy } from "./yaml-limits";

export interface SourcePosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/** Where each key and value of the file was written, by diagnostic path (see `entryPath`). */
export interface SourcePositions {
  readonly keys: ReadonlyMap<string, SourcePosition>;
  readonly values: ReadonlyMap<string, SourcePosition>;
}

export interface ParsedRegistries {
  readonly file: RegistriesFile;
  readonly diagnostics: Diagnostic[];
  readonly positions: SourcePositions;
}

/** The keys yaml.v2 maps onto wharfie's structs; matching is exact and case-sensitive. */
export const KNOWN_KEYS = {
  file: ["mirrors", "configs", "auths"],
  mirror: ["endpoint", "rewrite"],
  config: ["auth", "tls"],
  auth: ["username", "password", "auth", "identity_token"],
  tls: ["ca_file", "cert_file", "key_file", "insecure_skip_verify"],
} as const;

/** Misspellings that come from the docs or from containerd's TOML, explained instead of guessed. */
const KNOWN_MISTAKES: Readonly<Record<string, string>> = {
  token:
    'the RKE2/K3s docs list "token" but wharfie has no such key, so RKE2 ignores it; ' +
    'use "identity_token" (sent as an OAuth refresh token) or "username"/"password"',
  identitytoken:
    '"identitytoken" is the containerd TOML/JSON spelling; registries.yaml needs "identity_token" ' +
    "(with the underscore), RKE2 ignores the other spelling",
};

/** yaml.v2's YAML 1.1 resolution table for plain scalars (resolve.go). */
const YAML11_TRUE = ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"];
const YAML11_FALSE = ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"];
const YAML11_NULL = ["", "~", "null", "Null", "NULL"];

const BOM = "\uFEFF";

/** yaml.v2 resolves these tags; under any other, it reads a string field as the text written. */
const REGISTRIES_TAGS: TagPolicy = {
  known: coreTags("str", "int", "float", "bool", "null", "timestamp", "binary", "merge", "map", "seq"),
  unknown: "warning",
  unknownMessage: "is ignored by RKE2/K3s, which read the value as the text written: remove the tag",
};

/** Path of a schema field below `parent`, e.g. `mirrors."docker.io".endpoint`. */
export function fieldPath(parent: string, field: string): string {
  return parent ? `${parent}.${field}` : field;
}

/** Path of a user-chosen key (registry, host, pattern) below `parent`: always quoted. */
export function entryPath(parent: string, key: string): string {
  return `${parent}.${JSON.stringify(key)}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function parseRegistriesYaml(text: string): ParsedRegistries {
  const reader = new RegistriesReader(text.startsWith(BOM) ? text.slice(BOM.length) : text);
  return reader.read();
}

interface Entry {
  readonly key: string;
  readonly keyNode: Node;
  readonly value: Node | null;
}

type ValueKind = "string" | "boolean" | "sequence" | "mapping" | "null" | "alias";

class RegistriesReader {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly keyPositions = new Map<string, SourcePosition>();
  private readonly valuePositions = new Map<string, SourcePosition>();
  private readonly lineCounter = new LineCounter();
  private document: Document.Parsed | undefined;

  constructor(private readonly text: string) {}

  read(): ParsedRegistries {
    const file = this.readDocument();
    return {
      file,
      diagnostics: this.diagnostics,
      positions: { keys: this.keyPositions, values: this.valuePositions },
    };
  }

  private readDocument(): RegistriesFile {
    const tooLarge = sizeProblem(this.text);
    if (tooLarge) {
      this.diagnostics.push(tooLarge);
      return {};
    }
    const documents = parseAllDocuments(this.text, {
      schema: "failsafe",
      uniqueKeys: false,
      prettyErrors: false,
      lineCounter: this.lineCounter,
    });
    const [document, ...ignored] = Array.isArray(documents) ? documents : [];
    if (!document) return {};
    this.document = document;
    if (ignored.length > 0) {
      this.warn(
        "(document)",
        "only the first YAML document is read by RKE2; the others are ignored",
        "yaml-extra-documents",
        {
          node: ignored[0].contents,
        },
      );
    }
    if (this.reportSyntaxErrors(document) || this.reportLimits(document)) return {};
    return this.readFile(document.contents);
  }

  /** The bounds of every YAML file (registries/yaml-limits.ts). True when one is broken. */
  private reportLimits(document: Document.Parsed): boolean {
    const at = (offset: number) => this.positionAt(offset);
    const problems = structureProblems(document, at, REGISTRIES_TAGS);
    if (errorsOf(problems).length === 0) {
      const expanded = expandedValue(document, at);
      if (!expanded.ok) problems.push(expanded.diagnostic);
    }
    this.diagnostics.push(...problems);
    return errorsOf(problems).length > 0;
  }

  /** The parser's errors, or the clearer one for an unquoted `*` key. True when any was found. */
  private reportSyntaxErrors(document: Document.Parsed): boolean {
    const starKey = findStarAlias(document.contents);
    if (starKey) {
      this.error(
        "(syntax)",
        'an unquoted * is YAML alias syntax and RKE2 fails to parse the file; quote the wildcard as "*"',
        "yaml-unquoted-star",
        { node: starKey },
      );
      return true;
    }
    for (const problem of document.errors) {
      const message = problem.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, "");
      this.error("(syntax)", `YAML syntax error, RKE2 would fail to start: ${message}`, "yaml-syntax", {
        offset: problem.pos[0],
      });
    }
    return document.errors.length > 0;
  }

  private readFile(root: Node | null): RegistriesFile {
    const entries = this.mappingEntries(root, "", "the top level of registries.yaml", KNOWN_KEYS.file);
    if (!entries) return {};
    const mirrors = this.readRecord(entries.get("mirrors"), "mirrors", (node, path) =>
      this.readMirror(node, path),
    );
    const configs = this.readRecord(entries.get("configs"), "configs", (node, path) =>
      this.readConfig(node, path),
    );
    this.readDeprecatedAuths(entries.get("auths"));
    return { ...(mirrors && { mirrors }), ...(configs && { configs }) };
  }

  private readMirror(node: Node | null, path: string): Mirror | null {
    const entries = this.mappingEntries(node, path, "a mirror", KNOWN_KEYS.mirror);
    if (!entries) return null;
    const endpointNode = entries.get("endpoint");
    const endpoint = endpointNode && this.readStringList(endpointNode.value, fieldPath(path, "endpoint"));
    const rewritePath = fieldPath(path, "rewrite");
    const rewrite = this.readRecord(entries.get("rewrite"), rewritePath, (value, rulePath) =>
      this.readString(value, rulePath),
    );
    return { ...(endpoint && { endpoint }), ...(rewrite && { rewrite }) };
  }

  private readConfig(node: Node | null, path: string): RegistryConfig | null {
    const entries = this.mappingEntries(node, path, "a registry config", KNOWN_KEYS.config);
    if (!entries) return null;
    const auth = this.readAuth(entries.get("auth")?.value ?? null, fieldPath(path, "auth"));
    const tls = this.readTls(entries.get("tls")?.value ?? null, fieldPath(path, "tls"));
    return { ...(auth && { auth }), ...(tls && { tls }) };
  }

  /** Undefined when absent or null, like wharfie's nil `*AuthConfig`. */
  private readAuth(node: Node | null, path: string): RegistryAuth | undefined {
    const entries = this.mappingEntries(node, path, "an auth block", KNOWN_KEYS.auth);
    return entries && this.readStringFields(entries, path, KNOWN_KEYS.auth);
  }

  /** Undefined when absent or null, like wharfie's nil `*TLSConfig`. */
  private readTls(node: Node | null, path: string): RegistryTls | undefined {
    const entries = this.mappingEntries(node, path, "a tls block", KNOWN_KEYS.tls);
    if (!entries) return undefined;
    const tls = this.readStringFields(entries, path, ["ca_file", "cert_file", "key_file"]);
    const skipVerify = entries.get("insecure_skip_verify");
    const insecure = skipVerify && this.readBool(skipVerify.value, fieldPath(path, "insecure_skip_verify"));
    return insecure === undefined ? tls : { ...tls, insecure_skip_verify: insecure };
  }

  private readStringFields(
    entries: Map<string, Entry>,
    path: string,
    fields: readonly string[],
  ): Record<string, string> {
    const values: Record<string, string> = {};
    for (const field of fields) {
      const entry = entries.get(field);
      const value = entry && this.readString(entry.value, fieldPath(path, field));
      if (value !== undefined) values[field] = value;
    }
    return values;
  }

  /** `auths`: parsed by wharfie but used by nobody; checked, warned about, and dropped. */
  private readDeprecatedAuths(entry: Entry | undefined): void {
    if (!entry) return;
    this.warn(
      "auths",
      'the deprecated "auths" key is not used by RKE2 or K3s; put credentials under configs.<host>.auth',
      "registries-deprecated-auths",
      {
        node: entry.keyNode,
      },
    );
    this.readRecord(entry, "auths", (node, path) => this.readAuth(node, path) ?? null);
  }

  /** A map with user-chosen keys (registries, hosts, patterns); undefined when absent or null. */
  private readRecord<T>(
    entry: Entry | undefined,
    path: string,
    readValue: (node: Node | null, path: string) => T | undefined,
  ): Record<string, T> | undefined {
    if (!entry) return undefined;
    const entries = this.mappingEntries(entry.value, path, `"${path}"`, undefined);
    if (!entries) return undefined;
    const record: Record<string, T> = {};
    for (const [key, item] of entries) {
      const value = readValue(item.value, entryPath(path, key));
      if (value !== undefined) record[key] = value;
    }
    return record;
  }

  /**
   * The entries of a mapping (merge keys expanded, the last duplicate winning as in yaml.v2), with
   * unknown keys reported when `known` is given. Undefined for null (a nil Go value) or a type error.
   */
  private mappingEntries(
    node: Node | null,
    path: string,
    what: string,
    known: readonly string[] | undefined,
  ): Map<string, Entry> | undefined {
    const target = this.resolve(node);
    if (target === null || isNullScalar(target)) return undefined;
    if (!isMap(target)) {
      this.typeError(path, target, `${what} must be a mapping`, known, "registries-not-a-mapping");
      return undefined;
    }
    const entries = new Map<string, Entry>();
    for (const entry of this.flattenMapping(target, path)) {
      const entryPathText = known ? fieldPath(path, entry.key) : entryPath(path, entry.key);
      if (entries.has(entry.key)) {
        this.warn(
          entryPathText,
          "duplicate key; RKE2 keeps the last one, the earlier ones have no effect",
          "yaml-duplicate-key",
          {
            node: entry.keyNode,
          },
        );
      }
      entries.delete(entry.key);
      entries.set(entry.key, entry);
      this.recordPositions(entryPathText, entry);
    }
    if (known) this.reportUnknownKeys(entries, path, known);
    return known ? new Map([...entries].filter(([key]) => known.includes(key))) : entries;
  }

  /** Mapping items in source order, with `<<` merge keys expanded in place (yaml.v2 supports them). */
  private flattenMapping(map: Node, path: string): Entry[] {
    if (!isMap(map)) return [];
    return map.items.flatMap((pair): Entry[] => {
      const keyNode = pair.key as Node | null;
      const value = (pair.value as Node | null) ?? null;
      if (!isScalar(keyNode)) {
        if (keyNode)
          this.typeError(path, keyNode, "a mapping key must be a string", undefined, "yaml-key-not-string");
        return [];
      }
      if (keyNode.type === Scalar.PLAIN && keyNode.value === "<<") return this.mergedEntries(value, path);
      return [{ key: String(keyNode.value), keyNode, value }];
    });
  }

  private mergedEntries(value: Node | null, path: string): Entry[] {
    const target = this.resolve(value);
    // yaml.v2 merges a sequence of mappings so that earlier ones win: apply them in reverse.
    const sources = isSeq(target) ? [...target.items].reverse() : [target];
    return sources.flatMap((source) =>
      this.flattenMapping(this.resolve(source as Node | null) as Node, path),
    );
  }

  private recordPositions(path: string, entry: Entry): void {
    const keyPosition = this.positionOf(entry.keyNode);
    if (keyPosition) this.keyPositions.set(path, keyPosition);
    const valuePosition = entry.value && this.positionOf(entry.value);
    if (valuePosition) this.valuePositions.set(path, valuePosition);
  }

  private reportUnknownKeys(entries: Map<string, Entry>, path: string, known: readonly string[]): void {
    for (const [key, entry] of entries) {
      if (known.includes(key)) continue;
      const keyPath = fieldPath(path, key);
      const hint = KNOWN_MISTAKES[key] ?? didYouMean(key, known);
      this.error(
        keyPath,
        `unknown key ${JSON.stringify(key)}: RKE2/K3s silently ignore it, so it would have no effect; ` +
          `known keys here: ${known.join(", ")}${hint ? `; ${hint}` : ""}`,
        "registries-unknown-key",
        { node: entry.keyNode },
      );
    }
  }

  /** `endpoint`: a YAML sequence of strings; yaml.v2 fails on anything else, so do we. */
  private readStringList(node: Node | null, path: string): string[] | undefined {
    const target = this.resolve(node);
    if (target === null || isNullScalar(target)) return undefined;
    if (!isSeq(target)) {
      this.typeError(
        path,
        target,
        "endpoint must be a sequence of URL strings (one `- url` line each)",
        undefined,
        "registries-endpoint-not-list",
      );
      return undefined;
    }
    const items = target.items.map((item, index) => {
      const itemPath = indexPath(path, index);
      const position = this.positionOf(item as Node);
      if (position) this.valuePositions.set(itemPath, position);
      const resolved = this.resolve(item as Node | null);
      if (resolved === null || isNullScalar(resolved)) {
        this.error(
          itemPath,
          "an endpoint must be a URL string, got an empty (null) item",
          "registries-endpoint-null",
          {
            node: item as Node,
          },
        );
        return undefined;
      }
      return this.readString(resolved, itemPath);
    });
    return items.filter((item): item is string => item !== undefined);
  }

  /** A string field: any scalar keeps its source text, null becomes "" (yaml.v2 `reflect.String`). */
  private readString(node: Node | null, path: string): string | undefined {
    const target = this.resolve(node);
    if (target === null || isNullScalar(target)) return "";
    if (isScalar(target)) return String(target.value);
    this.typeError(path, target, "must be a string", undefined, "registries-not-a-string");
    return undefined;
  }

  /** `insecure_skip_verify`: YAML 1.1 plain booleans only; quoted "true" or 1 fail in yaml.v2. */
  private readBool(node: Node | null, path: string): boolean | undefined {
    const target = this.resolve(node);
    if (target === null || isNullScalar(target)) return undefined;
    if (isScalar(target) && target.type === Scalar.PLAIN) {
      if (YAML11_TRUE.includes(String(target.value))) return true;
      if (YAML11_FALSE.includes(String(target.value))) return false;
    }
    this.typeError(
      path,
      target,
      "must be a boolean (true or false, unquoted); RKE2 fails to start otherwise",
      undefined,
      "registries-not-a-boolean",
    );
    return undefined;
  }

  private resolve(node: Node | null): Node | null {
    if (!isAlias(node) || !this.document) return node;
    return (node.resolve(this.document) as Node | undefined) ?? null;
  }

  private typeError(
    path: string,
    node: Node,
    requirement: string,
    known: readonly string[] | undefined,
    code: string,
  ): void {
    const keys = known ? ` with keys ${known.join(", ")}` : "";
    this.error(path || "(top level)", `${requirement}${keys}, got ${describe(node)}`, code, { node });
  }

  private positionOf(node: Node | null | undefined): SourcePosition | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.positionAt(offset);
  }

  private positionAt(offset: number): SourcePosition {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  private error(
    path: string,
    message: string,
    code: string,
    at: { node?: Node | null; offset?: number },
  ): void {
    this.report("error", path, message, code, at);
  }

  private warn(
    path: string,
    message: string,
    code: string,
    at: { node?: Node | null; offset?: number },
  ): void {
    this.report("warning", path, message, code, at);
  }

  private report(
    severity: Diagnostic["severity"],
    path: string,
    message: string,
    code: string,
    at: { node?: Node | null; offset?: number },
  ): void {
    const position = at.offset !== undefined ? this.positionAt(at.offset) : this.positionOf(at.node);
    this.diagnostics.push({ severity, code, path, message, ...position });
  }
}

function isNullScalar(node: Node): boolean {
  return isScalar(node) && node.type === Scalar.PLAIN && YAML11_NULL.includes(String(node.value));
}

function kindOf(node: Node): ValueKind {
  if (isMap(node)) return "mapping";
  if (isSeq(node)) return "sequence";
  if (isAlias(node)) return "alias";
  if (isNullScalar(node)) return "null";
  const text = String((node as Scalar).value);
  const plain = (node as Scalar).type === Scalar.PLAIN;
  return plain && (YAML11_TRUE.includes(text) || YAML11_FALSE.includes(text)) ? "boolean" : "string";
}

function describe(node: Node): string {
  const kind = kindOf(node);
  if (kind !== "string" && kind !== "boolean") return `a ${kind}`;
  const scalar = node as Scalar;
  const quoted = scalar.type === Scalar.QUOTE_DOUBLE || scalar.type === Scalar.QUOTE_SINGLE ? "quoted " : "";
  return `a ${quoted}${kind} ${JSON.stringify(String(scalar.value))}`;
}

/** An unquoted `*` key parses as an alias named ":" or "" (the `yaml` package warns, yaml.v2 fails). */
function findStarAlias(node: unknown): Node | undefined {
  if (isAlias(node)) return node.source === "" || node.source.endsWith(":") ? node : undefined;
  if (isMap(node)) {
    for (const pair of node.items) {
      const found = findStarAlias(pair.key) ?? findStarAlias(pair.value);
      if (found) return found;
    }
  }
  if (isSeq(node)) {
    for (const item of node.items) {
      const found = findStarAlias(item);
      if (found) return found;
    }
  }
  return undefined;
}

/** The nearest known key, when it is close enough to be a typo. */
function didYouMean(key: string, known: readonly string[]): string | undefined {
  const nearest = nearestWord(key, known);
  return nearest === undefined ? undefined : `did you mean ${JSON.stringify(nearest)}?`;
}
