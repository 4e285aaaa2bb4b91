/**
 * THE description of `harbor-mirror.yaml` version 1 (contract: shared spec config.md). Every key is
 * declared once here; validation (config/load.ts), the typed result and the reference
 * (config/reference.ts → docs/configuration.md) are all derived from it.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { defaultRegistriesPath, DISTRIBUTIONS, NODE_ROLES, type Distribution } from "../delivery/nodes";
import { projectNameProblem, robotNameProblem } from "../harbor/naming";
import { urlShapeProblem } from "../harbor/url";
import {
  defaultProjectName,
  defaultUpstream,
  PROXY_CACHE_PROVIDER_TYPES,
  registryHostProblem,
  upstreamWarnings,
} from "../harbor/upstreams";
import {
  caBundleProblem,
  hostProblem,
  isRemotePath,
  nodeNameProblem,
  REMOTE_PATH_RULE,
} from "../delivery/checks";
import { backendProblems } from "../delivery/terraform-backend";
import { checkNodeFiles, EXTRA_DIRECTORIES_KEY, extraDirectoryProblem } from "../delivery/node-paths";
import {
  checkVariableUses,
  VARIABLE_ROLES,
  variableNameProblem,
  type VariableUse,
} from "../delivery/terraform-variables";
import {
  proxySpeedProblem,
  retentionWarnings,
  storageQuotaProblem,
  storageQuotaWarnings,
} from "../harbor/limits";
import { RETENTION_DAYS_MAX, retentionScheduleProblem as scheduleProblem } from "../harbor/retention";
import { hostsTomlHazard } from "../registries/hosts-toml";
import { compileRewritePattern } from "../registries/rewrite";
import {
  boolean,
  defaultEmpty,
  derived,
  integer,
  list,
  listWords,
  map,
  object,
  oneOf,
  openObject,
  optional,
  required,
  text,
  uniqueBy,
  withDefault,
  type Decoded,
  type KeyPath,
  type ObjectOf,
  type Rule,
} from "./schema-kit";

export const ACCESS_MODES = ["public", "robot"] as const;
export const ROLLOUT_STRATEGIES = ["rolling", "parallel"] as const;
export const BACKEND_TYPES = ["local", "s3", "pg", "remote"] as const;

/** Where credentials go instead of this file (named in the error for a credential-like key). */
export const CREDENTIAL_SOURCES =
  "Harbor admin credentials come from TF_VAR_harbor_username / TF_VAR_harbor_password " +
  "(or the provider's HARBOR_USERNAME / HARBOR_PASSWORD), an upstream's secret from the sensitive " +
  "Terraform variable named by upstreams[].accessSecretVar, the SSH key from the variable named by " +
  "ssh.privateKeyVar";

// Compared without case, `_` and `-`: `private_key`, `PrivateKey` and `privateKey` are one word.
export const CREDENTIAL_WORDS = [
  "password",
  "passwd",
  "username",
  "token",
  "secret",
  "privatekey",
  "accesskey",
  "customerkey",
];

/** A key the schema does not declare that looks like a credential: secrets never go in this file. */
export function credentialKeyProblem(key: string): string | undefined {
  const word = key.toLowerCase().replace(/[-_]/g, "");
  if (!CREDENTIAL_WORDS.some((credential) => word.includes(credential))) return undefined;
  return `\`${key}\` looks like a credential, and secrets never go in harbor-mirror.yaml: ${CREDENTIAL_SOURCES}`;
}

// ---------------------------------------------------------------------------------------------
// Value rules

/** `https://harbor.example.com/` → `https://harbor.example.com`. */
function withoutTrailingSlash(value: string): string {
  return value.replace(/\/+$/, "");
}

function caCertFileProblem(value: string, baseDir: string): string | undefined {
  const file = resolve(baseDir, value);
  if (!existsSync(file) || !statSync(file).isFile()) return `must name an existing file (looked for ${file})`;
  const problem = caBundleProblem(readFileSync(file, "utf8"));
  return problem && `must be a PEM certificate file: ${file} ${problem}`;
}

