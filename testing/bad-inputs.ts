/**
 * The catalogue of bad inputs: every invalid harbor-mirror.yaml and every invalid registries.yaml
 * the project rejects, each with the error it must produce. It is the ONE table: the config
 * loader's and the registries.yaml validator's unit tests, the proof suite
 * (`__tests__/proof/bad-inputs.test.ts`, which also runs the real app on a subset) and the page
 * `docs/bad-inputs.md` all read it from here.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

// ---------------------------------------------------------------------------------------------
// harbor-mirror.yaml: each case marks the line the error must point at with a trailing `#<`.
// ---------------------------------------------------------------------------------------------

export const HEAD = "version: 1\nharbor:\n  url: https://harbor.example.com\n";
export const UPSTREAMS = "upstreams:\n  - registry: docker.io\n";
export const VALID = HEAD + UPSTREAMS;

/** Files next to the configuration that some cases name (e.g. a caCertFile that is not a PEM). */
const CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBcertificate\n-----END CERTIFICATE-----\n";
/** Key material the CA case must never echo. */
export const CA_KEY_MATERIAL = "MIIEvQIBADANkeyMATERIAL";
export const CONFIG_FIXTURES: Readonly<Record<string, string>> = {
  "not-a-cert.pem": "hello\n",
  "ca.pem": CERTIFICATE,
  "ca-with-key.pem": `${CERTIFICATE}-----BEGIN PRIVATE KEY-----\n${CA_KEY_MATERIAL}\n-----END PRIVATE KEY-----\n`,
  "ca-with-request.pem": `${CERTIFICATE}-----BEGIN CERTIFICATE REQUEST-----\nMIIBreq\n-----END CERTIFICATE REQUEST-----\n`,
};

export function writeConfigFixtures(dir: string): void {
  for (const [name, content] of Object.entries(CONFIG_FIXTURES)) writeFileSync(join(dir, name), content);
}

/** 1-based line of the `#<` marker. */
export function markedLine(text: string): number {
  const index = text.split("\n").findIndex((line) => line.includes("#<"));
  if (index < 0) throw new Error(`test case has no #< marker:\n${text}`);
  return index + 1;
}

export interface InvalidConfigCase {
  readonly rule: string;
  /** Code of the rule (`Diagnostic.code`), checked when given. */
  readonly code?: string;
  readonly yaml: string;
  /** Key path of the error. */
  readonly path: string;
  /** Text the error message must contain. */
  readonly message: string;
  /** Text of the input that no output may show (a credential). */
  readonly secret?: string;
  /** The class of value rule the case belongs to, for the per-class counts. */
  readonly kind?: ValueRuleKind;
  /** How the text is written to the file: `latin1` writes bytes that are not UTF-8. @default "utf8" */
  readonly encoding?: "latin1";
}

/** The classes of value rules (one rule per kind of value, wherever it enters). */
export const VALUE_RULE_KINDS = [
  "Terraform strings",
  "node paths",
  "variable names",
  "backend and CA",
  "ranges",
  "secrets in messages",
  "YAML limits",
] as const;
export type ValueRuleKind = (typeof VALUE_RULE_KINDS)[number];

/** One node, so that the delivery settings (ssh, rollout, node paths) are checked. */
export const NODE = "nodes:\n  - { name: n1, host: 192.0.2.11, role: agent }\n";

