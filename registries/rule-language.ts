/**
 * The language of a rewrite rule as finite automata (refa), over the characters a repository path
 * can contain (`[a-z0-9]`, `.`, `_`, `-`, `/`): the subjects in which the
 * pattern finds a match (containerd calls `ReplaceAllString`), and, for a rule anchored at
 * both ends, its top-level segments so that a restriction can keep every capture group in place.
 *
 * refa reads JavaScript regex syntax, so the RE2 pattern (already compiled by re2js, and free of
 * backslashes) is translated token by token: the two dialects differ in `.` (Go excludes only
 * `\n`), in named groups and in `]` as the first class member. What cannot be translated exactly
 * (flags, POSIX classes, anchors inside the pattern) is reported, never approximated.
 */
import {
  CharSet,
  DFA,
  JS,
  NFA,
  type NoParent,
  type Concatenation,
  type Element,
  type Expression,
} from "refa";

/** UTF-16 code units: refa's range without the `u` flag. */
const MAX_CHARACTER = 0xffff;
const code = (c: string): number => c.charCodeAt(0);

/** The characters of a repository path, in the order witnesses prefer them. */
export const REPOSITORY_CHARACTERS: readonly string[] = [..."abcdefghijklmnopqrstuvwxyz0123456789-_./"];
export const REPOSITORY_ALPHABET = CharSet.fromCharacters(
  MAX_CHARACTER,
  REPOSITORY_CHARACTERS.map(code).sort((a, b) => a - b),
);

/** A top-level piece of a rule anchored at both ends: a capture group, or a run of other items. */
export interface RuleSegment {
  /** The RE2 text of the segment as written. */
  readonly source: string;
  /** For a capture group: the opener as written, `(`, `(?P<name>` or `(?<name>`. */
  readonly captureOpener?: string;
  /** Capture groups inside the segment (for a capture segment: besides the group itself). */
  readonly innerCaptures: number;
  readonly nfa: NFA;
}

export interface RuleLanguage {
  /** Subjects in which the pattern finds a match. */
  readonly search: NFA;
  /** Top-level segments when every match covers the whole subject (`^…$`, or `^…` ending in `.*`). */
  readonly segments?: readonly RuleSegment[];
  /** Capture group count and the named groups (name → number), as Go numbers them. */
  readonly groupCount: number;
  /** Group 0 (the whole match), then each capture group in Go's numbering. */
  readonly groups: readonly CaptureGroup[];
  readonly groupNames: Readonly<Record<string, number>>;
}

export interface CaptureGroup {
  /** The words the group can capture. */
  readonly nfa: NFA;
  /** The group may not take part in a match (inside an alternation or an optional repeat). */
  readonly optional: boolean;
}

export type RuleLanguageResult =
  { readonly ok: true; readonly language: RuleLanguage } | { readonly ok: false; readonly problem: string };

/** The rule's language; `problem` says which construct cannot be analysed and what to write instead. */
export function ruleLanguage(pattern: string): RuleLanguageResult {
  try {
    return { ok: true, language: new Translator(pattern).language() };
  } catch (error) {
    if (error instanceof Untranslatable) return { ok: false, problem: error.message };
    throw error;
  }
}

/** An NFA over the repository alphabet for a JavaScript regex source without assertions. */
export function repositoryNfa(jsSource: string): NFA {
  const { expression } = JS.Parser.fromLiteral({ source: jsSource, flags: "" }).parse();
  return restrictToAlphabet(NFA.fromRegex(expression, { maxCharacter: MAX_CHARACTER }));
}

// distribution/reference's path grammar: components of lower-case alphanumerics joined by `.`, `_`,
// `__` or dashes, separated by `/`. containerd only ever rewrites such paths.
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY_PATH = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

export function isRepositoryPath(text: string): boolean {
  return REPOSITORY_PATH.test(text);
}

let repositoryPaths: DFA | undefined;

/** The language restricted to valid repository paths. */
export function onlyRepositoryPaths(nfa: NFA): NFA {
  repositoryPaths ??= minimalDfa(repositoryNfa(`${COMPONENT}(?:\\/${COMPONENT})*`));
  return NFA.fromIntersection(nfa, repositoryPaths);
}

export function minimalDfa(nfa: NFA): DFA {
  const dfa = DFA.fromFA(nfa);
  dfa.minimize();
  return dfa;
}

/** Adds `nfa`, built on first use: most rules never need the automata of their parts. Never mutate it. */
function withLazyNfa<T extends object>(fields: T, jsSource: string): T & { readonly nfa: NFA } {
  let nfa: NFA | undefined;
  return Object.defineProperty(fields, "nfa", {
    get: () => (nfa ??= repositoryNfa(jsSource)),
    enumerable: true,
  }) as T & { readonly nfa: NFA };
}

