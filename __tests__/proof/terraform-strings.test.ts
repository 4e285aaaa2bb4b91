/**
 * Proof: no user-supplied string is ever evaluated by Terraform. Every string prop of every
 * construct and every string key of harbor-mirror.yaml gets generated text full of `${`, `%{`,
 * `$${`, quotes, backslashes, newlines and non-ASCII (fast-check); each value is either refused
 * with a ValidationError before anything is written, or it lands in cdk.tf.json as a template
 * that real `terraform` renders back to exactly that text.
 *
 * How a value is found in the synthesized JSON: it is wrapped in two alphanumeric markers, which
 * no escaping changes; the JSON text from the first marker to the second is a template of its own
 * (the markers are plain text), so Terraform evaluates exactly that slice as an output. Values
 * that land inside registries.yaml (a local) are checked by evaluating the whole local and
 * reading the YAML back. Backend settings are not templates (Terraform reads them literally), so
 * they must appear unchanged; one real `terraform init` shows a backend path is read literally.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { parse } from "yaml";
import { HarborProvider } from "../../constructs/harbor-provider";
import { HarborProxyCache, type HarborProxyCacheProps } from "../../constructs/harbor-proxy-cache";
import { RegistriesContent } from "../../constructs/registries-content";
import { RegistriesDelivery, type RegistriesDeliveryProps } from "../../constructs/registries-delivery";
import { ValidationError } from "../../registries/diagnostics";
import { stackJsonIn, synthInProcess, writeConfig, type ConfigObject } from "../../testing/config-variants";
import { applyOutputs, findTerraformBinary } from "../../testing/terraform-cli";

const terraform = findTerraformBinary();

/** Pieces a template, JSON, YAML or a shell could misread, and plain ones so that some values pass. */
const FRAGMENTS = [
  "${",
  "%{",
  "}",
  "{",
  "$",
  "%",
  "$${",
  "%%{",
  '"',
  "\\",
  "\n",
  "'",
  " ",
  "a",
  "9",
  "é",
  "✓",
  "${x}",
  '${file("/etc/passwd")}',
  "%{ if true }",
];
const tricky = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 8 }).map((parts) => parts.join(""));
/** Always tried too: the attack from the issue, and plain text. */
const FIXED = ['${file("/root/.ssh/id_ed25519")}%{ if true }x%{ endif }$${}', "plain"];

type TfJson = Record<string, unknown>;
/** Where a value goes: builds the stack with `value` at one place, or throws ValidationError. */
interface Subject {
  readonly key: string;
  readonly build: (value: string) => TfJson;
}

// ---------------------------------------------------------------------------------------------
// Construct props

const CA = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
const NODE = { name: "n1", host: "192.0.2.11", role: "agent" } as const;

function constructs(
  cache: (stack: TerraformStack) => Partial<HarborProxyCacheProps> = () => ({}),
  delivery: Partial<RegistriesDeliveryProps> = {},
  providerUrl = "https://harbor.example.com",
): TfJson {
  const stack = new TerraformStack(Testing.app(), "strings");
  new HarborProvider(stack, "Harbor", { url: providerUrl });
  const key = new TerraformVariable(stack, "ssh_private_key", { type: "string", sensitive: true });
  const proxy = new HarborProxyCache(stack, "Cache", {
    harborUrl: "https://harbor.example.com",
    upstreams: [{ registry: "docker.io" }],
    ...cache(stack),
  });
  new RegistriesContent(stack, "Registries", {
    spec: proxy.registriesSpec,
    applyTimeTokens: proxy.applyTimeTokens,
  });
  new RegistriesDelivery(stack, "Delivery", {
    content: "mirrors: {}\n",
    nodes: [NODE],
    ssh: { privateKey: key.stringValue },
    ...delivery,
  });
  return JSON.parse(Testing.synth(stack)) as TfJson;
}

const secret = (stack: TerraformStack) =>
  new TerraformVariable(stack, "token", { type: "string", sensitive: true }).stringValue;
const upstream = (props: object) => () => ({ upstreams: [{ registry: "docker.io", ...props }] });