// prettier-ignore
export const INVALID_CONFIG_CASES: readonly InvalidConfigCase[] = [
  // The file and its YAML (config/yaml-source.ts, config/load.ts)
  { rule: "the file is not empty", code: "config-file-empty",
    yaml: "# nothing here #<\n",
    path: "(file)", message: "the file is empty" },
  { rule: "the top level is a mapping", code: "config-wrong-type",
    yaml: "- version: 1 #<\n",
    path: "(top level)", message: "must be a mapping" },
  { rule: "YAML syntax: duplicate keys", code: "yaml-syntax",
    yaml: VALID + "access: public\naccess: robot #<\n",
    path: "(yaml)", message: "YAML syntax: Map keys must be unique" },
  { kind: "YAML limits", rule: "YAML: the file is UTF-8 (a Latin-1 é is not)", code: "file-invalid-utf8",
    yaml: VALID + "access: caf\u00e9 #<\n", encoding: "latin1",
    path: "(file)", message: "is not valid UTF-8 (byte 0xe9" },
  { kind: "YAML limits", rule: "YAML: nesting is bounded", code: "yaml-too-deep",
    yaml: VALID + `x: ${"[".repeat(40)}${"]".repeat(40)} #<\n`,
    path: "(yaml)", message: "nests deeper than 32 levels" },
  { kind: "YAML limits", rule: "YAML: an alias inside the value it refers to", code: "yaml-recursive-alias",
    yaml: VALID + "rewrites: &loop\n  docker.io: [*loop] #<\n",
    path: "(yaml)", message: "the alias *loop is inside the value it refers to" },
  { kind: "YAML limits", rule: "YAML: an alias without its anchor", code: "yaml-undefined-alias",
    yaml: VALID + "nodes: *missing #<\n",
    path: "(yaml)", message: "the alias *missing names no anchor defined before it" },
  { kind: "YAML limits", rule: "YAML: aliases that expand beyond the limit (a fan-out)", code: "yaml-alias-expansion",
    yaml: VALID + "x: &a [k,k,k,k,k,k,k,k,k,k]\ny: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a] #<\nz: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nw: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
    path: "(yaml)", message: "aliases expand to too many values" },
  { kind: "YAML limits", rule: "YAML: tags such as !env are refused", code: "yaml-unknown-tag",
    yaml: HEAD + "  caCertFile: !env CA_FILE #<\n" + UPSTREAMS,
    path: "(yaml)", message: "the tag !env is not supported" },
  // Decoding (config/schema.ts): types, keys, version
  { rule: "version is required", code: "config-required",
    yaml: "harbor: #<\n  url: https://harbor.example.com\n" + UPSTREAMS,
    path: "version", message: "is required (1)" },
  { rule: "version must be 1", code: "config-version",
    yaml: "version: 2 #<\n" + VALID.slice("version: 1\n".length),
    path: "version", message: "must be 1; got 2" },
  { rule: "version is a number, not a string", code: "config-version",
    yaml: 'version: "1" #<\n' + VALID.slice("version: 1\n".length),
    path: "version", message: 'must be 1; got "1"' },
  { rule: "harbor is required", code: "config-required",
    yaml: "version: 1 #<\n" + UPSTREAMS,
    path: "harbor", message: "is required" },
  { rule: "harbor.url is required", code: "config-required",
    yaml: "version: 1\nharbor: #<\n  insecureApi: false\n" + UPSTREAMS,
    path: "harbor.url", message: "is required (a string)" },
  { rule: "harbor.insecureApi is a boolean", code: "config-wrong-type",
    yaml: HEAD + "  insecureApi: yes #<\n" + UPSTREAMS,
    path: "harbor.insecureApi", message: 'must be true or false; got "yes"' },
  { rule: "access is public or robot", code: "config-not-allowed",
    yaml: VALID + "access: private #<\n",
    path: "access", message: 'must be one of `public`, `robot`; got "private"' },
  { rule: "upstreams is required", code: "config-required",
    yaml: "version: 1 #<\n" + HEAD.slice("version: 1\n".length) + "access: robot\n",
    path: "upstreams", message: "is required (a list" },
  { rule: "upstreams is a list", code: "config-wrong-type",
    yaml: HEAD + "upstreams: #<\n  registry: docker.io\n",
    path: "upstreams", message: "must be a list" },
  { rule: "upstream provider is a proxy-cache provider type", code: "config-not-allowed",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    provider: dockerhub #<\n",
    path: "upstreams[0].provider", message: "did you mean `docker-hub`?" },
  { rule: "upstream provider gitlab cannot back a proxy cache", code: "config-not-allowed",
    yaml: HEAD + "upstreams:\n  - registry: registry.gitlab.com\n    provider: gitlab #<\n",
    path: "upstreams[0].provider", message: 'must be one of `docker-hub`' },
  { rule: "rewrite replace is required", code: "rewrite-target-missing",
    yaml: VALID + "rewrites:\n  docker.io:\n    - match: '^a/(.*)$' #<\n",
    path: 'rewrites."docker.io"[0].replace', message: "is required (or keep: true" },
  { rule: "distribution is rke2 or k3s", code: "config-not-allowed",
    yaml: VALID + "distribution: rke #<\n",
    path: "distribution", message: "did you mean `rke2`?" },
  { rule: "node host is required", code: "config-required",
    yaml: VALID + "nodes:\n  - name: n1 #<\n    role: server\n",
    path: "nodes[0].host", message: "is required (a string)" },
  { rule: "node role is server or agent", code: "config-not-allowed",
    yaml: VALID + "nodes:\n  - name: n1\n    host: 192.0.2.11\n    role: master #<\n",
    path: "nodes[0].role", message: 'must be one of `server`, `agent`; got "master"' },
  { rule: "rollout.strategy is rolling, servers-first or parallel", code: "config-not-allowed",
    yaml: VALID + "rollout:\n  strategy: serial #<\n",
    path: "rollout.strategy", message: "must be one of `rolling`, `servers-first`, `parallel`" },
  { rule: "backend.type is one of cdktf's backends", code: "config-not-allowed",
    yaml: VALID + "backend:\n  type: gcs #<\n",
    path: "backend.type", message: "must be one of `local`, `s3`, `pg`, `remote`" },
  { rule: "unknown keys get the nearest valid key suggested", code: "config-unknown-key",
    yaml: HEAD + "  insecureAPI: true #<\n" + UPSTREAMS,
    path: "harbor.insecureAPI", message: "unknown key `insecureAPI`; did you mean `insecureApi`?" },
  { rule: "unknown top-level key", code: "config-unknown-key",
    yaml: VALID + "node: [] #<\n",
    path: "node", message: "did you mean `nodes`?" },
  { rule: "secrets never in the file: Harbor password", code: "config-credential-key",
    yaml: HEAD + "  password: hunter2 #<\n" + UPSTREAMS,
    path: "harbor.password", message: "TF_VAR_harbor_username / TF_VAR_harbor_password" },
  { rule: "secrets never in the file: upstream token", code: "config-credential-key",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    token: abc #<\n",
    path: "upstreams[0].token", message: "the sensitive Terraform variable named by upstreams[].accessSecretVar" },
  { rule: "secrets never in the file: SSH private key", code: "config-credential-key",
    yaml: VALID + "ssh:\n  private_key: abc #<\n",
    path: "ssh.private_key", message: "the variable named by ssh.privateKeyVar" },
  { rule: "secrets never in the file: nested in backend pass-through keys", code: "config-credential-key",
    yaml: VALID + "backend:\n  type: s3\n  assumeRole:\n    secretKey: abc #<\n",
    path: "backend.assumeRole.secretKey", message: "looks like a credential" },
  // Rules of the constructs, reported at the key they came from
  { rule: "harbor.url is a URL", code: "harbor-url-invalid",
    yaml: "version: 1\nharbor:\n  url: harbor.example.com #<\n" + UPSTREAMS,
    path: "harbor.url", message: '"harbor.example.com" must be an absolute https or http URL' },
  { rule: "harbor.url is https unless allowInsecureHttp", code: "harbor-url-invalid",
    yaml: "version: 1\nharbor:\n  url: http://harbor.example.com #<\n" + UPSTREAMS,
    path: "harbor.url", message: "uses http://: Harbor must be reached over https:// (set allowInsecureHttp to accept http)" },
  { rule: "harbor.url is Harbor's root: a mirror endpoint has no path", code: "harbor-url-invalid",
    yaml: "version: 1\nharbor:\n  url: https://harbor.example.com/v2 #<\n" + UPSTREAMS,
    path: "harbor.url", message: "without a path" },
  { rule: "harbor.url carries no credentials", code: "harbor-url-invalid",
    yaml: "version: 1\nharbor:\n  url: https://admin:pw@harbor.example.com #<\n" + UPSTREAMS,
    path: "harbor.url", message: "without user:password" },
  { rule: "harbor.caCertFile exists (relative to the config file)", code: "ca-cert-file-missing",
    yaml: HEAD + "  caCertFile: ./missing.pem #<\n" + UPSTREAMS,
    path: "harbor.caCertFile", message: "must name an existing file" },
  { rule: "harbor.caCertFile is a PEM certificate", code: "ca-not-certificates",
    yaml: HEAD + "  caCertFile: not-a-cert.pem #<\n" + UPSTREAMS,
    path: "harbor.caCertFile", message: "must be a PEM certificate file" },
  { rule: "harbor.caCertNodePath is an absolute path", code: "node-path-invalid",
    yaml: HEAD + "  caCertNodePath: etc/ca.pem #<\n" + UPSTREAMS,
    path: "harbor.caCertNodePath", message: "expected an absolute path on the nodes" },
  { rule: "retention.daysSinceLastPull ≥ 1", code: "retention-days-invalid",
    yaml: VALID + "retention:\n  daysSinceLastPull: 0 #<\n",
    path: "retention.daysSinceLastPull", message: "daysSinceLastPull 0 is not allowed: expected a whole number of days from 1 to 36500" },
  { rule: "retention.schedule names are capitalised (Harbor reads them back so)", code: "retention-schedule-invalid",
    yaml: VALID + "retention:\n  schedule: daily #<\n",
    path: "retention.schedule", message: 'must be written "Daily"' },
  { rule: "retention.schedule cron has 6 fields, seconds first", code: "retention-schedule-invalid",
    yaml: VALID + "retention:\n  schedule: 0 3 * * * #<\n",
    path: "retention.schedule", message: "has 5 field(s); allowed: Hourly, Daily, Weekly or a 6-field cron" },
  { rule: "upstreams has at least one item", code: "upstreams-empty",
    yaml: HEAD + "upstreams: [] #<\n",
    path: "upstreams", message: "at least one upstream registry is required" },
  { rule: "upstream registry is lowercase (nodes match it case-sensitively)", code: "upstream-registry-invalid",
    yaml: HEAD + "upstreams:\n  - registry: Docker.io #<\n",
    path: "upstreams[0].registry", message: '"Docker.io" is not a registry host: must be lowercase' },
  { rule: "upstream registry is a bare host[:port]", code: "upstream-registry-invalid",
    yaml: HEAD + "upstreams:\n  - registry: https://docker.io #<\n",
    path: "upstreams[0].registry", message: "must be a bare registry host[:port]" },
  { rule: "upstream registry port is 1–65535", code: "upstream-registry-invalid",
    yaml: HEAD + "upstreams:\n  - registry: registry.example.com:70000 #<\n",
    path: "upstreams[0].registry", message: "the port must be 1–65535" },
  { rule: "upstream registry is not Harbor itself", code: "upstream-registry-is-harbor",
    yaml: HEAD + "upstreams:\n  - registry: harbor.example.com #<\n    project: self\n",
    path: "upstreams[0].registry", message: "is Harbor's own host" },
  { rule: "upstream registries are unique", code: "upstream-duplicate-registry",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n  - registry: docker.io #<\n",
    path: "upstreams[1].registry", message: '"docker.io" is already the registry of upstreams[0]' },
  { rule: "upstream projects are unique, defaults included", code: "upstream-duplicate-project",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n  - registry: quay.io\n    project: docker.io #<\n",
    path: "upstreams[1].project", message: '"docker.io" is already the project of upstream docker.io' },
  { rule: "upstream project follows Harbor's name rules", code: "upstream-project-invalid",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    project: Docker_Hub #<\n",
    path: "upstreams[0].project", message: 'project name "Docker_Hub" is not a valid Harbor name' },
  { rule: "upstream endpointUrl is an http(s) URL", code: "upstream-endpoint-url-invalid",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    endpointUrl: ftp://mirror.example.com #<\n",
    path: "upstreams[0].endpointUrl", message: "must be an absolute https or http URL" },
  { rule: "upstream accessId needs accessSecretVar", code: "upstream-access-pair",
    yaml: HEAD + "upstreams:\n  - registry: docker.io #<\n    accessId: mirror-bot\n",
    path: "upstreams[0].accessSecretVar", message: "is required when accessId is set" },
  { rule: "upstream accessSecretVar needs accessId", code: "upstream-access-pair",
    yaml: HEAD + "upstreams:\n  - registry: docker.io #<\n    accessSecretVar: dockerhub_token\n",
    path: "upstreams[0].accessId", message: "is required when the upstream's secret is set" },
  { rule: "upstream accessSecretVar is a Terraform variable name", code: "variable-name-invalid",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    accessId: bot\n    accessSecretVar: 1token #<\n",
    path: "upstreams[0].accessSecretVar", message: "must be a Terraform variable name" },
  { rule: "upstream storageQuotaGiB is -1 or ≥ 1", code: "harbor-limit-invalid",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    storageQuotaGiB: 0 #<\n",
    path: "upstreams[0].storageQuotaGiB", message: "0 is not allowed: expected -1 (unlimited) or a whole number of GiB from 1 to 8589934591" },
  { rule: "rewrites keys are upstream registries", code: "rewrites-unknown-registry",
    yaml: VALID + "rewrites:\n  quay.io: #<\n    - { match: '^a/(.*)$', replace: 'b/$1' }\n",
    path: 'rewrites."quay.io"', message: "is not an upstream registry: rewrites apply only to upstream registries (docker.io)" },
  { rule: "rewrite match has no backslash (hosts.toml cannot carry it)", code: "rewrite-rule-unsupported",
    yaml: VALID + "rewrites:\n  docker.io:\n    - match: '^ksd-test\\.io/(.*)$' #<\n      replace: 'production/$1'\n",
    path: 'rewrites."docker.io"[0].match', message: "contains a backslash, which hosts.toml cannot carry" },
  { rule: "rewrite replace has no double quote (hosts.toml cannot carry it)", code: "rewrite-rule-unsupported",
    yaml: VALID + "rewrites:\n  docker.io:\n    - match: '^a/(.*)$'\n      replace: 'b\"/$1' #<\n",
    path: 'rewrites."docker.io"[0].replace', message: "contains a double quote, which hosts.toml cannot carry" },
  { rule: "rewrite match is RE2: no lookaround", code: "rewrite-rule-unsupported",
    yaml: VALID + "rewrites:\n  docker.io:\n    - match: '^(?!library/)(.*)$' #<\n      replace: 'hub/$1'\n",
    path: 'rewrites."docker.io"[0].match', message: "is not a valid RE2 pattern" },
  { rule: "a plain project follows Harbor's name rules", code: "project-name-invalid",
    yaml: VALID + "projects:\n  - name: Production #<\n",
    path: "projects[0].name", message: 'project name "Production"' },
  { rule: "a plain project is not also a proxy project", code: "project-duplicate",
    yaml: VALID + "projects:\n  - name: docker.io #<\n",
    path: "projects[0].name", message: "is already the project of an upstream or listed before" },
  { rule: "robot name follows Harbor's name rules", code: "robot-name-invalid",
    yaml: VALID + "access: robot\nrobot:\n  name: robot$pull #<\n",
    path: "robot.name", message: 'robot name "robot$pull" is not a valid Harbor name' },
  { rule: "robot secretVersion ≥ 1", code: "not-a-positive-integer",
    yaml: VALID + "access: robot\nrobot:\n  secretVar: robot_secret\n  secretVersion: 0 #<\n",
    path: "robot.secretVersion", message: "0 is not allowed: expected a whole number of at least 1" },
  { rule: "robot settings need access robot", code: "robot-setting-without-robot-access",
    yaml: VALID + "robot:\n  secretVar: robot_secret #<\n",
    path: "robot.secretVar", message: 'is set but access is "public"' },
  { rule: "node name is [a-z0-9][a-z0-9._-]*", code: "node-name-invalid",
    yaml: VALID + "nodes:\n  - name: Server_1 #<\n    host: 192.0.2.11\n    role: server\n",
    path: "nodes[0].name", message: 'node name "Server_1" is not a stable id' },
  { rule: "node names are unique", code: "node-duplicate-name",
    yaml: VALID + "nodes:\n  - { name: n1, host: 192.0.2.11, role: server }\n  - { name: n1, host: 192.0.2.12, role: agent } #<\n",
    path: "nodes[1].name", message: '"n1" is already the name of nodes[0]' },
  { rule: "node host is a host name or IP address", code: "host-invalid",
    yaml: VALID + "nodes:\n  - name: n1\n    host: 'node 1' #<\n    role: agent\n",
    path: "nodes[0].host", message: "must be a host name" },
  { rule: "node user is a Linux user name", code: "user-invalid",
    yaml: VALID + "nodes:\n  - name: n1\n    host: 192.0.2.11\n    role: agent\n    user: Admin #<\n",
    path: "nodes[0].user", message: "must be a Linux user name" },
  { rule: "node port is 1–65535", code: "port-invalid",
    yaml: VALID + "nodes:\n  - name: n1\n    host: 192.0.2.11\n    role: agent\n    port: 70000 #<\n",
    path: "nodes[0].port", message: "70000 is not allowed: expected a TCP port from 1 to 65535" },
  { rule: "node registriesPath uses a shell-safe alphabet", code: "node-path-invalid",
    yaml: VALID + "nodes:\n  - name: n1\n    host: 192.0.2.11\n    role: agent\n    registriesPath: /etc/rancher/$(reboot) #<\n",
    path: "nodes[0].registriesPath", message: "expected an absolute file path made of [A-Za-z0-9._/-]" },
  { rule: "containerd nodes take no registriesPath (they read hosts.toml)", code: "containerd-registries-path",
    yaml: VALID + "distribution: containerd\nnodes:\n  - name: n1\n    host: 192.0.2.11\n    role: agent\n    registriesPath: /etc/containerd/registries.yaml #<\n",
    path: "nodes[0].registriesPath", message: "does not apply to distribution containerd" },
  { rule: "containerd nodes cannot get robot credentials (hosts.toml carries none)", code: "containerd-credentials-unsupported",
    yaml: VALID + "distribution: containerd\naccess: robot #<\n",
    path: "access", message: "cannot be delivered for distribution containerd" },
  { rule: "containerd has no rewrite rules", code: "containerd-rewrite-unsupported",
    yaml: VALID + "distribution: containerd\nrewrites:\n  docker.io:\n    - match: ^a/(.*)$ #<\n      replace: b/$1\n",
    path: 'rewrites."docker.io"[0]', message: "cannot be expressed for distribution containerd" },
  { rule: "node registriesPath has no ..", code: "node-path-invalid",
    yaml: VALID + "nodes:\n  - name: n1\n    host: 192.0.2.11\n    role: agent\n    registriesPath: /etc/../root/x #<\n",
    path: "nodes[0].registriesPath", message: 'without ".." segments' },
  { rule: "ssh.bastionUser needs ssh.bastionHost", code: "ssh-bastion-setting-without-host",
    yaml: VALID + NODE + "ssh:\n  bastionUser: jump #<\n",
    path: "ssh.bastionUser", message: "needs ssh.bastionHost" },
  { rule: "ssh.bastionHost is a host name or IP address", code: "host-invalid",
    yaml: VALID + NODE + "ssh:\n  bastionHost: 'jump host' #<\n",
    path: "ssh.bastionHost", message: "must be a host name" },
  { rule: "ssh.hostKey is `<type> <base64>`", code: "host-key-invalid",
    yaml: VALID + NODE + "ssh:\n  hostKey: 'node1 ssh-ed25519 AAAA' #<\n",
    path: "ssh.hostKey", message: 'must be "<type> <base64 key>"' },
  { rule: "ssh.privateKeyVar is a Terraform variable name", code: "variable-name-invalid",
    yaml: VALID + NODE + "ssh:\n  privateKeyVar: my key #<\n",
    path: "ssh.privateKeyVar", message: "must be a Terraform variable name" },
  { rule: "rollout.batchSize ≥ 1", code: "not-a-positive-integer",
    yaml: VALID + NODE + "rollout:\n  batchSize: 0 #<\n",
    path: "rollout.batchSize", message: "0 is not allowed: expected a whole number of at least 1" },
  { rule: "secrets never in the file: credentials inside a backend URL", code: "backend-credentials",
    yaml: VALID + "backend:\n  type: pg\n  connStr: postgres://tf:hunter22@db.example/state #<\n",
    path: "backend.connStr", message: "holds credentials in its URL (not shown)" },
];

