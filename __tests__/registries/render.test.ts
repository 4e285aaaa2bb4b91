/**
 * Rendering registries.yaml (rke2-registries.md §8 "Rendering"): exact output for the §11 recipe,
 * order independence, apply-time placeholders, refusal of invalid files, and the round-trip
 * property render → parse → render for generated models.
 */
import fc from "fast-check";
import { ValidationError } from "../../registries/diagnostics";
import {
  ApplyTimeHost,
  ApplyTimeValue,
  RegistriesFile,
  RegistriesSpec,
  RegistryAuth,
  standInEndpoint,
} from "../../registries/model";
import { parseRegistriesYaml } from "../../registries/parse";
import {
  applyTimePlaceholder,
  displayRendered,
  renderRegistriesFile,
  renderRegistriesSpec,
} from "../../registries/render";

const HEADER = "# Managed by harbor-mirror. Do not edit: changes are overwritten on the next deploy.\n\n";

const ROBOT_SECRET: ApplyTimeValue = { kind: "apply-time", id: "robot_secret", display: "<robot secret>" };

/** §11: the Harbor proxy-cache recipe. */
const RECIPE: RegistriesFile = {
  mirrors: {
    "quay.io": { endpoint: ["https://harbor.example.com"], rewrite: { "^(.*)$": "quay-proxy/$1" } },
    "docker.io": { endpoint: ["https://harbor.example.com"], rewrite: { "^(.*)$": "dockerhub-proxy/$1" } },
  },
  configs: {
    "harbor.example.com": {
      tls: { ca_file: "/etc/rancher/rke2/harbor-ca.pem" },
      auth: { password: "<secret>", username: "robot$k8s-puller" },
    },
  },
};

const RECIPE_TEXT =
  HEADER +
  [
    '"mirrors":',
    '  "docker.io":',
    '    "endpoint":',
    '      - "https://harbor.example.com"',
    '    "rewrite":',
    '      "^(.*)$": "dockerhub-proxy/$1"',
    '  "quay.io":',
    '    "endpoint":',
    '      - "https://harbor.example.com"',
    '    "rewrite":',
    '      "^(.*)$": "quay-proxy/$1"',
    '"configs":',
    '  "harbor.example.com":',
    '    "auth":',
    '      "username": "robot$k8s-puller"',
    '      "password": "<secret>"',
    '    "tls":',
    '      "ca_file": "/etc/rancher/rke2/harbor-ca.pem"',
    "",
  ].join("\n");

/** Same content, every record built in reverse key order. */
function reversed<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).reverse());
}

