/**
 * What a rewrite rule's replacement can produce (docs/registries.md#rewrites), decided on
 * automata: the output language is the template with every group reference replaced by the words
 * that group can capture. It is a superset of the real outputs (groups are treated as
 * independent), which is what the checks need: a replacement is refused when a produced
 * repository could be invalid or equal to its subject, and the Harbor projects a rule can reach
 * are read from it.
 */
import { DFA, NFA, getIntersectionWords } from "refa";
import { isPassThrough, type OrderedRewrite, type RewriteRule } from "./model";
import {
  applyRewriteRule,
  expandGoTemplate,
  groupNumber,
  templateParts,
  templateReferences,
} from "./rewrite";
import {
  REPOSITORY_ALPHABET,
  isRepositoryPath,
  onlyRepositoryPaths,
  repositoryNfa,
  type RuleLanguage,
} from "./rule-language";

/** Why the replacement cannot be written, or `undefined` when it can. */
export function replacementProblem(rule: RewriteRule, language: RuleLanguage): string | undefined {
  return (
    referenceProblem(rule, language) ??
    literalProblem(rule) ??
    dotDotProblem(rule, language) ??
    identityProblem(rule, language)
  );
}

function referenceProblem(rule: RewriteRule, language: RuleLanguage): string | undefined {
  for (const reference of templateReferences(rule.replace)) {
    if (groupIndex(reference.name, language) !== undefined) continue;
    const written = reference.braced ? `\${${reference.name}}` : `$${reference.name}`;
    const digits = /^([0-9]+)([A-Za-z_].*)$/.exec(reference.name);
    const hint = digits
      ? `; Go reads ${written} as the group named ${JSON.stringify(reference.name)}, which expands to nothing: write \${${digits[1]}}${digits[2]}`
      : `; the pattern has ${language.groupCount} capture group(s)${namesOf(language)}`;
    return `replace ${JSON.stringify(rule.replace)} refers to ${written}, which is no group of match ${JSON.stringify(rule.match)}${hint}`;
  }
  return undefined;
}

function namesOf(language: RuleLanguage): string {
  const names = Object.keys(language.groupNames);
  return names.length === 0 ? "" : ` named ${names.map((name) => JSON.stringify(name)).join(", ")}`;
}

function groupIndex(name: string, language: RuleLanguage): number | undefined {
  const number = groupNumber(name);
  if (number >= 0) return number <= language.groupCount ? number : undefined;
  return Object.prototype.hasOwnProperty.call(language.groupNames, name)
    ? language.groupNames[name]
    : undefined;
}

/** Literal text of the template must be repository characters: lower case, digits, `.`, `_`, `-`, `/`. */
function literalProblem(rule: RewriteRule): string | undefined {
  const literal = expandGoTemplate(rule.replace, { groups: [], namedGroups: {} });
  const bad = [...literal].find((c) => !REPOSITORY_ALPHABET.has(c.charCodeAt(0)));
  if (bad === undefined) return undefined;
  const what = /[A-Z]/.test(bad)
    ? "upper case"
    : /\s/.test(bad)
      ? "white space"
      : bad.charCodeAt(0) > 0x7f
        ? "a non-ASCII character"
        : `the character ${JSON.stringify(bad)}`;
  return (
    `replace ${JSON.stringify(rule.replace)} produces ${what}, which no repository path may contain ` +
    "(only a-z, 0-9, '.', '_', '-' and '/'); containerd would request a repository Harbor refuses"
  );
}

function dotDotProblem(rule: RewriteRule, language: RuleLanguage): string | undefined {
  // Groups capture parts of valid paths, which never hold "..": only a literal dot can make one.
  if (!expandGoTemplate(rule.replace, { groups: [], namedGroups: {} }).includes(".")) return undefined;
  const dotDot = repositoryNfa("[^]*\\.\\.[^]*");
  const example = firstWord(outputLanguage(rule, language), dotDot);
  if (example === undefined) return undefined;
  return `replace ${JSON.stringify(rule.replace)} can produce ${JSON.stringify(example)}, with "..", which is no valid repository path`;
}

