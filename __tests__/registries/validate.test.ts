/**
 * The validation rules of rke2-registries.md §8: every error class is rejected with its path,
 * line and rule code (the error table is in the bad-input catalogue, testing/bad-inputs.ts);
 * every warning is raised; and the cases the rules must not flag stay clean.
 */
import { compileRegistriesSpec } from "../../registries/compile-rules";
import { Diagnostic, ValidationError } from "../../registries/diagnostics";
import { validateRegistriesFile, validateRegistriesYaml } from "../../registries/validate";
import {
  configWithAuth,
  ENDPOINT_0,
  INVALID_REGISTRIES_CASES,
  mirrorWithEndpoint,
  mirrorWithRule,
  RegistriesRuleCase,
  RULE_PATH,
  yaml,
} from "../../testing/bad-inputs";

const bySeverity = (severity: Diagnostic["severity"]) => (diagnostics: readonly Diagnostic[]) =>
  diagnostics.filter((diagnostic) => diagnostic.severity === severity);
const errorsIn = bySeverity("error");
const warningsIn = bySeverity("warning");

/** §11: the Harbor proxy-cache recipe; valid and warning-free. */
const RECIPE = yaml(
  "mirrors:",
  '  "docker.io":',
  "    endpoint:",
  '      - "https://harbor.example.com"',
  "    rewrite:",
  '      "^(.*)$": "dockerhub-proxy/$1"',
  '  "quay.io":',
  "    endpoint:",
  '      - "https://harbor.example.com"',
  "    rewrite:",
  '      "^(.*)$": "quay-proxy/$1"',
  "configs:",
  '  "harbor.example.com":',
  "    auth:",
  '      username: "robot$k8s-puller"',
  '      password: "<secret>"',
  "    tls:",
  '      ca_file: "/etc/rancher/rke2/harbor-ca.pem"',
);

/** A docker.io mirror with one endpoint and the given rewrite rules (rules start on line 5). */
function rules(...entries: (readonly [string, string])[]): string {
  const lines = entries.map(
    ([pattern, replacement]) => `      ${JSON.stringify(pattern)}: ${JSON.stringify(replacement)}`,
  );
  return yaml("mirrors:", "  docker.io:", '    endpoint: ["https://h.io"]', "    rewrite:", ...lines);
}