// prettier-ignore
const CONSTRUCT_PROPS: readonly Subject[] = [
  { key: "HarborProvider.url", build: (v) => constructs(undefined, undefined, `https://${v}`) },
  { key: "HarborProxyCache.harborUrl", build: (v) => constructs(() => ({ harborUrl: `https://${v}` })) },
  { key: "HarborProxyCache.upstreams[].registry", build: (v) => constructs(() => ({ upstreams: [{ registry: v }] })) },
  { key: "HarborProxyCache.upstreams[].project", build: (v) => constructs(upstream({ project: v })) },
  { key: "HarborProxyCache.upstreams[].provider", build: (v) => constructs(upstream({ provider: v })) },
  { key: "HarborProxyCache.upstreams[].endpointUrl", build: (v) => constructs(upstream({ endpointUrl: `https://mirror.example.com/${v}` })) },
  { key: "HarborProxyCache.upstreams[].accessId", build: (v) => constructs((stack) => ({ upstreams: [{ registry: "docker.io", accessId: v, accessSecret: secret(stack) }] })) },
  { key: "HarborProxyCache.robotName", build: (v) => constructs(() => ({ access: "robot", robotName: v })) },
  { key: "HarborProxyCache.retention.schedule", build: (v) => constructs(() => ({ retention: { daysSinceLastPull: 7, schedule: v } })) },
  { key: "HarborProxyCache.caCertNodePath", build: (v) => constructs(() => ({ caCertNodePath: `/etc/rancher/rke2/${v}` })) },
  { key: "HarborProxyCache.rewrites[].replace", build: (v) => constructs(() => ({ rewrites: { "docker.io": [{ match: "^p/(.*)$", replace: v }] } })) },
  { key: "HarborProxyCache.rewrites[].match", build: (v) => constructs(() => ({ rewrites: { "docker.io": [{ match: `^${v}$`, replace: "x" }] } })) },
  { key: "RegistriesDelivery.content", build: (v) => constructs(undefined, { content: v }) },
  { key: "RegistriesDelivery.nodes[].name", build: (v) => constructs(undefined, { nodes: [{ ...NODE, name: v }] }) },
  { key: "RegistriesDelivery.nodes[].host", build: (v) => constructs(undefined, { nodes: [{ ...NODE, host: v }] }) },
  { key: "RegistriesDelivery.nodes[].user", build: (v) => constructs(undefined, { nodes: [{ ...NODE, user: v }] }) },
  { key: "RegistriesDelivery.nodes[].registriesPath", build: (v) => constructs(undefined, { nodes: [{ ...NODE, registriesPath: `/etc/rancher/rke2/${v}` }] }) },
  { key: "RegistriesDelivery.extraNodeDirectories[]", build: (v) => constructs(undefined, { extraNodeDirectories: [`/opt/${v}`] }) },
  { key: "RegistriesDelivery.ssh.bastionHost", build: (v) => constructs(undefined, { ssh: { privateKey: "${var.ssh_private_key}", bastionHost: v } }) },
  { key: "RegistriesDelivery.ssh.bastionUser", build: (v) => constructs(undefined, { ssh: { privateKey: "${var.ssh_private_key}", bastionHost: "192.0.2.1", bastionUser: v } }) },
  { key: "RegistriesDelivery.ssh.hostKey", build: (v) => constructs(undefined, { ssh: { privateKey: "${var.ssh_private_key}", hostKey: `ssh-ed25519 ${v}` } }) },
  { key: "RegistriesDelivery.caCert.content", build: (v) => constructs(undefined, { caCert: { content: CA(v), path: "/etc/rancher/rke2/ca.pem" } }) },
  { key: "RegistriesDelivery.caCert.path", build: (v) => constructs(undefined, { caCert: { content: CA("MIIB"), path: `/etc/rancher/rke2/${v}` } }) },
  { key: "RegistriesDelivery.distribution", build: (v) => constructs(undefined, { distribution: v as "rke2" }) },
];

// ---------------------------------------------------------------------------------------------
// Configuration keys

let workDir: string;
let configRuns = 0;

