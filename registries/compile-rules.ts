/**
 * Compiles a mirror's ORDERED rewrite rules into the `rewrite` map RKE2/K3s expects, so that the
 * result does not depend on the random order in which containerd tries map entries (spec
 * rke2-registries.md §4.3: the first rule that changes the subject wins).
 *
 * Every later rule is restricted to the subjects no earlier rule changes. RE2 has no lookahead and
 * hosts.toml cannot carry a backslash (§4.8), so "does not start with any of these prefixes" is
 * spelled as an alternation derived from a trie of the prefixes, placed inside the capture group
 * so that group numbers do not change. This is exact for the supported shapes (see SHAPES); any
 * other shape is refused with an explanation, except a lone rule, which compiles to itself.
 */
import { hostsTomlHazard } from "./hosts-toml";
import { ValidationError, type Diagnostic } from "./diagnostics";
import type { OrderedRewrite, RegistriesFile, RegistriesSpec, Mirror } from "./model";
import { compileRewritePattern, expandGoTemplate } from "./rewrite";

const SHAPES =
  "supported shapes for several rules: anchored literal-prefix rules `^<prefix>(.*)`, `^<prefix>(.*)$`, " +
  "`^<prefix>.*` (optionally a named group `(?P<name>.*)`), and a catch-all `^(.*)$`, `^(.*)`, `(.*)`, `^.*$`; " +
  "the prefix may use lower-case letters, digits, `_`, `-`, `/` and `[.]` for a literal dot";

/** A rule in the supported shape: subjects starting with `prefix` are rewritten as a whole. */
interface PrefixRule {
  /** The pattern as written. */
  readonly match: string;
  /** The literal prefix the subject must start with (`""` for a catch-all). */
  readonly prefix: string;
  /** The prefix as the user spelled it (kept verbatim in the output). */
  readonly spelledPrefix: string;
  /** `(.*)`, `(?P<name>.*)`, `(?<name>.*)` → the group opener; `undefined` for a bare `.*`. */
  readonly groupOpen?: string;
  readonly groupName?: string;
  readonly endAnchor: boolean;
  readonly replace: string;
}

// `^` + prefix tokens + `(.*)` | `(?P<n>.*)` | `(?<n>.*)` | `.*` + optional `$`.
const PREFIX_RULE =
  /^(\^?)((?:[a-z0-9_/-]|\[[a-z0-9._/-]\])*)(?:(\((?:\?P?<([A-Za-z0-9_]+)>)?)\.\*\)|\.\*)(\$?)$/;
const PREFIX_TOKEN = /[a-z0-9_/-]|\[([a-z0-9._/-])\]/g;

/** Compiles ordered rules into an order-independent map. Throws ValidationError naming `path[i]`. */
export function compileOrderedRewrites(
  rules: readonly OrderedRewrite[],
  path: string,
): Record<string, string> {
  const diagnostics = orderedRewriteDiagnostics(rules, path);
  if (diagnostics.length > 0) throw new ValidationError(diagnostics);
  if (rules.length === 1) return { [rules[0].match]: rules[0].replace };
  const parsed = rules.map((rule) => parsePrefixRule(rule) as PrefixRule);
  const compiled: Record<string, string> = {};
  parsed.forEach((rule, index) => {
    compiled[restrictedPattern(rule, parsed.slice(0, index))] = rule.replace;
  });
  return compiled;
}

/** `RegistriesSpec` → `RegistriesFile`: mirrors by registry (sorted), rules compiled, configs copied. */
export function compileRegistriesSpec(spec: RegistriesSpec): RegistriesFile {
  const diagnostics: Diagnostic[] = [];
  const mirrors: Record<string, Mirror> = {};
  const seen = new Set<string>();
  for (const mirror of [...spec.mirrors].sort((a, b) => compareStrings(a.registry, b.registry))) {
    const path = `mirrors.${JSON.stringify(mirror.registry)}`;
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
      mirrors[mirror.registry] = compileMirror(mirror.endpoints, mirror.rewrites, `${path}.rewrites`);
    } catch (caught) {
      if (!(caught instanceof ValidationError)) throw caught;
      diagnostics.push(...caught.diagnostics);
    }
  }
  if (diagnostics.length > 0) throw new ValidationError(diagnostics);
  return { mirrors, configs: { ...spec.configs } };
}