// rke2-registries.md §4.8: RKE2/K3s copy rules into hosts.toml inside double quotes, unescaped.
function hostsTomlSafetyProblem(value: string): string | undefined {
  const hazard = hostsTomlHazard(value);
  if (hazard === undefined) return undefined;
  return (
    `contains ${hazard}; rules must not contain a backslash or a double quote, nor a control character: ` +
    "RKE2/K3s write them unescaped into hosts.toml, " +
    'where `\\` becomes a TOML escape (the file is ignored or the regex silently changes) and `"` breaks it ' +
    "(rke2-registries.md §4.8); write literal characters as a class instead, e.g. `[.]` for `\\.`, `[0-9]` for `\\d`"
  );
}

function rewritePatternProblem(value: string): string | undefined {
  const unsafe = hostsTomlSafetyProblem(value);
  if (unsafe) return unsafe;
  const compiled = compileRewritePattern(value);
  return compiled.ok ? undefined : `must be an RE2 (Go regexp) pattern: ${compiled.error}`;
}

const SSH_KEY_TYPES = [
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
];

function hostKeyProblem(value: string): string | undefined {
  const [type, key, ...rest] = value.split(" ");
  const valid = SSH_KEY_TYPES.includes(type) && /^[A-Za-z0-9+/]+={0,2}$/.test(key ?? "") && rest.length === 0;
  return valid
    ? undefined
    : `must be "<type> <base64 key>" as ssh-keyscan prints it (without the host name); types: ${listWords(SSH_KEY_TYPES)}`;
}

function linuxUserProblem(value: string): string | undefined {
  return /^[a-z_][a-z0-9_-]*$/.test(value) ? undefined : "must be a Linux user name ([a-z_][a-z0-9_-]*)";
}

const port = () => integer({ min: 1, max: 65535 });
const host = () => text("host name or IP", hostProblem);
const nodePath = () =>
  text("absolute path", (value) => (isRemotePath(value) ? undefined : `must be ${REMOTE_PATH_RULE}`));

// ---------------------------------------------------------------------------------------------
// Keys

const harbor = object(
  {
    url: required(
      text("https URL", (value) => urlShapeProblem(value, { root: true }), withoutTrailingSlash),
      {
        doc: "Harbor's external URL, the mirror endpoint on nodes (no path; http only with allowHttp).",
        example: "https://harbor.kingsd.top",
      },
    ),
    allowHttp: withDefault(boolean(), false, {
      doc: "Permit an http:// url: pulls and the Harbor API then travel unencrypted.",
      example: "false",
    }),
    insecureApi: withDefault(boolean(), false, {
      doc: "The Terraform provider talks to Harbor without verifying its TLS certificate.",
      example: "false",
    }),
    caCertFile: optional(
      text(
        "path to a PEM file",
        (value, context) => caCertFileProblem(value, context.options.baseDir),
        (value, context) => resolve(context.options.baseDir, value),
      ),
      {
        doc:
          "Local PEM CA certificate of Harbor, relative to this file's directory; delivered to every node " +
          "and referenced as `configs.<harbor host>.tls.ca_file`. Loaded as an absolute path.",
        example: "./certs/harbor-ca.pem",
      },
    ),
    caCertNodePath: derived(
      nodePath(),
      "`/etc/rancher/<distribution>/harbor-ca.pem` when caCertFile is set",
      (siblings, root) =>
        siblings.caCertFile === undefined || root.distribution === undefined
          ? undefined
          : `/etc/rancher/${root.distribution as Distribution}/harbor-ca.pem`,
      {
        doc: "Where the CA certificate is written on each node.",
        example: "/etc/rancher/rke2/harbor-ca.pem",
      },
    ),
  },
  {
    rules: [
      {
        severity: "error",
        code: "harbor-url-http-not-allowed",
        doc: "`url` may use http:// only with `allowHttp: true`.",
        check(value, report) {
          if (value.url.startsWith("http:") && !value.allowHttp) {
            report(
              ["url"],
              `${JSON.stringify(value.url)} uses http://; use https:// or set harbor.allowHttp: true`,
            );
          }
        },
      },
      {
        severity: "warning",
        code: "harbor-allow-http",
        doc: "`allowHttp: true`: pulls and API calls may travel unencrypted.",
        check(value, report) {
          if (value.allowHttp)
            report(["allowHttp"], "is true: image pulls and Harbor API calls may travel unencrypted");
        },
      },
      {
        severity: "warning",
        code: "harbor-insecure-api",
        doc: "`insecureApi: true`: the Harbor API certificate is not verified.",
        check(value, report) {
          if (value.insecureApi) {
            report(
              ["insecureApi"],
              "is true: Terraform will not verify Harbor's certificate (admin credentials exposed to a man in the middle)",
            );
          }
        },
      },
    ],
  },
);