function synthConfig(config: ConfigObject): TfJson {
  const dir = path.join(workDir, `config-${configRuns++}`);
  const outdir = path.join(dir, "cdktf.out");
  synthInProcess(writeConfig(dir, config), outdir);
  return stackJsonIn(outdir);
}

const BASE: ConfigObject = {
  version: 1,
  harbor: { url: "https://harbor.example.com" },
  upstreams: [{ registry: "docker.io" }],
};
const NODES = (node: object = {}) => ({ nodes: [{ ...NODE, ...node }] });
const withHarbor = (harbor: object) => ({
  ...BASE,
  harbor: { url: "https://harbor.example.com", ...harbor },
});
const withUpstream = (item: object) => ({ ...BASE, upstreams: [{ registry: "docker.io", ...item }] });

// prettier-ignore
const CONFIG_KEYS: readonly Subject[] = [
  { key: "harbor.url", build: (v) => synthConfig(withHarbor({ url: `https://${v}` })) },
  { key: "harbor.caCertFile", build: (v) => synthConfig(withHarbor({ caCertFile: v })) },
  { key: "harbor.caCertNodePath", build: (v) => synthConfig({ ...withHarbor({ caCertFile: "./harbor-ca.pem", caCertNodePath: `/etc/rancher/rke2/${v}` }), ...NODES() }) },
  { key: "access", build: (v) => synthConfig({ ...BASE, access: v }) },
  { key: "robot.name", build: (v) => synthConfig({ ...BASE, access: "robot", robot: { name: v } }) },
  { key: "robot.secretVar", build: (v) => synthConfig({ ...BASE, access: "robot", robot: { secretVar: v } }) },
  { key: "retention.schedule", build: (v) => synthConfig({ ...BASE, retention: { schedule: v } }) },
  { key: "upstreams[].registry", build: (v) => synthConfig({ ...BASE, upstreams: [{ registry: v }] }) },
  { key: "upstreams[].project", build: (v) => synthConfig(withUpstream({ project: v })) },
  { key: "upstreams[].provider", build: (v) => synthConfig(withUpstream({ provider: v })) },
  { key: "upstreams[].endpointUrl", build: (v) => synthConfig(withUpstream({ endpointUrl: `https://mirror.example.com/${v}` })) },
  { key: "upstreams[].accessId", build: (v) => synthConfig(withUpstream({ accessId: v, accessSecretVar: "dockerhub_token" })) },
  { key: "upstreams[].accessSecretVar", build: (v) => synthConfig(withUpstream({ accessId: "bot", accessSecretVar: v })) },
  { key: "rewrites.<registry>", build: (v) => synthConfig({ ...BASE, rewrites: { [v]: [{ match: "^p/(.*)$", replace: "x/$1" }] } }) },
  { key: "rewrites.<registry>[].match", build: (v) => synthConfig({ ...BASE, rewrites: { "docker.io": [{ match: `^${v}$`, replace: "x" }] } }) },
  { key: "rewrites.<registry>[].replace", build: (v) => synthConfig({ ...BASE, rewrites: { "docker.io": [{ match: "^p/(.*)$", replace: v }] } }) },
  { key: "projects[].name", build: (v) => synthConfig({ ...BASE, projects: [{ name: v }] }) },
  { key: "distribution", build: (v) => synthConfig({ ...BASE, distribution: v, ...NODES() }) },
  { key: "nodes[].name", build: (v) => synthConfig({ ...BASE, ...NODES({ name: v }) }) },
  { key: "nodes[].host", build: (v) => synthConfig({ ...BASE, ...NODES({ host: v }) }) },
  { key: "nodes[].role", build: (v) => synthConfig({ ...BASE, ...NODES({ role: v }) }) },
  { key: "nodes[].user", build: (v) => synthConfig({ ...BASE, ...NODES({ user: v }) }) },
  { key: "nodes[].registriesPath", build: (v) => synthConfig({ ...BASE, ...NODES({ registriesPath: `/etc/rancher/rke2/${v}` }) }) },
  { key: "extraNodeDirectories", build: (v) => synthConfig({ ...BASE, extraNodeDirectories: [`/opt/${v}`], ...NODES({ registriesPath: `/opt/${v}/registries.yaml` }) }) },
  { key: "ssh.privateKeyVar", build: (v) => synthConfig({ ...BASE, ...NODES(), ssh: { privateKeyVar: v } }) },
  { key: "ssh.bastionHost", build: (v) => synthConfig({ ...BASE, ...NODES(), ssh: { bastionHost: v } }) },
  { key: "ssh.bastionUser", build: (v) => synthConfig({ ...BASE, ...NODES(), ssh: { bastionHost: "192.0.2.1", bastionUser: v } }) },
  { key: "ssh.hostKey", build: (v) => synthConfig({ ...BASE, ...NODES(), ssh: { hostKey: `ssh-ed25519 ${v}` } }) },
  { key: "rollout.strategy", build: (v) => synthConfig({ ...BASE, ...NODES(), rollout: { strategy: v } }) },
  { key: "backend.type", build: (v) => synthConfig({ ...BASE, backend: { type: v } }) },
  { key: "backend.<other keys>", build: (v) => synthConfig({ ...BASE, backend: { type: "local", path: v } }) },
];