describe("renderRegistriesFile", () => {
  it("§8 warnings come back with the text, from the same validation that refuses errors", () => {
    const rendered = renderRegistriesFile({
      mirrors: {
        "docker.io": { endpoint: ["https://harbor.example.com"], rewrite: { "library/": "proxy/" } },
      },
    });
    expect(rendered.warnings.map((warning) => warning.message).join("\n")).toMatch(/unanchored|not anchored/);
    expect(rendered.warnings.every((warning) => warning.severity === "warning")).toBe(true);
  });

  it("§8 rendering rules: header, quoted keys and strings, block sequences, schema order", () => {
    expect(renderRegistriesFile(RECIPE)).toEqual({
      text: RECIPE_TEXT,
      file: RECIPE,
      warnings: [],
      applyTimeValues: [],
    });
  });

  it("§8 input key order does not change the output", () => {
    const shuffled: RegistriesFile = {
      configs: reversed(RECIPE.configs ?? {}),
      mirrors: reversed(RECIPE.mirrors ?? {}),
    };
    expect(renderRegistriesFile(shuffled).text).toBe(renderRegistriesFile(RECIPE).text);
  });

  it("§3.4 endpoint order is kept (containerd tries endpoints in order)", () => {
    const text = renderRegistriesFile({
      mirrors: { "docker.io": { endpoint: ["https://b.io", "https://a.io"] } },
    }).text;
    expect(text.indexOf("https://b.io")).toBeLessThan(text.indexOf("https://a.io"));
  });

  it("§8 booleans render as true/false and null mirrors as null", () => {
    const text = renderRegistriesFile({
      mirrors: { "docker.io": null },
      configs: { "h.io": { tls: { insecure_skip_verify: false } } },
    }).text;
    expect(text).toBe(
      HEADER +
        '"mirrors":\n  "docker.io": null\n"configs":\n  "h.io":\n    "tls":\n      "insecure_skip_verify": false\n',
    );
  });

  it("§8 long values are never folded and no tab or document marker appears", () => {
    const password = "p".repeat(300);
    const text = renderRegistriesFile({ configs: { "h.io": { auth: { username: "u", password } } } }).text;
    expect(text).toContain(`"password": "${password}"\n`);
    expect(text).not.toMatch(/\t|^---|^\.\.\./m);
  });

  it("§1 characters YAML 1.1 reads as line breaks or rejects are escaped", () => {
    const password = "a\u2028b\u2029c\u0085d\u007fe\u0080f\ufeffg";
    const text = renderRegistriesFile({ configs: { "h.io": { auth: { username: "u", password } } } }).text;
    expect(text).toContain('"password": "a\\u2028b\\u2029c\\u0085d\\u007fe\\u0080f\\ufeffg"');
    expect(parseRegistriesYaml(text).file.configs?.["h.io"]?.auth?.password).toBe(password);
  });

  it("§8 refuses a file with validation errors (nothing invalid is shipped)", () => {
    const invalid: RegistriesFile = {
      mirrors: { "docker.io": { endpoint: ["https://h.io"], rewrite: { "^docker\\.io/(.*)": "p/$1" } } },
    };
    expect(() => renderRegistriesFile(invalid)).toThrow(ValidationError);
    expect(() => renderRegistriesFile(invalid)).toThrow(/backslash/);
  });

  it("§8 renders a file that has only warnings", () => {
    const warned: RegistriesFile = { mirrors: { "docker.io": { rewrite: { "^(.*)$": "p/$1" } } } };
    expect(renderRegistriesFile(warned).text).toContain('"^(.*)$": "p/$1"');
  });
});

describe("apply-time values", () => {
  const file: RegistriesFile = {
    configs: { "harbor.example.com": { auth: { username: "robot$k8s", password: ROBOT_SECRET } } },
  };

  it("render as the plain placeholder and are listed once", () => {
    const rendered = renderRegistriesFile(file);
    expect(rendered.text).toContain('"password": __HARBOR_MIRROR_APPLY_TIME_robot_secret__\n');
    expect(rendered.applyTimeValues).toEqual([
      { placeholder: applyTimePlaceholder("robot_secret"), value: ROBOT_SECRET },
    ]);
  });

  it("the placeholder replaced by any JSON string is valid YAML with that exact value", () => {
    const secret = 'a"b\\c ${x} %{y} $1\n\u00e9\u2028';
    const rendered = renderRegistriesFile(file);
    const delivered = rendered.text.replace(rendered.applyTimeValues[0].placeholder, JSON.stringify(secret));
    expect(parseRegistriesYaml(delivered).file.configs?.["harbor.example.com"]?.auth?.password).toBe(secret);
  });

  it("displayRendered shows the display text, quoted", () => {
    expect(displayRendered(renderRegistriesFile(file))).toContain('"password": "<robot secret>"\n');
  });

  it.each([
    {
      name: "an id outside [a-z0-9_]",
      auth: { password: { ...ROBOT_SECRET, id: "Robot-Secret" } },
      message: /\[a-z0-9_\]\+/,
    },
    {
      name: "one id for two different values",
      auth: { username: { ...ROBOT_SECRET, display: "<robot name>" }, password: ROBOT_SECRET },
      message: /two different values/,
    },
  ])("refuses $name", ({ auth, message }) => {
    const bad: RegistriesFile = { configs: { "h.io": { auth: auth as RegistryAuth } } };
    expect(() => renderRegistriesFile(bad)).toThrow(message);
  });
});