const retention = object({
  daysSinceLastPull: withDefault(integer({ min: 1, max: RETENTION_DAYS_MAX }), 7, {
    doc: "Keep artifacts pulled within the last N days (Harbor's own proxy-project default is 7).",
    example: "30",
  }),
  schedule: withDefault(text("`Hourly` | `Daily` | `Weekly` | 6-field cron", scheduleProblem), "Daily", {
    doc: "When retention runs: Hourly, Daily, Weekly or a 6-field cron expression (seconds first).",
    example: "Daily",
  }),
});

const upstreamAccessPair: Rule<{ readonly accessId?: string; readonly accessSecretVar?: string }> = {
  severity: "error",
  code: "upstream-access-pair",
  doc: "`accessId` and `accessSecretVar` are given together or not at all.",
  check(value, report) {
    if (value.accessId !== undefined && value.accessSecretVar === undefined) {
      report(
        ["accessSecretVar"],
        "is required when accessId is set: name the sensitive Terraform variable holding the secret",
      );
    }
    if (value.accessSecretVar !== undefined && value.accessId === undefined) {
      report(["accessId"], "is required when accessSecretVar is set: the upstream user name or key ID");
    }
  },
};

const registryOf = (siblings: Readonly<Record<string, unknown>>) => siblings.registry as string;

const upstream = object(
  {
    registry: required(text("host[:port], lowercase", registryHostProblem), {
      doc: "Registry host as it appears in image names.",
      example: "docker.io",
    }),
    project: derived(
      text("Harbor project name", projectNameProblem),
      "the registry host without port",
      (siblings) => defaultProjectName(registryOf(siblings)),
      {
        doc: "Harbor proxy-cache project name (lower case, digits, single `._-` separators; renaming recreates it).",
        example: "docker.io",
      },
    ),
    provider: derived(
      oneOf(PROXY_CACHE_PROVIDER_TYPES),
      "by registry host (table below)",
      (siblings) => defaultUpstream(registryOf(siblings)).provider,
      { doc: "Harbor provider type of the upstream endpoint.", example: "docker-hub" },
    ),
    endpointUrl: derived(
      text("http(s) URL", (value) => urlShapeProblem(value, { root: false }), withoutTrailingSlash),
      "by registry host (table below)",
      (siblings) => defaultUpstream(registryOf(siblings)).endpointUrl,
      { doc: "URL Harbor pulls from.", example: "https://hub.docker.com" },
    ),
    accessId: optional(text("string"), {
      doc: "Upstream user name or key ID (not a secret).",
      example: "mirror-bot",
    }),
    accessSecretVar: optional(text("Terraform variable name", variableNameProblem), {
      doc: "Name of the sensitive Terraform variable holding the upstream secret.",
      example: "dockerhub_token",
    }),
    storageQuotaGiB: withDefault(
      integer({ type: "integer, -1 or 1–8589934591", check: storageQuotaProblem }),
      -1,
      { doc: "Storage quota of the proxy project in GiB; -1 = unlimited.", example: "100" },
    ),
    proxySpeedKb: withDefault(integer({ type: "integer, -1 or ≥ 1", check: proxySpeedProblem }), -1, {
      doc: "Bandwidth limit towards the upstream in KB/s; -1 = unlimited.",
      example: "10240",
    }),
    localOnNotFound: withDefault(boolean(), false, {
      doc: "Serve the cached copy when the upstream deleted the image (Harbor 2.15.1 or later).",
      example: "true",
    }),
  },
  { rules: [upstreamAccessPair] },
);