/** Every repository-alphabet word. */
export function everything(): NFA {
  return repositoryNfa("[^]*");
}

function restrictToAlphabet(nfa: NFA): NFA {
  for (const node of [...nfa.nodes()]) {
    for (const [to, via] of [...node.out]) {
      const kept = via.intersect(REPOSITORY_ALPHABET);
      node.unlink(to);
      if (!kept.isEmpty) node.link(to, kept);
    }
  }
  nfa.removeUnreachable();
  return nfa;
}

/** Whether the NFA accepts every repository-alphabet word. */
export function coversEverything(nfa: NFA): boolean {
  const missing = DFA.fromFA(nfa);
  missing.complement();
  return DFA.fromIntersection(missing, everything()).isEmpty;
}

/** States of the DFA from which a final state can be reached. */
export function liveStates(dfa: DFA): Set<DFA.Node> {
  const nodes = [...dfa.nodes()];
  const live = new Set<DFA.Node>(dfa.finals);
  for (let changed = true; changed;) {
    changed = false;
    for (const node of nodes) {
      if (live.has(node) || ![...node.out].some(([, to]) => live.has(to))) continue;
      live.add(node);
      changed = true;
    }
  }
  return live;
}

class Untranslatable extends Error {}

interface Item {
  readonly source: string;
  readonly js: string;
  readonly anchor?: "^" | "$";
  readonly captureOpener?: string;
  /** The group's content, for a capture group without a quantifier. */
  readonly body?: { readonly source: string; readonly js: string };
  readonly captures: number;
}

/** Reads the RE2 pattern (valid, backslash-free) once, producing JS source per top-level item. */
class Translator {
  private readonly chars: string[];
  private position = 0;
  private groupCount = 0;
  private readonly groupNames: Record<string, number> = {};
  private readonly groupJs: string[] = [];
  private readonly optionalGroups = new Set<number>();

  constructor(pattern: string) {
    this.chars = [...pattern];
  }

  language(): RuleLanguage {
    const alternatives = this.alternatives(0);
    const search = alternatives.map((items) => searchSource(items)).join("|");
    const segments = alternatives.length === 1 ? this.wholeSubjectSegments(alternatives[0]) : undefined;
    const whole = alternatives
      .map((items) =>
        innerItems(items)
          .map((item) => item.js)
          .join(""),
      )
      .join("|");
    const groups = [whole, ...this.groupJs].map((js, number) =>
      withLazyNfa({ optional: this.optionalGroups.has(number) }, js),
    );
    return {
      search: repositoryNfa(search),
      ...(segments && { segments }),
      groupCount: this.groupCount,
      groups,
      groupNames: { ...this.groupNames },
    };
  }

  /**
   * Segments when the one match always spans the subject: `^…$`; `^…` ending in a greedy item that
   * takes any rest (`.*`, `(.*)`); or a lone greedy `(.*)` (its match starts at 0 and takes all).
   */
  private wholeSubjectSegments(items: readonly Item[]): RuleSegment[] | undefined {
    const inner = innerItems(items);
    const last = inner[inner.length - 1];
    const takesRest = last !== undefined && isGreedy(last) && coversEverything(repositoryNfa(last.js));
    const startAnchored = items[0]?.anchor === "^";
    const endAnchored = items[items.length - 1]?.anchor === "$";
    if (!startAnchored && !(inner.length === 1 && takesRest)) return undefined;
    if (!endAnchored && !takesRest) return undefined;
    return segmentsOf(inner);
  }

  private alternatives(depth: number): Item[][] {
    const firstGroup = this.groupCount + 1;
    const alternatives: Item[][] = [[]];
    while (this.position < this.chars.length && this.peek() !== ")") {
      if (this.peek() === "|") {
        this.position++;
        alternatives.push([]);
        continue;
      }
      alternatives[alternatives.length - 1].push(this.item(depth));
    }
    if (alternatives.length > 1) this.markOptional(firstGroup);
    return alternatives;
  }

  private item(depth: number): Item {
    const start = this.position;
    const firstGroup = this.groupCount + 1;
    const atom = this.atom(depth);
    const quantifier = this.quantifier();
    const source = this.chars.slice(start, this.position).join("");
    if (quantifier === "") return { ...atom, source };
    if (/^(?:[*?]|\{0[,}])/.test(quantifier)) this.markOptional(firstGroup);
    if (atom.anchor) throw new Untranslatable("a repeated `^` or `$` cannot be analysed");
    return { source, js: `(?:${atom.js})${quantifier}`, captures: atom.captures };
  }

