/**
 * registries.yaml parsing with RKE2's yaml.v2 semantics (rke2-registries.md §1, §2) plus the
 * unknown-key errors of §8. One table per section; each case is named for its rule.
 */
import { Diagnostic } from "../../registries/diagnostics";
import { parseRegistriesYaml } from "../../registries/parse";
import { MAX_DOCUMENT_BYTES } from "../../registries/yaml-limits";

function errors(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.severity === "error");
}

function tlsDocument(value: string): string {
  return `configs:\n  harbor.example.com:\n    tls:\n      insecure_skip_verify: ${value}\n`;
}

function authDocument(field: string, value: string): string {
  return `configs:\n  harbor.example.com:\n    auth:\n      ${field}: ${value}\n`;
}

describe("§1 YAML 1.1 booleans for insecure_skip_verify", () => {
  const spellings = [
    ...["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"].map((text) => ({
      text,
      value: true,
    })),
    ...["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"].map((text) => ({
      text,
      value: false,
    })),
  ];

  it.each(spellings)("§1 plain $text is the boolean $value", ({ text, value }) => {
    const { file, diagnostics } = parseRegistriesYaml(tlsDocument(text));
    expect(diagnostics).toEqual([]);
    expect(file.configs?.["harbor.example.com"]?.tls?.insecure_skip_verify).toBe(value);
  });

  it.each([
    { name: "§1 quoted true is a string, a type error", text: '"true"' },
    { name: "§1 single-quoted yes is a string, a type error", text: "'yes'" },
    { name: "§1 the integer 1 is a type error", text: "1" },
    { name: "§1 tRUE is not a YAML 1.1 boolean", text: "tRUE" },
    { name: "§1 a sequence is a type error", text: "[true]" },
  ])("$name", ({ text }) => {
    const { diagnostics } = parseRegistriesYaml(tlsDocument(text));
    expect(errors(diagnostics)).toEqual([
      expect.objectContaining({
        path: 'configs."harbor.example.com".tls.insecure_skip_verify',
        line: 4,
        column: 29,
        message: expect.stringMatching(/must be a boolean/),
      }),
    ]);
  });
});

describe("§1 scalars decoded into string fields keep their source text", () => {
  it.each([
    { name: "§1 leading-zero number", field: "password", text: "0123", value: "0123" },
    { name: "§1 float notation", field: "password", text: "1e3", value: "1e3" },
    { name: "§1 boolean word", field: "username", text: "yes", value: "yes" },
    { name: "§1 tilde is null → empty string", field: "password", text: "~", value: "" },
    { name: "§1 null → empty string", field: "password", text: "null", value: "" },
    { name: "§1 empty value → empty string", field: "password", text: "", value: "" },
    { name: "§1 quoted null stays the text null", field: "password", text: '"null"', value: "null" },
    {
      name: "§5 $ in a plain scalar is kept verbatim",
      field: "username",
      text: "robot$proxy+k8s",
      value: "robot$proxy+k8s",
    },
    { name: "§1 hex-looking number", field: "password", text: "0x1F", value: "0x1F" },
  ])("$name: $field: $text → $value", ({ field, text, value }) => {
    const { file, diagnostics } = parseRegistriesYaml(authDocument(field, text));
    expect(diagnostics).toEqual([]);
    expect(file.configs?.["harbor.example.com"]?.auth).toEqual({ [field]: value });
  });

  it("§1 rewrite patterns and replacements keep their text too", () => {
    const { file } = parseRegistriesYaml('mirrors:\n  docker.io:\n    rewrite:\n      "^(.*)$": 0123\n');
    expect(file.mirrors?.["docker.io"]?.rewrite).toEqual({ "^(.*)$": "0123" });
  });
});