type Upstream = Decoded<typeof upstream>;

const replaceOrKeep: Rule<{ readonly replace?: string; readonly keep?: boolean }> = {
  severity: "error",
  code: "rewrite-target-missing",
  doc: "Each rule has either `replace` or `keep: true`.",
  check(value, report) {
    if (value.replace !== undefined && value.keep !== undefined) {
      report(
        ["keep"],
        "is set together with replace: a rule either rewrites (replace) or keeps the repository (keep: true)",
      );
    } else if (value.replace === undefined && value.keep !== true) {
      report(
        ["replace"],
        "is required (or keep: true, to pass the repositories this rule matches to Harbor unchanged)",
      );
    }
  },
};

const rewriteRule = object(
  {
    match: required(text("RE2 pattern", rewritePatternProblem), {
      doc: 'RE2 pattern on the repository path (no host, no tag); no `\\` or `"` (write `[.]`). Rule language: docs/rewrite-rules.md.',
      example: '"^ksd-test/(.*)$"',
    }),
    replace: optional(text("Go template", hostsTomlSafetyProblem), {
      doc: 'Replacement, Go template syntax: `$1`, `${1}`, `$name`, `$$`; no `\\` or `"`. Required unless keep is true.',
      example: '"production/$1"',
    }),
    keep: optional(boolean(), {
      doc: "`true`: repositories this rule matches reach Harbor as written (e.g. project `team-a`), and later rules, the proxy-cache rule included, never see them.",
      example: "true",
    }),
  },
  { rules: [replaceOrKeep] },
);

const plainProject = object({
  name: required(text("Harbor project name", projectNameProblem), {
    doc: "Harbor project to create (not a proxy cache), e.g. a rewrite target; the robot of `access: robot` may pull from it.",
    example: "production",
  }),
});

const node = object({
  name: required(text("`[a-z0-9][a-z0-9._-]*`", nodeNameProblem), {
    doc: "The node's stable identity; unique.",
    example: "server-1",
  }),
  host: required(host(), { doc: "Address harbor-mirror connects to over SSH.", example: "192.0.2.11" }),
  role: required(oneOf(NODE_ROLES), {
    doc: "server (control plane, restarted one at a time) or agent.",
    example: "server",
  }),
  user: withDefault(text("Linux user name", linuxUserProblem), "root", {
    doc: "SSH user; other than root, sudo is used on the node.",
    example: "root",
  }),
  port: withDefault(port(), 22, { doc: "SSH port.", example: "22" }),
  registriesPath: derived(
    nodePath(),
    "`/etc/rancher/<distribution>/registries.yaml`",
    (_, root) =>
      root.distribution === undefined ? undefined : defaultRegistriesPath(root.distribution as Distribution),
    { doc: "Where registries.yaml is written on the node.", example: "/etc/rancher/rke2/registries.yaml" },
  ),
});

type NodeEntry = Decoded<typeof node>;