describe("apply-time hosts (Harbor's URL known only at apply time)", () => {
  const harborHost: ApplyTimeHost = {
    standIn: "harbor.apply-time.invalid",
    url: { kind: "apply-time", id: "harbor_url", display: "<harbor url>" },
    host: { kind: "apply-time", id: "harbor_host", display: "<harbor host>" },
  };
  const spec = (applyTimeHosts: readonly ApplyTimeHost[]): RegistriesSpec => ({
    mirrors: [
      {
        registry: "docker.io",
        endpoints: [standInEndpoint(harborHost), "https://backup.example.com"],
        rewrites: [{ match: "^(.*)$", replace: "docker.io/$1" }],
      },
    ],
    configs: {
      [harborHost.standIn]: { auth: { password: ROBOT_SECRET } },
      "backup.example.com": { tls: { ca_file: "/etc/backup-ca.pem" } },
    },
    applyTimeHosts,
  });
  const url = "https://harbor.example.com:8443";
  const host = "harbor.example.com:8443";
  /** What the construct layer does: every placeholder becomes the JSON string of its value. */
  const deliver = (text: string, values: Record<string, string>) =>
    Object.entries(values).reduce(
      (delivered, [id, value]) => delivered.split(applyTimePlaceholder(id)).join(JSON.stringify(value)),
      text,
    );

  it("§2 the stand-in endpoint and configs key become the URL and host; other entries stay literal", () => {
    const rendered = renderRegistriesSpec(spec([harborHost]));
    const file = parseRegistriesYaml(
      deliver(rendered.text, { harbor_url: url, harbor_host: host, robot_secret: "s3cret" }),
    ).file;
    expect(file.mirrors?.["docker.io"]?.endpoint).toEqual([url, "https://backup.example.com"]);
    expect(file.configs).toEqual({
      [host]: { auth: { password: "s3cret" } },
      "backup.example.com": { tls: { ca_file: "/etc/backup-ca.pem" } },
    });
    expect(rendered.text).not.toContain(harborHost.standIn);
  });

  it("lists the URL and host placeholders with the other apply-time values", () => {
    const ids = renderRegistriesSpec(spec([harborHost])).applyTimeValues.map(({ value }) => value.id);
    expect(ids.sort()).toEqual(["harbor_host", "harbor_url", "robot_secret"]);
  });

  it("displayRendered shows the placeholders' display text (review, CLI)", () => {
    const display = displayRendered(renderRegistriesSpec(spec([harborHost])));
    expect(display).toContain('      - "<harbor url>"\n');
    expect(display).toContain('  "<harbor host>":\n');
  });

  it("without applyTimeHosts the stand-in is an ordinary literal host", () => {
    const rendered = renderRegistriesSpec(spec([]));
    expect(rendered.text).toContain(`- "${standInEndpoint(harborHost)}"`);
    expect(rendered.applyTimeValues.map(({ value }) => value.id)).toEqual(["robot_secret"]);
  });

  it("refuses a stand-in outside .invalid (a real host would have its entries replaced)", () => {
    const real = { ...harborHost, standIn: "harbor.example.com" };
    expect(() => renderRegistriesFile({ mirrors: {} }, [real])).toThrow(
      /applyTimeHosts\."harbor\.example\.com": stand-in host "harbor\.example\.com" must be .* under \.invalid/,
    );
  });
});

describe("renderRegistriesSpec", () => {
  it("compiles the ordered spec, then renders it", () => {
    const rendered = renderRegistriesSpec({
      mirrors: [
        {
          registry: "quay.io",
          endpoints: ["https://harbor.example.com"],
          rewrites: [{ match: "^(.*)$", replace: "quay-proxy/$1" }],
        },
        {
          registry: "docker.io",
          endpoints: ["https://harbor.example.com"],
          rewrites: [{ match: "^(.*)$", replace: "dockerhub-proxy/$1" }],
        },
      ],
      configs: RECIPE.configs as Record<string, never>,
    });
    expect(rendered.text).toBe(RECIPE_TEXT);
  });

  it("shows the user's rule and its priority above each compiled pattern; comments change nothing RKE2 reads", () => {
    const rendered = renderRegistriesSpec({
      mirrors: [
        {
          registry: "docker.io",
          endpoints: ["https://harbor.example.com"],
          rewrites: [
            { match: "^team-a/", keep: true },
            { match: "^ksd-test/(.*)$", replace: "production/$1" },
            { match: "^(.*)$", replace: "docker.io/$1" },
          ],
        },
      ],
      configs: {},
    });
    const lines = rendered.text.split("\n");
    const commentAbove = (pattern: string) =>
      lines[lines.findIndex((line) => line.includes(JSON.stringify(pattern))) - 1];
    expect(commentAbove("^ksd-test/(.*)$")).toBe("      # rule 2 of 3: ^ksd-test/(.*)$ → production/$1");
    const [proxyPattern] = Object.keys(rendered.file.mirrors?.["docker.io"]?.rewrite ?? {}).filter(
      (key) => key !== "^ksd-test/(.*)$",
    );
    expect(commentAbove(proxyPattern)).toBe(
      "      # rule 3 of 3: ^(.*)$ → docker.io/$1 (narrowed to what earlier rules leave)",
    );
    // The keep rule writes no pattern; the file reads back as exactly the compiled model.
    expect(parseRegistriesYaml(rendered.text).file).toEqual(rendered.file);
  });
});

