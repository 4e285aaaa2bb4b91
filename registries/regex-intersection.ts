/**
 * Regex intersection: is there a repository both patterns find a match in? Used to decide whether
 * two rewrite rules of one mirror can both change the same repository (rke2-registries.md §4.3).
 * Exact for the syntax a valid rule can use (no backslash, §4.8): literals, `.`, classes, groups,
 * alternation, repetition, `^` and `$`. Flags and POSIX classes are "unknown", which callers must
 * count as overlapping. Pure: no I/O.
 */

interface CharRange {
  readonly lo: number;
  readonly hi: number;
}

type RegexNode =
  | { readonly kind: "chars"; readonly ranges: readonly CharRange[] }
  | { readonly kind: "bol" | "eol" }
  | { readonly kind: "concat" | "alt"; readonly items: readonly RegexNode[] }
  | { readonly kind: "repeat"; readonly item: RegexNode; readonly min: number; readonly max?: number };

/**
 * `overlap`: `witness` is a shortest subject both patterns find a match in; `unknown`: the patterns
 * are beyond the supported syntax or the search bounds.
 */
export type Intersection =
  | { readonly kind: "disjoint" }
  | { readonly kind: "overlap"; readonly witness: string }
  | { readonly kind: "unknown" };

const MAX_CODE_POINT = 0x10ffff;
const ANY_CHAR: readonly CharRange[] = [{ lo: 0, hi: MAX_CODE_POINT }];
/** Go's `.` without the `s` flag. */
const ANY_BUT_NEWLINE: readonly CharRange[] = [
  { lo: 0, hi: 9 },
  { lo: 11, hi: MAX_CODE_POINT },
];
/** Bounds that keep the product search small; beyond them the answer is "unknown". */
const MAX_REPEAT = 50;
const MAX_SEARCH_STATES = 20000;

class UnsupportedRegex extends Error {}

/** Whether some subject contains a match of both Go-regexp patterns (each compiled already, no backslash). */
export function commonMatch(first: string, second: string): Intersection {
  try {
    return intersect(searchNfa(first), searchNfa(second));
  } catch (error) {
    if (error instanceof UnsupportedRegex) return { kind: "unknown" };
    throw error;
  }
}

/** A pattern finds a match somewhere in the subject: any text, the pattern, any text. */
function searchNfa(pattern: string): Nfa {
  const anyText: RegexNode = { kind: "repeat", item: { kind: "chars", ranges: ANY_CHAR }, min: 0 };
  const nfa = new Nfa();
  nfa.accept = nfa.build({ kind: "concat", items: [anyText, new RegexParser(pattern).parse(), anyText] });
  return nfa;
}

/** Parser for Go regexp syntax without backslashes (the patterns have compiled already). */
class RegexParser {
  private readonly chars: string[];
  private position = 0;

  constructor(pattern: string) {
    this.chars = [...pattern];
  }

  parse(): RegexNode {
    const node = this.alternation();
    if (this.position < this.chars.length) throw new UnsupportedRegex();
    return node;
  }

  private alternation(): RegexNode {
    const items = [this.concatenation()];
    while (this.peek() === "|") {
      this.position++;
      items.push(this.concatenation());
    }
    return items.length === 1 ? items[0] : { kind: "alt", items };
  }

  private concatenation(): RegexNode {
    const items: RegexNode[] = [];
    while (this.position < this.chars.length && this.peek() !== "|" && this.peek() !== ")") {
      items.push(this.repetition(this.atom()));
    }
    return { kind: "concat", items };
  }

  private atom(): RegexNode {
    const c = this.chars[this.position++];
    if (c === "(") return this.group();
    if (c === "[") return { kind: "chars", ranges: this.charClass() };
    if (c === ".") return { kind: "chars", ranges: ANY_BUT_NEWLINE };
    if (c === "^") return { kind: "bol" };
    if (c === "$") return { kind: "eol" };
    const code = c.codePointAt(0) as number;
    return { kind: "chars", ranges: [{ lo: code, hi: code }] };
  }