const ssh = object(
  {
    privateKeyVar: withDefault(text("Terraform variable name", variableNameProblem), "ssh_private_key", {
      doc: "Sensitive Terraform variable holding the SSH private key.",
      example: "ssh_private_key",
    }),
    bastionHost: optional(host(), { doc: "Jump host for reaching the nodes.", example: "198.51.100.5" }),
    bastionUser: optional(text("Linux user name", linuxUserProblem), {
      doc: "User on the jump host (needs bastionHost).",
      example: "jump",
    }),
    bastionPort: optional(port(), { doc: "SSH port of the jump host (needs bastionHost).", example: "22" }),
    hostKey: optional(text("SSH public host key", hostKeyProblem), {
      doc: "Pins the nodes' SSH host key (`<type> <base64>`).",
      example: '"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI…"',
    }),
  },
  {
    rules: [
      {
        severity: "error",
        code: "ssh-bastion-settings-need-host",
        doc: "`bastionUser` and `bastionPort` need `bastionHost`.",
        check(value, report) {
          for (const key of ["bastionUser", "bastionPort"] as const) {
            if (value[key] !== undefined && value.bastionHost === undefined)
              report([key], "needs ssh.bastionHost");
          }
        },
      },
    ],
  },
);

const rollout = object({
  strategy: withDefault(oneOf(ROLLOUT_STRATEGIES), "rolling", {
    doc: "rolling: step by step, servers one at a time; parallel: every node at once.",
    example: "rolling",
  }),
  batchSize: withDefault(integer({ min: 1 }), 1, {
    doc: "Agents restarted per step of a rolling rollout.",
    example: "1",
  }),
});

const backend = openObject(
  {
    type: withDefault(oneOf(BACKEND_TYPES), "local", {
      doc: "cdktf backend holding the Terraform state.",
      example: "s3",
    }),
  },
  {
    into: "options",
    doc: "Every other key is passed as-is to that backend's cdktf props (e.g. `bucket`, `key`).",
  },
);

const robot = object({
  name: withDefault(text("robot name", robotNameProblem), "harbor-mirror-pull", {
    doc: "Short name of the robot (Harbor prefixes it, e.g. `robot$harbor-mirror-pull`).",
    example: "harbor-mirror-pull",
  }),
  secretVar: optional(text("Terraform variable name", variableNameProblem), {
    doc:
      "Sensitive Terraform variable holding the robot's secret, sent write-only (Terraform 1.11 or later); " +
      "without it Harbor generates the secret and Terraform keeps it in state.",
    example: "harbor_robot_secret",
  }),
  secretVersion: withDefault(integer({ min: 1 }), 1, {
    doc: "Raise it to push a new value of secretVar to Harbor.",
    example: "1",
  }),
});

const fields = {
  version: required(integer({ type: "`1`", check: (value) => (value === 1 ? undefined : "must be 1") }), {
    doc: "Version of this file's format.",
    example: "1",
  }),
  harbor: required(harbor, { doc: "The Harbor instance that caches the upstreams." }),
  access: withDefault(oneOf(ACCESS_MODES), "public", {
    doc: "public: proxy projects are public and nodes pull anonymously; robot: private projects and one pull-only robot account.",
    example: "public",
  }),
  robot: defaultEmpty(robot, { doc: "The pull-only robot account of `access: robot`." }),
  protectProjects: withDefault(boolean(), true, {
    doc: "Proxy projects carry `prevent_destroy`: a plan that would delete one (and its cache) fails. Set false to allow it.",
    example: "true",
  }),
  retention: defaultEmpty(retention, { doc: "Retention policy applied to every proxy project." }),
  upstreams: required(
    list(upstream, {
      minItems: 1,
      rules: [
        uniqueBy(
          "upstream-duplicate-registry",
          "registry",
          (item: Upstream) => item.registry,
          "each registry is proxied once",
        ),
        uniqueBy(
          "upstream-duplicate-project",
          "project",
          (item: Upstream) => item.project,
          "each upstream needs its own Harbor project",
        ),
      ],
    }),
    { doc: "Registries proxied through Harbor, one proxy project each; order does not matter." },
  ),
  rewrites: defaultEmpty(
    map("<registry>", text("upstream registry", registryHostProblem), list(rewriteRule)),
    {
      doc: "Extra rewrite rules per upstream registry, in priority order, tried before its proxy-cache rule.",
    },
  ),
  projects: defaultEmpty(list(plainProject), {
    doc: "Plain Harbor projects harbor-mirror creates for rewrite rules to send repositories to (see docs/rewrite-rules.md).",
  }),
  distribution: withDefault(oneOf(DISTRIBUTIONS), "rke2", {
    doc: "rke2 or k3s: sets default file paths and service names on nodes.",
    example: "rke2",
  }),
  nodes: defaultEmpty(
    list(node, {
      rules: [
        uniqueBy("node-duplicate-name", "name", (item: NodeEntry) => item.name, "node names are identities"),
      ],
    }),
    { doc: "Nodes that receive registries.yaml over SSH; without nodes nothing is delivered." },
  ),
  [EXTRA_DIRECTORIES_KEY]: defaultEmpty(list(text("absolute directory", extraDirectoryProblem)), {
    doc:
      "Directories beyond `/etc/rancher/<distribution>/` where `registriesPath` and `harbor.caCertNodePath` may " +
      "point, e.g. `/opt/rke2/`; never a system directory.",
  }),
  ssh: defaultEmpty(ssh, { doc: "How the nodes are reached." }),
  rollout: defaultEmpty(rollout, { doc: "How restarts are sequenced when registries.yaml changes." }),
  backend: defaultEmpty(backend, { doc: "Where Terraform state is kept (default: a local state file)." }),
};

