import fc from "fast-check";
import { readRewriteTable, type DecodedRewrite } from "../../registries/hosts-toml";
import {
  applyRewriteRule,
  compileRewritePattern,
  expandGoTemplate,
  replaceAllGo,
  rewriteOutcomes,
} from "../../registries/rewrite";

function replaceAll(pattern: string, subject: string, replacement: string): string {
  const compiled = compileRewritePattern(pattern);
  if (!compiled.ok) throw new Error(compiled.error);
  return replaceAllGo(compiled, subject, replacement);
}

describe("compileRewritePattern: Go regexp syntax (§4.2)", () => {
  const cases: { name: string; pattern: string; ok: boolean }[] = [
    { name: "§4.2 a plain anchored capture compiles", pattern: "^(.*)$", ok: true },
    { name: "§4.2 (?P<name>…) always works", pattern: "^(?P<repo>.*)$", ok: true },
    { name: "§4.2 (?<name>…) works with Go 1.22+", pattern: "^(?<repo>.*)$", ok: true },
    { name: "§4.2 flags (?i) and (?s) are supported", pattern: "(?i)(?s)^library/.*", ok: true },
    { name: "§4.2 POSIX classes are supported", pattern: "^[[:alpha:]]+/(.*)", ok: true },
    { name: "§4.2 a repeat count of 1000 is allowed", pattern: "a{1000}", ok: true },
    { name: "§4.2 lookahead is not supported (rke2#3227)", pattern: "^(?!library/)(.*)", ok: false },
    { name: "§4.2 positive lookahead is not supported", pattern: "^(?=x)(.*)", ok: false },
    { name: "§4.2 lookbehind is not supported", pattern: "(?<=a)b", ok: false },
    { name: "§4.2 negative lookbehind is not supported", pattern: "(?<!a)b", ok: false },
    { name: "§4.2 backreferences are not supported", pattern: "(a)\\1", ok: false },
    { name: "§4.2 possessive quantifiers are not supported", pattern: "a++", ok: false },
    { name: "§4.2 atomic groups are not supported", pattern: "(?>a)", ok: false },
    { name: "§4.2 repeat counts above 1000 are rejected", pattern: "a{1001}", ok: false },
    { name: "§4.2 an unclosed group is a syntax error", pattern: "^(library/.*", ok: false },
    { name: "§4.2 Go rejects duplicate group names", pattern: "(?P<n>a)(?P<n>b)", ok: false },
  ];
  it.each(cases)("$name", ({ pattern, ok }) => {
    const compiled = compileRewritePattern(pattern);
    expect(compiled.ok).toBe(ok);
    expect(compiled.pattern).toBe(pattern);
    if (!compiled.ok) expect(compiled.error).toMatch(/error parsing regexp/);
  });
});