// §8 "Warnings".
const warningCases: readonly RegistriesRuleCase[] = [
  {
    name: "§8 mixed-case mirror key",
    text: yaml("mirrors:", "  Docker.io:", '    endpoint: ["https://harbor.example.com"]'),
    path: 'mirrors."Docker.io"',
    line: 2,
    code: "registries-host-upper-case",
    message: /upper-case.*"docker\.io"/,
  },
  {
    name: "§8 mixed-case endpoint host",
    text: mirrorWithEndpoint("https://Harbor.example.com"),
    path: ENDPOINT_0,
    line: 4,
    code: "registries-host-upper-case",
    message: /upper-case/,
  },
  {
    name: "§8 mixed-case config key",
    text: yaml("configs:", "  Harbor.example.com:", "    tls: {}"),
    path: 'configs."Harbor.example.com"',
    line: 2,
    code: "registries-host-upper-case",
    message: /upper-case/,
  },
  {
    name: "§8 two overlapping rewrite rules",
    text: yaml(
      "mirrors:",
      "  docker.io:",
      '    endpoint: ["https://h.io"]',
      "    rewrite:",
      '      "^(.*)$": "a/$1"',
      '      "^library/(.*)$": "b/$1"',
    ),
    path: 'mirrors."docker.io".rewrite',
    line: 4,
    code: "registries-rules-overlap",
    message:
      /"\^\(\.\*\)\$" and "\^library\/\(\.\*\)\$" overlap \(both match the repository "library\/a"\).*random order/,
  },
  {
    name: "§8 literal prefixes where one is a prefix of the other",
    text: yaml(
      "mirrors:",
      "  docker.io:",
      '    endpoint: ["https://h.io"]',
      "    rewrite:",
      '      "^team/(.*)$": "a/$1"',
      '      "^team/x/(.*)$": "b/$1"',
    ),
    path: 'mirrors."docker.io".rewrite',
    line: 4,
    code: "registries-rules-overlap",
    message: /overlap \(both match the repository "team\/x\/a"\)/,
  },
  {
    name: "§8 an unanchored rule overlaps an anchored one that contains its text",
    text: rules(["foo", "x"], ["^barfoo$", "y"]),
    path: 'mirrors."docker.io".rewrite',
    line: 4,
    code: "registries-rules-overlap",
    message: /both match the repository "barfoo"/,
  },
  {
    name: "§8 flags such as (?i) make disjointness unprovable",
    text: rules(["^(?i)a", "x"], ["^b", "y"]),
    path: 'mirrors."docker.io".rewrite',
    line: 4,
    code: "registries-rules-overlap",
    message: /are not provably disjoint/,
  },
  {
    name: "§8 $<digit><letter> ambiguity",
    text: mirrorWithRule("^(.*)$", "p/$1x"),
    path: RULE_PATH("^(.*)$"),
    line: 5,
    code: "registries-replacement-ambiguous-group",
    message: /\$\{1\}x/,
  },
  {
    name: "§8 reference to a missing group number",
    text: mirrorWithRule("^(.*)$", "p/$2"),
    path: RULE_PATH("^(.*)$"),
    line: 5,
    code: "registries-replacement-missing-group",
    message: /group "2"/,
  },
  {
    name: "§8 $1 without any capture group (k3s#11191)",
    text: mirrorWithRule("^library/", "p/$1"),
    path: RULE_PATH("^library/"),
    line: 5,
    code: "registries-replacement-missing-group",
    message: /group "1".*0 groups/,
  },
  {
    name: "§8 reference to a missing named group",
    text: mirrorWithRule("^(?P<repo>.*)$", "p/${name}"),
    path: RULE_PATH("^(?P<repo>.*)$"),
    line: 5,
    code: "registries-replacement-missing-group",
    message: /group "name"/,
  },
  {
    name: "§8 unanchored pattern",
    text: mirrorWithRule("library/(.*)", "p/$1"),
    path: RULE_PATH("library/(.*)"),
    line: 5,
    code: "registries-pattern-unanchored",
    message: /not anchored/,
  },
  {
    name: "§8 rewrite on a mirror without endpoints",
    text: yaml("mirrors:", "  docker.io:", "    rewrite:", '      "^(.*)$": "p/$1"'),
    path: 'mirrors."docker.io".rewrite',
    line: 3,
    code: "registries-rewrite-without-endpoints",
    message: /without \(valid\) endpoints/,
  },
  {
    name: "§8 rewrite whose only endpoint equals the default (§3.2 step 4)",
    text: yaml(
      "mirrors:",
      "  quay.io:",
      '    endpoint: ["quay.io"]',
      "    rewrite:",
      '      "^(.*)$": "p/$1"',
    ),
    path: 'mirrors."quay.io".rewrite',
    line: 4,
    code: "registries-endpoint-folded-into-default",
    message: /drops these rewrites/,
  },
  {
    name: "§8 rewrite whose only endpoint is Docker Hub's default host",
    text: yaml(
      "mirrors:",
      "  docker.io:",
      '    endpoint: ["https://registry-1.docker.io/v2"]',
      "    rewrite:",
      '      "^(.*)$": "p/$1"',
    ),
    path: 'mirrors."docker.io".rewrite',
    line: 4,
    code: "registries-endpoint-folded-into-default",
    message: /drops these rewrites/,
  },
  {
    name: "§8 duplicate endpoints (after normalization)",
    text: yaml("mirrors:", "  docker.io:", "    endpoint:", '      - "https://h.io"', '      - "h.io/v2"'),
    path: 'mirrors."docker.io".endpoint[1]',
    line: 5,
    code: "registries-duplicate-endpoint",
    message: /duplicate endpoint/,
  },
  {
    name: "§8 config near miss: same host with a port",
    text: yaml(
      "mirrors:",
      "  docker.io:",
      '    endpoint: ["https://h.io"]',
      "configs:",
      '  "h.io:443":',
      "    auth: {username: u, password: p}",
    ),
    path: ENDPOINT_0,
    line: 3,
    code: "registries-configs-host-mismatch",
    message: /no configs entry for the endpoint host "h\.io".*"h\.io:443"/,
  },
  {
    name: "§8 config near miss: keyed by the mirror name",
    text: yaml(
      "mirrors:",
      "  docker.io:",
      '    endpoint: ["https://h.io"]',
      "configs:",
      "  docker.io:",
      "    auth: {username: u, password: p}",
    ),
    path: ENDPOINT_0,
    line: 3,
    code: "registries-configs-host-mismatch",
    message: /"docker\.io"/,
  },
  {
    name: "§8 http endpoint with TLS settings",
    text: yaml(
      "mirrors:",
      "  docker.io:",
      '    endpoint: ["http://h.io:5000"]',
      "configs:",
      '  "h.io:5000":',
      "    tls: {ca_file: /ca.pem}",
    ),
    path: ENDPOINT_0,
    line: 3,
    code: "registries-http-endpoint-with-tls",
    message: /HTTPS first/,
  },
  {
    name: "§8 cert_file without key_file",
    text: yaml("configs:", "  h.io:", "    tls:", "      cert_file: /c.pem"),
    path: 'configs."h.io".tls.cert_file',
    line: 4,
    code: "registries-cert-without-key",
    message: /key_file/,
  },
  {
    name: '§8 configs entry hidden behind the "*" mirror (§3.2 step 6)',
    text: yaml(
      "mirrors:",
      '  "*":',
      '    endpoint: ["https://h.io"]',
      "configs:",
      "  quay.io:",
      "    tls: {ca_file: /ca.pem}",
    ),
    path: 'configs."quay.io"',
    line: 5,
    code: "registries-configs-shadow-wildcard",
    message: /no longer use the "\*" mirror/,
  },
  {
    name: "§3.3 endpoint path is an API root, not a prefix (k3s#5502)",
    text: mirrorWithEndpoint("https://harbor.example.com/dockerhub-proxy"),
    path: ENDPOINT_0,
    line: 4,
    code: "registries-endpoint-override-path",
    message: /API root/,
  },
  {
    name: "§3.3 two endpoints containerd cleans to one API root (parseHostConfig)",
    text: yaml("mirrors:", "  docker.io:", '    endpoint: ["https://h.io", "https://h.io/v2/"]'),
    path: 'mirrors."docker.io".endpoint[1]',
    line: 3,
    code: "registries-duplicate-endpoint",
    message:
      /containerd cleans "https:\/\/h\.io\/v2\/" to the API root https:\/\/h\.io\/v2, the same as endpoint\[0\]/,
  },
  {
    name: "§3.3 an override path is named as containerd cleans it",
    text: mirrorWithEndpoint("https://harbor.example.com//proxy/"),
    path: ENDPOINT_0,
    line: 4,
    code: "registries-endpoint-override-path",
    message: /API root https:\/\/harbor\.example\.com\/proxy \(override_path\)/,
  },
  {
    name: "§1 duplicate keys",
    text: yaml("mirrors:", "  docker.io: {}", "  docker.io: {}"),
    path: 'mirrors."docker.io"',
    line: 3,
    code: "yaml-duplicate-key",
    message: /duplicate key/,
  },
];