describe("§1 document-level behaviour of yaml.v2", () => {
  it("§1 duplicate keys: the last one wins, with a warning", () => {
    const text =
      'mirrors:\n  docker.io:\n    endpoint: ["https://a"]\n  docker.io:\n    endpoint: ["https://b"]\n';
    const { file, diagnostics } = parseRegistriesYaml(text);
    expect(file.mirrors).toEqual({ "docker.io": { endpoint: ["https://b"] } });
    expect(diagnostics).toEqual([
      expect.objectContaining({ severity: "warning", path: 'mirrors."docker.io"', line: 4, column: 3 }),
    ]);
  });

  it("§1 duplicate rewrite keys: the last one wins", () => {
    const text = 'mirrors:\n  docker.io:\n    rewrite:\n      "^a": "x"\n      "^a": "y"\n';
    const { file, diagnostics } = parseRegistriesYaml(text);
    expect(file.mirrors?.["docker.io"]?.rewrite).toEqual({ "^a": "y" });
    expect(diagnostics.map((diagnostic) => diagnostic.severity)).toEqual(["warning"]);
  });

  it("§1 only the first document is used (the others are warned about)", () => {
    const { file, diagnostics } = parseRegistriesYaml("mirrors:\n  a.io: {}\n---\nmirrors:\n  b.io: {}\n");
    expect(file.mirrors).toEqual({ "a.io": {} });
    expect(diagnostics).toEqual([expect.objectContaining({ severity: "warning", line: 4 })]);
  });

  it("§1 a leading BOM is accepted and does not shift columns", () => {
    const { file, diagnostics } = parseRegistriesYaml("\uFEFFmirror: {}\nmirrors:\n  docker.io: {}\n");
    expect(file).toEqual({ mirrors: { "docker.io": {} } });
    expect(diagnostics).toEqual([expect.objectContaining({ path: "mirror", line: 1, column: 1 })]);
  });

  it("§1 tab indentation is a parse error", () => {
    const { diagnostics } = parseRegistriesYaml("mirrors:\n\tdocker.io: {}\n");
    expect(errors(diagnostics)).toEqual([
      expect.objectContaining({
        line: 2,
        column: 1,
        code: "yaml-syntax",
        message: expect.stringMatching(/[Tt]ab/),
      }),
    ]);
  });

  it('§1 an unquoted * key is an error that says to quote it "*"', () => {
    const { diagnostics } = parseRegistriesYaml('mirrors:\n  *:\n    endpoint: ["https://h"]\n');
    expect(errors(diagnostics)).toEqual([
      expect.objectContaining({ line: 2, column: 3, message: expect.stringContaining('"*"') }),
    ]);
  });

  it('§1 the quoted "*" key is the wildcard', () => {
    const { file, diagnostics } = parseRegistriesYaml('mirrors:\n  "*":\n    endpoint: ["https://h"]\n');
    expect(diagnostics).toEqual([]);
    expect(file.mirrors).toEqual({ "*": { endpoint: ["https://h"] } });
  });

  it("§1 mirrors: {docker.io: } is a valid null mirror", () => {
    const { file, diagnostics } = parseRegistriesYaml("mirrors: {docker.io: }\n");
    expect(diagnostics).toEqual([]);
    expect(file.mirrors).toEqual({ "docker.io": null });
  });

  it("§1 anchors, aliases and merge keys work", () => {
    const text = [
      "mirrors:",
      "  docker.io: &harbor",
      '    endpoint: ["https://harbor.example.com"]',
      "  quay.io: *harbor",
      "  ghcr.io:",
      "    <<: *harbor",
      '    rewrite: {"^(.*)$": "ghcr/$1"}',
    ].join("\n");
    const { file, diagnostics } = parseRegistriesYaml(text);
    expect(diagnostics).toEqual([]);
    const harbor = { endpoint: ["https://harbor.example.com"] };
    expect(file.mirrors).toEqual({
      "docker.io": harbor,
      "quay.io": harbor,
      "ghcr.io": { ...harbor, rewrite: { "^(.*)$": "ghcr/$1" } },
    });
  });

  it("§1 an empty file is an empty configuration", () => {
    expect(parseRegistriesYaml("")).toMatchObject({ file: {}, diagnostics: [] });
  });

  it("§1 a YAML syntax error is reported with its position", () => {
    const { diagnostics } = parseRegistriesYaml('mirrors:\n  docker.io:\n    endpoint: ["https://h"\n');
    expect(errors(diagnostics)).toEqual([
      expect.objectContaining({ code: "yaml-syntax", line: expect.any(Number) }),
    ]);
  });
});

/**
 * The bounds every YAML file keeps (registries/yaml-limits.ts, shared with harbor-mirror.yaml): the
 * refusals are table cases of the bad-input catalogue; these are the ones that differ by file.
 */
