/**
 * The review facts: everything the plan review compares, as plain JSON-ready data. One model for
 * every source of a side of the comparison — the constructs of a built stack (app/review-facts),
 * a synthesized cdk.tf.json (review/terraform-json) and a previous review.json (its `head`) — so
 * that a base of any kind is compared field by field with the change. Pure: no cdktf, no I/O.
 */
import { createHash } from "node:crypto";
import { compareNodeNames } from "../delivery/nodes";
import type { OrderedRewrite } from "../registries/model";

/** One Harbor proxy cache: the `harbor_registry`, `harbor_project` and `harbor_retention_policy` of an upstream. */
export interface UpstreamFacts {
  /** Registry host as in image names; the identity of the upstream (its Terraform addresses derive from it). */
  readonly registry: string;
  /** `harbor_project.name` (ForceNew). */
  readonly project: string;
  /** `harbor_registry.provider_name` (ForceNew). */
  readonly provider: string;
  readonly endpointUrl: string;
  /** `storage_quota` in GiB; -1 is unlimited. */
  readonly storageQuotaGiB: number;
  /** `proxy_speed_kb`; null when not set (the provider's -1, unlimited). */
  readonly proxySpeedKb: number | null;
  /** `proxy_cache_local_on_not_found`; null when not set (the provider's false). */
  readonly localOnNotFound: boolean | null;
  readonly public: boolean;
  /** `lifecycle.prevent_destroy` of the project. */
  readonly preventDestroy: boolean;
  readonly retention: { readonly daysSinceLastPull: number; readonly schedule: string };
  /**
   * The mirror rules in priority order as the user wrote them (the proxy rule last); null when the
   * source does not record them (a cdk.tf.json holds only the compiled file).
   */
  readonly rules: readonly OrderedRewrite[] | null;
}

export interface RobotPermission {
  readonly kind: string;
  readonly namespace: string;
  /** `resource:action`, e.g. `repository:pull`. */
  readonly access: readonly string[];
}

/** `harbor_robot_account`: name and level are ForceNew. */
export interface RobotFacts {
  readonly name: string;
  readonly level: string;
  readonly permissions: readonly RobotPermission[];
}

/** A file a node receives: where it goes and the SHA-256 of its content. */
export interface NodeFileFacts {
  readonly path: string;
  readonly sha256: string;
  /** Whether a change of this file restarts the unit (the CA file is read at the next restart). */
  readonly restartOnChange: boolean;
}

/** Nodes that receive the same files and restart the same unit. */
export interface NodeKindFacts {
  readonly role: string;
  readonly unit: string;
  readonly files: readonly NodeFileFacts[];
  /** Natural order (`n3` before `n10`). */
  readonly nodes: readonly string[];
}

export interface ReviewFacts {
  readonly harborUrl: string;
  readonly access: string;
  /** `configs.<harbor>.tls.ca_file` on the nodes; null when nodes use their system trust store. */
  readonly caCertNodePath: string | null;
  /** State backend type and its non-secret identity (bucket, key, organization, …). */
  readonly backend: { readonly type: string; readonly settings: Readonly<Record<string, string>> };
  /** Sorted by registry. */
  readonly upstreams: readonly UpstreamFacts[];
  readonly robot: RobotFacts | null;
  /**
   * The registries file as rendered for nodes, apply-time values (robot name and secret) as their
   * placeholders — never a secret; its SHA-256 is of this text, so it changes exactly when anything
   * but an apply-time value does.
   */
  readonly registries: {
    readonly text: string;
    readonly sha256: string;
    /**
     * Literal stand-ins of the placeholders for hosts known only at apply time (Harbor's URL from
     * a Terraform variable), by placeholder, so the review can resolve images on the text.
     */
    readonly standIns: Readonly<Record<string, string>>;
  };
  /** Servers first, then by unit. */
  readonly nodeKinds: readonly NodeKindFacts[];
  readonly rollout: {
    /** Node names in rollout order, each step in natural order; the nodes of one step restart together. */
    readonly steps: readonly (readonly string[])[];
    readonly restartTimeoutSeconds: number;
  };
  /** The team's own images of this side: resolved on both sides. */
  readonly images: readonly string[];
  readonly warnings: readonly string[];
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Natural order, the one rule of delivery/nodes (`n3` before `n10`). */
export function naturalSort(names: Iterable<string>): string[] {
  return [...names].sort(compareNodeNames);
}

/**
 * The backend settings a reviewer may see: where the state lives, never how to get in. Every other
 * key (credentials, connection strings, tokens) is left out, whatever its value.
 */
const BACKEND_IDENTITY_KEYS: Readonly<Record<string, readonly string[]>> = {
  local: ["path"],
  s3: ["bucket", "key", "region", "workspace_key_prefix"],
  pg: ["schema_name"],
  remote: ["hostname", "organization", "workspaces"],
};

export function backendIdentity(
  type: string,
  options: Readonly<Record<string, unknown>>,
): ReviewFacts["backend"] {
  const keys = BACKEND_IDENTITY_KEYS[type] ?? [];
  const settings: Record<string, string> = {};
  for (const key of keys) {
    const value = options[key];
    if (value === undefined || value === null) continue;
    settings[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { type, settings };
}

/** Node kinds with servers first, then by unit and files: the order the report and the diagram use. */
export function sortNodeKinds(kinds: readonly NodeKindFacts[]): NodeKindFacts[] {
  const key = (kind: NodeKindFacts) =>
    `${kind.role === "server" ? 0 : 1} ${kind.unit} ${kind.files.map((file) => file.path).join(" ")}`;
  return [...kinds].sort((a, b) => compareNodeNames(key(a), key(b)));
}
