/**
 * Compiles a mirror's ORDERED rewrite rules into the `rewrite` map RKE2/K3s expects, so that the
 * result does not depend on the random order in which containerd tries map entries (the
 * first rule that changes the subject wins: docs/registries.md#rewrites).
 *
 * Each rule may still match what no earlier rule matches: its own language minus theirs. A rule
 * that overlaps no earlier rule is written as it is. An overlapping rule is narrowed on its
 * automaton (refa): the earlier rules' languages are complemented and intersected with each
 * top-level segment of the rule (the capture groups and the runs between them), so every group
 * keeps capturing exactly what it captured before, and the narrowed segments are written back as
 * RE2 without a backslash (docs/registries.md#backslashes-and-quotes-break-hoststoml). Where the
 * narrowing cannot keep the groups, the rule is refused with a repository both rules match. Pass-through (`keep`) rules are never written: they only
 * take their repositories away from later rules, so those reach Harbor unchanged. Finally the
 * written patterns are proved pairwise disjoint on their automata.
 */
import { DFA, NFA, TooManyNodesError, type TransitionIterable } from "refa";
import { hazardEffect, hostsTomlHazard, type RewriteField } from "./hosts-toml";
import { errorAt, ValidationError, type Diagnostic, type KeyPath } from "./diagnostics";
import {
  isPassThrough,
  type OrderedRewrite,
  type RegistriesFile,
  type RegistriesSpec,
  type Mirror,
} from "./model";
import { AnalysisTooLarge, analyseOverlaps, type RuleOverlaps } from "./regex-intersection";
import { compileRewritePattern } from "./rewrite";
import {
  liveStates,
  onlyRepositoryPaths,
  ruleLanguage,
  toRe2,
  type RuleLanguage,
  type RuleSegment,
} from "./rule-language";
import { replacementProblem, targetProjects, type TargetProjects } from "./rule-output";

/** One rule of the user's list and what it compiled to. */
export interface CompiledRule {
  /** Position in the user's list (0 = highest priority). */
  readonly priority: number;
  /** The rule as the user wrote it. */
  readonly rule: OrderedRewrite;
  /** The pattern written to registries.yaml; absent for a pass-through rule, which is not written. */
  readonly pattern?: string;
}

export interface CompileOptions {
  /**
   * Rules whose replacement the caller built itself and vouches for (a proxy-cache rule whose
   * project may be a Terraform token): their replacement is not checked.
   * @default - every replacement is checked
   */
  readonly trusted?: (rule: OrderedRewrite) => boolean;
}

// A construct compiles its rules when it is created, and rendering compiles the same list again.
const compiledLists = new WeakMap<readonly OrderedRewrite[], CompiledRule[]>();
const languagesOf = new WeakMap<CompiledRule, RuleLanguage>();

/**
 * Compiles ordered rules; throws ValidationError at `[...path, i, "match"]` (or `"replace"`), e.g.
 * `rewrites."docker.io"[0].match`.
 */
export function compileRuleList(
  rules: readonly OrderedRewrite[],
  path: KeyPath,
  options: CompileOptions = {},
): CompiledRule[] {
  const cached = compiledLists.get(rules);
  if (cached) return cached;
  const languages: (RuleLanguage | undefined)[] = [];
  const diagnostics: Diagnostic[] = [];
  rules.forEach((rule, index) => {
    const checked = checkRule(rule, [...path, index], options.trusted?.(rule) ?? false);
    if ("diagnostic" in checked) diagnostics.push(checked.diagnostic);
    languages.push("language" in checked ? checked.language : undefined);
  });
  if (diagnostics.length > 0) throw new ValidationError(diagnostics);
  const parsed = languages as RuleLanguage[];
  const searches = parsed.map((language) => onlyRepositoryPaths(language.search));
  const overlaps = analyse(searches, path);
  const compiled = rules.map((_, index) => compileOne(rules, parsed, overlaps, index, path));
  const problems = compiled.flatMap((result) => ("diagnostic" in result ? [result.diagnostic] : []));
  if (problems.length > 0) throw new ValidationError(problems);
  const result = compiled.map((entry) => (entry as { compiled: CompiledRule }).compiled);
  proveDisjoint(result, searches);
  result.forEach((entry, index) => languagesOf.set(entry, parsed[index]));
  compiledLists.set(rules, result);
  return result;
}