describe("YAML limits of registries.yaml", () => {
  it("a file beyond the size bound is one error, before parsing", () => {
    const text = `mirrors: {}\n#${"x".repeat(MAX_DOCUMENT_BYTES)}\n`;
    expect(errors(parseRegistriesYaml(text).diagnostics)).toEqual([
      expect.objectContaining({ code: "yaml-too-large", path: "(file)", line: 1 }),
    ]);
  });

  it("an unknown tag is a warning: yaml.v2 reads the text written", () => {
    const { file, diagnostics } = parseRegistriesYaml(
      "configs:\n  h.io:\n    auth:\n      password: !env PASSWORD\n",
    );
    expect(file.configs?.["h.io"]?.auth?.password).toBe("PASSWORD");
    expect(diagnostics).toEqual([
      expect.objectContaining({ severity: "warning", code: "yaml-unknown-tag", line: 4, column: 22 }),
    ]);
  });

  it("yaml.v2's own tags (!!str, !!binary…) are accepted as written", () => {
    const { diagnostics } = parseRegistriesYaml("configs:\n  h.io:\n    auth:\n      password: !!str 0123\n");
    expect(diagnostics).toEqual([]);
  });

  it("a few aliases of a shared block are fine", () => {
    const text =
      "configs:\n  a.io: &tls\n    tls: { insecure_skip_verify: true }\n  b.io: *tls\n  c.io: *tls\n";
    const { file, diagnostics } = parseRegistriesYaml(text);
    expect(diagnostics).toEqual([]);
    expect(file.configs?.["c.io"]).toEqual({ tls: { insecure_skip_verify: true } });
  });
});

describe("§1/§8 type mismatches are errors", () => {
  it.each([
    { name: "§8 top level is a sequence", text: "- docker.io\n", path: "(top level)", line: 1 },
    { name: "§8 top level is a scalar", text: "docker.io\n", path: "(top level)", line: 1 },
    {
      name: "§8 endpoint is a scalar string",
      text: 'mirrors:\n  docker.io:\n    endpoint: "https://x"\n',
      path: 'mirrors."docker.io".endpoint',
      line: 3,
    },
    {
      name: "§8 endpoint is a mapping",
      text: "mirrors:\n  docker.io:\n    endpoint: {a: b}\n",
      path: 'mirrors."docker.io".endpoint',
      line: 3,
    },
    {
      name: "§8 endpoint item is a mapping",
      text: "mirrors:\n  docker.io:\n    endpoint:\n      - {a: b}\n",
      path: 'mirrors."docker.io".endpoint[0]',
      line: 4,
    },
    {
      name: "§8 endpoint item is null",
      text: "mirrors:\n  docker.io:\n    endpoint:\n      -\n",
      path: 'mirrors."docker.io".endpoint[0]',
      line: 4,
    },
    { name: "§1 mirrors is a sequence", text: "mirrors:\n  - docker.io\n", path: "mirrors", line: 2 },
    {
      name: "§1 a mirror is a scalar",
      text: "mirrors:\n  docker.io: https://h\n",
      path: 'mirrors."docker.io"',
      line: 2,
    },
    {
      name: "§1 rewrite is a sequence",
      text: 'mirrors:\n  docker.io:\n    rewrite: ["^a"]\n',
      path: 'mirrors."docker.io".rewrite',
      line: 3,
    },
    {
      name: "§1 a replacement is a mapping",
      text: 'mirrors:\n  docker.io:\n    rewrite:\n      "^a": {b: c}\n',
      path: 'mirrors."docker.io".rewrite."^a"',
      line: 4,
    },
    {
      name: "§1 auth is a scalar",
      text: "configs:\n  h.io:\n    auth: secret\n",
      path: 'configs."h.io".auth',
      line: 3,
    },
    {
      name: "§1 password is a sequence",
      text: "configs:\n  h.io:\n    auth:\n      password: [a]\n",
      path: 'configs."h.io".auth.password',
      line: 4,
    },
  ])("$name", ({ text, path, line }) => {
    expect(errors(parseRegistriesYaml(text).diagnostics)).toEqual([expect.objectContaining({ path, line })]);
  });
});

