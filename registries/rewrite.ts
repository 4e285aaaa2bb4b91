/**
 * Rewrite execution with Go `regexp` semantics (docs/registries.md#rewrites), on re2js, the
 * JavaScript port of RE2. JavaScript's RegExp is deliberately not used: it accepts lookaround and
 * backreferences that containerd's Go regexp rejects, and its replacement syntax differs from
 * Go's `Regexp.Expand`.
 */
import { RE2JS } from "re2js";
import type { DecodedRewrite } from "./hosts-toml";

/** A rewrite pattern compiled as containerd compiles it at pull time. */
export type CompiledPattern =
  | { readonly ok: true; readonly pattern: string; readonly regex: RE2JS }
  | { readonly ok: false; readonly pattern: string; readonly error: string };

/** One regexp match as Go's `Expand` sees it. */
export interface GoSubmatch {
  /** `groups[0]` is the whole match; `undefined` = the group did not take part in the match. */
  readonly groups: readonly (string | undefined)[];
  /** Group name → group number, as declared by `(?P<name>…)` / `(?<name>…)`. */
  readonly namedGroups: Readonly<Record<string, number>>;
}

/** One rule of a mirror's `rewrite` map that changes the subject. */
export interface RewriteResult {
  readonly rule: string;
  readonly repository: string;
}

/** A rule containerd logs as `Failed to compile rewrite …` and skips. */
export interface InvalidRewrite {
  readonly rule: string;
  readonly error: string;
}

export interface RewriteOutcomes {
  /** Every rule whose output differs from the subject, in the rules' order. */
  readonly results: readonly RewriteResult[];
  readonly invalid: readonly InvalidRewrite[];
}

// Patterns are compiled once per pattern string: resolution runs them for every image and endpoint.
const compiledCache = new Map<string, CompiledPattern>();

/** Compiles an RE2 / Go-syntax pattern; lookaround, backreferences and atomic groups are rejected. */
export function compileRewritePattern(pattern: string): CompiledPattern {
  const cached = compiledCache.get(pattern);
  if (cached) return cached;
  const compiled = compileUncached(pattern);
  compiledCache.set(pattern, compiled);
  return compiled;
}

function compileUncached(pattern: string): CompiledPattern {
  try {
    return { ok: true, pattern, regex: RE2JS.compile(pattern) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, pattern, error: message };
  }
}

/** A `$name` or `${name}` group reference of a Go template. */
export interface GroupReference {
  readonly name: string;
  readonly braced: boolean;
  /** Characters after the `$`. */
  readonly length: number;
}

export type TemplatePart = { readonly text: string } | { readonly reference: GroupReference };

/** Go `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; malformed `$` stays literal. */
export function expandGoTemplate(template: string, match: GoSubmatch): string {
  return templateParts(template)
    .map((part) => ("text" in part ? part.text : (groupText(match, part.reference.name) ?? "")))
    .join("");
}

/** The group references `expandGoTemplate` expands, in order. */
export function templateReferences(template: string): GroupReference[] {
  return templateParts(template).flatMap((part) => ("reference" in part ? [part.reference] : []));
}

/** The template as Go's `Expand` reads it: literal text (`$$` → `$`) and group references. */
export function templateParts(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let rest = template;
  for (let dollar = rest.indexOf("$"); dollar >= 0; dollar = rest.indexOf("$")) {
    parts.push({ text: rest.slice(0, dollar) });
    rest = rest.slice(dollar + 1);
    if (rest.startsWith("$")) {
      parts.push({ text: "$" });
      rest = rest.slice(1);
      continue;
    }
    const reference = parseGroupReference(rest);
    if (!reference) {
      parts.push({ text: "$" });
      continue;
    }
    parts.push({ reference });
    rest = rest.slice(reference.length);
  }
  parts.push({ text: rest });
  return parts;
}