/** A node entry with one extra line, marked. */
const nodeWith = (line: string, distribution = "") =>
  VALID + distribution + `nodes:\n  - name: n1\n    host: 192.0.2.11\n    role: agent\n    ${line} #<\n`;
const withCa = (line: string) => HEAD + "  caCertFile: ./ca.pem\n" + `  ${line} #<\n` + UPSTREAMS;
const backendWith = (type: string, lines: string) => VALID + `backend:\n  type: ${type}\n${lines}`;
const cron = (schedule: string) => VALID + `retention:\n  schedule: "${schedule}" #<\n`;
const upstreamWith = (line: string) => HEAD + `upstreams:\n  - registry: docker.io\n    ${line} #<\n`;
const robotWith = (line: string) => VALID + `access: robot\nrobot:\n  ${line} #<\n`;
const secretVar = (name: string) => upstreamWith(`accessId: bot\n    accessSecretVar: ${name}`);

/**
 * Issue 11's value rules: one rule per kind of value, applied where the value enters (this loader
 * and the constructs alike). Cases that hold a credential name it in `secret`: no output shows it.
 */
// prettier-ignore
export const VALUE_RULE_CASES: readonly InvalidConfigCase[] = [
  // Terraform strings: a value Terraform would evaluate is refused where it cannot be literal text
  // (the rest is escaped; __tests__/proof/terraform-strings.test.ts proves that with real Terraform).
  { kind: "Terraform strings", rule: "node host is a host name, not a Terraform interpolation",
    yaml: VALID + 'nodes:\n  - name: n1\n    host: ${file("/root/.ssh/id_ed25519")} #<\n    role: agent\n',
    path: "nodes[0].host", message: "must be a host name" },
  { kind: "Terraform strings", rule: "ssh.bastionHost is a host name, not a Terraform directive",
    yaml: VALID + NODE + "ssh:\n  bastionHost: '%{ if true }x%{ endif }' #<\n",
    path: "ssh.bastionHost", message: "must be a host name" },
  { kind: "Terraform strings", rule: "node user is a Linux user name, not an interpolation",
    yaml: nodeWith("user: ${var.x}"),
    path: "nodes[0].user", message: "must be a Linux user name" },
  { kind: "Terraform strings", rule: "upstream project is a Harbor name, not an interpolation",
    yaml: upstreamWith("project: ${local.x}"),
    path: "upstreams[0].project", message: "is not a valid Harbor name" },
  { kind: "Terraform strings", rule: "robot name is a Harbor robot name, not an interpolation",
    yaml: robotWith("name: ${path.cwd}"),
    path: "robot.name", message: "robot" },
  { kind: "Terraform strings", rule: "ssh.hostKey is base64, not a directive",
    yaml: VALID + NODE + "ssh:\n  hostKey: 'ssh-ed25519 %{for x in y}' #<\n",
    path: "ssh.hostKey", message: 'must be "<type> <base64 key>"' },
  { kind: "Terraform strings", rule: "harbor.url has a DNS host, not an interpolation",
    yaml: "version: 1\nharbor:\n  url: https://${x}.example.com #<\n" + UPSTREAMS,
    path: "harbor.url", message: "whose host is a DNS name or an IP address" },
  { kind: "Terraform strings", rule: "upstream endpointUrl holds no control character (URL parsing would drop it)",
    yaml: upstreamWith('endpointUrl: "https://mirror.example.com/a\\tb"'),
    path: "upstreams[0].endpointUrl", message: "without spaces or control characters" },
  { kind: "Terraform strings", rule: "a rewrites key is a registry host, not an interpolation",
    yaml: VALID + "rewrites:\n  ${x}: #<\n    - { match: '^a/(.*)$', replace: 'b/$1' }\n",
    path: 'rewrites."${x}"', message: "is not an upstream registry" },

  // Node paths (the files harbor-mirror replaces as root on every node).
  { kind: "node paths", rule: "registriesPath is not a system file",
    yaml: nodeWith("registriesPath: /etc/passwd"),
    path: "nodes[0].registriesPath", message: '"/etc/passwd" is not allowed: node files go under /etc/rancher/rke2/' },
  { kind: "node paths", rule: "registriesPath is not inside the node's staging directory",
    yaml: nodeWith("registriesPath: /tmp/harbor-mirror-n1/registries.yaml"),
    path: "nodes[0].registriesPath", message: "is inside the node's staging directory /tmp/harbor-mirror-n1/" },
  { kind: "node paths", rule: "registriesPath is not a path of the other distribution (rke2)",
    yaml: nodeWith("registriesPath: /etc/rancher/k3s/registries.yaml"),
    path: "nodes[0].registriesPath", message: "is a path of k3s, but the distribution is rke2" },
  { kind: "node paths", rule: "registriesPath is not a path of the other distribution (k3s)",
    yaml: nodeWith("registriesPath: /etc/rancher/rke2/registries.yaml", "distribution: k3s\n"),
    path: "nodes[0].registriesPath", message: "is a path of rke2, but the distribution is k3s" },
  { kind: "node paths", rule: "registriesPath is not the distribution's own config file",
    yaml: nodeWith("registriesPath: /etc/rancher/rke2/config.yaml"),
    path: "nodes[0].registriesPath", message: "is rke2's own file" },
  { kind: "node paths", rule: "registriesPath outside the configuration directory needs extraNodeDirectories",
    yaml: nodeWith("registriesPath: /opt/rke2/registries.yaml"),
    path: "nodes[0].registriesPath", message: "or under a directory declared in extraNodeDirectories" },
  { kind: "node paths", rule: "the CA path and registriesPath differ",
    yaml: HEAD + "  caCertFile: ./ca.pem\n" + UPSTREAMS + "nodes:\n  - name: n1\n    host: 192.0.2.11\n    role: agent\n" +
      "    registriesPath: /etc/rancher/rke2/harbor-ca.pem #<\n",
    path: "nodes[0].registriesPath", message: "is also the CA certificate's path" },
  { kind: "node paths", rule: "caCertNodePath is not a system file",
    yaml: withCa("caCertNodePath: /etc/ssl/certs/ca-certificates.crt") + "nodes:\n  - { name: n1, host: 192.0.2.11, role: agent }\n",
    path: "harbor.caCertNodePath", message: '"/etc/ssl/certs/ca-certificates.crt" is not allowed' },
  { kind: "node paths", rule: "extraNodeDirectories is not a system directory",
    yaml: VALID + NODE + "extraNodeDirectories:\n  - /etc/ #<\n",
    path: "extraNodeDirectories[0]", message: "is inside the system directory /etc/" },
  { kind: "node paths", rule: "extraNodeDirectories is not inside /usr",
    yaml: VALID + NODE + "extraNodeDirectories:\n  - /usr/local/rke2 #<\n",
    path: "extraNodeDirectories[0]", message: "is inside the system directory /usr/" },
  { kind: "node paths", rule: "extraNodeDirectories is not a top-level directory",
    yaml: VALID + NODE + "extraNodeDirectories:\n  - /opt/ #<\n",
    path: "extraNodeDirectories[0]", message: "is a top-level directory" },
  { kind: "node paths", rule: "extraNodeDirectories is absolute",
    yaml: VALID + NODE + "extraNodeDirectories:\n  - opt/rke2 #<\n",
    path: "extraNodeDirectories[0]", message: "expected an absolute directory path" },

  // Variable names: one registry of Terraform variables per stack.
  { kind: "variable names", rule: "accessSecretVar is not the built-in harbor_password",
    yaml: secretVar("harbor_password"),
    path: "upstreams[0].accessSecretVar", message: "is already harbor-mirror's built-in variable for the Harbor admin password" },
  { kind: "variable names", rule: "ssh.privateKeyVar is not the built-in harbor_username",
    yaml: VALID + NODE + "ssh:\n  privateKeyVar: harbor_username #<\n",
    path: "ssh.privateKeyVar", message: "is already harbor-mirror's built-in variable" },
  { kind: "variable names", rule: "robot.secretVar is not the SSH key's variable",
    yaml: VALID + NODE + "access: robot\nrobot:\n  secretVar: ssh_private_key #<\n",
    path: "robot.secretVar", message: "is already named by ssh.privateKeyVar for the nodes' SSH private key" },
  { kind: "variable names", rule: "one variable does not hold an upstream's and the robot's secret",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    accessId: bot\n    accessSecretVar: shared\n" +
      "access: robot\nrobot:\n  secretVar: shared #<\n",
    path: "robot.secretVar", message: "it cannot also hold the pull robot's secret" },
  { kind: "variable names", rule: "a variable is not called count (Terraform reserved)",
    yaml: secretVar("count"), path: "upstreams[0].accessSecretVar", message: "is reserved by Terraform" },
  { kind: "variable names", rule: "a variable is not called depends_on (Terraform reserved)",
    yaml: VALID + NODE + "ssh:\n  privateKeyVar: depends_on #<\n",
    path: "ssh.privateKeyVar", message: "is reserved by Terraform" },
  { kind: "variable names", rule: "a variable is not called for_each (Terraform reserved)",
    yaml: robotWith("secretVar: for_each"), path: "robot.secretVar", message: "is reserved by Terraform" },
  { kind: "variable names", rule: "a GitHub token is not a variable name (never echoed)",
    yaml: secretVar("ghp_R4nd0mT0kenV4lue1234567890abcd"), secret: "ghp_R4nd0mT0kenV4lue1234567890abcd",
    path: "upstreams[0].accessSecretVar", message: "looks like a credential (not shown), not a variable name" },
  { kind: "variable names", rule: "a Docker Hub token is not a variable name (never echoed)",
    yaml: VALID + NODE + "ssh:\n  privateKeyVar: dckr_pat_Zx81kQm2 #<\n", secret: "dckr_pat_Zx81kQm2",
    path: "ssh.privateKeyVar", message: "looks like a credential (not shown)" },
  { kind: "variable names", rule: "a random secret is not a variable name (never echoed)",
    yaml: robotWith("secretVar: Qm9vZ2llV29vZ2llMjAyNnNlY3JldA"), secret: "Qm9vZ2llV29vZ2llMjAyNnNlY3JldA",
    path: "robot.secretVar", message: "looks like a credential (not shown)" },
  { kind: "variable names", rule: "a variable name is an identifier, not an interpolation",
    yaml: secretVar("${var.x}"), path: "upstreams[0].accessSecretVar", message: "must be a Terraform variable name" },

  // Backend and CA: no credential reaches cdk.tf.json, no key reaches the nodes.
  { kind: "backend and CA", rule: "pg connStr holds no password= (libpq key=value form)",
    yaml: backendWith("pg", "  connStr: host=db user=tf password=hunter22 #<\n"), secret: "hunter22",
    path: "backend.connStr", message: "holds a credential in its connection string (not shown)" },
  { kind: "backend and CA", rule: "pg connStr holds no password in its URL query",
    yaml: backendWith("pg", "  connStr: postgres://db.example/state?sslmode=require&password=hunter23 #<\n"), secret: "hunter23",
    path: "backend.connStr", message: "holds a credential in its URL's query (not shown)" },
  { kind: "backend and CA", rule: "no credentials in a nested backend URL",
    yaml: backendWith("s3", "  bucket: state\n  key: hm\n  endpoints:\n    s3: https://minio:s3kr1t@minio.example.com #<\n"), secret: "s3kr1t",
    path: "backend.endpoints.s3", message: "holds credentials in its URL (not shown)" },
  { kind: "backend and CA", rule: "no credentials in a backend list",
    yaml: backendWith("s3", "  bucket: state\n  key: hm\n  sharedConfigFiles:\n    - ./aws.conf\n    - https://u:l1stpw@files.example.com/aws.conf #<\n"), secret: "l1stpw",
    path: "backend.sharedConfigFiles[1]", message: "holds credentials in its URL (not shown)" },
  { kind: "backend and CA", rule: "no sseCustomerKey in the file",
    yaml: backendWith("s3", "  bucket: state\n  key: hm\n  sseCustomerKey: c3NlLWtleQ== #<\n"), secret: "c3NlLWtleQ==",
    path: "backend.sseCustomerKey", message: "looks like a credential" },
  { kind: "backend and CA", rule: "no accessKey in the file",
    yaml: backendWith("s3", "  bucket: state\n  key: hm\n  accessKey: AKIAEXAMPLEKEY123456 #<\n"), secret: "AKIAEXAMPLEKEY123456",
    path: "backend.accessKey", message: "looks like a credential" },
  { kind: "backend and CA", rule: "unknown s3 backend key, with did-you-mean",
    yaml: backendWith("s3", "  bucekt: state #<\n  key: hm\n"),
    path: "backend.bucekt", message: "unknown key `bucekt` for this backend; did you mean `bucket`?" },
  { kind: "backend and CA", rule: "unknown local backend key, with did-you-mean",
    yaml: backendWith("local", "  paht: ./state.tfstate #<\n"),
    path: "backend.paht", message: "did you mean `path`?" },
  { kind: "backend and CA", rule: "unknown nested backend key, with did-you-mean",
    yaml: backendWith("remote", "  organization: acme\n  workspaces:\n    nmae: mirror #<\n"),
    path: "backend.workspaces.nmae", message: "did you mean `name`?" },
  { kind: "backend and CA", rule: "a CA file holds no private key (never echoed)",
    yaml: HEAD + "  caCertFile: ./ca-with-key.pem #<\n" + UPSTREAMS, secret: CA_KEY_MATERIAL,
    path: "harbor.caCertFile", message: "holds a private key (not shown): a CA file must hold certificates only" },
  { kind: "backend and CA", rule: "a CA file holds certificates only",
    yaml: HEAD + "  caCertFile: ./ca-with-request.pem #<\n" + UPSTREAMS,
    path: "harbor.caCertFile", message: "holds a CERTIFICATE REQUEST block" },

  // Ranges.
  { kind: "ranges", rule: "retention cron: second 0–59", yaml: cron("60 0 3 * * *"),
    path: "retention.schedule", message: 'invalid cron field "60" (second: 0–59' },
  { kind: "ranges", rule: "retention cron: hour 0–23", yaml: cron("0 0 24 * * *"),
    path: "retention.schedule", message: 'invalid cron field "24" (hour: 0–23' },
  { kind: "ranges", rule: "retention cron: day of month 1–31", yaml: cron("0 0 3 0 * *"),
    path: "retention.schedule", message: 'invalid cron field "0" (day of month: 1–31' },
  { kind: "ranges", rule: "retention cron: month 1–12", yaml: cron("0 0 3 * 13 *"),
    path: "retention.schedule", message: 'invalid cron field "13" (month: 1–12' },
  { kind: "ranges", rule: "retention cron: day of week 0–6", yaml: cron("0 0 3 * * 7"),
    path: "retention.schedule", message: 'invalid cron field "7" (day of week: 0–6' },
  { kind: "ranges", rule: "retention cron: a range runs upwards", yaml: cron("0 0 5-3 * * *"),
    path: "retention.schedule", message: 'invalid cron field "5-3"' },
  { kind: "ranges", rule: "retention cron: a step is at least 1", yaml: cron("*/0 * * * * *"),
    path: "retention.schedule", message: 'invalid cron field "*/0"' },
  { kind: "ranges", rule: "retention days: at most 36500",
    yaml: VALID + "retention:\n  daysSinceLastPull: 36501 #<\n",
    path: "retention.daysSinceLastPull", message: "daysSinceLastPull 36501 is not allowed: expected a whole number of days from 1 to 36500" },
  { kind: "ranges", rule: "retention days: a whole number",
    yaml: VALID + "retention:\n  daysSinceLastPull: 1.5 #<\n",
    path: "retention.daysSinceLastPull", message: "must be an integer (written without quotes); got 1.5" },
  { kind: "ranges", rule: "storage quota: no fraction to round",
    yaml: upstreamWith("storageQuotaGiB: 2.5"),
    path: "upstreams[0].storageQuotaGiB", message: "must be an integer (written without quotes); got 2.5" },
  { kind: "ranges", rule: "storage quota: GiB × 2^30 fits Harbor's 64-bit byte count",
    yaml: upstreamWith("storageQuotaGiB: 8589934592"),
    path: "upstreams[0].storageQuotaGiB", message: "8589934592 is not allowed: expected -1 (unlimited) or a whole number of GiB from 1 to 8589934591" },
  { kind: "ranges", rule: "storage quota: no integer beyond 2^53 (YAML rounds it)",
    yaml: upstreamWith("storageQuotaGiB: 9007199254740993"),
    path: "upstreams[0].storageQuotaGiB", message: "(beyond, the number read is not the number written)" },
  { kind: "ranges", rule: "proxy speed: no fraction to round",
    yaml: upstreamWith("proxySpeedKb: 0.5"),
    path: "upstreams[0].proxySpeedKb", message: "must be an integer (written without quotes); got 0.5" },
  { kind: "ranges", rule: "node port: not 0",
    yaml: nodeWith("port: 0"), path: "nodes[0].port", message: "0 is not allowed: expected a TCP port from 1 to 65535" },
  { kind: "ranges", rule: "ssh.bastionPort: not 0",
    yaml: VALID + NODE + "ssh:\n  bastionHost: 198.51.100.5\n  bastionPort: 0 #<\n",
    path: "ssh.bastionPort", message: "0 is not allowed: expected a TCP port from 1 to 65535" },
  { kind: "ranges", rule: "harbor.url: no port 0",
    yaml: "version: 1\nharbor:\n  url: https://harbor.example.com:0 #<\n" + UPSTREAMS,
    path: "harbor.url", message: "with a port from 1 to 65535" },
  { kind: "ranges", rule: "upstream endpointUrl: no port 0",
    yaml: upstreamWith("endpointUrl: https://mirror.example.com:0/v2"),
    path: "upstreams[0].endpointUrl", message: "with a port from 1 to 65535" },
  { kind: "ranges", rule: "upstream registry: no port 0",
    yaml: HEAD + "upstreams:\n  - registry: registry.example.com:0 #<\n",
    path: "upstreams[0].registry", message: "the port must be 1–65535" },
  { kind: "ranges", rule: "node name: fits a directory name",
    yaml: VALID + `nodes:\n  - name: ${"n".repeat(242)} #<\n    host: 192.0.2.11\n    role: agent\n`,
    path: "nodes[0].name", message: "node name of 242 characters is too long: at most 241" },
  { kind: "ranges", rule: "node host: a DNS label has at most 63 characters",
    yaml: VALID + `nodes:\n  - name: n1\n    host: ${"a".repeat(64)}.example.com #<\n    role: agent\n`,
    path: "nodes[0].host", message: "at most 63 characters each" },
  { kind: "ranges", rule: "node host: a label does not start with a hyphen",
    yaml: VALID + "nodes:\n  - name: n1\n    host: -node.example.com #<\n    role: agent\n",
    path: "nodes[0].host", message: "must be a host name" },
  { kind: "ranges", rule: "node host: no empty label",
    yaml: VALID + "nodes:\n  - name: n1\n    host: node..example.com #<\n    role: agent\n",
    path: "nodes[0].host", message: "must be a host name" },
  // Secrets in messages: an error may quote what was written, but the credentials of any URL in it
  // are redacted (registries/redact.ts) by every command that prints it.
  { kind: "secrets in messages", rule: "harbor.url with user:password is named redacted", code: "harbor-url-invalid",
    yaml: "version: 1\nharbor:\n  url: https://admin:CANARY-hu1@harbor.example.com #<\n" + UPSTREAMS,
    path: "harbor.url", message: '"https://***@harbor.example.com" must be an absolute https or http URL without user:password',
    secret: "CANARY-hu1" },
  { kind: "secrets in messages", rule: "an upstream endpointUrl with a token in its query is named redacted", code: "upstream-endpoint-url-invalid",
    yaml: upstreamWith("endpointUrl: https://mirror.example.com/v2?token=CANARY-q2"),
    path: "upstreams[0].endpointUrl", message: '"https://mirror.example.com/v2?token=***" must be an absolute https or http URL without query',
    secret: "CANARY-q2" },
  { kind: "secrets in messages", rule: "a signed URL where a boolean belongs is named redacted", code: "config-wrong-type",
    yaml: HEAD + "  insecureApi: https://b.example.com/o?X-Amz-Signature=CANARY-s3 #<\n" + UPSTREAMS,
    path: "harbor.insecureApi", message: 'must be true or false; got "https://b.example.com/o?X-Amz-Signature=***"',
    secret: "CANARY-s3" },
  { kind: "secrets in messages", rule: "a URL with credentials as a rewrite key is named redacted in the key path", code: "rewrites-unknown-registry",
    yaml: VALID + "rewrites:\n  https://u:CANARY-k4@docker.io: #<\n    - { match: '^a/(.*)$', replace: 'b/$1' }\n",
    path: 'rewrites."https://***@docker.io"', message: "is not an upstream registry",
    secret: "CANARY-k4" },
  { kind: "secrets in messages", rule: "a URL with credentials as an upstream registry is named redacted", code: "upstream-registry-invalid",
    yaml: HEAD + "upstreams:\n  - registry: https://u:CANARY-r5@quay.io #<\n",
    path: "upstreams[0].registry", message: "\"https://***@quay.io\" is not a registry host",
    secret: "CANARY-r5" },
];