describe("§8 unknown keys are errors (RKE2 silently ignores them)", () => {
  it.each([
    {
      name: "§8 top-level Mirrors (case matters)",
      text: "Mirrors: {}\n",
      path: "Mirrors",
      line: 1,
      hint: /did you mean "mirrors"/,
    },
    {
      name: "§8 endpoints instead of endpoint",
      text: "mirrors:\n  docker.io:\n    endpoints: []\n",
      path: 'mirrors."docker.io".endpoints',
      line: 3,
      hint: /did you mean "endpoint"/,
    },
    {
      name: "§8 rewrites instead of rewrite",
      text: "mirrors:\n  docker.io:\n    rewrites: {}\n",
      path: 'mirrors."docker.io".rewrites',
      line: 3,
      hint: /did you mean "rewrite"/,
    },
    {
      name: "§8 the docs' token key",
      text: "configs:\n  h.io:\n    auth:\n      token: abc\n",
      path: 'configs."h.io".auth.token',
      line: 4,
      hint: /identity_token/,
    },
    {
      name: "§8 the TOML spelling identitytoken",
      text: "configs:\n  h.io:\n    auth:\n      identitytoken: abc\n",
      path: 'configs."h.io".auth.identitytoken',
      line: 4,
      hint: /"identity_token" \(with the underscore\)/,
    },
    {
      name: "§8 ca-file instead of ca_file",
      text: "configs:\n  h.io:\n    tls:\n      ca-file: /ca.pem\n",
      path: 'configs."h.io".tls.ca-file',
      line: 4,
      hint: /did you mean "ca_file"/,
    },
    {
      name: "§8 a config key that does not exist at all",
      text: "configs:\n  h.io:\n    server: https://h.io\n",
      path: 'configs."h.io".server',
      line: 3,
      hint: /known keys here: auth, tls/,
    },
  ])("$name", ({ text, path, line, hint }) => {
    const diagnostics = errors(parseRegistriesYaml(text).diagnostics);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        path,
        line,
        code: "registries-unknown-key",
        message: expect.stringMatching(hint),
      }),
    ]);
    expect(diagnostics[0].message).toMatch(/silently ignore/);
  });

  it("§2 auths is parsed, checked, and warned about as deprecated", () => {
    const { file, diagnostics } = parseRegistriesYaml("auths:\n  h.io:\n    username: u\n    tokn: x\n");
    expect(file).toEqual({});
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: "warning",
        path: "auths",
        line: 1,
        code: "registries-deprecated-auths",
      }),
      expect.objectContaining({ severity: "error", path: 'auths."h.io".tokn', line: 4 }),
    ]);
  });
});

describe("§2 the full schema parses into the model", () => {
  it("§2 every field of the schema", () => {
    const text = [
      "mirrors:",
      "  docker.io:",
      "    endpoint:",
      "      - https://harbor.example.com",
      "    rewrite:",
      '      "^(.*)$": "dockerhub-proxy/$1"',
      "configs:",
      "  harbor.example.com:",
      "    auth:",
      "      username: robot$k8s",
      "      password: s3cret",
      "      auth: dTpw",
      "      identity_token: tok",
      "    tls:",
      "      ca_file: /ca.pem",
      "      cert_file: /cert.pem",
      "      key_file: /key.pem",
      "      insecure_skip_verify: false",
    ].join("\n");
    const { file, diagnostics, positions } = parseRegistriesYaml(text);
    expect(diagnostics).toEqual([]);
    expect(file).toEqual({
      mirrors: {
        "docker.io": {
          endpoint: ["https://harbor.example.com"],
          rewrite: { "^(.*)$": "dockerhub-proxy/$1" },
        },
      },
      configs: {
        "harbor.example.com": {
          auth: { username: "robot$k8s", password: "s3cret", auth: "dTpw", identity_token: "tok" },
          tls: {
            ca_file: "/ca.pem",
            cert_file: "/cert.pem",
            key_file: "/key.pem",
            insecure_skip_verify: false,
          },
        },
      },
    });
    expect(positions.values.get('mirrors."docker.io".endpoint[0]')).toEqual({ line: 4, column: 9 });
    expect(positions.keys.get('mirrors."docker.io".rewrite."^(.*)$"')).toEqual({ line: 6, column: 7 });
    expect(positions.values.get('mirrors."docker.io".rewrite."^(.*)$"')).toEqual({ line: 6, column: 17 });
  });
});
