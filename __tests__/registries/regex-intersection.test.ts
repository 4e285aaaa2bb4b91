import { compileOrderedRewrites } from "../../registries/compile-rules";
import { commonMatch } from "../../registries/regex-intersection";
import { compileRewritePattern } from "../../registries/rewrite";

/** containerd replaces every match in the repository (§4.4), so "matches" means "finds a match in". */
function findsMatchIn(pattern: string, subject: string): boolean {
  const compiled = compileRewritePattern(pattern);
  if (!compiled.ok) throw new Error(`${pattern}: ${compiled.error}`);
  return compiled.regex.matcher(subject).find();
}

// The proxy rule narrowed past `^team/a/(.*)$` and `^team/b`.
const [, , narrowedProxy] = Object.keys(
  compileOrderedRewrites(
    [
      { match: "^team/a/(.*)$", replace: "x/$1" },
      { match: "^team/b", keep: true },
      { match: "^team/c/(.*)$", replace: "c/$1" },
      { match: "^team/(.*)$", replace: "y/$1" },
    ],
    ["rewrites", "x"],
  ),
);

// One table: each case names the rule of rke2-registries.md it decides (§4.3: only disjoint rules are
// deterministic; §4.8: the engine handles the backslash-free syntax a valid rule can use).
const cases: { name: string; patterns: [string, string]; kind: "disjoint" | "overlap" | "unknown" }[] = [
  {
    name: "§4.3 distinct literal prefixes are disjoint",
    patterns: ["^team-a/", "^team-b/"],
    kind: "disjoint",
  },
  {
    name: "§4.3 a prefix rule and a catch-all overlap",
    patterns: ["^library/(.*)$", "^(.*)$"],
    kind: "overlap",
  },
  {
    name: "§4.3 one literal prefix extending another overlaps",
    patterns: ["^team/", "^team/x/"],
    kind: "overlap",
  },
  {
    name: "§4.3 a narrowed rule is disjoint from the earlier rule it was narrowed by",
    patterns: [narrowedProxy, "^team/a/(.*)$"],
    kind: "disjoint",
  },
  {
    name: "§4.3 a narrowed rule still overlaps a prefix it was not narrowed by",
    patterns: [narrowedProxy, "^team/d/"],
    kind: "overlap",
  },
  { name: "§4.3 different repeat counts are disjoint", patterns: ["^x{2}$", "^x{3}$"], kind: "disjoint" },
  { name: "§4.3 a class and its negation are disjoint", patterns: ["^[a-m]", "^[^a-m]"], kind: "disjoint" },
  { name: "§4.8 flags such as (?i) are unknown", patterns: ["(?i)^team/", "^other/"], kind: "unknown" },
  { name: "§4.8 POSIX classes are unknown", patterns: ["^[[:alpha:]]", "^1"], kind: "unknown" },
];

describe("commonMatch (§4.3)", () => {
  it.each(cases)("$name", ({ patterns: [first, second], kind }) => {
    const result = commonMatch(first, second);
    expect(result.kind).toBe(kind);
    // A witness must be a repository in which both patterns really find a match (checked with RE2).
    if (result.kind === "overlap") {
      expect(findsMatchIn(first, result.witness)).toBe(true);
      expect(findsMatchIn(second, result.witness)).toBe(true);
    }
  });

  it.each(cases)("is symmetric: $name", ({ patterns: [first, second] }) => {
    expect(commonMatch(second, first).kind).toBe(commonMatch(first, second).kind);
  });
});