// Inputs the rules must not flag (each would be a false positive of one rule above).
const cleanCases: readonly { name: string; text: string }[] = [
  { name: "§11 the Harbor proxy-cache recipe", text: RECIPE },
  {
    name: "§4.3 rules anchored on disjoint literal prefixes",
    text: yaml(
      "mirrors:",
      "  docker.io:",
      '    endpoint: ["https://h.io"]',
      "    rewrite:",
      '      "^team-a/(.*)$": "a/$1"',
      '      "^team-b/(.*)$": "b/$1"',
    ),
  },
  {
    name: "§4.8 [.] classes count as literal prefix characters",
    text: yaml(
      "mirrors:",
      "  docker.io:",
      '    endpoint: ["https://h.io"]',
      "    rewrite:",
      '      "^a[.]b/(.*)$": "a/$1"',
      '      "^a[.]c/(.*)$": "b/$1"',
    ),
  },
  {
    name: "§4.6 the :443 trick keeps rewrites on a registry's own host",
    text: yaml(
      "mirrors:",
      "  quay.io:",
      '    endpoint: ["https://quay.io:443"]',
      "    rewrite:",
      '      "^(.*)$": "p/$1"',
    ),
  },
  { name: "§4.3 an exact match and a longer prefix are disjoint", text: rules(["^a$", "x"], ["^a/.*", "y"]) },
  { name: "§4.3 different repeat counts are disjoint", text: rules(["^x{2}$", "a"], ["^x{3}$", "b"]) },
  {
    name: "§4.3 a class and its negation are disjoint",
    text: rules(["^[^a-z]", "a"], ["^[a-z]{2,3}$", "b"]),
  },
  {
    name: "§4.3 alternatives with distinct prefixes are disjoint",
    text: rules(["^(a|b)/", "a"], ["^c/", "b"]),
  },
  { name: "§4.5 ${1}x and $$ are unambiguous", text: mirrorWithRule("^(.*)$", "p/${1}x$$") },
  { name: "§4.5 named group used by name", text: mirrorWithRule("^(?P<repo>.*)$", "p/${repo}") },
  {
    name: "§3.2 step 6 configs for the * mirror's endpoint host are needed, not shadowing",
    text: yaml(
      "mirrors:",
      '  "*":',
      '    endpoint: ["https://h.io"]',
      "configs:",
      "  h.io:",
      "    auth: {username: u, password: p}",
    ),
  },
  {
    name: "§3.2 step 5 an empty configs entry creates no directory",
    text: yaml("mirrors:", '  "*":', '    endpoint: ["https://h.io"]', "configs:", "  quay.io: {}"),
  },
  {
    name: "§5 a config under registry-1.docker.io serves the docker.io endpoint",
    text: yaml(
      "mirrors:",
      "  quay.io:",
      '    endpoint: ["https://docker.io"]',
      "configs:",
      "  registry-1.docker.io:",
      "    auth: {username: u, password: p}",
    ),
  },
  {
    name: "§3.3 /v2/ is cleaned to the plain API root, no override warning",
    text: mirrorWithEndpoint("https://h.io/v2/"),
  },
  { name: "§3.3 localhost registry with a port", text: mirrorWithEndpoint("localhost:5000") },
  {
    name: "§5 auth as base64 of user:password",
    text: configWithAuth("h.io", "auth", Buffer.from("robot$x:p:w").toString("base64")),
  },
  { name: "§1 null mirror", text: "mirrors: {docker.io: }\n" },
];

