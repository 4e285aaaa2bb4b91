/**
 * Invalid harbor-mirror.yaml files (contract: shared spec config.md). One table, one case per rule;
 * each case marks the line the error must point at with a trailing `#<` comment.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { parseConfig } from "../../config/load";
import { ValidationError, type Diagnostic } from "../../registries/diagnostics";

const HEAD = "version: 1\nharbor:\n  url: https://harbor.example.com\n";
const UPSTREAMS = "upstreams:\n  - registry: docker.io\n";
const VALID = HEAD + UPSTREAMS;

let baseDir: string;
beforeAll(() => {
  baseDir = mkdtempSync(join(tmpdir(), "harbor-mirror-config-"));
  writeFileSync(join(baseDir, "not-a-cert.pem"), "hello\n");
});
afterAll(() => rmSync(baseDir, { recursive: true, force: true }));

/** The diagnostics of a file that must be rejected. */
function rejection(text: string): { error: ValidationError; diagnostics: readonly Diagnostic[] } {
  try {
    parseConfig(text, "harbor-mirror.yaml", baseDir);
  } catch (error) {
    if (error instanceof ValidationError) return { error, diagnostics: error.diagnostics };
    throw error;
  }
  throw new Error(`expected the configuration to be rejected:\n${text}`);
}

/** 1-based line of the `#<` marker. */
function markedLine(text: string): number {
  const index = text.split("\n").findIndex((line) => line.includes("#<"));
  if (index < 0) throw new Error(`test case has no #< marker:\n${text}`);
  return index + 1;
}

interface InvalidCase {
  readonly rule: string;
  readonly yaml: string;
  readonly path: string;
  readonly message: string;
}