// Go's `extract`: the name is the longest run of letters, digits and `_` (so `$1x` names group "1x").
const GROUP_NAME = /^[\p{L}\p{Nd}_]+/u;

/** The reference at the start of `text` (what follows a `$`), or undefined when Go reads the `$` literally. */
function parseGroupReference(text: string): GroupReference | undefined {
  const braced = text.startsWith("{");
  const name = GROUP_NAME.exec(braced ? text.slice(1) : text)?.[0];
  if (name === undefined) return undefined;
  if (!braced) return { name, braced, length: name.length };
  if (text[name.length + 1] !== "}") return undefined;
  return { name, braced, length: name.length + 2 };
}

function groupText(match: GoSubmatch, name: string): string | undefined {
  const number = groupNumber(name);
  if (number >= 0) return match.groups[number];
  const named = Object.prototype.hasOwnProperty.call(match.namedGroups, name)
    ? match.namedGroups[name]
    : undefined;
  return named === undefined ? undefined : match.groups[named];
}

/** Go reads a name of digits as a group number, except with a leading zero or beyond 1e8; else -1. */
export function groupNumber(name: string): number {
  if (!/^[0-9]+$/.test(name) || (name.length > 1 && name.startsWith("0")) || name.length > 9) return -1;
  return Number(name);
}

/**
 * Go `ReplaceAllString`: replaces every non-overlapping match, empty matches included, and
 * follows Go's loop exactly (no replacement for an empty match right after a previous match).
 */
export function replaceAllGo(
  compiled: Extract<CompiledPattern, { ok: true }>,
  subject: string,
  replacement: string,
): string {
  const matcher = compiled.regex.matcher(subject);
  const namedGroups = compiled.regex.namedGroups();
  let output = "";
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= subject.length && matcher.find(searchPos)) {
    const start = matcher.start();
    const end = matcher.end();
    output += subject.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) {
      output += expandGoTemplate(replacement, { groups: groupsOf(matcher), namedGroups });
    }
    lastMatchEnd = end;
    searchPos = nextSearchPosition(subject, searchPos, end);
  }
  return output + subject.slice(lastMatchEnd);
}

function groupsOf(matcher: ReturnType<RE2JS["matcher"]>): (string | undefined)[] {
  const groups: (string | undefined)[] = [];
  for (let index = 0; index <= matcher.groupCount(); index++) {
    groups.push(matcher.group(index) ?? undefined);
  }
  return groups;
}

/** Advance past the match, always by at least one character (one code point, as Go advances a rune). */
function nextSearchPosition(subject: string, searchPos: number, matchEnd: number): number {
  const width = searchPos < subject.length ? String.fromCodePoint(subject.codePointAt(searchPos)!).length : 0;
  if (searchPos + width > matchEnd) return searchPos + width;
  if (searchPos + 1 > matchEnd) return searchPos + 1;
  return matchEnd;
}

/**
 * One rule applied as containerd does: the rewritten repository, or `undefined` when the
 * rule does not compile or leaves the subject unchanged (an identity result counts as no match).
 */
export function applyRewriteRule(pattern: string, replacement: string, subject: string): string | undefined {
  const compiled = compileRewritePattern(pattern);
  if (!compiled.ok) return undefined;
  const output = replaceAllGo(compiled, subject, replacement);
  return output === subject ? undefined : output;
}

/** Every rule that would change the subject, in the given (sorted) order. */
export function rewriteOutcomes(rules: readonly DecodedRewrite[], subject: string): RewriteOutcomes {
  const results: RewriteResult[] = [];
  const invalid: InvalidRewrite[] = [];
  for (const { written, pattern, replacement } of rules) {
    const compiled = compileRewritePattern(pattern);
    if (!compiled.ok) {
      invalid.push({ rule: written, error: compiled.error });
      continue;
    }
    const repository = applyRewriteRule(pattern, replacement, subject);
    if (repository !== undefined) results.push({ rule: written, repository });
  }
  return { results, invalid };
}