describe("validateRegistriesYaml", () => {
  // Bytes that are not UTF-8 are refused where the file is read (proven with the CLI in the proof suite).
  it.each(INVALID_REGISTRIES_CASES.filter((item) => item.encoding === undefined))(
    "$name → error at $path line $line",
    ({ text, path, line, code, message }) => {
      // As every command shows them: thrown, so with the credentials of any URL redacted.
      const errors = errorsIn(new ValidationError(validateRegistriesYaml(text)).diagnostics);
      expect(errors).toEqual([
        expect.objectContaining({ path, line, code, message: expect.stringMatching(message) }),
      ]);
      expect(errors[0].column).toEqual(expect.any(Number));
    },
  );

  it.each(warningCases)("$name → warning at $path line $line", ({ text, path, line, code, message }) => {
    const diagnostics = validateRegistriesYaml(text);
    expect(errorsIn(diagnostics)).toEqual([]);
    expect(warningsIn(diagnostics)).toContainEqual(
      expect.objectContaining({ path, line, code, message: expect.stringMatching(message) }),
    );
  });

  it.each(cleanCases)("$name → no diagnostics", ({ text }) => {
    expect(validateRegistriesYaml(text)).toEqual([]);
  });

  it("§8 reports every error of a file, in source order", () => {
    const text = yaml(
      "mirrors:",
      "  docker.io:",
      '    endpoint: ["https://u@h.io", "ftp://h.io"]',
      "    rewrite:",
      '      "^docker\\\\.io": "x"',
      "configs:",
      '  "*":',
      "    auth: {auth: nope}",
    );
    const lines = errorsIn(validateRegistriesYaml(text)).map((diagnostic) => diagnostic.line);
    expect(lines).toEqual([3, 3, 5, 8, 8]);
  });

  it.each([
    {
      name: "flag set, no embedded registry → warning",
      options: { disableDefaultEndpoint: true },
      warned: true,
    },
    {
      name: "flag set, embedded registry injects an endpoint → clean",
      options: { disableDefaultEndpoint: true, embeddedRegistry: true },
      warned: false,
    },
    { name: "flag not set → clean", options: {}, warned: false },
  ])("§8 disable-default-registry-endpoint with an endpoint-less mirror: $name", ({ options, warned }) => {
    const diagnostics = validateRegistriesYaml("mirrors:\n  docker.io: {}\n", options);
    const expected = [
      expect.objectContaining({
        severity: "warning",
        path: 'mirrors."docker.io"',
        line: 2,
        code: "registries-disable-default-no-effect",
      }),
    ];
    expect(diagnostics).toEqual(warned ? expected : []);
  });

  it("§8 messages never contain the secret they reject", () => {
    const secret = "hunter2-not-base64!";
    const diagnostics = validateRegistriesYaml(configWithAuth("h.io", "auth", secret));
    expect(diagnostics).toHaveLength(1);
    expect(JSON.stringify(diagnostics)).not.toContain(secret);
  });
});