// prettier-ignore
const INVALID_CASES: readonly InvalidCase[] = [
  { rule: "version is required (config.md: `version: 1 # required`)",
    yaml: "harbor: #<\n  url: https://harbor.example.com\n" + UPSTREAMS,
    path: "version", message: "is required (`1`)" },
  { rule: "version must be 1",
    yaml: "version: 2 #<\n" + VALID.slice("version: 1\n".length),
    path: "version", message: "must be 1; got 2" },
  { rule: "version is an integer, not a string",
    yaml: 'version: "1" #<\n' + VALID.slice("version: 1\n".length),
    path: "version", message: 'must be an integer (written without quotes); got "1"' },
  { rule: "harbor is required",
    yaml: "version: 1 #<\n" + UPSTREAMS,
    path: "harbor", message: "is required" },
  { rule: "harbor.url is required",
    yaml: "version: 1\nharbor: #<\n  insecureApi: false\n" + UPSTREAMS,
    path: "harbor.url", message: "is required (https URL)" },
  { rule: "harbor.url is a URL",
    yaml: "version: 1\nharbor:\n  url: harbor.example.com #<\n" + UPSTREAMS,
    path: "harbor.url", message: 'must be an absolute https or http URL; got "harbor.example.com"' },
  { rule: "harbor.url is https unless allowHttp",
    yaml: "version: 1\nharbor:\n  url: http://harbor.example.com #<\n" + UPSTREAMS,
    path: "harbor.url", message: "uses http://; use https:// or set harbor.allowHttp: true" },
  { rule: "harbor.url is Harbor's root (rke2-registries.md §8: render https://<harbor-host> without a path)",
    yaml: "version: 1\nharbor:\n  url: https://harbor.example.com/v2 #<\n" + UPSTREAMS,
    path: "harbor.url", message: "without a path" },
  { rule: "harbor.url carries no credentials",
    yaml: "version: 1\nharbor:\n  url: https://admin:pw@harbor.example.com #<\n" + UPSTREAMS,
    path: "harbor.url", message: "without user:password" },
  { rule: "harbor.insecureApi is a boolean",
    yaml: HEAD + "  insecureApi: yes #<\n" + UPSTREAMS,
    path: "harbor.insecureApi", message: 'must be true or false; got "yes"' },
  { rule: "harbor.caCertFile exists (relative to the config file)",
    yaml: HEAD + "  caCertFile: ./missing.pem #<\n" + UPSTREAMS,
    path: "harbor.caCertFile", message: "must name an existing file" },
  { rule: "harbor.caCertFile is a PEM certificate",
    yaml: HEAD + "  caCertFile: not-a-cert.pem #<\n" + UPSTREAMS,
    path: "harbor.caCertFile", message: "must be a PEM certificate file" },
  { rule: "harbor.caCertNodePath is a safe absolute path",
    yaml: HEAD + "  caCertNodePath: etc/ca.pem #<\n" + UPSTREAMS,
    path: "harbor.caCertNodePath", message: "must be an absolute path using only letters, digits and . _ / -" },
  { rule: "access is public or robot",
    yaml: VALID + "access: private #<\n",
    path: "access", message: 'must be one of `public`, `robot`; got "private"' },
  { rule: "retention.daysSinceLastPull ≥ 1",
    yaml: VALID + "retention:\n  daysSinceLastPull: 0 #<\n",
    path: "retention.daysSinceLastPull", message: "must be an integer ≥ 1; got 0" },
  { rule: "retention.schedule names are capitalised (harbor.md §2.5: read-back is capitalised)",
    yaml: VALID + "retention:\n  schedule: daily #<\n",
    path: "retention.schedule", message: "did you mean `Daily`?" },
  { rule: "retention.schedule cron has 6 fields, seconds first (harbor.md §2.5)",
    yaml: VALID + "retention:\n  schedule: 0 3 * * * #<\n",
    path: "retention.schedule", message: "or a 6-field cron expression" },
  { rule: "upstreams is required",
    yaml: "version: 1 #<\n" + HEAD.slice("version: 1\n".length) + "access: robot\n",
    path: "upstreams", message: "is required (list of mappings)" },
  { rule: "upstreams has at least one item",
    yaml: HEAD + "upstreams: [] #<\n",
    path: "upstreams", message: "must have at least 1 item(s); got 0" },
  { rule: "upstreams is a list",
    yaml: HEAD + "upstreams:\n  registry: docker.io #<\n",
    path: "upstreams", message: "must be a list" },
  { rule: "upstream registry is lowercase (rke2-registries.md §8: matching is case-sensitive)",
    yaml: HEAD + "upstreams:\n  - registry: Docker.io #<\n",
    path: "upstreams[0].registry", message: 'must be lowercase (registry names are matched case-sensitively); got "Docker.io"' },
  { rule: "upstream registry is a bare host[:port] (rke2-registries.md §8)",
    yaml: HEAD + "upstreams:\n  - registry: https://docker.io #<\n",
    path: "upstreams[0].registry", message: "must be a bare registry host[:port]" },
  { rule: "upstream registry port is 1–65535",
    yaml: HEAD + "upstreams:\n  - registry: registry.example.com:70000 #<\n",
    path: "upstreams[0].registry", message: "the port must be 1–65535" },
  { rule: "upstream registries are unique",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n  - registry: docker.io #<\n",
    path: "upstreams[1].registry", message: '"docker.io" is already used by item [0]' },
  { rule: "upstream projects are unique, defaults included",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n  - registry: quay.io\n    project: docker.io #<\n",
    path: "upstreams[1].project", message: '"docker.io" is already used by item [0]' },
  { rule: "upstream project follows Harbor's name rules (harbor.md §3.4)",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    project: Docker_Hub #<\n",
    path: "upstreams[0].project", message: 'project name "Docker_Hub" is not a valid Harbor name' },
  { rule: "upstream provider is a proxy-cache provider type (harbor.md §3.2)",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    provider: dockerhub #<\n",
    path: "upstreams[0].provider", message: "did you mean `docker-hub`?" },
  { rule: "upstream provider gitlab cannot back a proxy cache (harbor.md §3.2)",
    yaml: HEAD + "upstreams:\n  - registry: registry.gitlab.com\n    provider: gitlab #<\n",
    path: "upstreams[0].provider", message: 'must be one of `docker-hub`' },
  { rule: "upstream endpointUrl is an http(s) URL",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    endpointUrl: ftp://mirror.example.com #<\n",
    path: "upstreams[0].endpointUrl", message: "must be an absolute https or http URL" },
  { rule: "upstream accessId needs accessSecretVar",
    yaml: HEAD + "upstreams:\n  - registry: docker.io #<\n    accessId: mirror-bot\n",
    path: "upstreams[0].accessSecretVar", message: "is required when accessId is set" },
  { rule: "upstream accessSecretVar needs accessId",
    yaml: HEAD + "upstreams:\n  - registry: docker.io #<\n    accessSecretVar: dockerhub_token\n",
    path: "upstreams[0].accessId", message: "is required when accessSecretVar is set" },
  { rule: "upstream accessSecretVar is a Terraform variable name",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    accessId: bot\n    accessSecretVar: 1token #<\n",
    path: "upstreams[0].accessSecretVar", message: "must be a Terraform variable name" },
  { rule: "upstream storageQuotaGiB is -1 or ≥ 1",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    storageQuotaGiB: 0 #<\n",
    path: "upstreams[0].storageQuotaGiB", message: "must be -1 (unlimited) or ≥ 1; got 0" },
  { rule: "rewrites keys are upstream registries",
    yaml: VALID + "rewrites:\n  quay.io: #<\n    - { match: '^a/(.*)$', replace: 'b/$1' }\n",
    path: 'rewrites."quay.io"', message: "is not an upstream registry; rewrites apply to one of `docker.io`" },
  { rule: "rewrite match has no backslash (rke2-registries.md §4.8)",
    yaml: VALID + "rewrites:\n  docker.io:\n    - match: '^ksd-test\\.io/(.*)$' #<\n      replace: 'production/$1'\n",
    path: 'rewrites."docker.io"[0].match', message: "e.g. `[.]` for `\\.`" },
  { rule: "rewrite replace has no double quote (rke2-registries.md §4.8)",
    yaml: VALID + "rewrites:\n  docker.io:\n    - match: '^a/(.*)$'\n      replace: 'b\"/$1' #<\n",
    path: 'rewrites."docker.io"[0].replace', message: "must not contain a backslash or a double quote" },
  { rule: "rewrite match is RE2: no lookaround (rke2-registries.md §4.2)",
    yaml: VALID + "rewrites:\n  docker.io:\n    - match: '^(?!library/)(.*)$' #<\n      replace: 'hub/$1'\n",
    path: 'rewrites."docker.io"[0].match', message: "must be an RE2 (Go regexp) pattern" },
  { rule: "rewrite replace is required",
    yaml: VALID + "rewrites:\n  docker.io:\n    - match: '^a/(.*)$' #<\n",
    path: 'rewrites."docker.io"[0].replace', message: "is required (Go template)" },
  { rule: "distribution is rke2 or k3s",
    yaml: VALID + "distribution: rke #<\n",
    path: "distribution", message: "did you mean `rke2`?" },
  { rule: "node name is [a-z0-9][a-z0-9._-]*",
    yaml: VALID + "nodes:\n  - name: Server_1 #<\n    host: 192.0.2.11\n    role: server\n",
    path: "nodes[0].name", message: "must match [a-z0-9][a-z0-9._-]*" },
  { rule: "node names are unique",
    yaml: VALID + "nodes:\n  - { name: n1, host: 192.0.2.11, role: server }\n  - { name: n1, host: 192.0.2.12, role: agent } #<\n",
    path: "nodes[1].name", message: '"n1" is already used by item [0]' },
  { rule: "node host is required",
    yaml: VALID + "nodes:\n  - name: n1 #<\n    role: server\n",
    path: "nodes[0].host", message: "is required (host name or IP)" },
  { rule: "node role is server or agent",
    yaml: VALID + "nodes:\n  - name: n1\n    host: 192.0.2.11\n    role: master #<\n",
    path: "nodes[0].role", message: 'must be one of `server`, `agent`; got "master"' },
  { rule: "node port is 1–65535",
    yaml: VALID + "nodes:\n  - name: n1\n    host: 192.0.2.11\n    role: agent\n    port: 70000 #<\n",
    path: "nodes[0].port", message: "must be an integer 1–65535; got 70000" },
  { rule: "node registriesPath uses a shell-safe alphabet",
    yaml: VALID + "nodes:\n  - name: n1\n    host: 192.0.2.11\n    role: agent\n    registriesPath: /etc/rancher/$(reboot) #<\n",
    path: "nodes[0].registriesPath", message: "must be an absolute path using only letters, digits and . _ / -" },
  { rule: "node registriesPath has no ..",
    yaml: VALID + "nodes:\n  - name: n1\n    host: 192.0.2.11\n    role: agent\n    registriesPath: /etc/../root/x #<\n",
    path: "nodes[0].registriesPath", message: "must not contain `..`" },
  { rule: "ssh.bastionUser needs ssh.bastionHost",
    yaml: VALID + "ssh:\n  bastionUser: jump #<\n",
    path: "ssh.bastionUser", message: "needs ssh.bastionHost" },
  { rule: "ssh.hostKey is `<type> <base64>`",
    yaml: VALID + "ssh:\n  hostKey: 'node1 ssh-ed25519 AAAA' #<\n",
    path: "ssh.hostKey", message: 'must be "<type> <base64 key>"' },
  { rule: "ssh.privateKeyVar is a Terraform variable name",
    yaml: VALID + "ssh:\n  privateKeyVar: my key #<\n",
    path: "ssh.privateKeyVar", message: "must be a Terraform variable name" },
  { rule: "rollout.strategy is rolling or parallel",
    yaml: VALID + "rollout:\n  strategy: serial #<\n",
    path: "rollout.strategy", message: "must be one of `rolling`, `parallel`" },
  { rule: "rollout.batchSize ≥ 1",
    yaml: VALID + "rollout:\n  batchSize: 0 #<\n",
    path: "rollout.batchSize", message: "must be an integer ≥ 1; got 0" },
  { rule: "backend.type is one of cdktf's backends",
    yaml: VALID + "backend:\n  type: gcs #<\n",
    path: "backend.type", message: "must be one of `local`, `s3`, `pg`, `remote`" },
  { rule: "unknown keys get the nearest valid key suggested",
    yaml: HEAD + "  insecureAPI: true #<\n" + UPSTREAMS,
    path: "harbor.insecureAPI", message: "unknown key `insecureAPI`; did you mean `insecureApi`?" },
  { rule: "unknown top-level key",
    yaml: VALID + "node: [] #<\n",
    path: "node", message: "did you mean `nodes`?" },
  { rule: "secrets never in the file: Harbor password",
    yaml: HEAD + "  password: hunter2 #<\n" + UPSTREAMS,
    path: "harbor.password", message: "TF_VAR_harbor_username / TF_VAR_harbor_password" },
  { rule: "secrets never in the file: upstream token",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    token: abc #<\n",
    path: "upstreams[0].token", message: "the sensitive Terraform variable named by upstreams[].accessSecretVar" },
  { rule: "secrets never in the file: SSH private key",
    yaml: VALID + "ssh:\n  private_key: abc #<\n",
    path: "ssh.private_key", message: "the variable named by ssh.privateKeyVar" },
  { rule: "secrets never in the file: nested in backend pass-through keys",
    yaml: VALID + "backend:\n  type: s3\n  assumeRole:\n    secretKey: abc #<\n",
    path: "backend.assumeRole.secretKey", message: "looks like a credential" },
  { rule: "the top level is a mapping",
    yaml: "- version: 1 #<\n",
    path: "(top level)", message: "must be a mapping" },
  { rule: "YAML syntax: duplicate keys",
    yaml: VALID + "access: public\naccess: robot #<\n",
    path: "(yaml)", message: "YAML syntax: Map keys must be unique" },
  { rule: "the file is not empty",
    yaml: "# nothing here #<\n",
    path: "(file)", message: "the file is empty" },
];