/** The Harbor projects a compiled rule sends repositories to. */
export function targetProjectsOf(compiled: CompiledRule): TargetProjects {
  const language = languagesOf.get(compiled);
  if (!language) throw new Error("internal: not a rule compiled by compileRuleList");
  return targetProjects(compiled.rule, language);
}

/** The `rewrite` map of the compiled rules (pass-through rules write nothing). */
export function compileOrderedRewrites(
  rules: readonly OrderedRewrite[],
  path: KeyPath,
): Record<string, string> {
  return rewriteMapOf(compileRuleList(rules, path));
}

export function rewriteMapOf(compiled: readonly CompiledRule[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const { rule, pattern } of compiled) {
    if (pattern !== undefined && !isPassThrough(rule)) map[pattern] = rule.replace;
  }
  return map;
}

/** `RegistriesSpec` → `RegistriesFile`: mirrors by registry (sorted), rules compiled, configs copied. */
export function compileRegistriesSpec(spec: RegistriesSpec): RegistriesFile {
  const diagnostics: Diagnostic[] = [];
  const mirrors: Record<string, Mirror> = {};
  const seen = new Set<string>();
  for (const mirror of [...spec.mirrors].sort((a, b) => compareStrings(a.registry, b.registry))) {
    const path = ["mirrors", mirror.registry];
    if (seen.has(mirror.registry)) {
      diagnostics.push(
        error(
          "rewrite-duplicate-mirror",
          path,
          `registry ${JSON.stringify(mirror.registry)} is described twice; describe each registry once`,
        ),
      );
      continue;
    }
    seen.add(mirror.registry);
    try {
      mirrors[mirror.registry] = compileMirror(mirror.endpoints, mirror.rewrites, [...path, "rewrites"]);
    } catch (caught) {
      if (!(caught instanceof ValidationError)) throw caught;
      diagnostics.push(...caught.diagnostics);
    }
  }
  if (diagnostics.length > 0) throw new ValidationError(diagnostics);
  return { mirrors, configs: { ...spec.configs } };
}