  private atom(depth: number): Omit<Item, "source"> {
    const c = this.chars[this.position++];
    if (c === "(") return this.group(depth);
    if (c === "[") return { js: this.charClass(), captures: 0 };
    if (c === ".") return { js: "[^\\n]", captures: 0 };
    if (c === "^" || c === "$") return { js: "", anchor: c, captures: 0 };
    return { js: jsLiteral(c), captures: 0 };
  }

  private group(depth: number): Omit<Item, "source"> {
    const rest = this.chars.slice(this.position, this.position + 200).join("");
    const named = /^\?P?<([A-Za-z0-9_]+)>/.exec(rest);
    if (rest.startsWith("?") && !named && !rest.startsWith("?:")) {
      throw new Untranslatable(
        "flags such as `(?i)` are not supported in rules; repository paths are lower case, so write the letters as they are",
      );
    }
    const capturing = !rest.startsWith("?:");
    const opener = `(${capturing ? (named?.[0] ?? "") : "?:"}`;
    this.position += [...opener].length - 1;
    if (capturing) this.groupCount++;
    const number = this.groupCount;
    if (named) this.groupNames[named[1]] = number;
    const bodyStart = this.position;
    const alternatives = this.alternatives(depth + 1);
    const bodySource = this.chars.slice(bodyStart, this.position).join("");
    this.position++; // ")"
    if (alternatives.flat().some((item) => item.anchor)) {
      throw new Untranslatable("`^` and `$` are supported only at the start and end of the pattern");
    }
    const js = alternatives.map((items) => items.map((item) => item.js).join("")).join("|");
    if (capturing) this.groupJs[number - 1] = js;
    const captures = alternatives.flat().reduce((sum, item) => sum + item.captures, capturing ? 1 : 0);
    if (!capturing) return { js: `(?:${js})`, captures };
    return { js: `(?:${js})`, captureOpener: opener, body: { source: bodySource, js }, captures };
  }

  /** A Go bracket class as a JS class of explicit code points. */
  private charClass(): string {
    const negated = this.peek() === "^";
    if (negated) this.position++;
    const members: string[] = [];
    let first = true;
    while (this.peek() !== "]" || first) {
      first = false;
      if (this.peek() === "[" && this.chars[this.position + 1] === ":") {
        throw new Untranslatable(
          "POSIX classes such as `[[:alpha:]]` are not supported; write `[a-z]` or `[0-9]`",
        );
      }
      const lo = this.chars[this.position++];
      const isRange = this.peek() === "-" && this.chars[this.position + 1] !== "]";
      const hi = isRange ? this.chars[(this.position += 2) - 1] : lo;
      members.push(lo === hi ? jsCodeUnits(lo) : `${jsCodeUnits(lo)}-${jsCodeUnits(hi)}`);
    }
    this.position++; // "]"
    return `[${negated ? "^" : ""}${members.join("")}]`;
  }

  private quantifier(): string {
    let quantifier = "";
    for (;;) {
      const rest = this.chars.slice(this.position, this.position + 20).join("");
      const counted = /^\{\d+(?:,\d*)?\}/.exec(rest)?.[0];
      const simple = "*+?".includes(this.peek() ?? "x") ? this.peek() : undefined;
      const token = counted ?? simple;
      if (token === undefined) return quantifier;
      this.position += token.length;
      const lazy = this.peek() === "?" ? "?" : "";
      this.position += lazy.length;
      quantifier = quantifier === "" ? token + lazy : `${quantifier}${token}${lazy}`;
    }
  }

  private markOptional(firstGroup: number): void {
    for (let number = firstGroup; number <= this.groupCount; number++) this.optionalGroups.add(number);
  }

  private peek(): string | undefined {
    return this.chars[this.position];
  }
}

/** No lazy repeat anywhere in the item: a lazy `.*?` at the end would match as little as it can. */
function isGreedy(item: Item): boolean {
  return !/[*+?}]\?/.test(item.source);
}

function innerItems(items: readonly Item[]): Item[] {
  const inner = [...items];
  if (inner[0]?.anchor === "^") inner.shift();
  if (inner[inner.length - 1]?.anchor === "$") inner.pop();
  if (inner.some((item) => item.anchor)) {
    throw new Untranslatable("`^` and `$` are supported only at the start and end of the pattern");
  }
  return inner;
}

function searchSource(items: readonly Item[]): string {
  const inner = innerItems(items);
  const start = items[0]?.anchor === "^" ? "" : "[^]*";
  const end = items[items.length - 1]?.anchor === "$" ? "" : "[^]*";
  return `${start}(?:${inner.map((item) => item.js).join("")})${end}`;
}