describe("invalid harbor-mirror.yaml", () => {
  it.each(INVALID_CASES)("$rule", ({ yaml, path, message }) => {
    const { diagnostics } = rejection(yaml);
    const atPath = diagnostics.filter(
      (diagnostic) => diagnostic.path === path && diagnostic.severity === "error",
    );
    expect(atPath.map((diagnostic) => diagnostic.message)).toEqual(
      expect.arrayContaining([expect.stringContaining(message)]),
    );
    const diagnostic = atPath.find((candidate) => candidate.message.includes(message));
    expect(diagnostic?.line).toBe(markedLine(yaml));
  });
});

describe("error reporting", () => {
  it("collects every error of the file before throwing", () => {
    const yaml =
      "version: 1\nharbor:\n  url: http://harbor.example.com\naccess: private\n" +
      "upstreams:\n  - registry: Docker.io\nrollout:\n  batchSize: 0\n";
    const paths = rejection(yaml).diagnostics.map((diagnostic) => diagnostic.path);
    expect(paths).toEqual(
      expect.arrayContaining(["harbor.url", "access", "upstreams[0].registry", "rollout.batchSize"]),
    );
  });

  it("formats errors as file:line:column key: message (cli.md)", () => {
    const { error } = rejection(VALID + "access: private\n");
    expect(error.message).toBe(
      'harbor-mirror.yaml:6:9 access: must be one of `public`, `robot`; got "private"',
    );
  });

  it("never repeats the value of a credential-like key", () => {
    const secret = "s3cr3t-Value-42";
    const yaml =
      HEAD + `  password: ${secret}\n` + UPSTREAMS + `backend:\n  type: pg\n  conn_password: ${secret}\n`;
    const { error, diagnostics } = rejection(yaml);
    expect(diagnostics.map((diagnostic) => diagnostic.path)).toEqual(
      expect.arrayContaining(["harbor.password", "backend.conn_password"]),
    );
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(diagnostics)).not.toContain(secret);
  });

  it("reports a derived default that breaks a rule at the upstream that produced it", () => {
    // The default project is the registry host, which may not be a valid Harbor project name.
    const yaml = HEAD + "upstreams:\n  - registry: docker.io\n  - registry: my--registry.example.com #<\n";
    const diagnostic = rejection(yaml).diagnostics.find((item) => item.path === "upstreams[1].project");
    expect(diagnostic?.message).toContain('the default "my--registry.example.com" is not valid');
    expect(diagnostic?.line).toBe(markedLine(yaml));
  });
});