function compileMirror(
  endpoints: readonly string[],
  rules: readonly OrderedRewrite[],
  path: KeyPath,
): Mirror {
  const rewrite = rules.length === 0 ? {} : compileOrderedRewrites(rules, path);
  if (Object.keys(rewrite).length === 0) return { endpoint: [...endpoints] };
  return { endpoint: [...endpoints], rewrite };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A rule either rewrites (`replace`) or keeps the repository (`keep: true`); JavaScript and YAML can give both or neither. */
function targetProblem(rule: OrderedRewrite, rulePath: KeyPath): Diagnostic | undefined {
  const { replace, keep } = rule as { readonly replace?: unknown; readonly keep?: unknown };
  if (replace !== undefined && keep !== undefined) {
    return error(
      "rewrite-target-missing",
      [...rulePath, "keep"],
      "is set together with replace: a rule either rewrites (replace) or keeps the repository (keep: true)",
    );
  }
  if (replace === undefined && keep !== true) {
    return error(
      "rewrite-target-missing",
      [...rulePath, "replace"],
      "is required (or keep: true, to pass the repositories this rule matches to Harbor unchanged)",
    );
  }
  return undefined;
}

type Checked = { readonly language: RuleLanguage } | { readonly diagnostic: Diagnostic };

/** What one rule must satisfy on its own: RE2, no backslash or quote, a valid replacement. */
function checkRule(rule: OrderedRewrite, rulePath: KeyPath, trusted: boolean): Checked {
  const target = targetProblem(rule, rulePath);
  if (target) return { diagnostic: target };
  const texts: [string, string, RewriteField][] = [["match", rule.match, "pattern"]];
  if (!isPassThrough(rule) && !trusted) texts.push(["replace", rule.replace, "replacement"]);
  for (const [field, text, position] of texts) {
    const hazard = hostsTomlHazard(text, position);
    if (hazard !== undefined) {
      return {
        diagnostic: error(
          "rewrite-rule-unsupported",
          [...rulePath, field],
          `${field} ${JSON.stringify(text)} contains ${hazard.what}, which hosts.toml cannot carry ` +
            `(RKE2/K3s write rules into it unescaped, and ${hazardEffect(hazard)}); ` +
            "write literal characters as `[.]`, `[-]` or `[0-9]` instead",
        ),
      };
    }
  }
  const unsupportedMatch = (problem: string) => ({
    diagnostic: error(
      "rewrite-rule-unsupported",
      [...rulePath, "match"],
      `match ${JSON.stringify(rule.match)}${problem}`,
    ),
  });
  const compiled = compileRewritePattern(rule.match);
  if (!compiled.ok) return unsupportedMatch(` is not a valid RE2 pattern: ${compiled.error}`);
  const language = ruleLanguage(rule.match);
  if (!language.ok) return unsupportedMatch(`: ${language.problem}`);
  const problem = isPassThrough(rule) || trusted ? undefined : replacementProblem(rule, language.language);
  if (problem) return { diagnostic: error("rewrite-replacement-invalid", [...rulePath, "replace"], problem) };
  return { language: language.language };
}

function analyse(searches: readonly NFA[], path: KeyPath): RuleOverlaps[] {
  try {
    return analyseOverlaps(searches);
  } catch (caught) {
    if (!(caught instanceof AnalysisTooLarge)) throw caught;
    throw new ValidationError([
      error(
        "rewrite-rules-too-complex",
        path,
        "the rules are too complex to prove their order (more than 200,000 combined states); simplify them",
      ),
    ]);
  }
}

type Outcome = { readonly compiled: CompiledRule } | { readonly diagnostic: Diagnostic };

function compileOne(
  rules: readonly OrderedRewrite[],
  languages: readonly RuleLanguage[],
  overlaps: readonly RuleOverlaps[],
  index: number,
  path: KeyPath,
): Outcome {
  const rule = rules[index];
  const matchPath = [...path, index, "match"];
  const { earlier, ownWitness, anyWitness } = overlaps[index];
  if (ownWitness === undefined) {
    return {
      diagnostic: error("rewrite-rule-conflict", matchPath, neverApplies(rules, index, earlier, anyWitness)),
    };
  }
  if (isPassThrough(rule)) return { compiled: { priority: index, rule } };
  if (earlier.size === 0) return { compiled: { priority: index, rule, pattern: rule.match } };
  const narrowed = narrow(
    languages[index],
    [...earlier.keys()].map((j) => languages[j]),
  );
  if (narrowed.ok) return { compiled: { priority: index, rule, pattern: narrowed.pattern } };
  const [first, witness] = [...earlier.entries()][0];
  return {
    diagnostic: error(
      "rewrite-rule-conflict",
      matchPath,
      `rule ${index} ${JSON.stringify(rule.match)} overlaps rule ${first} ${JSON.stringify(rules[first].match)}: ` +
        `both match ${JSON.stringify(witness)}, and rule ${first} wins there because it comes first; rule ${index} ` +
        `cannot be narrowed to the rest while keeping its capture groups (${narrowed.reason}). ` +
        "Make the two rules disjoint, e.g. by anchoring both on different literal prefixes (`^team-a/(.*)$`, `^team-b/(.*)$`)",
    ),
  };
}

function neverApplies(
  rules: readonly OrderedRewrite[],
  index: number,
  earlier: ReadonlyMap<number, string>,
  anyWitness: string | undefined,
): string {
  const rule = JSON.stringify(rules[index].match);
  if (anyWitness === undefined) {
    return `rule ${index} ${rule} matches no repository path (lower-case letters and digits, joined by '.', '_', '__' or '-', separated by '/'); fix the pattern or remove the rule`;
  }
  const [first, witness] = [...earlier.entries()][0];
  return (
    `rule ${index} ${rule} can never apply: every repository it matches is taken by earlier rules ` +
    `(e.g. ${JSON.stringify(witness)} by rule ${first} ${JSON.stringify(rules[first].match)}); ` +
    "put the more specific rule first, or remove it"
  );
}

type Narrowed =
  { readonly ok: true; readonly pattern: string } | { readonly ok: false; readonly reason: string };

/** The rule restricted to what none of `earlier` matches, with its capture groups unchanged. */
function narrow(language: RuleLanguage, earlier: readonly RuleLanguage[]): Narrowed {
  const segments = language.segments;
  if (segments === undefined) {
    return { ok: false, reason: "only a rule anchored at both ends, `^…$`, can be narrowed" };
  }
  const allowed = allowedByEarlier(earlier);
  const path = statePath(allowed, segments);
  if (!path.ok) return path;
  const parts: string[] = [];
  let changed = false;
  for (const [j, segment] of segments.entries()) {
    const exits = j === segments.length - 1 ? allowed.finals : new Set([path.states[j + 1]]);
    const entry = path.states[j];
    if (isSubset(reach(entry, segment.nfa), exits)) {
      parts.push(segment.captureOpener ? `${segment.captureOpener}${segment.source})` : segment.source);
      continue;
    }
    if (segment.innerCaptures > 0) {
      return {
        ok: false,
        reason: `the part ${JSON.stringify(segment.source)} would change, and it holds a group`,
      };
    }
    const text = segmentRegex(segment, allowed, entry, exits);
    if (text === undefined) return { ok: false, reason: "the narrowed pattern would be too large" };
    parts.push(segment.captureOpener ? `${segment.captureOpener}${text})` : `(?:${text})`);
    changed = true;
  }
  const ambiguity = changed ? ambiguousBoundary(segments) : undefined;
  if (ambiguity) return { ok: false, reason: ambiguity };
  const pattern = `^${parts.join("")}$`;
  if (!compileRewritePattern(pattern).ok) throw new Error(`internal: narrowed pattern ${pattern} is not RE2`);
  return { ok: true, pattern };
}

/** A complete DFA of every repository none of the earlier rules finds a match in. */
function allowedByEarlier(earlier: readonly RuleLanguage[]): DFA {
  const union = earlier[0].search.copy();
  for (const other of earlier.slice(1)) union.union(other.search);
  const allowed = DFA.fromFA(union);
  allowed.minimize();
  // Complemented last, so the DFA stays complete: words that leave the allowed language are tracked.
  allowed.complement();
  return allowed;
}

type StatePath =
  | { readonly ok: true; readonly states: readonly DFA.Node[] }
  | { readonly ok: false; readonly reason: string };

/**
 * The allowed-DFA state at every boundary between segments. Groups keep their text only when each
 * boundary has one state: otherwise what a later group may capture depends on an earlier group.
 */
function statePath(allowed: DFA, segments: readonly RuleSegment[]): StatePath {
  const forward: Set<DFA.Node>[] = [new Set([allowed.initial])];
  for (const segment of segments) {
    const next = new Set<DFA.Node>();
    for (const state of forward[forward.length - 1]) for (const to of reach(state, segment.nfa)) next.add(to);
    forward.push(next);
  }
  const useful: Set<DFA.Node>[] = [];
  useful[segments.length] = new Set(
    [...forward[segments.length]].filter((state) => allowed.finals.has(state)),
  );
  for (let j = segments.length - 1; j >= 0; j--) {
    useful[j] = new Set(
      [...forward[j]].filter((state) =>
        [...reach(state, segments[j].nfa)].some((to) => useful[j + 1].has(to)),
      ),
    );
  }
  for (let j = 1; j < segments.length; j++) {
    if (useful[j].size > 1) {
      return {
        ok: false,
        reason: `what may follow ${JSON.stringify(
          segments
            .slice(0, j)
            .map((s) => s.source)
            .join(""),
        )} would depend on its text`,
      };
    }
  }
  return { ok: true, states: useful.slice(0, segments.length).map((set) => [...set][0]) };
}

/** The allowed-DFA states reached from `state` by the words of `nfa`. */
function reach(state: DFA.Node, nfa: NFA): Set<DFA.Node> {
  const iterator = nfa.transitionIterator();
  const reached = new Set<DFA.Node>();
  const seen = new Map<unknown, Set<DFA.Node>>();
  const pending: [unknown, DFA.Node][] = [[iterator.initial, state]];
  seen.set(iterator.initial, new Set([state]));
  for (let pair = pending.pop(); pair !== undefined; pair = pending.pop()) {
    const [node, dfaNode] = pair as [typeof iterator.initial, DFA.Node];
    if (iterator.isFinal(node)) reached.add(dfaNode);
    for (const [to, via] of iterator.getOut(node)) {
      for (const [range, dfaTo] of dfaNode.out) {
        if (via.isDisjointWith(range)) continue;
        const visited = seen.get(to) ?? new Set<DFA.Node>();
        seen.set(to, visited);
        if (visited.has(dfaTo)) continue;
        visited.add(dfaTo);
        pending.push([to, dfaTo]);
      }
    }
  }
  return reached;
}

function isSubset<T>(set: ReadonlySet<T>, of: ReadonlySet<T>): boolean {
  return [...set].every((item) => of.has(item));
}

/** RE2 text for the segment's words that lead from `entry` to one of `exits`. */
function segmentRegex(
  segment: RuleSegment,
  allowed: DFA,
  entry: DFA.Node,
  exits: ReadonlySet<DFA.Node>,
): string | undefined {
  const view: TransitionIterable<DFA.ReadonlyNode> = {
    maxCharacter: allowed.maxCharacter,
    transitionIterator: () => {
      const iterator = allowed.transitionIterator();
      return { initial: entry, getOut: iterator.getOut, isFinal: (node) => exits.has(node as DFA.Node) };
    },
  };
  const narrowed = DFA.fromFA(NFA.fromIntersection(segment.nfa, view));
  narrowed.minimize();
  try {
    return toRe2(narrowed.toRegex({ maxNodes: 100_000 }));
  } catch (caught) {
    if (caught instanceof TooManyNodesError) return undefined;
    throw caught;
  }
}

/**
 * Narrowed groups capture what they captured before only if each repository splits into the
 * segments in one way: at every boundary, the part before is a prefix code or the part after a
 * suffix code.
 */
function ambiguousBoundary(segments: readonly RuleSegment[]): string | undefined {
  for (let j = 1; j < segments.length; j++) {
    const before = concatenation(segments.slice(0, j));
    const after = concatenation(segments.slice(j));
    after.reverse();
    if (!isPrefixCode(before) && !isPrefixCode(after)) {
      const text = segments
        .slice(0, j)
        .map((segment) => segment.source)
        .join("");
      return `a repository can be split after ${JSON.stringify(text)} in more than one way`;
    }
  }
  return undefined;
}

function concatenation(segments: readonly RuleSegment[]): NFA {
  const nfa = segments[0].nfa.copy();
  for (const segment of segments.slice(1)) nfa.append(segment.nfa);
  return nfa;
}

/** No word of the language is a proper prefix of another. */
function isPrefixCode(nfa: NFA): boolean {
  const dfa = DFA.fromFA(nfa);
  dfa.minimize();
  const live = liveStates(dfa);
  for (const final of dfa.finals) {
    for (const [, to] of final.out) if (live.has(to)) return false;
  }
  return true;
}

/** The written patterns, analysed again: no repository may be matched by two of them. */
function proveDisjoint(compiled: readonly CompiledRule[], searches: readonly NFA[]): void {
  const writtenRules = compiled.filter((entry) => entry.pattern !== undefined);
  const written = writtenRules.map((entry) => entry.pattern as string);
  const languages = writtenRules.map(({ rule, pattern, priority }) => {
    if (pattern === rule.match) return searches[priority];
    const language = ruleLanguage(pattern as string);
    if (!language.ok) throw new Error(`internal: compiled pattern ${pattern}: ${language.problem}`);
    return onlyRepositoryPaths(language.language.search);
  });
  const overlapping = analyseOverlaps(languages).findIndex((result) => result.earlier.size > 0);
  if (overlapping >= 0)
    throw new Error(`internal: compiled pattern ${written[overlapping]} overlaps an earlier one`);
}

function error(code: string, path: KeyPath, message: string): Diagnostic {
  return errorAt(code, path, message);
}