// ---------------------------------------------------------------------------------------------
// registries.yaml: the errors of docs/registries.md#what-harbor-mirror-validate-checks, in that order.
// ---------------------------------------------------------------------------------------------

export function yaml(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

export interface RegistriesRuleCase {
  readonly name: string;
  readonly text: string;
  readonly path: string;
  readonly line: number;
  /** Code of the rule the diagnostic reports (`Diagnostic.code`). */
  readonly code: string;
  readonly message: RegExp;
  /** Text of the input that no output may show (a credential). */
  readonly secret?: string;
  readonly kind?: ValueRuleKind;
  /** How the text is written to the file: `latin1` writes bytes that are not UTF-8. @default "utf8" */
  readonly encoding?: "latin1";
}

export function mirrorWithEndpoint(endpoint: string): string {
  return yaml("mirrors:", "  docker.io:", "    endpoint:", `      - ${JSON.stringify(endpoint)}`);
}

export function mirrorWithRule(pattern: string, replacement: string): string {
  return yaml(
    "mirrors:",
    "  docker.io:",
    '    endpoint: ["https://harbor.example.com"]',
    "    rewrite:",
    `      ${JSON.stringify(pattern)}: ${JSON.stringify(replacement)}`,
  );
}

export function configWithAuth(host: string, field: string, value: string): string {
  return yaml(
    "configs:",
    `  ${JSON.stringify(host)}:`,
    "    auth:",
    `      ${field}: ${JSON.stringify(value)}`,
  );
}

export const ENDPOINT_0 = 'mirrors."docker.io".endpoint[0]';
export const RULE_PATH = (pattern: string) => `mirrors."docker.io".rewrite.${JSON.stringify(pattern)}`;

export const INVALID_REGISTRIES_CASES: readonly RegistriesRuleCase[] = [
  // The bounds of every YAML file (registries/yaml-limits.ts); yaml.v2 refuses each of them too.
  {
    name: "YAML: the file is UTF-8 (a Latin-1 é is not)",
    text: yaml("mirrors:", "  docker.io:", '    endpoint: ["https://h\u00e9.example.com"]'),
    encoding: "latin1",
    path: "(file)",
    line: 3,
    code: "file-invalid-utf8",
    message: /is not valid UTF-8 \(byte 0xe9/,
    kind: "YAML limits",
  },
  {
    name: "YAML: aliases that expand beyond the limit (billion laughs)",
    text: yaml(
      "mirrors: {}",
      "a: &a [x,x,x,x,x,x,x,x,x,x]",
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]",
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      "d: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]",
    ),
    path: "(yaml)",
    line: 3,
    code: "yaml-alias-expansion",
    message: /aliases expand to too many values/,
    kind: "YAML limits",
  },
  {
    name: "YAML: an alias without its anchor",
    text: yaml("mirrors:", "  docker.io: *missing"),
    path: "(yaml)",
    line: 2,
    code: "yaml-undefined-alias",
    message: /the alias \*missing names no anchor defined before it/,
    kind: "YAML limits",
  },
  {
    name: "YAML: an alias inside the value it refers to",
    text: yaml("mirrors: &m", "  docker.io:", "    <<: *m"),
    path: "(yaml)",
    line: 3,
    code: "yaml-recursive-alias",
    message: /the alias \*m is inside the value it refers to/,
    kind: "YAML limits",
  },
  {
    name: "YAML: nesting is bounded",
    text: yaml("mirrors:", "  docker.io:", `    rewrite: ${"[".repeat(40)}${"]".repeat(40)}`),
    path: "(yaml)",
    line: 3,
    code: "yaml-too-deep",
    message: /nests deeper than 32 levels/,
    kind: "YAML limits",
  },
  {
    name: "top level is not a mapping",
    text: "- docker.io\n",
    path: "(top level)",
    line: 1,
    code: "registries-not-a-mapping",
    message: /must be a mapping/,
  },
  {
    name: "unknown key (endpoints)",
    text: yaml("mirrors:", "  docker.io:", "    endpoints: []"),
    path: 'mirrors."docker.io".endpoints',
    line: 3,
    code: "registries-unknown-key",
    message: /unknown key/,
  },
  {
    name: "unknown key (token)",
    text: configWithAuth("h.io", "token", "x"),
    path: 'configs."h.io".auth.token',
    line: 4,
    code: "registries-unknown-key",
    message: /identity_token/,
  },
  {
    name: "unknown key (identitytoken)",
    text: configWithAuth("h.io", "identitytoken", "x"),
    path: 'configs."h.io".auth.identitytoken',
    line: 4,
    code: "registries-unknown-key",
    message: /identity_token/,
  },
  {
    name: "endpoint is not a list",
    text: yaml("mirrors:", "  docker.io:", '    endpoint: "https://h"'),
    path: 'mirrors."docker.io".endpoint',
    line: 3,
    code: "registries-endpoint-not-list",
    message: /sequence of URL strings/,
  },
  {
    name: "endpoint with an empty host",
    text: mirrorWithEndpoint("https://"),
    path: ENDPOINT_0,
    line: 4,
    code: "registries-endpoint-shape",
    message: /host is empty/,
  },
  {
    name: "endpoint with an empty host (path only)",
    text: mirrorWithEndpoint("/v2"),
    path: ENDPOINT_0,
    line: 4,
    code: "registries-endpoint-shape",
    message: /host is empty/,
  },
  {
    name: "endpoint with userinfo",
    text: mirrorWithEndpoint("https://user:CANARY-pw1@harbor.example.com"),
    path: ENDPOINT_0,
    line: 4,
    code: "registries-endpoint-shape",
    message: /endpoint "https:\/\/\*\*\*@harbor\.example\.com": userinfo/,
    secret: "CANARY-pw1",
    kind: "secrets in messages",
  },
  {
    name: "endpoint with userinfo and no scheme",
    text: mirrorWithEndpoint("user:CANARY-pw2@harbor.example.com"),
    path: ENDPOINT_0,
    line: 4,
    code: "registries-endpoint-shape",
    message: /endpoint "\*\*\*@harbor\.example\.com": userinfo/,
    secret: "CANARY-pw2",
    kind: "secrets in messages",
  },
  {
    name: "endpoint with a token in its query",
    text: mirrorWithEndpoint("https://harbor.example.com/v2?token=CANARY-q3"),
    path: ENDPOINT_0,
    line: 4,
    code: "registries-endpoint-shape",
    message: /endpoint "https:\/\/harbor\.example\.com\/v2\?token=\*\*\*": a query/,
    secret: "CANARY-q3",
    kind: "secrets in messages",
  },
  {
    name: "endpoint with userinfo written as a string, not a list (resolve refuses it too)",
    text: yaml("mirrors:", "  docker.io:", '    endpoint: "https://u:CANARY-pw4@harbor.example.com"'),
    path: 'mirrors."docker.io".endpoint',
    line: 3,
    code: "registries-endpoint-not-list",
    message: /got a quoted string "https:\/\/\*\*\*@harbor\.example\.com"/,
    secret: "CANARY-pw4",
    kind: "secrets in messages",
  },
  {
    name: "endpoint with a query",
    text: mirrorWithEndpoint("https://harbor.example.com?ns=x"),
    path: ENDPOINT_0,
    line: 4,
    code: "registries-endpoint-shape",
    message: /query/,
  },
  {
    name: "endpoint with a fragment",
    text: mirrorWithEndpoint("https://harbor.example.com#x"),
    path: ENDPOINT_0,
    line: 4,
    code: "registries-endpoint-shape",
    message: /fragment/,
  },
  {
    name: "endpoint with scheme other than http(s)",
    text: mirrorWithEndpoint("oci://harbor.example.com"),
    path: ENDPOINT_0,
    line: 4,
    code: "registries-endpoint-shape",
    message: /scheme "oci"/,
  },
  {
    name: "endpoint that Go's url.Parse rejects",
    text: mirrorWithEndpoint("harbor.example.com:https"),
    path: ENDPOINT_0,
    line: 4,
    code: "registries-endpoint-invalid-url",
    message: /invalid port/,
  },
  {
    name: "mirror key with a scheme",
    text: yaml("mirrors:", '  "https://docker.io": {}'),
    path: 'mirrors."https://docker.io"',
    line: 2,
    code: "registries-key-not-host",
    message: /bare host\[:port\]/,
  },
  {
    name: "mirror key with a scheme and userinfo (named redacted in the key path)",
    text: yaml("mirrors:", '  "https://u:CANARY-k5@docker.io": {}'),
    path: 'mirrors."https://***@docker.io"',
    line: 2,
    code: "registries-key-not-host",
    message: /bare host\[:port\]/,
    secret: "CANARY-k5",
    kind: "secrets in messages",
  },
  {
    name: "config key with a path",
    text: yaml("configs:", '  "harbor.example.com/proxy":', "    tls: {}"),
    path: 'configs."harbor.example.com/proxy"',
    line: 2,
    code: "registries-key-not-host",
    message: /bare host\[:port\]/,
  },
  {
    name: "pattern with lookahead is not RE2",
    text: mirrorWithRule("^(?!x)(.*)", "p/$1"),
    path: RULE_PATH("^(?!x)(.*)"),
    line: 5,
    code: "registries-pattern-invalid",
    message: /not valid RE2/,
  },
  {
    name: "pattern with an invalid repeat count",
    text: mirrorWithRule("^a{1001}", "b"),
    path: RULE_PATH("^a{1001}"),
    line: 5,
    code: "registries-pattern-invalid",
    message: /not valid RE2/,
  },
  {
    name: "pattern with (?< (Go < 1.22, lookbehind)",
    text: mirrorWithRule("^(?<rest>.*)$", "p/${rest}"),
    path: RULE_PATH("^(?<rest>.*)$"),
    line: 5,
    code: "registries-pattern-lookbehind",
    message: /\(\?P<name>/,
  },
  {
    name: "backslash in a pattern",
    text: mirrorWithRule("^docker\\.io/(.*)", "p/$1"),
    path: RULE_PATH("^docker\\.io/(.*)"),
    line: 5,
    code: "registries-hosts-toml-hazard",
    message: /backslash.*hosts\.toml.*bypasses the mirror.*\[\.\]/,
  },
  {
    name: "backreference (backslash) in a pattern",
    text: mirrorWithRule("^(a)\\1", "b"),
    path: RULE_PATH("^(a)\\1"),
    line: 5,
    code: "registries-hosts-toml-hazard",
    message: /backslash/,
  },
  {
    name: "backslash in a replacement",
    text: mirrorWithRule("^(.*)$", "p\\$1"),
    path: RULE_PATH("^(.*)$"),
    line: 5,
    code: "registries-hosts-toml-hazard",
    message: /replacement.*backslash/,
  },
  {
    name: "escaped backslash in a pattern (hosts.toml decodes it to one)",
    text: mirrorWithRule("^a\\\\.b/(.*)", "p/$1"),
    path: RULE_PATH("^a\\\\.b/(.*)"),
    line: 5,
    code: "registries-hosts-toml-hazard",
    message: /backslash.*hosts\.toml, where containerd decodes it to "\^a\\\\\.b\/\(\.\*\)" before compiling/,
  },
  {
    name: "raw newline in a replacement",
    text: mirrorWithRule("^(.*)$", "p/\n$1"),
    path: RULE_PATH("^(.*)$"),
    line: 5,
    code: "registries-hosts-toml-hazard",
    message: /replacement.*control character \(U\+000A\).*no longer parses/,
  },
  {
    name: "double quote in a pattern",
    text: mirrorWithRule('^a"b', "c"),
    path: RULE_PATH('^a"b'),
    line: 5,
    code: "registries-hosts-toml-hazard",
    message: /double quote/,
  },
  {
    name: "double quote in a replacement",
    text: mirrorWithRule("^(.*)$", 'p"/$1'),
    path: RULE_PATH("^(.*)$"),
    line: 5,
    code: "registries-hosts-toml-hazard",
    message: /replacement.*double quote/,
  },
  {
    name: "insecure_skip_verify that is not a boolean",
    text: yaml("configs:", "  h.io:", "    tls:", "      insecure_skip_verify: 'yes'"),
    path: 'configs."h.io".tls.insecure_skip_verify',
    line: 4,
    code: "registries-not-a-boolean",
    message: /boolean/,
  },
  {
    name: "auth that is not base64",
    text: configWithAuth("h.io", "auth", "user:password"),
    path: 'configs."h.io".auth.auth',
    line: 4,
    code: "registries-auth-not-base64",
    message: /not valid base64/,
  },
  {
    name: "auth that is base64 without user:pass",
    text: configWithAuth("h.io", "auth", Buffer.from("useronly").toString("base64")),
    path: 'configs."h.io".auth.auth',
    line: 4,
    code: "registries-auth-not-base64",
    message: /without a ':'/,
  },
  {
    name: 'configs."*".auth',
    text: configWithAuth("*", "username", "u"),
    path: 'configs."*".auth',
    line: 3,
    code: "registries-wildcard-auth",
    message: /not supported/,
  },
];

// ---------------------------------------------------------------------------------------------
// Both tables as one list, for the proof suite and the generated page.
// ---------------------------------------------------------------------------------------------

export type BadInputFile = "harbor-mirror.yaml" | "registries.yaml";

export interface BadInput {
  readonly file: BadInputFile;
  /** The rule the input breaks, citing its spec section. */
  readonly name: string;
  readonly text: string;
  readonly path: string;
  readonly line: number;
  readonly message: string | RegExp;
  /** Code the diagnostic must carry (registries.yaml cases name one). */
  readonly code?: string;
  /** Text of the input no output may show. */
  readonly secret?: string;
  readonly kind?: ValueRuleKind;
  /** How the text is written to the file (`latin1`: bytes that are not UTF-8). @default "utf8" */
  readonly encoding?: "latin1";
}

/** Writes the input to `file` as the user's file holds it (bytes that are not UTF-8 included). */
export function writeBadInput(input: BadInput, file: string): void {
  writeFileSync(file, Buffer.from(input.text, input.encoding ?? "utf8"));
}

export const BAD_INPUTS: readonly BadInput[] = [
  ...[...INVALID_CONFIG_CASES, ...VALUE_RULE_CASES].map((item): BadInput => ({
    file: "harbor-mirror.yaml",
    name: item.rule,
    text: item.yaml,
    path: item.path,
    line: markedLine(item.yaml),
    message: item.message,
    secret: item.secret,
    kind: item.kind,
    code: item.code,
    encoding: item.encoding,
  })),
  ...INVALID_REGISTRIES_CASES.map((item): BadInput => ({ file: "registries.yaml", ...item })),
];
