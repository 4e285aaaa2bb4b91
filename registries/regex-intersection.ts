/**
 * Which rewrite rules of one mirror can both change the same repository (docs/registries.md#rewrites),
 * decided on the rules' automata (refa, see rule-language.ts) for a whole list at once.
 *
 * refa intersects two automata; a list of n rules would need n² intersections. Instead one subset
 * construction runs over all rules' NFAs together, each DFA state remembering which rules accept
 * there: two rules overlap exactly when some reachable state accepts both, and a breadth-first
 * construction yields a shortest repository both match. States only fan out where rules share a
 * prefix, so the work follows the size of the rules, not the number of pairs. Pure: no I/O.
 */
import { DFA, type NFA } from "refa";
import { REPOSITORY_CHARACTERS, onlyRepositoryPaths, ruleLanguage, type RuleLanguage } from "./rule-language";

/** `overlap`: `witness` is a shortest repository both patterns find a match in. */
export type Intersection =
  | { readonly kind: "disjoint" }
  | { readonly kind: "overlap"; readonly witness: string }
  | { readonly kind: "unknown"; readonly problem: string };

/** What the analysis found for one rule of the list. */
export interface RuleOverlaps {
  /** Earlier rules this rule shares repositories with, each with a shortest shared repository. */
  readonly earlier: ReadonlyMap<number, string>;
  /** A repository only this rule (of itself and the earlier ones) matches; absent when every match is taken earlier. */
  readonly ownWitness?: string;
  /** A repository the rule matches at all; absent when it matches none. */
  readonly anyWitness?: string;
}

/** Beyond this many combined states the rules are refused as too complex to prove anything about. */
export const MAX_ANALYSIS_STATES = 200_000;

export class AnalysisTooLarge extends Error {}

/** Whether some valid repository path contains a match of both Go-regexp patterns. */
export function commonMatch(first: string, second: string): Intersection {
  const languages = [first, second].map((pattern) => ruleLanguage(pattern));
  for (const language of languages) if (!language.ok) return { kind: "unknown", problem: language.problem };
  const searches = languages.map((language) =>
    onlyRepositoryPaths((language as { language: RuleLanguage }).language.search),
  );
  const witness = analyseOverlaps(searches)[1].earlier.get(0);
  return witness === undefined ? { kind: "disjoint" } : { kind: "overlap", witness };
}

interface CompactDfa {
  readonly finals: ReadonlySet<number>;
  /** Per state, per repository character index: the successor state, or -1. */
  readonly next: readonly Int32Array[];
}

/** For each rule, in list order: the earlier rules it overlaps and whether it keeps repositories of its own. */
export function analyseOverlaps(languages: readonly NFA[]): RuleOverlaps[] {
  const compact = languages.map(compactDfa);
  const offsets = [0];
  for (const dfa of compact) offsets.push(offsets[offsets.length - 1] + dfa.next.length);
  const ruleOf = (state: number) => upperBound(offsets, state) - 1;
  const local = (state: number) => state - offsets[ruleOf(state)];

  const results = languages.map(() => ({
    earlier: new Map<number, string>(),
    ownWitness: undefined as string | undefined,
    anyWitness: undefined as string | undefined,
  }));
  const start = compact.map((_, rule) => offsets[rule]);
  const queue: { readonly states: readonly number[]; readonly word: string }[] = [
    { states: start, word: "" },
  ];
  const seen = new Set<string>([start.join(",")]);
  for (let index = 0; index < queue.length; index++) {
    const { states, word } = queue[index];
    // Repository paths are never empty.
    if (word !== "") recordAcceptance(states, word, ruleOf, local, compact, results);
    for (const [successor, c] of successors(states, ruleOf, local, compact, offsets)) {
      const key = successor.join(",");
      if (seen.has(key)) continue;
      if (seen.size >= MAX_ANALYSIS_STATES) throw new AnalysisTooLarge();
      seen.add(key);
      queue.push({ states: successor, word: word + c });
    }
  }
  return results.map(({ earlier, ownWitness, anyWitness }) => ({
    earlier,
    ...(ownWitness !== undefined && { ownWitness }),
    ...(anyWitness !== undefined && { anyWitness }),
  }));
}

function recordAcceptance(
  states: readonly number[],
  word: string,
  ruleOf: (state: number) => number,
  local: (state: number) => number,
  compact: readonly CompactDfa[],
  results: { earlier: Map<number, string>; ownWitness?: string; anyWitness?: string }[],
): void {
  const accepting = [...new Set(states.filter((s) => compact[ruleOf(s)].finals.has(local(s))).map(ruleOf))];
  accepting.sort((a, b) => a - b);
  accepting.forEach((rule, position) => {
    const result = results[rule];
    result.anyWitness ??= word;
    if (position === 0) result.ownWitness ??= word;
    for (const earlier of accepting.slice(0, position)) {
      if (!result.earlier.has(earlier)) result.earlier.set(earlier, word);
    }
  });
}

/**
 * The successor combined states, one per group of characters leading to the same one. Each rule is
 * a DFA, so a combined state holds at most one state per rule, in rule order.
 */
function successors(
  states: readonly number[],
  ruleOf: (state: number) => number,
  local: (state: number) => number,
  compact: readonly CompactDfa[],
  offsets: readonly number[],
): [number[], string][] {
  const byKey = new Map<string, [number[], string]>();
  const rules = states.map(ruleOf);
  const locals = states.map(local);
  REPOSITORY_CHARACTERS.forEach((c, charIndex) => {
    const next: number[] = [];
    states.forEach((_, i) => {
      const to = compact[rules[i]].next[locals[i]][charIndex];
      if (to >= 0) next.push(offsets[rules[i]] + to);
    });
    if (next.length === 0) return;
    const key = next.join(",");
    if (!byKey.has(key)) byKey.set(key, [next, c]);
  });
  return [...byKey.values()];
}

/** The rule's minimal DFA as arrays; state 0 is the initial state. */
function compactDfa(nfa: NFA): CompactDfa {
  const dfa = DFA.fromFA(nfa);
  dfa.minimize();
  const ids = new Map<DFA.ReadonlyNode, number>([[dfa.initial, 0]]);
  const order: DFA.ReadonlyNode[] = [dfa.initial];
  const next: Int32Array[] = [];
  const finals = new Set<number>();
  for (let id = 0; id < order.length; id++) {
    const node = order[id];
    if (dfa.finals.has(node as DFA.Node)) finals.add(id);
    const perChar = new Int32Array(REPOSITORY_CHARACTERS.length).fill(-1);
    for (const [range, to] of node.out) {
      if (!ids.has(to)) {
        ids.set(to, order.length);
        order.push(to);
      }
      CHARACTER_CODES.forEach((c, charIndex) => {
        if (range.min <= c && c <= range.max) perChar[charIndex] = ids.get(to) as number;
      });
    }
    next.push(perChar);
  }
  return { finals, next };
}

const CHARACTER_CODES = REPOSITORY_CHARACTERS.map((c) => c.charCodeAt(0));

/** The first index whose value is greater than `value` (offsets are ascending). */
function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