describe("validateRegistriesFile", () => {
  it("§4.3 the order-independent rules compiled from an ordered spec are recognised as disjoint", () => {
    const file = compileRegistriesSpec({
      mirrors: [
        {
          registry: "docker.io",
          endpoints: ["https://harbor.example.com"],
          rewrites: [
            { match: "^ksd-test/(.*)", replace: "production/$1" },
            { match: "^library/(.*)$", replace: "dockerhub/library/$1" },
            { match: "^(.*)$", replace: "dockerhub/$1" },
          ],
        },
      ],
      configs: {},
    });
    expect(Object.keys(file.mirrors?.["docker.io"]?.rewrite ?? {})).toHaveLength(3);
    expect(validateRegistriesFile(file)).toEqual([]);
  });

  it("§8 validates a model without positions (no line or column)", () => {
    const diagnostics = validateRegistriesFile({ mirrors: { "docker.io": { endpoint: ["https://"] } } });
    expect(diagnostics).toEqual([
      {
        severity: "error",
        code: "registries-endpoint-shape",
        path: ENDPOINT_0,
        message: expect.stringMatching(/host is empty/),
      },
    ]);
  });

  it("§8 skips the base64 check for apply-time values (unknown until apply)", () => {
    const file = {
      configs: {
        "h.io": { auth: { auth: { kind: "apply-time" as const, id: "robot_auth", display: "<auth>" } } },
      },
    };
    expect(validateRegistriesFile(file)).toEqual([]);
  });
});