function compileMirror(endpoints: readonly string[], rules: readonly OrderedRewrite[], path: string): Mirror {
  if (rules.length === 0) return { endpoint: [...endpoints] };
  return { endpoint: [...endpoints], rewrite: compileOrderedRewrites(rules, path) };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every reason the ordered list cannot be compiled exactly, one diagnostic per rule. */
function orderedRewriteDiagnostics(rules: readonly OrderedRewrite[], path: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const parsed: (PrefixRule | undefined)[] = [];
  rules.forEach((rule, index) => {
    const rulePath = `${path}[${index}]`;
    const problem = syntaxProblem(rule) ?? (rules.length > 1 ? shapeProblem(rule) : undefined);
    if (problem) {
      diagnostics.push(error("rewrite-rule-unsupported", rulePath, problem));
      parsed.push(undefined);
      return;
    }
    const prefixRule = parsePrefixRule(rule);
    parsed.push(prefixRule);
    if (!prefixRule) return;
    const semantic = identityProblem(prefixRule) ?? shadowProblem(prefixRule, parsed.slice(0, index), index);
    if (semantic) diagnostics.push(error("rewrite-rule-conflict", rulePath, semantic));
  });
  return diagnostics;
}

/** §4.2 and §4.8: the rule must compile as RE2 and survive hosts.toml unescaped. */
function syntaxProblem(rule: OrderedRewrite): string | undefined {
  for (const [field, text] of [
    ["match", rule.match],
    ["replace", rule.replace],
  ] as const) {
    const hazard = hostsTomlHazard(text);
    if (hazard !== undefined) {
      return (
        `${field} ${JSON.stringify(text)} contains ${hazard}, which hosts.toml cannot carry ` +
        "(§4.8); write literal characters as `[.]`, `[-]` or `[0-9]` instead"
      );
    }
  }
  const compiled = compileRewritePattern(rule.match);
  if (!compiled.ok)
    return `match ${JSON.stringify(rule.match)} is not a valid RE2 pattern (§4.2): ${compiled.error}`;
  return undefined;
}

function shapeProblem(rule: OrderedRewrite): string | undefined {
  if (parsePrefixRule(rule)) return undefined;
  const unescapedDot = /[.](?![*])/.test(rule.match.replaceAll("[.]", ""));
  const hint = unescapedDot ? " (an unescaped `.` matches any character)" : "";
  return `match ${JSON.stringify(rule.match)} cannot be made order-independent${hint}; ${SHAPES}`;
}

function parsePrefixRule(rule: OrderedRewrite): PrefixRule | undefined {
  const match = PREFIX_RULE.exec(rule.match);
  if (!match) return undefined;
  const [, startAnchor, spelledPrefix, groupOpen, groupName, endAnchor] = match;
  // Without `^` only the catch-all is a prefix rule: a literal could match anywhere in the subject.
  if (startAnchor === "" && spelledPrefix !== "") return undefined;
  const prefix = [...spelledPrefix.matchAll(PREFIX_TOKEN)].map((token) => token[1] ?? token[0]).join("");
  const endsAnchored = endAnchor === "$";
  return {
    match: rule.match,
    prefix,
    spelledPrefix,
    groupOpen,
    groupName,
    endAnchor: endsAnchored,
    replace: rule.replace,
  };
}

// Placeholders for the whole match and the rest after the prefix; they cannot occur in a rule.
const WHOLE = "\u0001";
const REST = "\u0002";

/**
 * containerd treats an unchanged subject as "no match" (§4.4), so a rule that can return its
 * subject would let a later rule win in ordered evaluation but not in the compiled map.
 */
function identityProblem(rule: PrefixRule): string | undefined {
  const names = rule.groupName ? { [rule.groupName]: 1 } : {};
  const groups = rule.groupOpen ? [WHOLE, REST] : [WHOLE];
  const expanded = expandGoTemplate(rule.replace, { groups, namedGroups: names });
  const references = [...expanded].filter((c) => c === WHOLE || c === REST).length;
  if (references > 1) {
    return `replace ${JSON.stringify(rule.replace)} uses the matched text more than once; ${SHAPES}, with a replacement that uses the group at most once`;
  }
  if (!canReturnSubject(rule.prefix, expanded)) return undefined;
  return (
    `replace ${JSON.stringify(rule.replace)} can return the repository unchanged, which containerd treats as ` +
    "no match (§4.4), so the outcome would depend on rule order; make the replacement always change the repository"
  );
}

/** Is there a rest r such that the expansion (with r) equals prefix + r? */
function canReturnSubject(prefix: string, expanded: string): boolean {
  const marker = [...expanded].findIndex((c) => c === WHOLE || c === REST);
  if (marker < 0) return expanded.startsWith(prefix);
  const before = expanded.slice(0, marker);
  const after = expanded.slice(marker + 1);
  // The whole subject s reappears: before + s + after = s only when both are empty.
  if (expanded[marker] === WHOLE) return before === "" && after === "";
  // before + r + after = prefix + r needs before to be a prefix of `prefix` and `after` to be a rotation of the remainder.
  const remainder = prefix.slice(before.length);
  return (
    prefix.startsWith(before) && after.length === remainder.length && (remainder + remainder).includes(after)
  );
}

function shadowProblem(
  rule: PrefixRule,
  earlier: readonly (PrefixRule | undefined)[],
  index: number,
): string | undefined {
  const shadowing = earlier.findIndex((other) => other !== undefined && rule.prefix.startsWith(other.prefix));
  if (shadowing < 0) return undefined;
  const other = earlier[shadowing] as PrefixRule;
  const what =
    other.prefix === ""
      ? "every repository"
      : `every repository starting with ${JSON.stringify(other.prefix)}`;
  return (
    `rule ${index} ${JSON.stringify(rule.match)} can never apply because rule ${shadowing} ` +
    `${JSON.stringify(other.match)} already rewrites ${what}; put the more specific rule first`
  );
}

/** The rule restricted to subjects that no earlier rule changes. */
function restrictedPattern(rule: PrefixRule, earlier: readonly PrefixRule[]): string {
  const excluded = earlier
    .filter((other) => other.prefix.startsWith(rule.prefix))
    .map((other) => other.prefix.slice(rule.prefix.length));
  if (excluded.length === 0) return rule.match;
  const group = rule.groupOpen ?? "(?:";
  return `^${rule.spelledPrefix}${group}${notStartingWith(excluded)})${rule.endAnchor ? "$" : ""}`;
}

interface TrieNode {
  terminal: boolean;
  readonly children: Map<string, TrieNode>;
}

/** A regex matching exactly the strings that start with none of `prefixes` (all non-empty). */
export function notStartingWith(prefixes: readonly string[]): string {
  const root: TrieNode = { terminal: false, children: new Map() };
  for (const prefix of prefixes) {
    let node = root;
    for (const c of prefix) {
      const child = node.children.get(c) ?? { terminal: false, children: new Map() };
      node.children.set(c, child);
      node = child;
    }
    node.terminal = true;
  }
  return nodePattern(root);
}

/** At a node: the string ends here, or continues with a character leading away from every prefix. */
function nodePattern(node: TrieNode): string {
  const characters = [...node.children.keys()].sort();
  const branches = ["$", `${negatedClass(characters)}.*`];
  for (const c of characters) {
    const child = node.children.get(c) as TrieNode;
    if (!child.terminal) branches.push(`${literal(c)}${nodePattern(child)}`);
  }
  return `(?:${branches.join("|")})`;
}

/** `[^…]` without backslashes: `-` goes last, where RE2 reads it literally. */
function negatedClass(characters: readonly string[]): string {
  const ordered = [...characters.filter((c) => c !== "-"), ...characters.filter((c) => c === "-")];
  return `[^${ordered.join("")}]`;
}

/** A literal character without a backslash: only `.` needs a class outside `[…]` in this alphabet. */
function literal(c: string): string {
  return c === "." ? "[.]" : c;
}

function error(code: string, path: string, message: string): Diagnostic {
  return { severity: "error", code, path, message };
}