// ---------------------------------------------------------------------------------------------
// The check

interface Landing {
  readonly key: string;
  readonly expected: string;
  /** Terraform template text holding the value (a slice between the markers), or a whole local. */
  readonly template: string;
  /** A whole local (file content): the value is found in it, or in it read as YAML. */
  readonly local: boolean;
}

const marker = (index: number) => ({ start: `q${index}q`, end: `z${index}z` });

/** Every string of the JSON with its path; mapping keys count as strings too. */
function strings(value: unknown, at: string[] = []): { at: string[]; text: string }[] {
  if (typeof value === "string") return [{ at, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => strings(item, [...at, String(index)]));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, inner]) => [
    { at, text: key },
    ...strings(inner, [...at, key]),
  ]);
}

/** Where the wrapped value landed: each occurrence, as the template text Terraform will render. */
function landingsOf(
  key: string,
  json: TfJson,
  expected: string,
  { start, end }: ReturnType<typeof marker>,
): Landing[] {
  return strings(json)
    .filter(({ text }) => text.includes(start))
    .flatMap(({ at, text }): Landing[] => {
      if (at[0] === "terraform") {
        // A backend setting: Terraform reads it literally, so it must be there unchanged.
        expect([key, text]).toEqual([key, expected]);
        return [];
      }
      // A whole local is a file's content; one with interpolations (apply-time values) is checked slice by slice.
      if (at[0] === "locals" && !INTERPOLATION.test(text))
        return [{ key, expected, template: text, local: true }];
      return occurrences(text, start, end).flatMap((slice) => {
        // A variable name (`var.<name>`) is an identifier, not text: the variable-name rule checked it.
        if (slice.from >= 4 && text.slice(slice.from - 4, slice.from) === "var.") {
          expect([key, slice.text]).toEqual([key, expect.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]*$/)]);
          return [];
        }
        return [{ key, expected, template: slice.text, local: false }];
      });
    });
}

