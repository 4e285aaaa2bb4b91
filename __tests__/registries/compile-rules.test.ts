import fc from "fast-check";
import {
  compileOrderedRewrites,
  compileRegistriesSpec,
  compileRuleList,
} from "../../registries/compile-rules";
import { ValidationError } from "../../registries/diagnostics";
import { isPassThrough, type OrderedRewrite } from "../../registries/model";
import { applyRewriteRule, compileRewritePattern } from "../../registries/rewrite";
import { isRepositoryPath } from "../../registries/rule-language";

const PATH = ["rewrites", "docker.io"];

/** Ordered semantics the user means: the first rule that changes the subject (or keeps it) wins. */
function firstMatchWins(rules: readonly OrderedRewrite[], subject: string): string {
  for (const rule of rules) {
    if (isPassThrough(rule)) {
      if (findsMatch(rule.match, subject)) return subject;
      continue;
    }
    const output = applyRewriteRule(rule.match, rule.replace, subject);
    if (output !== undefined) return output;
  }
  return subject;
}

function findsMatch(pattern: string, subject: string): boolean {
  const compiled = compileRewritePattern(pattern);
  if (!compiled.ok) throw new Error(`${pattern}: ${compiled.error}`);
  return compiled.regex.matcher(subject).find();
}

/** containerd's semantics for one map order (§4.3): the first entry, in that order, that changes the subject. */
function mapOrderOutcome(entries: readonly [string, string][], subject: string): string {
  return firstMatchWins(
    entries.map(([match, replace]) => ({ match, replace })),
    subject,
  );
}

/** The compiled map is order-independent because at most one pattern changes any subject. */
function expectExact(rules: readonly OrderedRewrite[], subjects: readonly string[]): void {
  const compiled = Object.entries(compileOrderedRewrites(rules, PATH));
  for (const subject of subjects.filter(isRepositoryPath)) {
    const changing = compiled.filter(
      ([match, replace]) => applyRewriteRule(match, replace, subject) !== undefined,
    );
    expect({ subject, matches: changing.length <= 1 }).toEqual({ subject, matches: true });
    expect({ subject, result: mapOrderOutcome(compiled, subject) }).toEqual({
      subject,
      result: firstMatchWins(rules, subject),
    });
  }
}

function compileError(rules: readonly OrderedRewrite[]): string {
  try {
    compileOrderedRewrites(rules, PATH);
  } catch (caught) {
    expect(caught).toBeInstanceOf(ValidationError);
    return (caught as ValidationError).message;
  }
  throw new Error("expected a ValidationError");
}

const PROXY: OrderedRewrite = { match: "^(.*)$", replace: "docker-hub/$1" };

const SAMPLE_PATHS = [
  "library/nginx",
  "library/nginx-extra",
  "library/busybox",
  "nginx",
  "rancher/rke2-runtime",
  "longhornio/longhorn-manager",
  "rancherx/app",
  "team-dev/app",
  "a-dev/b/c",
  "dev/app",
  "team-a/app",
  "team_a/app",
  "team-b/app",
  "teama/app",
  "app1/x",
  "app12/x",
  "app/x",
  "bitnami/redis.v2",
  "bitnami/redis.v3",
  "bitnami/a/b.v2",
  "bitnami/v2",
  "ksd-test/busybox",
  "ksd-tes/x",
  "ksd-testx/y",
  "ksd-test",
  "x",
  "x/y/z",
];