/**
 * containerd treats an unchanged subject as "no match", so a rule that can return its subject
 * would let a later rule win in ordered evaluation but not in the compiled map.
 */
function identityProblem(rule: RewriteRule, language: RuleLanguage): string | undefined {
  if (lengthAlwaysChanges(rule, language)) return undefined;
  const candidates = getIntersectionWords(
    outputLanguage(rule, language),
    onlyRepositoryPaths(language.search),
  );
  let checked = 0;
  for (const word of candidates) {
    const subject = String.fromCharCode(...word);
    if (isRepositoryPath(subject) && applyRewriteRule(rule.match, rule.replace, subject) === undefined) {
      return (
        `replace ${JSON.stringify(rule.replace)} returns ${JSON.stringify(subject)} unchanged, which containerd treats as ` +
        "no match, so the outcome would depend on rule order; make the replacement always change the repository"
      );
    }
    if (++checked >= 200) break;
  }
  if (checked === 0) return undefined;
  return (
    `replace ${JSON.stringify(rule.replace)} may return some repositories unchanged (it can produce what match ` +
    `${JSON.stringify(rule.match)} matches), which containerd treats as no match; make the replacement ` +
    "add or drop a fixed prefix, e.g. `mirror/$1`"
  );
}

/**
 * Length arguments that prove the output never equals the subject. Anchored at both ends, with
 * top-level groups used at most once each (or `$0` alone): the template's literal text is longer
 * than all unreferenced parts together can be, or shorter than they must be. Unanchored: every
 * replacement is longer (or shorter) than every match, or both have one fixed length and never agree.
 */
function lengthAlwaysChanges(rule: RewriteRule, language: RuleLanguage): boolean {
  if (!language.segments) return replacementsAlwaysDiffer(rule, language);
  const segments = language.segments;
  const references = templateReferences(rule.replace).map((reference) =>
    groupIndex(reference.name, language),
  );
  const literal = expandGoTemplate(rule.replace, { groups: [], namedGroups: {} }).length;
  if (references.length === 1 && references[0] === 0) return literal > 0;
  let group = 0;
  const segmentGroups = segments.map((segment) => {
    if (!segment.captureOpener) return undefined;
    const number = group + 1;
    group += 1 + segment.innerCaptures;
    return number;
  });
  const topLevel = new Set(segmentGroups.filter((number) => number !== undefined));
  if (
    new Set(references).size !== references.length ||
    references.some((number) => !topLevel.has(number as number))
  ) {
    return false;
  }
  const rest = segments.filter((_, index) => !references.includes(segmentGroups[index]));
  const lengths = rest.map((segment) => wordLengths(segment.nfa));
  const min = lengths.reduce((sum, length) => sum + length.min, 0);
  const max = lengths.reduce((sum, length) => sum + length.max, 0);
  return literal > max || literal < min;
}

function replacementsAlwaysDiffer(rule: RewriteRule, language: RuleLanguage): boolean {
  const matches = language.groups[0].nfa;
  const replacements = templateLanguage(rule, language);
  const match = wordLengths(matches);
  const replacement = wordLengths(replacements);
  if (replacement.min > match.max || replacement.max < match.min) return true;
  const fixed =
    match.min === match.max && replacement.min === replacement.max && match.min === replacement.min;
  return fixed && firstWord(matches, replacements) === undefined;
}