describe("replaceAllGo: Go ReplaceAllString + Expand (§4.4, §4.5)", () => {
  const cases: { name: string; pattern: string; subject: string; replacement: string; expected: string }[] = [
    {
      name: "§4.4 every non-overlapping match is replaced",
      pattern: "a",
      subject: "library/alpine",
      replacement: "A",
      expected: "librAry/Alpine",
    },
    {
      name: "§4.4 empty matches are replaced between characters",
      pattern: "x*",
      subject: "abc",
      replacement: "-",
      expected: "-a-b-c-",
    },
    {
      name: "§4.4 no empty match right after a non-empty one (Go's loop)",
      pattern: "a*",
      subject: "baaac",
      replacement: "-",
      expected: "-b-c-",
    },
    {
      name: "§4.4 the empty pattern matches everywhere",
      pattern: "",
      subject: "ab",
      replacement: "-",
      expected: "-a-b-",
    },
    {
      name: "§4.4 ^ anchors at the start of the subject only",
      pattern: "^a",
      subject: "aaa",
      replacement: "b",
      expected: "baa",
    },
    {
      name: "§4.4 $ does not match before a trailing newline",
      pattern: "a$",
      subject: "a\n",
      replacement: "b",
      expected: "a\n",
    },
    {
      name: "§11 the Harbor proxy-project rule prefixes the project",
      pattern: "^(.*)$",
      subject: "library/busybox",
      replacement: "dockerhub-proxy/$1",
      expected: "dockerhub-proxy/library/busybox",
    },
    {
      name: "§4.5 $1x is the group named 1x → empty",
      pattern: "^(.*)$",
      subject: "library/busybox",
      replacement: "hub/$1x",
      expected: "hub/",
    },
    {
      name: "§4.5 ${1}x is group 1 followed by x",
      pattern: "^(.*)$",
      subject: "b",
      replacement: "hub/${1}x",
      expected: "hub/bx",
    },
    {
      name: "§4.5 $10 is group 10 (missing → empty), not ${1}0",
      pattern: "^(.*)$",
      subject: "b",
      replacement: "<$10>",
      expected: "<>",
    },
    { name: "§4.5 $$ is a literal $", pattern: "^(.*)$", subject: "b", replacement: "$$1", expected: "$1" },
    {
      name: "§4.5 $name refers to a named group",
      pattern: "^(?P<repo>.*)$",
      subject: "b",
      replacement: "p/$repo",
      expected: "p/b",
    },
    {
      name: "§4.5 ${name} refers to a named group (?<name>)",
      pattern: "^(?<repo>.*)$",
      subject: "b",
      replacement: "p/${repo}.x",
      expected: "p/b.x",
    },
    {
      name: "§4.5 an unknown name expands to empty",
      pattern: "^(.*)$",
      subject: "b",
      replacement: "p/$nope",
      expected: "p/",
    },
    {
      name: "§4.5 $1 without a capture group is empty (k3s#11191)",
      pattern: "^.*$",
      subject: "b",
      replacement: "p/$1",
      expected: "p/",
    },
    {
      name: "§4.5 a group that did not take part is empty",
      pattern: "^(a)?(b)$",
      subject: "b",
      replacement: "[$1|$2]",
      expected: "[|b]",
    },
    {
      name: "§4.5 $- is malformed and emitted literally",
      pattern: "^(.*)$",
      subject: "b",
      replacement: "$-x",
      expected: "$-x",
    },
    {
      name: "§4.5 an unclosed ${1 is emitted literally",
      pattern: "^(.*)$",
      subject: "b",
      replacement: "${1",
      expected: "${1",
    },
    {
      name: "§4.5 a trailing $ is emitted literally",
      pattern: "^(.*)$",
      subject: "b",
      replacement: "x$",
      expected: "x$",
    },
    {
      name: "§4.5 ${} is malformed and emitted literally",
      pattern: "^(.*)$",
      subject: "b",
      replacement: "${}",
      expected: "${}",
    },
    {
      name: "§4.5 $01 is the group named 01 (leading zero), not group 1",
      pattern: "^(.*)$",
      subject: "b",
      replacement: "<$01>",
      expected: "<>",
    },
    {
      name: "§4.5 $0 is the whole match",
      pattern: "bus",
      subject: "busybox",
      replacement: "[$0]",
      expected: "[bus]ybox",
    },
  ];
  it.each(cases)("$name", ({ pattern, subject, replacement, expected }) => {
    expect(replaceAll(pattern, subject, replacement)).toBe(expected);
  });
});

describe("expandGoTemplate (§4.5)", () => {
  it("§4.5 expands numbered and named groups from an explicit match", () => {
    const match = { groups: ["ab", "a", undefined], namedGroups: { first: 1, second: 2 } };
    expect(expandGoTemplate("$first-${2}-$1-$$", match)).toBe("a--a-$");
  });
  it("§4.5 a name is the longest run of letters, digits and _ (unicode letters too)", () => {
    expect(expandGoTemplate("$näme!", { groups: ["x", "y"], namedGroups: { näme: 1 } })).toBe("y!");
  });
});

describe("applyRewriteRule (§4.3)", () => {
  const cases: { name: string; pattern: string; replacement: string; subject: string; expected?: string }[] =
    [
      {
        name: "§4.3 a changing rule gives the rewritten repository",
        pattern: "^ksd-test/(.*)",
        replacement: "production/$1",
        subject: "ksd-test/busybox",
        expected: "production/busybox",
      },
      {
        name: "§4.3 a rule that does not match gives no change",
        pattern: "^ksd-test/(.*)",
        replacement: "production/$1",
        subject: "library/busybox",
      },
      {
        name: "§4.4 an identity result counts as no match",
        pattern: "(.*)",
        replacement: "$1",
        subject: "library/busybox",
      },
      {
        name: "§4.2 a pattern that does not compile is skipped",
        pattern: "(?!x)",
        replacement: "y",
        subject: "library/busybox",
      },
    ];
  it.each(cases)("$name", ({ pattern, replacement, subject, expected }) => {
    expect(applyRewriteRule(pattern, replacement, subject)).toBe(expected);
  });
});