describe("compileRuleList: the shapes platform teams write (§4.3)", () => {
  const cases: { name: string; rules: OrderedRewrite[]; subjects: Record<string, string> }[] = [
    {
      name: "the walk-through: a project rule before the proxy rule",
      rules: [{ match: "^ksd-test/(.*)$", replace: "production/$1" }, PROXY],
      subjects: {
        "ksd-test/busybox": "production/busybox",
        "library/busybox": "docker-hub/library/busybox",
        "ksd-testx/y": "docker-hub/ksd-testx/y",
      },
    },
    {
      name: "an alternation of organisations, its group used in the target",
      rules: [{ match: "^(rancher|longhornio)/(.*)$", replace: "$1-cache/$2" }, PROXY],
      subjects: {
        "rancher/rke2-runtime": "rancher-cache/rke2-runtime",
        "longhornio/longhorn-manager": "longhornio-cache/longhorn-manager",
        "rancherx/app": "docker-hub/rancherx/app",
      },
    },
    {
      name: "a class with a repeat, a class of two, a digit class",
      rules: [
        { match: "^[a-z]+-dev/(.*)$", replace: "dev/$1" },
        { match: "^team[-_]a/(.*)$", replace: "team-a-cache/$1" },
        { match: "^app[0-9]/(.*)$", replace: "apps/$1" },
        PROXY,
      ],
      subjects: {
        "team-dev/app": "dev/app",
        "team_a/app": "team-a-cache/app",
        "app1/x": "apps/x",
        "app12/x": "docker-hub/app12/x",
      },
    },
    {
      name: "a pinned image before a group spanning the organisation",
      rules: [
        { match: "^library/nginx$", replace: "approved/nginx" },
        { match: "^(library/.*)$", replace: "lib/$1" },
        PROXY,
      ],
      subjects: {
        "library/nginx": "approved/nginx",
        "library/nginx-extra": "lib/library/nginx-extra",
        nginx: "docker-hub/nginx",
      },
    },
    {
      name: "a suffix after the group",
      rules: [{ match: "^bitnami/(.*)[.]v2$", replace: "bitnami-v2/$1" }, PROXY],
      subjects: { "bitnami/redis.v2": "bitnami-v2/redis", "bitnami/redis.v3": "docker-hub/bitnami/redis.v3" },
    },
    {
      name: "a pass-through rule keeps team-a/… as written and out of the proxy rule",
      rules: [{ match: "^team-a/", keep: true }, PROXY],
      subjects: { "team-a/app": "team-a/app", "team-b/app": "docker-hub/team-b/app" },
    },
    {
      name: "a longer prefix first: the shorter rule is narrowed inside its group",
      rules: [{ match: "^team/a/(.*)$", replace: "x/$1" }, { match: "^team/(.*)$", replace: "y/$1" }, PROXY],
      subjects: { "team/a/b": "x/b", "team/ab": "y/ab", "team/b": "y/b", "teamx/b": "docker-hub/teamx/b" },
    },
    {
      name: "a named group keeps its name in the narrowed rule",
      rules: [
        { match: "^team/(.*)", replace: "t/$1" },
        { match: "^(?P<repo>.*)$", replace: "hub/$repo" },
      ],
      subjects: { "team/app": "t/app", "other/app": "hub/other/app" },
    },
    {
      name: "an unanchored greedy catch-all is narrowed like ^(.*)$",
      rules: [
        { match: "^a/(.*)", replace: "x/$1" },
        { match: "(.*)", replace: "w/$1" },
      ],
      subjects: { "a/b": "x/b", "b/4": "w/b/4" },
    },
    {
      name: "a catch-all without a group uses $0",
      rules: [
        { match: "^tools/.*", replace: "fixed/tool" },
        { match: "^.*$", replace: "hub/$0" },
      ],
      subjects: { "tools/a": "fixed/tool", "lib/a": "hub/lib/a" },
    },
  ];
  it.each(cases)("$name", ({ rules, subjects }) => {
    for (const [subject, expected] of Object.entries(subjects))
      expect(firstMatchWins(rules, subject)).toBe(expected);
    expectExact(rules, [...Object.keys(subjects), ...SAMPLE_PATHS]);
  });

  it("all seven shapes in one list, then a pass-through rule and the proxy rule", () => {
    const rules: OrderedRewrite[] = [
      { match: "^(rancher|longhornio)/(.*)$", replace: "$1-cache/$2" },
      { match: "^[a-z]+-dev/(.*)$", replace: "dev/$1" },
      { match: "^team[-_]a/(.*)$", replace: "team-a-cache/$1" },
      { match: "^app[0-9]/(.*)$", replace: "apps/$1" },
      { match: "^library/nginx$", replace: "approved/nginx" },
      { match: "^(library/.*)$", replace: "lib/$1" },
      { match: "^bitnami/(.*)[.]v2$", replace: "bitnami-v2/$1" },
      { match: "^team-b/", keep: true },
      PROXY,
    ];
    expectExact(rules, SAMPLE_PATHS);
    const compiled = compileRuleList(rules, PATH);
    expect(compiled.map((entry) => entry.priority)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(compiled[7].pattern).toBeUndefined();
    // Rules that overlap no earlier rule are written as the user wrote them.
    expect(compiled.slice(0, 5).map((entry) => entry.pattern)).toEqual(
      rules.slice(0, 5).map((rule) => rule.match),
    );
  });

  it("the walk-through's proxy rule is narrowed to an exact RE2 pattern without a backslash", () => {
    const compiled = compileOrderedRewrites(
      [{ match: "^ksd-test/(.*)$", replace: "production/$1" }, PROXY],
      PATH,
    );
    expect(Object.keys(compiled)).toHaveLength(2);
    for (const pattern of Object.keys(compiled)) {
      expect(pattern).not.toMatch(/[\\"]/);
      expect(compileRewritePattern(pattern).ok).toBe(true);
    }
  });

  it("a single rule compiles to itself, whatever its shape", () => {
    expect(compileOrderedRewrites([{ match: "^(.*)/(.*)$", replace: "$2/x/$1" }], PATH)).toEqual({
      "^(.*)/(.*)$": "$2/x/$1",
    });
  });

  it("compiling is deterministic: same input, byte-identical output", () => {
    const rules = [{ match: "^ksd-test/(.*)$", replace: "production/$1" }, PROXY];
    expect(JSON.stringify(compileOrderedRewrites(rules, PATH))).toBe(
      JSON.stringify(compileOrderedRewrites(rules, PATH)),
    );
  });
});

describe("compileRuleList: refused lists name the user's key, the witness and what to write", () => {
  const cases: { name: string; rules: OrderedRewrite[]; message: RegExp }[] = [
    {
      name: "§4.3 a rule entirely shadowed by an earlier prefix",
      rules: [
        { match: "^a/(.*)", replace: "x/$1" },
        { match: "^a/b/(.*)", replace: "y/$1" },
      ],
      message:
        /rewrites\."docker\.io"\[1\]\.match: rule 1 "\^a\/b\/\(\.\*\)" can never apply: .*"a\/b\/a" by rule 0/,
    },
    {
      name: "§4.3 a rule after a catch-all can never apply",
      rules: [PROXY, { match: "^a/(.*)", replace: "x/$1" }],
      message: /\[1\]\.match: .*can never apply.*put the more specific rule first/,
    },
    {
      name: "§4.3 two overlapping rules whose later groups cannot be kept: witness and winner",
      rules: [
        { match: "^(.*)/x$", replace: "ax/$1" },
        { match: "^(.*)/(.*)$", replace: "b/$1/$2" },
      ],
      message:
        /\[1\]\.match: rule 1 .* overlaps rule 0 .*both match "a\/x", and rule 0 wins there because it comes first/,
    },
    {
      name: "§4.3 an overlapping unanchored rule cannot be narrowed",
      rules: [
        { match: "^a/(.*)$", replace: "x/$1" },
        { match: "b", replace: "c" },
      ],
      message: /\[1\]\.match: .*overlaps rule 0.*anchored at both ends/,
    },
    {
      name: "§4.4 an identity replacement is refused with the repository it returns",
      rules: [{ match: "^(.*)$", replace: "$1" }],
      message: /\[0\]\.replace: replace "\$1" returns "[a-z0-9]+" unchanged/,
    },
    {
      name: "§4.4 a replacement that re-adds the prefix is an identity",
      rules: [{ match: "^team[-_]a/(.*)$", replace: "team-a/$1" }],
      message: /returns "team-a\/[a-z0-9]+" unchanged/,
    },
    {
      name: "§4.5 $1x reads as the group named 1x, which expands to nothing",
      rules: [{ match: "^(.*)$", replace: "hub/$1x" }],
      message: /\[0\]\.replace: .*group named "1x", which expands to nothing: write \$\{1\}x/,
    },
    {
      name: "§4.5 a reference to a missing group",
      rules: [{ match: "^a/(.*)$", replace: "hub/$2" }],
      message: /refers to \$2, which is no group .* has 1 capture group/,
    },
    {
      name: "§4.5 a reference to a missing named group",
      rules: [{ match: "^a/(?P<repo>.*)$", replace: "hub/${name}" }],
      message: /refers to \$\{name\}, which is no group.*named "repo"/,
    },
    {
      name: "§4.1 upper case in the target",
      rules: [{ match: "^(.*)$", replace: "Hub/$1" }],
      message: /produces upper case/,
    },
    {
      name: "§4.1 a space in the target",
      rules: [{ match: "^(.*)$", replace: "hub /$1" }],
      message: /produces white space/,
    },
    {
      name: "§4.1 non-ASCII in the target",
      rules: [{ match: "^(.*)$", replace: "hüb/$1" }],
      message: /non-ASCII/,
    },
    {
      name: "§4.1 a target that can produce ..",
      rules: [{ match: "^(.*)$", replace: "hub.$1" }],
      message: /can produce "hub\.\.[^"]*", with "\.\."/,
    },
    {
      name: "§4.8 a backslash is refused",
      rules: [{ match: "^quay\\.io/(.*)", replace: "q/$1" }],
      message: /\[0\]\.match: match .* contains a backslash.*\[\.\]/,
    },
    {
      name: "§4.8 a double quote in the replacement is refused",
      rules: [{ match: "^(.*)$", replace: 'q/"$1' }],
      message: /\[0\]\.replace: replace .* contains a double quote/,
    },
    {
      name: "§4.2 a pattern that is not RE2 is refused",
      rules: [{ match: "^(?!library/)(.*)", replace: "q/$1" }],
      message: /not a valid RE2 pattern/,
    },
    {
      name: "flags are refused with what to write instead",
      rules: [{ match: "(?i)^team/(.*)$", replace: "t/$1" }],
      message: /flags such as `\(\?i\)` are not supported/,
    },
    {
      name: "a rule no repository path can match",
      rules: [{ match: "^Team/(.*)$", replace: "t/$1" }],
      message: /matches no repository path/,
    },
  ];
  it.each(cases)("$name", ({ rules, message }) => {
    expect(compileError(rules)).toMatch(message);
  });
});

describe("compileRuleList properties (fast-check)", () => {
  // Rule pieces over a small alphabet, so that generated rules share stems and overlap often.
  const literal = fc.constantFrom("a", "b", "ab", "a-b", "a.b", "b_a");
  const spell = (text: string) => text.replaceAll(".", "[.]");
  const head = fc.oneof(
    literal.map((text) => spell(text)),
    fc.constantFrom("[ab]", "[a-b]+", "(?:a|b)", "a[0-9]", "(a|ab)", "[a-z]+-b"),
  );
  const ruleArbitrary = fc.oneof(
    head.map((h) => ({ match: `^${h}/(.*)$`, target: "group" as const })),
    head.map((h) => ({ match: `^${h}/(?P<rest>.*)$`, target: "named" as const })),
    head.chain((h) => literal.map((tail) => ({ match: `^${h}/${spell(tail)}$`, target: "pin" as const }))),
    head.map((h) => ({ match: `^(${h}/.*)$`, target: "group" as const })),
    head.map((h) => ({ match: `^${h}/(.*)[.]b$`, target: "group" as const })),
    head.map((h) => ({ match: `^${h}/`, target: "keep" as const })),
  );
  const toRules = (generated: readonly { match: string; target: string }[]): OrderedRewrite[] => [
    ...generated.map(({ match, target }, index): OrderedRewrite => {
      if (target === "keep") return { match, keep: true };
      if (target === "named") return { match, replace: `r${index}/$rest` };
      if (target === "pin") return { match, replace: `r${index}/pinned` };
      return { match, replace: `r${index}/$1` };
    }),
    PROXY,
  ];
  const component = fc.constantFrom("a", "b", "ab", "a-b", "a.b", "b_a", "a0", "b1", "z");
  const pathArbitrary = fc.array(component, { minLength: 1, maxLength: 3 }).map((parts) => parts.join("/"));

  it("§4.3 the compiled set equals ordered first-match, at most one pattern matches a path, or a true witness", () => {
    fc.assert(
      fc.property(
        fc.array(ruleArbitrary, { maxLength: 4 }),
        fc.array(pathArbitrary, { minLength: 20, maxLength: 40 }),
        (generated, paths) => {
          const rules = toRules(generated);
          let compiled: Record<string, string>;
          try {
            compiled = compileOrderedRewrites(rules, PATH);
          } catch (caught) {
            if (!(caught instanceof ValidationError)) throw caught;
            for (const diagnostic of caught.diagnostics) expectTrueWitness(rules, diagnostic.message);
            return;
          }
          for (const pattern of Object.keys(compiled)) expect(pattern).not.toMatch(/[\\"]/);
          expectExact(rules, paths);
        },
      ),
      { numRuns: 150 },
    );
  });

  /** "both match W, and rule j wins": W is a valid path both rules match; "e.g. W by rule j": both match W. */
  function expectTrueWitness(rules: readonly OrderedRewrite[], message: string): void {
    const overlap = /^rule (\d+) .* overlaps rule (\d+) .*: both match "([^"]*)", and rule (\d+) wins/.exec(
      message,
    );
    const shadow = /^rule (\d+) .* can never apply: .*\(e\.g\. "([^"]*)" by rule (\d+) /.exec(message);
    if (overlap) {
      const [, later, earlier, witness, winner] = overlap;
      expect(isRepositoryPath(witness)).toBe(true);
      expect(findsMatch(rules[Number(later)].match, witness)).toBe(true);
      expect(findsMatch(rules[Number(earlier)].match, witness)).toBe(true);
      expect(winner).toBe(earlier);
      expect(Number(earlier)).toBeLessThan(Number(later));
    } else if (shadow) {
      const [, later, witness, earlier] = shadow;
      expect(isRepositoryPath(witness)).toBe(true);
      expect(findsMatch(rules[Number(later)].match, witness)).toBe(true);
      expect(findsMatch(rules[Number(earlier)].match, witness)).toBe(true);
    } else {
      // Replacement refusals carry a returned repository; nothing else is expected from these rules.
      expect(message).toMatch(/returns "[^"]+" unchanged|can produce/);
    }
  }
});