/** An interpolation or directive Terraform would evaluate: one `$` (or `%`) before `{`; two or more are an escape. */
const INTERPOLATION = /(?:^|[^$])\$\{|(?:^|[^%])%\{/;

/** Each slice of `text` from a start marker to the next end marker, with where it starts. */
function occurrences(text: string, start: string, end: string): { from: number; text: string }[] {
  const slices: { from: number; text: string }[] = [];
  for (let from = text.indexOf(start); from >= 0; from = text.indexOf(start, from + 1)) {
    const to = text.indexOf(end, from);
    slices.push({ from, text: to < 0 ? text.slice(from) : text.slice(from, to + end.length) });
  }
  return slices;
}

/** The value at one place, or nothing when refused (a ValidationError: nothing was written). */
function checkValue(subject: Subject, index: number, middle: string): Landing[] {
  const m = marker(index);
  const value = `${m.start}${middle}${m.end}`;
  try {
    return landingsOf(subject.key, subject.build(value), value, m);
  } catch (error) {
    if (error instanceof ValidationError) return [];
    throw error;
  }
}

/** Terraform renders every landing; each gives back the value (inside a local: found in its text or its YAML). */
function renderedByTerraform(binary: string, landings: readonly Landing[]): void {
  if (landings.length === 0) return;
  const output = Object.fromEntries(
    landings.map((landing, index) => [`v${index}`, { value: landing.template }]),
  );
  const rendered = applyOutputs(binary, { output });
  landings.forEach((landing, index) => {
    const text = rendered[`v${index}`] as string;
    const found = landing.local
      ? text.includes(landing.expected) || yamlStrings(text).some((item) => item.includes(landing.expected))
      : text === landing.expected;
    expect([landing.key, landing.template, found]).toEqual([landing.key, landing.template, true]);
  });
}

function yamlStrings(text: string): string[] {
  try {
    return strings(parse(text)).map((item) => item.text);
  } catch {
    return [];
  }
}

const SUBJECTS = [...CONSTRUCT_PROPS, ...CONFIG_KEYS];

beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), "hm-terraform-strings-"));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

(terraform ? describe : describe.skip)(
  terraform
    ? `every user string is literal text to real ${terraform}`
    : "every user string is literal text to real Terraform (SKIPPED: no terraform/tofu on PATH)",
  () => {
    it("covers every string key of the configuration reference", () => {
      const reference = readFileSync(path.join(__dirname, "..", "..", "docs", "configuration.md"), "utf8");
      const table = reference.slice(reference.indexOf("| `version`"));
      const documented = [...table.slice(0, table.indexOf("\n\n")).matchAll(/^\| `([^`]+)`\s+\| ([^|]+)\|/gm)]
        .filter(([, , type]) => !/^(integer|boolean|mapping|list of mappings|`1`)/.test(type.trim()))
        .map(([, key]) => key);
      expect(documented.filter((key) => !CONFIG_KEYS.some((subject) => subject.key === key))).toEqual([]);
    });

    it("the fixed attack and plain text: refused, or rendered back exactly", () => {
      const landings = SUBJECTS.flatMap((subject, index) =>
        FIXED.flatMap((middle, run) => checkValue(subject, index * FIXED.length + run, middle)),
      );
      // The plain value is accepted by most keys: the check really renders something.
      expect(landings.length).toBeGreaterThan(SUBJECTS.length / 2);
      renderedByTerraform(terraform!, landings);
    });

    it("generated values: refused, or rendered back exactly (property, real Terraform per run)", () => {
      fc.assert(
        fc.property(
          fc.array(tricky, { minLength: SUBJECTS.length, maxLength: SUBJECTS.length }),
          (middles) => {
            const landings = SUBJECTS.flatMap((subject, index) => checkValue(subject, index, middles[index]));
            renderedByTerraform(terraform!, landings);
          },
        ),
        { numRuns: 3, seed: 20261201, endOnFailure: true },
      );
    });

    it("a backend setting reaches Terraform literally (it reads backends without templates)", () => {
      const dir = mkdtempSync(path.join(workDir, "backend-"));
      const state = "st-${x}-%{y}.tfstate";
      const json = synthConfig({ ...BASE, backend: { type: "local", path: path.join(dir, state) } });
      const backend = (json.terraform as { backend: { local: { path: string } } }).backend.local;
      expect(backend.path).toBe(path.join(dir, state));
      applyOutputs(terraform!, {
        terraform: { backend: { local: backend } },
        output: { ok: { value: "ok" } },
      });
      expect(existsSync(path.join(dir, state))).toBe(true);
    });
  },
);

// Guards the guard: an unescaped value is not rendered back, so the check above can fail.
(terraform ? it : it.skip)("an unescaped template is evaluated by Terraform (the check can fail)", () => {
  const rendered = applyOutputs(terraform!, {
    output: { v: { value: 'a${upper("b")}%{ if true }c%{ endif }' } },
  });
  expect(rendered.v).toBe("aBc");
});