type Root = ObjectOf<typeof fields>;

/** Cross-key rules of the whole file (the per-section rules live with their section). */
const rootRules: readonly Rule<Root>[] = [
  {
    severity: "error",
    code: "backend-credentials",
    doc:
      "No `backend` value holds a credential: not in a URL's user:password or query, not in a connection string's " +
      "`password=`, however deeply nested in mappings and lists (it would land in cdk.tf.json).",
    check(config, report) {
      for (const problem of backendProblems(config.backend.type, config.backend.options))
        if (problem.code === "backend-credentials") report(["backend", ...problem.at], problem.message);
    },
  },
  {
    severity: "error",
    code: "backend-unknown-key",
    doc: "`backend` holds only the keys of its type's cdktf backend (did-you-mean for a typo).",
    check(config, report) {
      for (const problem of backendProblems(config.backend.type, config.backend.options))
        if (problem.code === "backend-unknown-key") report(["backend", ...problem.at], problem.message);
    },
  },
  {
    severity: "error",
    code: "node-path-not-allowed",
    doc:
      "`nodes[].registriesPath` and `harbor.caCertNodePath` lie under `/etc/rancher/<distribution>/` or a directory of " +
      "`extraNodeDirectories`, not in the node's staging directory, not on the distribution's own files, and differ.",
    check(config, report) {
      const caPath = config.harbor.caCertFile === undefined ? undefined : config.harbor.caCertNodePath;
      const seen = new Set<string>();
      config.nodes.forEach((node, index) => {
        const context = {
          distribution: config.distribution,
          extraDirectories: config.extraNodeDirectories,
          nodeName: node.name,
        };
        const keys = {
          registriesPath: ["nodes", index, "registriesPath"],
          caPath: ["harbor", "caCertNodePath"],
        };
        const files = {
          registriesPath: node.registriesPath ?? defaultRegistriesPath(config.distribution),
          caPath,
        };
        for (const diagnostic of checkNodeFiles(files, context, keys)) {
          // The CA path is one for all nodes: reported once.
          if (diagnostic.keyPath === keys.caPath && seen.has(diagnostic.message)) continue;
          seen.add(diagnostic.message);
          report(diagnostic.keyPath!, diagnostic.message);
        }
      });
    },
  },
  {
    severity: "error",
    code: "variable-name-conflict",
    doc:
      "Each Terraform variable name holds one secret: not a built-in name (`harbor_username`, `harbor_password`), " +
      "not the SSH key's variable for another secret, not a Terraform reserved word.",
    check(config, report) {
      const uses: VariableUse[] = [];
      const use = (name: string | undefined, role: string, path: KeyPath) => {
        if (name !== undefined) uses.push({ name, role, path });
      };
      use(config.ssh.privateKeyVar, VARIABLE_ROLES.sshPrivateKey, ["ssh", "privateKeyVar"]);
      config.upstreams.forEach((item, index) =>
        use(item.accessSecretVar, VARIABLE_ROLES.upstreamSecret, ["upstreams", index, "accessSecretVar"]),
      );
      use(config.robot.secretVar, VARIABLE_ROLES.robotSecret, ["robot", "secretVar"]);
      for (const diagnostic of checkVariableUses(uses)) report(diagnostic.keyPath!, diagnostic.message);
    },
  },
  {
    severity: "warning",
    code: "cache-safety",
    doc: "A retention shorter than 7 days, or a storage quota, that would empty or block the cache.",
    check(config, report) {
      for (const warning of retentionWarnings(config.retention))
        report(["retention", "daysSinceLastPull"], warning);
      config.upstreams.forEach((item, index) => {
        for (const warning of storageQuotaWarnings(item.registry, item.storageQuotaGiB))
          report(["upstreams", index, "storageQuotaGiB"], warning);
      });
    },
  },
  {
    severity: "error",
    code: "rewrites-unknown-registry",
    doc: "Every key of `rewrites` is the `registry` of an upstream.",
    check(config, report) {
      const registries = config.upstreams.map((item) => item.registry);
      for (const registry of Object.keys(config.rewrites)) {
        if (!registries.includes(registry)) {
          report(
            ["rewrites", registry],
            `is not an upstream registry; rewrites apply to one of ${listWords(registries)}`,
          );
        }
      }
    },
  },
  {
    severity: "warning",
    code: "upstream-version-dependent",
    doc: "An upstream choice that depends on the Harbor version (e.g. provider `quay`, refused by Harbor 2.14+ by default).",
    check(config, report) {
      config.upstreams.forEach((item, index) => {
        for (const warning of upstreamWarnings(item.registry, item.provider))
          report(["upstreams", index, "provider"], warning);
      });
    },
  },
  {
    severity: "warning",
    code: "access-public",
    doc: "`access: public`: anyone who reaches Harbor can pull through it anonymously.",
    check(config, report) {
      if (config.access === "public") {
        report(
          ["access"],
          "is public: the proxy projects allow anonymous pulls by anyone who can reach Harbor",
        );
      }
    },
  },
  {
    severity: "warning",
    code: "ssh-without-nodes",
    doc: "`ssh` is set but there are no `nodes`: nothing is delivered.",
    check(config, report, context) {
      if (config.nodes.length === 0 && context.wasWritten(["ssh"]))
        report(["ssh"], "is set but nodes is empty: nothing is delivered");
    },
  },
  {
    severity: "warning",
    code: "rollout-parallel-servers",
    doc: "`rollout.strategy: parallel` with server nodes: every control plane restarts at once.",
    check(config, report) {
      if (config.rollout.strategy === "parallel" && config.nodes.some((item) => item.role === "server")) {
        report(
          ["rollout", "strategy"],
          "is parallel: all server nodes (the control plane) restart at the same time",
        );
      }
    },
  },
];

export const harborMirrorSchema = object(fields, { rules: rootRules });

/** The loaded `harbor-mirror.yaml`: readonly, every default applied, keys as in the file. */
export type HarborMirrorConfig = Decoded<typeof harborMirrorSchema>;
export type HarborSettings = HarborMirrorConfig["harbor"];
export type RetentionSettings = HarborMirrorConfig["retention"];
export type UpstreamConfig = HarborMirrorConfig["upstreams"][number];
export type RewriteRuleConfig = HarborMirrorConfig["rewrites"][string][number];
export type NodeConfig = HarborMirrorConfig["nodes"][number];
export type SshSettings = HarborMirrorConfig["ssh"];
export type RolloutSettings = HarborMirrorConfig["rollout"];
export type BackendSettings = HarborMirrorConfig["backend"];