describe("robustness", () => {
  it("answers any YAML value with a config or a ValidationError, never another exception", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseConfig(stringify(value));
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
        }
      }),
      { numRuns: 200 },
    );
  });

  // Every path to a value in the example file: each is a place a user can get wrong.
  function valuePaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (value === null || typeof value !== "object") return [prefix];
    const entries = Array.isArray(value)
      ? value.map((item, index) => [index, item] as const)
      : Object.entries(value);
    return [prefix, ...entries.flatMap(([key, item]) => valuePaths(item, [...prefix, key]))];
  }

  function replaced(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
    if (path.length === 0) return value;
    const [head, ...rest] = path;
    const copy = (Array.isArray(root) ? [...root] : { ...(root as object) }) as Record<
      string | number,
      unknown
    >;
    copy[head] = replaced(copy[head], rest, value);
    return copy;
  }

  it("gives every error of a damaged example file a line number", () => {
    const example: unknown = parse(readFileSync(join(__dirname, "..", "..", "harbor-mirror.yaml"), "utf8"));
    fc.assert(
      fc.property(fc.constantFrom(...valuePaths(example)), fc.jsonValue(), (path, value) => {
        try {
          parseConfig(stringify(replaced(example, path, value)));
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          for (const diagnostic of (error as ValidationError).diagnostics)
            expect(diagnostic.line).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