  private group(): RegexNode {
    const rest = this.chars.slice(this.position).join("");
    const opener = /^(?:\?:|\?P<[A-Za-z0-9_]+>)?/.exec(rest)?.[0] ?? "";
    if (rest.startsWith("?") && opener === "") throw new UnsupportedRegex(); // flags such as (?i)
    this.position += [...opener].length;
    const node = this.alternation();
    this.position++; // ")"
    return node;
  }

  private charClass(): CharRange[] {
    const negated = this.peek() === "^";
    if (negated) this.position++;
    const ranges: CharRange[] = [];
    let first = true;
    while (this.peek() !== "]" || first) {
      first = false;
      if (this.peek() === "[" && this.chars[this.position + 1] === ":") throw new UnsupportedRegex();
      const lo = this.chars[this.position++].codePointAt(0) as number;
      const isRange = this.peek() === "-" && this.chars[this.position + 1] !== "]";
      const hi = isRange ? (this.chars[(this.position += 2) - 1].codePointAt(0) as number) : lo;
      ranges.push({ lo, hi });
    }
    this.position++; // "]"
    return negated ? complement(ranges) : ranges;
  }

  private repetition(item: RegexNode): RegexNode {
    let node = item;
    for (;;) {
      const bounds = this.repeatBounds();
      if (!bounds) return node;
      if (this.peek() === "?") this.position++; // lazy: same language
      node = { kind: "repeat", item: node, ...bounds };
    }
  }

  private repeatBounds(): { min: number; max?: number } | undefined {
    const c = this.peek();
    if (c === "*" || c === "+" || c === "?") {
      this.position++;
      return c === "*" ? { min: 0 } : c === "+" ? { min: 1 } : { min: 0, max: 1 };
    }
    // `{` that is not a valid repeat is a literal in Go.
    const counted = /^\{(\d+)(,(\d*))?\}/.exec(this.chars.slice(this.position).join(""));
    if (!counted) return undefined;
    this.position += counted[0].length;
    const min = Number(counted[1]);
    const max = counted[2] === undefined ? min : counted[3] === "" ? undefined : Number(counted[3]);
    if (min > MAX_REPEAT || (max ?? 0) > MAX_REPEAT) throw new UnsupportedRegex();
    return max === undefined ? { min } : { min, max };
  }

  private peek(): string | undefined {
    return this.chars[this.position];
  }
}

function complement(ranges: readonly CharRange[]): CharRange[] {
  const sorted = [...ranges].sort((a, b) => a.lo - b.lo);
  const result: CharRange[] = [];
  let next = 0;
  for (const range of sorted) {
    if (range.lo > next) result.push({ lo: next, hi: range.lo - 1 });
    next = Math.max(next, range.hi + 1);
  }
  if (next <= MAX_CODE_POINT) result.push({ lo: next, hi: MAX_CODE_POINT });
  return result;
}

type NfaEdge =
  | { readonly kind: "chars"; readonly ranges: readonly CharRange[]; readonly to: number }
  | { readonly kind: "empty" | "bol" | "eol"; readonly to: number };

/** Thompson NFA; `bol`/`eol` edges may be taken only at the start/end of the subject. */
class Nfa {
  readonly edges: NfaEdge[][] = [];
  accept = -1;

  /** Builds `node` from a fresh start state (state 0 for the first call); returns its end state. */
  build(node: RegexNode, start = this.state()): number {
    switch (node.kind) {
      case "chars":
      case "bol":
      case "eol":
        return this.edge(
          start,
          node.kind === "chars" ? { kind: "chars", ranges: node.ranges } : { kind: node.kind },
        );
      case "concat":
        return node.items.reduce((from, item) => this.build(item, from), start);
      case "alt": {
        const end = this.state();
        for (const item of node.items) this.edges[this.build(item, start)].push({ kind: "empty", to: end });
        return end;
      }
      case "repeat":
        return this.buildRepeat(node.item, node.min, node.max, start);
    }
  }

