/**
 * The shape of `harbor-mirror.yaml` version 1, in zod: every key once, with its type, default and a
 * one-line description (`.meta()`). It decodes only — types, unknown keys, `version`; every rule
 * about a value (URLs, names, ranges, uniqueness, pairs of keys, warnings) belongs to the construct
 * that takes it as a prop, and the keys are named like those props. The loader (config/load.ts),
 * the reference (docs/configuration.md) and the editor schema (harbor-mirror.schema.json) are all
 * derived from this one description.
 */
import { z } from "zod";
import { DISTRIBUTIONS, NODE_ROLES } from "../delivery/nodes";
import { DEFAULT_ROBOT_NAME, DEFAULT_ROBOT_SECRET_VERSION } from "../harbor/naming";
import { HARBOR_DEFAULT_PROXY_RETENTION } from "../harbor/retention";
import { PROXY_CACHE_PROVIDER_TYPES } from "../harbor/upstreams";

export const ACCESS_MODES = ["public", "robot"] as const;
export const ROLLOUT_STRATEGIES = ["rolling", "servers-first", "parallel"] as const;
export const BACKEND_TYPES = ["local", "s3", "pg", "remote"] as const;
export const DEFAULT_SSH_KEY_VARIABLE = "ssh_private_key";

/**
 * What the reference shows for a key, besides zod's own type and default: `example` (a YAML value
 * as a user would write it) and `defaultText` (how a default computed by a construct is found).
 */
interface KeyDocs {
  readonly description: string;
  readonly example?: string;
  readonly defaultText?: string;
}

function documented<T extends z.ZodType>(schema: T, docs: KeyDocs): T {
  return schema.meta({ ...docs });
}

const text = () => z.string();
const integer = () => z.number().int();

const harbor = z.strictObject({
  url: documented(text(), {
    description:
      "Harbor's external root URL, the mirror endpoint on nodes (no path; http only with allowInsecureHttp).",
    example: "https://harbor.kingsd.top",
  }),
  allowInsecureHttp: documented(z.boolean().default(false), {
    description: "Permit an http:// url: pulls and the Harbor API then travel unencrypted.",
    example: "false",
  }),
  insecureApi: documented(z.boolean().default(false), {
    description: "The Terraform provider talks to Harbor without verifying its TLS certificate.",
    example: "false",
  }),
  caCertFile: documented(text().optional(), {
    description:
      "Local PEM file with Harbor's CA certificate(s), relative to this file's directory; delivered to every " +
      "node and referenced as `configs.<harbor host>.tls.ca_file`.",
    example: "./certs/harbor-ca.pem",
  }),
  caCertNodePath: documented(text().optional(), {
    description: "Where the CA certificate is written on each node.",
    defaultText:
      "`/etc/rancher/<distribution>/harbor-ca.pem` (containerd: `/etc/containerd/certs.d/harbor-ca.pem`)",
    example: "/etc/rancher/rke2/harbor-ca.pem",
  }),
});

const retention = z.strictObject({
  daysSinceLastPull: documented(integer().default(HARBOR_DEFAULT_PROXY_RETENTION.daysSinceLastPull), {
    description: "Keep artifacts pulled within the last N days (Harbor's own proxy-project default is 7).",
    example: "30",
  }),
  schedule: documented(text().default(HARBOR_DEFAULT_PROXY_RETENTION.schedule), {
    description: "When retention runs: Hourly, Daily, Weekly or a 6-field cron expression (seconds first).",
    example: "Daily",
  }),
});

