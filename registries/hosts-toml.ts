/**
 * The one rule about rewrite text that RKE2/K3s paste into hosts.toml
 * (docs/registries.md#backslashes-and-quotes-break-hoststoml; k3s `pkg/agent/templates`
 * HostsTomlTemplate): every rule becomes the line `"<pattern>" = "<replacement>"`, the text pasted
 * between the quotes unescaped, and containerd
 * decodes that TOML before it compiles the pattern. So a TOML escape (`\\`, `\"`, `\t`, `\u00e9`)
 * changes the text containerd compiles, and a raw newline, another control character, a stray `"`
 * or an unknown escape breaks the file: containerd then ignores the whole hosts.toml.
 */
import { parse } from "smol-toml";

/** A rewrite rule as containerd holds it after decoding hosts.toml. */
export interface DecodedRewrite {
  /** The pattern as written in registries.yaml: what a user finds in the file. */
  readonly written: string;
  /** The pattern containerd compiles. */
  readonly pattern: string;
  /** The replacement containerd expands. */
  readonly replacement: string;
}

/** A mirror's `rewrite` map read back as containerd reads it, or why the file does not decode. */
export type RewriteTableReading =
  | { readonly ok: true; readonly rules: readonly DecodedRewrite[] }
  | { readonly ok: false; readonly error: string };

/** What RKE2's hosts.toml makes of a mirror's `rewrite` map (sorted, as Go's template ranges over it). */
export function readRewriteTable(rewrites: Readonly<Record<string, string>>): RewriteTableReading {
  const written = Object.keys(rewrites).sort();
  const table = decodeTable(written.map((pattern) => rewriteLine(pattern, rewrites[pattern])));
  if (!table.ok) return table;
  const perRule = written.map((pattern) => decodedRule(pattern, rewrites[pattern]));
  const attributed = perRule.every((rule) => rule !== undefined && table.rules.has(rule.pattern));
  if (attributed && perRule.length === table.rules.size)
    return { ok: true, rules: perRule as DecodedRewrite[] };
  // Text that spans lines can still form valid rules, which no longer match the rules as written.
  const rules = [...table.rules].map(([pattern, replacement]) => ({
    written: pattern,
    pattern,
    replacement,
  }));
  return { ok: true, rules };
}

/** How one text fares between the quotes of hosts.toml. */
export type HostsTomlText =
  { readonly ok: true; readonly decoded: string } | { readonly ok: false; readonly error: string };

/** Where a text stands in its line: the pattern is the key, the replacement the value. */
export type RewriteField = "pattern" | "replacement";

/** One pattern or replacement as containerd reads it back. */
export function readHostsTomlText(text: string, field: RewriteField): HostsTomlText {
  const [pattern, replacement] = field === "pattern" ? [text, "r"] : ["p", text];
  const rule = decodedRule(pattern, replacement);
  if (!rule) {
    const table = decodeTable([rewriteLine(pattern, replacement)]);
    return table.ok ? ENDS_STRING_EARLY : table;
  }
  return { ok: true, decoded: field === "pattern" ? rule.pattern : rule.replacement };
}

/** What hosts.toml does to a text containerd does not read as written. */
export interface HostsTomlHazard {
  /**
   * The character to blame, for a message: `a backslash`, `a double quote`, `a control character
   * (U+000A)`.
   */
  readonly what: string;
  /** Set when the file still parses: the text containerd reads instead. */
  readonly decoded?: string;
  /** Set when the file no longer parses: the TOML decoder's reason. */
  readonly error?: string;
}

/** `undefined` when containerd reads the text exactly as written. */
export function hostsTomlHazard(text: string, field: RewriteField): HostsTomlHazard | undefined {
  const reading = readHostsTomlText(text, field);
  if (reading.ok && reading.decoded === text) return undefined;
  const what = offendingCharacter(text);
  return reading.ok ? { what, decoded: reading.decoded } : { what, error: reading.error };
}

/** What the hazard does on the node, for a message. */
export function hazardEffect(hazard: HostsTomlHazard): string {
  return hazard.decoded !== undefined
    ? `containerd decodes it to ${JSON.stringify(hazard.decoded)} before compiling it`
    : `the file no longer parses (${hazard.error}): containerd ignores it and bypasses the mirror`;
}

function offendingCharacter(text: string): string {
  if (text.includes("\\")) return "a backslash";
  if (text.includes('"')) return "a double quote";
  const control = /[\u0000-\u001f\u007f]/.exec(text)?.[0] ?? "";
  return `a control character (U+${control.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")})`;
}

const ENDS_STRING_EARLY = { ok: false, error: "the text ends the TOML string early" } as const;

/** K3s's template line: the text pasted between quotes, on purpose not serialized (the defect modelled). */
function rewriteLine(pattern: string, replacement: string): string {
  return `    "${pattern}" = "${replacement}"`;
}

type TableReading = { ok: true; rules: Map<string, string> } | { ok: false; error: string };

// TOML 1.1 escapes smol-toml decodes but containerd's TOML 1.0 decoder (go-toml) rejects.
const TOML_1_1_ESCAPE = /(?<!\\)(?:\\\\)*\\[ex]/;

/** The `[rewrite]` table containerd unmarshals into `map[string]string`, or why it cannot. */
function decodeTable(lines: readonly string[]): TableReading {
  const text = ["[rewrite]", ...lines].join("\n");
  if (TOML_1_1_ESCAPE.test(text)) return { ok: false, error: "unrecognised escape sequence" };
  let table: unknown;
  try {
    table = parse(text).rewrite;
  } catch (error) {
    return {
      ok: false,
      error: (error as Error).message.split("\n")[0].replace(/^Invalid TOML document: /, ""),
    };
  }
  const entries = Object.entries(table as Record<string, unknown>);
  if (!entries.every(([, value]) => typeof value === "string")) return ENDS_STRING_EARLY;
  return { ok: true, rules: new Map(entries as [string, string][]) };
}

/** One rule decoded alone; `undefined` when its line does not decode to exactly one rule. */
function decodedRule(written: string, replacement: string): DecodedRewrite | undefined {
  const table = decodeTable([rewriteLine(written, replacement)]);
  if (!table.ok || table.rules.size !== 1) return undefined;
  const [[pattern, decoded]] = [...table.rules];
  return { written, pattern, replacement: decoded };
}