/** Capture groups without a quantifier stand alone; everything between them is one segment. */
function segmentsOf(items: readonly Item[]): RuleSegment[] {
  const segments: RuleSegment[] = [];
  let run: Item[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const fields = {
      source: run.map((item) => item.source).join(""),
      innerCaptures: run.reduce((sum, item) => sum + item.captures, 0),
    };
    segments.push(withLazyNfa(fields, run.map((item) => item.js).join("")));
    run = [];
  };
  for (const item of items) {
    if (item.body === undefined || item.captureOpener === undefined) {
      run.push(item);
      continue;
    }
    flush();
    const fields = {
      source: item.body.source,
      captureOpener: item.captureOpener,
      innerCaptures: item.captures - 1,
    };
    segments.push(withLazyNfa(fields, item.body.js));
  }
  flush();
  return segments;
}

function jsCodeUnits(c: string): string {
  return [...c]
    .flatMap((char) => [...Array(char.length).keys()].map((i) => char.charCodeAt(i)))
    .map((unit) => `\\u${unit.toString(16).padStart(4, "0")}`)
    .join("");
}

function jsLiteral(c: string): string {
  return /^[A-Za-z0-9_]$/.test(c) ? c : c.length > 1 ? `(?:${jsCodeUnits(c)})` : jsCodeUnits(c);
}

// ---------------------------------------------------------------------------------------------
// refa's regex AST back to RE2 text, without a backslash
// ---------------------------------------------------------------------------------------------

/** RE2 text for refa's AST over the repository alphabet; never a backslash or a double quote. */
export function toRe2(expression: NoParent<Expression>): string {
  return alternation(expression.alternatives);
}

function alternation(alternatives: readonly NoParent<Concatenation>[]): string {
  return alternatives.map((alternative) => alternative.elements.map(element).join("")).join("|");
}

function grouped(alternatives: readonly NoParent<Concatenation>[]): string {
  const [only] = alternatives;
  if (alternatives.length === 1 && only.elements.length === 1 && only.elements[0].type === "CharacterClass") {
    return element(only.elements[0]);
  }
  return `(?:${alternation(alternatives)})`;
}

function element(node: NoParent<Element>): string {
  switch (node.type) {
    case "CharacterClass":
      return charClass(node.characters);
    case "Alternation":
      return `(?:${alternation(node.alternatives)})`;
    case "Quantifier":
      return grouped(node.alternatives) + quantifier(node.min, node.max) + (node.lazy ? "?" : "");
    default:
      throw new Error(`internal: refa produced a ${node.type}, which has no RE2 form here`);
  }
}

function quantifier(min: number, max: number): string {
  if (max === Infinity) return min === 0 ? "*" : min === 1 ? "+" : `{${min},}`;
  if (min === 0 && max === 1) return "?";
  return min === max ? `{${min}}` : `{${min},${max}}`;
}

/** A set of repository characters: `.` for all, `[^…]` when shorter, a literal or `[…]` otherwise. */
function charClass(characters: CharSet): string {
  const members = REPOSITORY_CHARACTERS.filter((c) => characters.has(code(c)));
  if (members.length === REPOSITORY_CHARACTERS.length) return ".";
  if (members.length === 1 && members[0] !== ".") return members[0];
  const absent = REPOSITORY_CHARACTERS.filter((c) => !characters.has(code(c)));
  if (absent.length < members.length) return `[^${classMembers(absent)}]`;
  return `[${classMembers(members)}]`;
}

/** Class members in code order, runs of letters or digits as ranges, `-` first where RE2 reads it literally. */
function classMembers(members: readonly string[]): string {
  const sorted = [...members].sort((a, b) => code(a) - code(b));
  const parts: string[] = sorted.includes("-") ? ["-"] : [];
  let run: string[] = [];
  const flush = () => {
    parts.push(run.length >= 3 ? `${run[0]}-${run[run.length - 1]}` : run.join(""));
    run = [];
  };
  for (const c of sorted.filter((member) => member !== "-")) {
    const previous = run[run.length - 1];
    const sameKind = previous !== undefined && kindOf(previous) === kindOf(c) && kindOf(c) !== "other";
    if (previous !== undefined && (code(c) !== code(previous) + 1 || !sameKind)) flush();
    run.push(c);
  }
  if (run.length > 0) flush();
  return parts.join("");
}

function kindOf(c: string): "letter" | "digit" | "other" {
  return /[a-z]/.test(c) ? "letter" : /[0-9]/.test(c) ? "digit" : "other";
}