const upstream = z.strictObject({
  registry: documented(text(), {
    description: "Registry host as it appears in image names (lower case, optional `:port`).",
    example: "docker.io",
  }),
  project: documented(text().optional(), {
    description:
      "Harbor proxy-cache project name (lower case, digits, single `._-` separators; renaming recreates it).",
    defaultText: "the registry host without port",
    example: "docker.io",
  }),
  provider: documented(z.enum(PROXY_CACHE_PROVIDER_TYPES as [string, ...string[]]).optional(), {
    description: "Harbor provider type of the upstream endpoint.",
    defaultText: "by registry host (table below)",
    example: "docker-hub",
  }),
  endpointUrl: documented(text().optional(), {
    description: "URL Harbor pulls from.",
    defaultText: "by registry host (table below)",
    example: "https://hub.docker.com",
  }),
  accessId: documented(text().optional(), {
    description: "Upstream user name or key ID (not a secret); needs accessSecretVar.",
    example: "mirror-bot",
  }),
  accessSecretVar: documented(text().optional(), {
    description: "Name of the sensitive Terraform variable holding the upstream secret; needs accessId.",
    example: "dockerhub_token",
  }),
  storageQuotaGiB: documented(integer().default(-1), {
    description: "Storage quota of the proxy project in GiB; -1 = unlimited.",
    example: "100",
  }),
  proxySpeedKb: documented(integer().default(-1), {
    description: "Bandwidth limit towards the upstream in KB/s; -1 = unlimited.",
    example: "10240",
  }),
  localOnNotFound: documented(z.boolean().default(false), {
    description: "Serve the cached copy when the upstream deleted the image (Harbor 2.15.1 or later).",
    example: "true",
  }),
});

const rewriteRule = z.strictObject({
  match: documented(text(), {
    description:
      'RE2 pattern on the repository path (no host, no tag); no `\\` or `"` (write `[.]`). Rule language: docs/rewrite-rules.md.',
    example: '"^ksd-test/(.*)$"',
  }),
  replace: documented(text().optional(), {
    description:
      'Replacement, Go template syntax: `$1`, `${1}`, `$name`, `$$`; no `\\` or `"`. Required unless keep is true.',
    example: '"production/$1"',
  }),
  keep: documented(z.boolean().optional(), {
    description:
      "`true`: repositories this rule matches reach Harbor as written (e.g. project `team-a`), and later rules, the proxy-cache rule included, never see them.",
    example: "true",
  }),
});

const plainProject = z.strictObject({
  name: documented(text(), {
    description:
      "Harbor project to create (not a proxy cache), e.g. a rewrite target; the robot of `access: robot` may pull from it.",
    example: "production",
  }),
});

const node = z.strictObject({
  name: documented(text(), {
    description: "The node's stable identity (`[a-z0-9][a-z0-9._-]*`); unique.",
    example: "server-1",
  }),
  host: documented(text(), {
    description: "Address harbor-mirror connects to over SSH.",
    example: "192.0.2.11",
  }),
  role: documented(z.enum(NODE_ROLES), {
    description: "server (control plane, restarted one at a time) or agent.",
    example: "server",
  }),
  user: documented(text().default("root"), {
    description: "SSH user; other than root, sudo is used on the node.",
    example: "root",
  }),
  port: documented(integer().default(22), { description: "SSH port.", example: "22" }),
  registriesPath: documented(text().optional(), {
    description: "Where registries.yaml is written on the node.",
    defaultText: "`/etc/rancher/<distribution>/registries.yaml` (rke2, k3s; containerd nodes take none)",
    example: "/etc/rancher/rke2/registries.yaml",
  }),
});

const ssh = z.strictObject({
  privateKeyVar: documented(text().default(DEFAULT_SSH_KEY_VARIABLE), {
    description: "Sensitive Terraform variable holding the SSH private key.",
    example: "ssh_private_key",
  }),
  bastionHost: documented(text().optional(), {
    description: "Jump host for reaching the nodes.",
    example: "198.51.100.5",
  }),
  bastionUser: documented(text().optional(), {
    description: "User on the jump host (needs bastionHost).",
    example: "jump",
  }),
  bastionPort: documented(integer().optional(), {
    description: "SSH port of the jump host (needs bastionHost).",
    example: "22",
  }),
  hostKey: documented(text().optional(), {
    description:
      "Pins the nodes' SSH host key (`<type> <base64>`, as ssh-keyscan prints it without the host).",
    example: '"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI…"',
  }),
});

const rollout = z.strictObject({
  strategy: documented(z.enum(ROLLOUT_STRATEGIES).default("rolling"), {
    description:
      "rolling: step by step, servers one at a time, then agents `batchSize` at a time; servers-first: servers one at a time, then every agent without an order (as many at once as `terraform apply -parallelism`, linear plan time for large fleets); parallel: every node at once. See docs/rollout.md.",
    example: "rolling",
  }),
  batchSize: documented(integer().default(1), {
    description: "Agents restarted per step of a rolling rollout.",
    example: "1",
  }),
});

