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
  | {
      readonly ok: true;
      readonly pattern: string;
      readonly regex: RE2JS;
      /** The pattern as a JavaScript RegExp, where it provably matches alike on ASCII (`jsEquivalent`). */
      readonly js?: RegExp;
    }
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
    const regex = RE2JS.compile(pattern);
    const js = jsEquivalent(pattern);
    return js ? { ok: true, pattern, regex, js } : { ok: true, pattern, regex };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, pattern, error: message };
  }
}

/**
 * A JavaScript RegExp that finds the same matches and groups as Go's regexp for a valid RE2
 * `pattern`, on printable ASCII text (repository paths), or `undefined` outside the subset where
 * the two agree. Both engines pick the leftmost-first match with Perl's preferences; in this subset
 * the syntax means the same: ASCII literals, `.`, classes of literals and ranges, `^`/`$` (no
 * multi-line flag in either), groups (`(?P<name>` spelled `(?<name>`), alternation and greedy or
 * lazy quantifiers with counts on single characters and classes, and `?` on a group that cannot
 * match "". Refused: any backslash, other `(?` forms (flags), POSIX classes and `[` or a leading `]`
 * in a class, `{` that is no count, repeating a group (JavaScript clears a repeated group's captures
 * on each iteration, Go keeps them), and `?` on a group that can match "" (JavaScript refuses an
 * empty iteration, Go takes it).
 */
export function jsEquivalent(pattern: string): RegExp | undefined {
  const source = jsSource(pattern);
  if (source === undefined) return undefined;
  try {
    return new RegExp(source, "g");
  } catch {
    return undefined;
  }
}

const QUANTIFIER = /^(?:[*+?]|\{[0-9]+(?:,[0-9]*)?\})\??/;
const OPTIONAL = /^\?\??$/;
const PLAIN_LITERAL = /^[\x20-\x7e]$/;
const GROUP_OPENER = /^\((?:\?:|\?P?<[A-Za-z_][A-Za-z0-9_]*>)?/;
const CHARACTER_CLASS = /^\[\^?[^\][\\][^\][\\]*\]/;

/** An open group while translating: whether its current alternative, and any closed one, can match "". */
interface Frame {
  sequenceNullable: boolean;
  anyAlternativeNullable: boolean;
}

/** The last item read, until the next token shows whether a quantifier applies to it. */
interface Item {
  nullable: boolean;
  /** Set for a group: a quantifier on it is checked. */
  group?: boolean;
}

function jsSource(pattern: string): string | undefined {
  const frames: Frame[] = [{ sequenceNullable: true, anyAlternativeNullable: false }];
  let item: Item | undefined;
  const commit = () => {
    if (item) frames[frames.length - 1].sequenceNullable &&= item.nullable;
    item = undefined;
  };
  let source = "";
  for (let index = 0; index < pattern.length;) {
    const rest = pattern.slice(index);
    const char = pattern[index];
    if (char === "\\" || !PLAIN_LITERAL.test(char)) return undefined;
    const quantifier = QUANTIFIER.exec(rest)?.[0];
    if (quantifier !== undefined) {
      if (!item || (item.group && (!OPTIONAL.test(quantifier) || item.nullable))) return undefined;
      item.nullable ||= /^(?:[*?]|\{0[,}])/.test(quantifier);
      source += quantifier;
      index += quantifier.length;
      continue;
    }
    commit();
    let token = char;
    if (char === "(") {
      token = GROUP_OPENER.exec(rest)![0];
      if (rest.startsWith("(?") && token === "(") return undefined;
      frames.push({ sequenceNullable: true, anyAlternativeNullable: false });
    } else if (char === "|" || char === ")") {
      const frame = frames[frames.length - 1];
      frame.anyAlternativeNullable ||= frame.sequenceNullable;
      frame.sequenceNullable = true;
      if (char === ")") {
        if (frames.length === 1) return undefined;
        item = { nullable: frames.pop()!.anyAlternativeNullable, group: true };
      }
    } else if (char === "[") {
      token = CHARACTER_CLASS.exec(rest)?.[0] ?? "";
      if (token === "") return undefined;
      item = { nullable: false };
    } else if (char === "{" || char === "]" || char === "}") {
      return undefined;
    } else {
      item = { nullable: char === "^" || char === "$" };
    }
    source += token.replace("(?P<", "(?<");
    index += token.length;
  }
  return frames.length === 1 ? source : undefined;
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

// Replacements are parsed once per text: resolution expands them for every image and endpoint.
const templateCache = new Map<string, readonly TemplatePart[]>();

/** The template as Go's `Expand` reads it: literal text (`$$` → `$`) and group references. */
export function templateParts(template: string): readonly TemplatePart[] {
  let parts = templateCache.get(template);
  if (!parts) templateCache.set(template, (parts = parseTemplate(template)));
  return parts;
}

function parseTemplate(template: string): TemplatePart[] {
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
  if (compiled.js && PRINTABLE_ASCII.test(subject))
    return replaceAllJs(compiled, compiled.js, subject, replacement);
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

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The same loop on the JavaScript equivalent: only where `jsEquivalent` proved it matches alike. */
function replaceAllJs(
  compiled: Extract<CompiledPattern, { ok: true }>,
  js: RegExp,
  subject: string,
  replacement: string,
): string {
  const namedGroups = compiled.regex.namedGroups();
  let output = "";
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= subject.length) {
    js.lastIndex = searchPos;
    const match = js.exec(subject);
    if (!match) break;
    const start = match.index;
    const end = start + match[0].length;
    output += subject.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0)
      output += expandGoTemplate(replacement, { groups: match, namedGroups });
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