// ---------------------------------------------------------------------------------------------
// Round-trip property: generated valid models survive render → parse → render byte-identically.
// ---------------------------------------------------------------------------------------------

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}[a-z0-9]$/);
const host = fc
  .tuple(
    fc.array(label, { minLength: 1, maxLength: 3 }),
    fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  )
  .map(([labels, port]) => `${labels.join(".")}${port === undefined ? "" : `:${port}`}`);

/** Credentials may contain anything (§5); these fragments are the ones that break naive quoting. */
const tricky = fc.constantFrom(
  "${",
  "%{",
  "$1",
  '"',
  "'",
  "\\",
  "\n",
  "\t",
  "#",
  ": ",
  "- ",
  "é",
  "😀",
  "\u2028",
  "\u0085",
  "~",
  "*",
  "&a",
  "!!str",
);
const credential = fc
  .array(fc.oneof(tricky, fc.string({ unit: "binary", maxLength: 8 })), { maxLength: 6 })
  .map((parts) => parts.join(""));
/** Patterns and replacements may not contain `\` or `"` (§4.8). */
const replacement = fc
  .array(
    fc.oneof(
      fc.constantFrom("$1", "${1}", "$$", "${", "%{", "é", "/"),
      fc.stringMatching(/^[a-z0-9/_.-]{0,6}$/),
    ),
    { maxLength: 5 },
  )
  .map((parts) => parts.join(""));
const pattern = fc.stringMatching(/^[a-z0-9/_-]{0,8}$/).map((prefix) => `^${prefix}(.*)$`);

const mirror = fc.option(
  fc.record(
    {
      endpoint: fc.array(
        host.map((h) => `https://${h}`),
        { maxLength: 3 },
      ),
      rewrite: fc.dictionary(pattern, replacement, { maxKeys: 3 }),
    },
    { requiredKeys: [] },
  ),
  { nil: null },
);

const auth = fc.record(
  {
    username: credential,
    password: credential,
    auth: fc
      .tuple(credential, credential)
      .map(([user, password]) => Buffer.from(`${user}:${password}`).toString("base64")),
    identity_token: credential,
  },
  { requiredKeys: [] },
);

const tls = fc.record(
  { ca_file: credential, cert_file: credential, key_file: credential, insecure_skip_verify: fc.boolean() },
  { requiredKeys: [] },
);

const config = fc.option(fc.record({ auth, tls }, { requiredKeys: [] }), { nil: null });

const registriesFile: fc.Arbitrary<RegistriesFile> = fc.record(
  {
    mirrors: fc.dictionary(fc.oneof(host, fc.constant("*")), mirror, { maxKeys: 4 }),
    configs: fc.dictionary(host, config, { maxKeys: 3 }),
  },
  { requiredKeys: [] },
);

describe("round trip", () => {
  it("§8 render → parse gives back the model, and rendering again is byte-identical", () => {
    fc.assert(
      fc.property(registriesFile, (file) => {
        const first = renderRegistriesFile(file).text;
        const parsed = parseRegistriesYaml(first);
        expect(parsed.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
        expect(parsed.file).toEqual(file);
        expect(renderRegistriesFile(parsed.file).text).toBe(first);
      }),
      { numRuns: 300 },
    );
  });
});
