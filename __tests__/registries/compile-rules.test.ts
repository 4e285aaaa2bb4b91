import fc from "fast-check";
import {
  compileOrderedRewrites,
  compileRegistriesSpec,
  notStartingWith,
} from "../../registries/compile-rules";
import { ValidationError } from "../../registries/diagnostics";
import type { OrderedRewrite } from "../../registries/model";
import { applyRewriteRule, compileRewritePattern } from "../../registries/rewrite";

const PATH = 'mirrors."docker.io".rewrites';

/** Ordered semantics the user means: the first rule that changes the subject wins. */
function firstMatchWins(rules: readonly OrderedRewrite[], subject: string): string {
  for (const rule of rules) {
    const output = applyRewriteRule(rule.match, rule.replace, subject);
    if (output !== undefined) return output;
  }
  return subject;
}

/** containerd's semantics for one map order (§4.3): the first entry, in that order, that changes the subject. */
function mapOrderOutcome(entries: readonly [string, string][], subject: string): string {
  return firstMatchWins(
    entries.map(([match, replace]) => ({ match, replace })),
    subject,
  );
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
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

const walkThrough: OrderedRewrite[] = [
  { match: "^ksd-test/(.*)", replace: "production/$1" },
  { match: "^(.*)$", replace: "docker.io/$1" },
];

describe("compileOrderedRewrites: order-independent results (§4.3)", () => {
  const cases: { name: string; rules: OrderedRewrite[]; subjects: Record<string, string> }[] = [
    {
      name: "§4.3 walk-through: a project rule before the proxy catch-all",
      rules: walkThrough,
      subjects: {
        "ksd-test/busybox": "production/busybox",
        "library/busybox": "docker.io/library/busybox",
        "ksd-tes/x": "docker.io/ksd-tes/x",
        "ksd-testx/y": "docker.io/ksd-testx/y",
        "ksd-test": "docker.io/ksd-test",
      },
    },
    {
      name: "§4.3 several prefix rules sharing a stem, then a catch-all",
      rules: [
        { match: "^ab/(.*)", replace: "x/$1" },
        { match: "^ac/(.*)$", replace: "y/$1" },
        { match: "^a(.*)", replace: "z/$1" },
        { match: "(.*)", replace: "w/$1" },
      ],
      subjects: { "ab/1": "x/1", "ac/2": "y/2", "ad/3": "z/d/3", a: "z/", "b/4": "w/b/4", "": "w/" },
    },
    {
      name: "§4.3 a literal dot is written [.] and stays literal",
      rules: [
        { match: "^quay[.]io/(.*)", replace: "q/$1" },
        { match: "^(.*)$", replace: "d/$1" },
      ],
      subjects: { "quay.io/a": "q/a", "quayxio/a": "d/quayxio/a" },
    },
    {
      name: "§4.3 a named group keeps its name in the restricted rule",
      rules: [
        { match: "^team/(.*)", replace: "t/$1" },
        { match: "^(?P<repo>.*)$", replace: "hub/$repo" },
      ],
      subjects: { "team/app": "t/app", "other/app": "hub/other/app" },
    },
    {
      name: "§4.3 a catch-all without a group uses $0",
      rules: [
        { match: "^tools/.*", replace: "fixed/tool" },
        { match: "^.*$", replace: "hub/$0" },
      ],
      subjects: { "tools/a": "fixed/tool", "lib/a": "hub/lib/a" },
    },
    {
      name: "§4.3 disjoint prefix rules without a catch-all",
      rules: [
        { match: "^a/(.*)", replace: "x/$1" },
        { match: "^b/(.*)", replace: "y/$1" },
      ],
      subjects: { "a/1": "x/1", "b/1": "y/1", "c/1": "c/1" },
    },
  ];
  it.each(cases)("$name", ({ rules, subjects }) => {
    const compiled = Object.entries(compileOrderedRewrites(rules, PATH));
    for (const [subject, expected] of Object.entries(subjects)) {
      expect(firstMatchWins(rules, subject)).toBe(expected);
      for (const order of permutations(compiled)) expect(mapOrderOutcome(order, subject)).toBe(expected);
    }
  });

  it("§4.3 a single rule compiles to itself, whatever its shape", () => {
    expect(compileOrderedRewrites([{ match: "^(.*)/(.*)$", replace: "$2/$1" }], PATH)).toEqual({
      "^(.*)/(.*)$": "$2/$1",
    });
  });

  it("§4.3 the walk-through compiles to the exact trie-restricted catch-all", () => {
    const notKsdTest =
      "(?:$|[^k].*|k(?:$|[^s].*|s(?:$|[^d].*|d(?:$|[^-].*|-(?:$|[^t].*|t(?:$|[^e].*|e(?:$|[^s].*|s(?:$|[^t].*|t(?:$|[^/].*)))))))))";
    expect(compileOrderedRewrites(walkThrough, PATH)).toEqual({
      "^ksd-test/(.*)": "production/$1",
      [`^(${notKsdTest})$`]: "docker.io/$1",
    });
  });

  it("§4.3 compiling is deterministic: same input, byte-identical output", () => {
    expect(JSON.stringify(compileOrderedRewrites(walkThrough, PATH))).toBe(
      JSON.stringify(compileOrderedRewrites(walkThrough, PATH)),
    );
  });
});

describe("compileOrderedRewrites: refused inputs name the rule and what is supported", () => {
  const cases: { name: string; rules: OrderedRewrite[]; message: RegExp }[] = [
    {
      name: "§4.3 a rule entirely shadowed by an earlier prefix",
      rules: [
        { match: "^a/(.*)", replace: "x/$1" },
        { match: "^a/b/(.*)", replace: "y/$1" },
      ],
      message: /rewrites\[1\]: rule 1 "\^a\/b\/\(\.\*\)" can never apply because rule 0 "\^a\/\(\.\*\)"/,
    },
    {
      name: "§4.3 a rule after a catch-all can never apply",
      rules: [
        { match: "^(.*)$", replace: "d/$1" },
        { match: "^a/(.*)", replace: "x/$1" },
      ],
      message: /rewrites\[1\]: .*already rewrites every repository;/,
    },
    {
      name: "§4.4 an identity replacement is refused",
      rules: [{ match: "^(.*)$", replace: "$1" }],
      message: /rewrites\[0\]: replace "\$1" can return the repository unchanged/,
    },
    {
      name: "§4.4 a replacement that re-adds the prefix is an identity",
      rules: [{ match: "^ab/(.*)", replace: "ab/$1" }],
      message: /can return the repository unchanged/,
    },
    {
      name: '§4.4 a rotated prefix can still return the subject (ab/ → a${1}b/ for the rest "")',
      rules: [{ match: "^ab/(.*)", replace: "a${1}b/" }],
      message: /can return the repository unchanged/,
    },
    {
      name: "§4.4 $0 alone returns the subject",
      rules: [{ match: "^.*$", replace: "$0" }],
      message: /can return the repository unchanged/,
    },
    {
      name: "§4.3 an unanchored prefix rule is not a supported shape",
      rules: [
        { match: "ksd-test/(.*)", replace: "p/$1" },
        { match: "^(.*)$", replace: "d/$1" },
      ],
      message: /rewrites\[0\]: match "ksd-test\/\(\.\*\)" cannot be made order-independent; supported shapes/,
    },
    {
      name: "§4.3 an unescaped dot in a prefix is explained",
      rules: [
        { match: "^quay.io/(.*)", replace: "q/$1" },
        { match: "^(.*)$", replace: "d/$1" },
      ],
      message: /an unescaped `\.` matches any character/,
    },
    {
      name: "§4.8 a backslash is refused",
      rules: [{ match: "^quay\\.io/(.*)", replace: "q/$1" }],
      message: /rewrites\[0\]: match .* contains a (backslash|double quote).*\[\.\]/,
    },
    {
      name: "§4.8 a double quote in the replacement is refused",
      rules: [{ match: "^(.*)$", replace: 'q/"$1' }],
      message: /replace .* contains a (backslash|double quote)/,
    },
    {
      name: "§4.2 a pattern that is not RE2 is refused",
      rules: [{ match: "^(?!library/)(.*)", replace: "q/$1" }],
      message: /not a valid RE2 pattern/,
    },
  ];
  it.each(cases)("$name", ({ rules, message }) => {
    expect(compileError(rules)).toMatch(message);
  });
});

describe("notStartingWith (trie-derived exclusion)", () => {
  const cases = [
    {
      name: "the example from the task: not starting with ab/",
      prefixes: ["ab/"],
      expected: "(?:$|[^a].*|a(?:$|[^b].*|b(?:$|[^/].*)))",
    },
    { name: "a shorter prefix subsumes a longer one", prefixes: ["ab", "a"], expected: "(?:$|[^a].*)" },
    {
      name: "- goes last in a class and . becomes [.]",
      prefixes: ["-x", ".y"],
      expected: "(?:$|[^.-].*|-(?:$|[^x].*)|[.](?:$|[^y].*))",
    },
  ];
  it.each(cases)("$name", ({ prefixes, expected }) => {
    expect(notStartingWith(prefixes)).toBe(expected);
  });
});

describe("compileOrderedRewrites properties (fast-check)", () => {
  // A small alphabet makes shared stems, dots and dashes frequent.
  const prefixArbitrary = fc.string({
    unit: fc.constantFrom("a", "b", "/", ".", "-", "_"),
    minLength: 1,
    maxLength: 4,
  });
  const subjectArbitrary = fc.string({
    unit: fc.constantFrom("a", "b", "/", ".", "-", "_", "c"),
    maxLength: 7,
  });
  const catchAllArbitrary = fc.constantFrom("^(.*)$", "^(.*)", "(.*)");
  const spell = (prefix: string) => prefix.replaceAll(".", "[.]");
  const toRules = (prefixes: readonly string[], catchAll: string): OrderedRewrite[] => [
    ...prefixes.map((prefix, index) => ({ match: `^${spell(prefix)}(.*)`, replace: `R${index}/$1` })),
    { match: catchAll, replace: "hub/$1" },
  ];
  const isShadowed = (prefixes: readonly string[]) =>
    prefixes.some((prefix, index) => prefixes.slice(0, index).some((earlier) => prefix.startsWith(earlier)));

  it("§4.3 every map order gives the ordered first-match-wins result, or the list is refused as shadowed", () => {
    fc.assert(
      fc.property(
        fc.array(prefixArbitrary, { maxLength: 3 }),
        catchAllArbitrary,
        fc.array(subjectArbitrary, { minLength: 1, maxLength: 4 }),
        (prefixes, catchAll, subjects) => {
          const rules = toRules(prefixes, catchAll);
          if (isShadowed(prefixes)) {
            expect(compileError(rules)).toMatch(/can never apply/);
            return;
          }
          const compiled = Object.entries(compileOrderedRewrites(rules, PATH));
          // Subjects built from the prefixes hit the boundaries of every restriction.
          for (const subject of [
            ...subjects,
            ...prefixes,
            ...prefixes.map((prefix) => `${prefix}${subjects[0]}`),
          ]) {
            const expected = firstMatchWins(rules, subject);
            for (const order of permutations(compiled))
              expect(mapOrderOutcome(order, subject)).toBe(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("§4.8 compiled patterns contain no backslash and no double quote, and compile as RE2", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(prefixArbitrary, { maxLength: 4 }),
        catchAllArbitrary,
        (prefixes, catchAll) => {
          fc.pre(!isShadowed(prefixes));
          for (const pattern of Object.keys(compileOrderedRewrites(toRules(prefixes, catchAll), PATH))) {
            expect(pattern).not.toMatch(/[\\"]/);
            expect(compileRewritePattern(pattern).ok).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("compileRegistriesSpec", () => {
  it("§4.3 builds mirrors by registry with compiled rules and copies configs", () => {
    const configs = { "harbor.kingsd.top": { tls: { ca_file: "/etc/ca.pem" } } };
    const file = compileRegistriesSpec({
      mirrors: [
        {
          registry: "quay.io",
          endpoints: ["https://harbor.kingsd.top"],
          rewrites: [{ match: "^(.*)$", replace: "quay/$1" }],
        },
        { registry: "docker.io", endpoints: ["https://harbor.kingsd.top"], rewrites: walkThrough },
        { registry: "ghcr.io", endpoints: ["https://harbor.kingsd.top"], rewrites: [] },
      ],
      configs,
    });
    expect(Object.keys(file.mirrors ?? {})).toEqual(["docker.io", "ghcr.io", "quay.io"]);
    expect(file.mirrors?.["docker.io"]).toEqual({
      endpoint: ["https://harbor.kingsd.top"],
      rewrite: compileOrderedRewrites(walkThrough, PATH),
    });
    expect(file.mirrors?.["ghcr.io"]).toEqual({ endpoint: ["https://harbor.kingsd.top"] });
    expect(file.mirrors?.["quay.io"]?.rewrite).toEqual({ "^(.*)$": "quay/$1" });
    expect(file.configs).toEqual(configs);
  });

  it("§4.3 errors from every mirror are reported together, with the mirror's rule path", () => {
    const shadowed = [
      { match: "^(.*)$", replace: "d/$1" },
      { match: "^a/(.*)", replace: "x/$1" },
    ];
    const spec = {
      mirrors: [
        { registry: "docker.io", endpoints: ["h"], rewrites: shadowed },
        { registry: "quay.io", endpoints: ["h"], rewrites: [{ match: "^(.*)$", replace: "$1" }] },
      ],
      configs: {},
    };
    expect(() => compileRegistriesSpec(spec)).toThrow(ValidationError);
    try {
      compileRegistriesSpec(spec);
    } catch (caught) {
      expect((caught as ValidationError).diagnostics.map((diagnostic) => diagnostic.path)).toEqual([
        'mirrors."docker.io".rewrites[1]',
        'mirrors."quay.io".rewrites[0]',
      ]);
    }
  });

  it("§3.2 a registry described twice is an error", () => {
    const mirror = { registry: "docker.io", endpoints: ["h"], rewrites: [] };
    expect(() => compileRegistriesSpec({ mirrors: [mirror, mirror], configs: {} })).toThrow(
      /described twice/,
    );
  });

  it("determinism: the order of mirrors in the input does not change the output", () => {
    const a = { registry: "docker.io", endpoints: ["h"], rewrites: walkThrough };
    const b = { registry: "quay.io", endpoints: ["h"], rewrites: [] };
    expect(JSON.stringify(compileRegistriesSpec({ mirrors: [a, b], configs: {} }))).toBe(
      JSON.stringify(compileRegistriesSpec({ mirrors: [b, a], configs: {} })),
    );
  });
});