describe("compileRegistriesSpec", () => {
  it("§4.3 builds mirrors by registry with compiled rules and copies configs", () => {
    const rules = [{ match: "^ksd-test/(.*)$", replace: "production/$1" }, PROXY];
    const file = compileRegistriesSpec({
      mirrors: [{ registry: "docker.io", endpoints: ["https://harbor.example.com"], rewrites: rules }],
      configs: { "harbor.example.com": { tls: { insecure_skip_verify: false } } },
    });
    expect(file).toEqual({
      mirrors: {
        "docker.io": {
          endpoint: ["https://harbor.example.com"],
          rewrite: compileOrderedRewrites(rules, PATH),
        },
      },
      configs: { "harbor.example.com": { tls: { insecure_skip_verify: false } } },
    });
  });

  it("a mirror with only pass-through rules writes no rewrite at all", () => {
    const file = compileRegistriesSpec({
      mirrors: [
        {
          registry: "docker.io",
          endpoints: ["https://h.example.com"],
          rewrites: [{ match: "^a/", keep: true }],
        },
      ],
      configs: {},
    });
    expect(file.mirrors?.["docker.io"]).toEqual({ endpoint: ["https://h.example.com"] });
  });

  it("collects the errors of every mirror, at the rule's key", () => {
    const bad = { match: "^(.*)$", replace: "$1" };
    const spec = {
      mirrors: [
        { registry: "quay.io", endpoints: ["https://h.example.com"], rewrites: [bad] },
        { registry: "docker.io", endpoints: ["https://h.example.com"], rewrites: [bad] },
      ],
      configs: {},
    };
    expect(() => compileRegistriesSpec(spec)).toThrow(ValidationError);
    try {
      compileRegistriesSpec(spec);
    } catch (caught) {
      expect((caught as ValidationError).diagnostics.map((d) => d.path)).toEqual([
        'mirrors."docker.io".rewrites[0].replace',
        'mirrors."quay.io".rewrites[0].replace',
      ]);
    }
  });

  it("refuses a registry described twice", () => {
    const mirror = { registry: "docker.io", endpoints: ["https://h.example.com"], rewrites: [] };
    expect(() => compileRegistriesSpec({ mirrors: [mirror, mirror], configs: {} })).toThrow(
      /described twice/,
    );
  });
});