/** Shortest and longest word (Infinity when unbounded), by walking the NFA's useful states. */
function wordLengths(nfa: NFA): { min: number; max: number } {
  const live = new Set<NFA.ReadonlyNode>(nfa.finals);
  for (const pending = [...nfa.finals] as NFA.ReadonlyNode[]; pending.length > 0;) {
    for (const [from] of (pending.pop() as NFA.ReadonlyNode).in) {
      if (live.has(from)) continue;
      live.add(from);
      pending.push(from);
    }
  }
  const longest = new Map<NFA.ReadonlyNode, number>();
  const onPath = new Set<NFA.ReadonlyNode>();
  const maxFrom = (node: NFA.ReadonlyNode): number => {
    const known = longest.get(node);
    if (known !== undefined) return known;
    if (onPath.has(node)) return Infinity;
    onPath.add(node);
    let max = nfa.finals.has(node as NFA.Node) ? 0 : -Infinity;
    for (const [to] of node.out) if (live.has(to)) max = Math.max(max, 1 + maxFrom(to));
    onPath.delete(node);
    longest.set(node, max);
    return max;
  };
  let min = 0;
  for (
    let frontier = [nfa.initial as NFA.ReadonlyNode];
    !frontier.some((node) => nfa.finals.has(node as NFA.Node));
    min++
  ) {
    frontier = [...new Set(frontier.flatMap((node) => [...node.out.keys()].filter((to) => live.has(to))))];
    if (frontier.length === 0) return { min: Infinity, max: -Infinity };
  }
  return { min, max: maxFrom(nfa.initial) };
}

/** Every repository the rule can produce (a superset: groups are independent). */
export function outputLanguage(rule: RewriteRule, language: RuleLanguage): NFA {
  const template = templateLanguage(rule, language);
  if (language.segments) return template;
  // Unanchored: the text around the matches stays, so anything may surround the replacement.
  const around = repositoryText();
  around.append(template);
  around.append(repositoryText());
  return around;
}

/** What one expansion of the template can be. */
function templateLanguage(rule: RewriteRule, language: RuleLanguage): NFA {
  const template = repositoryNfa("");
  for (const part of templateParts(rule.replace)) {
    if ("text" in part) {
      template.append(literalNfa(part.text));
      continue;
    }
    const index = groupIndex(part.reference.name, language);
    const group = index === undefined ? undefined : language.groups[index];
    const words = group ? NFA.fromIntersection(group.nfa, repositoryText()) : repositoryNfa("");
    if (group?.optional) words.union(repositoryNfa(""));
    template.append(words);
  }
  return template;
}

/** What a part of a valid repository path can be: its separators never put two dots together. */
function repositoryText(): NFA {
  return repositoryNfa("(?:\\.?[^.])*\\.?");
}

function literalNfa(text: string): NFA {
  return repositoryNfa([...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""));
}

function firstWord(left: NFA, right: NFA): string | undefined {
  for (const word of getIntersectionWords(left, right)) return String.fromCharCode(...word);
  return undefined;
}

/** The Harbor projects (first path components) a rule can send repositories to. */
export type TargetProjects =
  { readonly kind: "projects"; readonly projects: readonly string[] } | { readonly kind: "unbounded" };

const MAX_PROJECTS = 64;

/** Pass-through rules reach the project the repository itself starts with. */
export function targetProjects(rule: OrderedRewrite, language: RuleLanguage): TargetProjects {
  const output = isPassThrough(rule) ? language.search : outputLanguage(rule, language);
  const dfa = DFA.fromFA(output);
  dfa.minimize();
  const projects = new Set<string>();
  const slash = "/".charCodeAt(0);
  const walk = (node: DFA.Node, prefix: string, path: Set<DFA.Node>): boolean => {
    for (const [range, to] of node.out) {
      if (range.min <= slash && slash <= range.max && prefix !== "") projects.add(prefix);
      for (let c = range.min; c <= range.max; c++) {
        if (c === slash) continue;
        if (path.has(to) || projects.size >= MAX_PROJECTS) return false;
        path.add(to);
        const bounded = walk(to, prefix + String.fromCharCode(c), path);
        path.delete(to);
        if (!bounded) return false;
      }
    }
    return true;
  };
  if (!walk(dfa.initial, "", new Set([dfa.initial]))) return { kind: "unbounded" };
  return { kind: "projects", projects: [...projects].sort() };
}
