/**
 * What the node's distribution and role decide: the systemd unit to restart and the default
 * location of `registries.yaml` (docs/registries.md#where-the-file-lives-and-when-it-is-read).
 */
import { posix } from "node:path";
import { DEFAULT_HOSTS_DIR } from "../registries/containerd-hosts";

/** RKE2 and K3s read registries.yaml; plain containerd reads hosts.toml (docs/containerd.md). */
export const DISTRIBUTIONS = ["rke2", "k3s", "containerd"] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

export const NODE_ROLES = ["server", "agent"] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

const SERVICE_UNITS: Record<Distribution, Record<NodeRole, string>> = {
  rke2: { server: "rke2-server", agent: "rke2-agent" },
  k3s: { server: "k3s", agent: "k3s-agent" },
  // Never restarted by harbor-mirror: containerd reads hosts.toml on every pull.
  containerd: { server: "containerd", agent: "containerd" },
};

/** The unit that reads registries.yaml at start (a restart is required for changes to apply). */
export function serviceUnit(distribution: Distribution, role: NodeRole): string {
  return SERVICE_UNITS[distribution][role];
}

/**
 * The units of the distribution's other roles: installed while `serviceUnit` is not, they show
 * the node's role is wrong, rather than a node whose RKE2/K3s is not installed yet. None for
 * containerd, whose one unit serves both roles.
 */
export function siblingUnits(distribution: Distribution, role: NodeRole): string[] {
  const own = serviceUnit(distribution, role);
  return NODE_ROLES.map((other) => serviceUnit(distribution, other)).filter((unit) => unit !== own);
}

/**
 * The directory each distribution reads its configuration from, with a trailing "/": node
 * files go under it (or under a declared extra directory, `delivery/node-paths`). One row per
 * distribution, so a new node kind adds its own.
 */
export const CONFIG_DIRECTORIES: Readonly<Record<Distribution, string>> = {
  rke2: "/etc/rancher/rke2/",
  k3s: "/etc/rancher/k3s/",
  containerd: "/etc/containerd/",
};

/** Where Harbor's CA goes unless configured: next to the files that name it. */
export function defaultCaCertPath(distribution: Distribution): string {
  return distribution === "containerd"
    ? posix.join(DEFAULT_HOSTS_DIR, "harbor-ca.pem")
    : `/etc/rancher/${distribution}/harbor-ca.pem`;
}

/** RKE2 and K3s read registries.yaml; plain containerd nodes get hosts.toml files instead. */
export function readsRegistriesYaml(distribution: Distribution): boolean {
  return distribution !== "containerd";
}

/** RKE2 `/etc/rancher/rke2/registries.yaml`, K3s `/etc/rancher/k3s/registries.yaml`. */
export function defaultRegistriesPath(distribution: Distribution): string {
  return `${CONFIG_DIRECTORIES[distribution]}registries.yaml`;
}

/**
 * Where the uploads of one node wait on that node: one directory per node (several nodes may
 * share a host), created private by the staging script and removed by the install script.
 */
export function stagingDirectory(nodeName: string): string {
  return `/tmp/harbor-mirror-${nodeName}`;
}

const NATURAL = new Intl.Collator("en", { numeric: true, sensitivity: "variant" });

/**
 * Node names in natural order (`n3` before `n10`), as people number their nodes: rollout order
 * and every node list. Ties (`n01` and `n1`) fall back to code-unit order, so the order is total.
 */
export function compareNodeNames(a: string, b: string): number {
  return NATURAL.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