  private buildRepeat(item: RegexNode, min: number, max: number | undefined, start: number): number {
    let end = start;
    for (let i = 0; i < min; i++) end = this.build(item, end);
    if (max === undefined) {
      const loopEnd = this.build(item, end);
      this.edges[loopEnd].push({ kind: "empty", to: end });
      return end;
    }
    const optionalEnd = this.state();
    for (let i = min; i < max; i++) {
      this.edges[end].push({ kind: "empty", to: optionalEnd });
      end = this.build(item, end);
    }
    this.edges[end].push({ kind: "empty", to: optionalEnd });
    return optionalEnd;
  }

  private state(): number {
    this.edges.push([]);
    return this.edges.length - 1;
  }

  private edge(
    from: number,
    edge: { kind: "chars"; ranges: readonly CharRange[] } | { kind: "bol" | "eol" },
  ): number {
    const to = this.state();
    this.edges[from].push({ ...edge, to });
    return to;
  }

  /** States reachable without reading a character, at the subject's start and/or end. */
  closure(states: Iterable<number>, atStart: boolean, atEnd: boolean): Set<number> {
    const reached = new Set(states);
    const pending = [...reached];
    for (let state = pending.pop(); state !== undefined; state = pending.pop()) {
      for (const edge of this.edges[state]) {
        const passable =
          edge.kind === "empty" || (edge.kind === "bol" && atStart) || (edge.kind === "eol" && atEnd);
        if (passable && !reached.has(edge.to)) {
          reached.add(edge.to);
          pending.push(edge.to);
        }
      }
    }
    return reached;
  }

  step(states: Set<number>, code: number): Set<number> {
    const next = new Set<number>();
    for (const state of states) {
      for (const edge of this.edges[state]) {
        if (edge.kind === "chars" && edge.ranges.some((range) => range.lo <= code && code <= range.hi)) {
          next.add(edge.to);
        }
      }
    }
    return next;
  }

  /** Range boundaries: characters between two consecutive boundaries behave identically. */
  boundaries(): number[] {
    return this.edges
      .flat()
      .flatMap((edge) => (edge.kind === "chars" ? edge.ranges.flatMap((r) => [r.lo, r.hi + 1]) : []));
  }
}

/** Characters a repository would typically contain, preferred as witnesses. */
const READABLE = [..."abcdefghijklmnopqrstuvwxyz0123456789-_./"].map((c) => c.codePointAt(0) as number);

/** One character per interval between boundaries, readable where possible. */
function representatives(boundaries: readonly number[]): number[] {
  const points = [...new Set([0, ...boundaries])]
    .filter((code) => code <= MAX_CODE_POINT)
    .sort((a, b) => a - b);
  return points.map((lo, index) => {
    const hi = (points[index + 1] ?? MAX_CODE_POINT + 1) - 1;
    const readable = READABLE.find((code) => lo <= code && code <= hi);
    return readable ?? (lo <= 0x7e && hi >= 0x21 ? Math.max(lo, 0x21) : lo);
  });
}

/** Breadth-first search over pairs of NFA state sets for a subject both accept (the shortest one). */
function intersect(first: Nfa, second: Nfa): Intersection {
  const alphabet = representatives([...first.boundaries(), ...second.boundaries()]);
  const queue = [{ sets: [new Set([0]), new Set([0])] as const, subject: "" }];
  const seen = new Set<string>();
  for (let index = 0; index < queue.length; index++) {
    const { sets, subject } = queue[index];
    const atStart = subject === "";
    const accepts = [first, second].every((nfa, i) => nfa.closure(sets[i], atStart, true).has(nfa.accept));
    if (accepts) return { kind: "overlap", witness: subject };
    const closed = [first.closure(sets[0], atStart, false), second.closure(sets[1], atStart, false)];
    for (const code of alphabet) {
      const next = [first.step(closed[0], code), second.step(closed[1], code)] as const;
      const key = `${[...next[0]].sort()}|${[...next[1]].sort()}`;
      if (next[0].size === 0 || next[1].size === 0 || seen.has(key)) continue;
      if (seen.size >= MAX_SEARCH_STATES) return { kind: "unknown" };
      seen.add(key);
      queue.push({ sets: next, subject: subject + String.fromCodePoint(code) });
    }
  }
  return { kind: "disjoint" };
}