/** The keys other than `type` go to that cdktf backend as they are (`options`). */
const backend = z
  .looseObject({
    type: documented(z.enum(BACKEND_TYPES).default("local"), {
      description:
        "cdktf backend holding the Terraform state; every other key is passed to it as-is (e.g. `bucket`).",
      example: "s3",
    }),
  })
  .transform(({ type, ...options }) => ({ type, options: options as Readonly<Record<string, unknown>> }));

const robot = z.strictObject({
  name: documented(text().optional(), {
    defaultText: `\`${DEFAULT_ROBOT_NAME}\``,
    description: "Short name of the robot (Harbor prefixes it, e.g. `robot$harbor-mirror-pull`).",
    example: "harbor-mirror-pull",
  }),
  secretVar: documented(text().optional(), {
    description:
      "Sensitive Terraform variable holding the robot's secret, sent write-only (Terraform 1.11 or later); " +
      "without it Harbor generates the secret and Terraform keeps it in state.",
    example: "harbor_robot_secret",
  }),
  secretVersion: documented(integer().optional(), {
    defaultText: `\`${DEFAULT_ROBOT_SECRET_VERSION}\``,
    description: "Raise it to push a new value of secretVar to Harbor.",
    example: "1",
  }),
});

/** A section that may be left out: its keys' defaults apply. */
function section<T extends z.ZodType>(schema: T, description: string) {
  return schema.default(() => schema.parse({}) as never).meta({ description });
}

export const harborMirrorSchema = z
  .strictObject({
    version: documented(z.literal(1), { description: "Version of this file's format.", example: "1" }),
    harbor: harbor.meta({ description: "The Harbor instance that caches the upstreams." }),
    access: documented(z.enum(ACCESS_MODES).default("public"), {
      description:
        "public: proxy projects are public and nodes pull anonymously; robot: private projects and one pull-only robot account.",
      example: "public",
    }),
    robot: section(robot, "The pull-only robot account of `access: robot`."),
    protectProjects: documented(z.boolean().default(true), {
      description:
        "Proxy projects carry `prevent_destroy`: a plan that would delete one (and its cache) fails. Set false to allow it.",
      example: "true",
    }),
    retention: section(retention, "Retention policy applied to every proxy project."),
    upstreams: z.array(upstream).meta({
      description: "Registries proxied through Harbor, one proxy project each; order does not matter.",
    }),
    rewrites: z.record(z.string(), z.array(rewriteRule)).default({}).meta({
      description:
        "Extra rewrite rules per upstream registry, in priority order, tried before its proxy-cache rule.",
      keyLabel: "<registry>",
    }),
    projects: z.array(plainProject).default([]).meta({
      description:
        "Plain Harbor projects harbor-mirror creates for rewrite rules to send repositories to (see docs/rewrite-rules.md).",
    }),
    distribution: documented(z.enum(DISTRIBUTIONS).default("rke2"), {
      description:
        "rke2 or k3s: nodes get registries.yaml (default paths and service names follow); containerd: plain " +
        "containerd nodes (kubeadm and others) get one hosts.toml per upstream, see docs/containerd.md.",
      example: "rke2",
    }),
    nodes: z.array(node).default([]).meta({
      description: "Nodes that receive registries.yaml over SSH; without nodes nothing is delivered.",
    }),
    extraNodeDirectories: z
      .array(text())
      .default([])
      .meta({
        description:
          "Directories beyond `/etc/rancher/<distribution>/` where `registriesPath` and `harbor.caCertNodePath` may " +
          "point, e.g. `/opt/rke2/`; never a system directory.",
      }),
    ssh: section(ssh, "How the nodes are reached."),
    rollout: section(rollout, "How restarts are sequenced when registries.yaml changes."),
    backend: section(backend, "Where Terraform state is kept (default: a local state file)."),
  })
  .meta({ title: "harbor-mirror.yaml", description: "Harbor as the pull-through cache of RKE2/K3s nodes." });

/** The loaded `harbor-mirror.yaml`: every default applied, keys named like the construct props. */
export type HarborMirrorConfig = z.output<typeof harborMirrorSchema>;
export type UpstreamConfig = HarborMirrorConfig["upstreams"][number];
export type NodeConfig = HarborMirrorConfig["nodes"][number];