/** The map as containerd reads it back from hosts.toml (plain text: decoded as written). */
function rulesOf(rewrite: Record<string, string>): readonly DecodedRewrite[] {
  const reading = readRewriteTable(rewrite);
  if (!reading.ok) throw new Error(reading.error);
  return reading.rules;
}

describe("rewriteOutcomes (§4.3)", () => {
  it("§4.3 reports every changing rule in sorted order and the rules that do not compile", () => {
    const rewrite = {
      "^ksd-test/(.*)": "production/$1",
      "^(.*)$": "docker.io/$1",
      "(?=x)": "y",
      "^nomatch": "z",
    };
    expect(rewriteOutcomes(rulesOf(rewrite), "ksd-test/busybox")).toEqual({
      results: [
        { rule: "^(.*)$", repository: "docker.io/ksd-test/busybox" },
        { rule: "^ksd-test/(.*)", repository: "production/busybox" },
      ],
      invalid: [{ rule: "(?=x)", error: expect.stringContaining("(?=") }],
    });
  });
  it("§4.3 an empty map changes nothing", () => {
    expect(rewriteOutcomes(rulesOf({}), "library/busybox")).toEqual({ results: [], invalid: [] });
  });
});

// The resolver runs a pattern as a JavaScript RegExp where `jsEquivalent` accepts it. Both engines,
// on the same generated patterns, subjects and templates, must give the same output, and re2js
// (the reference) is run on a compiled pattern without the JavaScript equivalent.
describe("jsEquivalent: the JavaScript RegExp replaces exactly as re2js (fast-check)", () => {
  const atom = fc.constantFrom("a", "b", "/", "-", ".", "[ab]", "[^a]", "[a-c]", "[.]", "^", "$");
  const quantified = fc
    .tuple(atom, fc.constantFrom("", "*", "+", "?", "{1,2}", "{2}", "*?", "+?", "??"))
    .map(([text, quantifier]) => text + quantifier);
  const pattern: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.array(quantified, { minLength: 1, maxLength: 3 }).map((parts) => parts.join("")),
      fc
        .tuple(
          fc.constantFrom("(", "(?:", "(?P<g>", "(|"),
          fc.array(tie("node"), { minLength: 1, maxLength: 2 }),
          fc.constantFrom("", "?", "??"),
        )
        .map(([open, alternatives, quantifier]) => `${open}${alternatives.join("|")})${quantifier}`),
      fc.array(tie("node"), { minLength: 2, maxLength: 3 }).map((parts) => parts.join("")),
    ),
  })).node;
  const anchored = fc
    .tuple(fc.constantFrom("", "^"), pattern, fc.constantFrom("", "$"))
    .map(([start, body, end]) => start + body + end);
  const subject = fc.stringMatching(/^[ab/.-]{0,8}$/);
  const template = fc.constantFrom("x", "$1", "${1}x", "[$0]", "$g/$2", "$$", "");

  it("agrees on every generated pattern the translation accepts", () => {
    let accepted = 0;
    fc.assert(
      fc.property(anchored, subject, template, (source, text, replacement) => {
        const compiled = compileRewritePattern(source);
        if (!compiled.ok || !compiled.js) return;
        accepted += 1;
        const reference = { ok: true as const, pattern: source, regex: compiled.regex };
        expect(replaceAllGo(compiled, text, replacement)).toBe(replaceAllGo(reference, text, replacement));
      }),
      { numRuns: 3000 },
    );
    // The property must exercise the translation, not skip it.
    expect(accepted).toBeGreaterThan(1000);
  });

  it.each(["(?i)a", "^a\\.b", "^(a|b)+$", "^(?:ab)*$", "[[:alpha:]]", "a{,3}", "[]a]", "é"])(
    "refuses %s (outside the subset where the engines agree)",
    (source) => {
      const compiled = compileRewritePattern(source);
      expect(compiled.ok && compiled.js).toBeFalsy();
    },
  );
});
