/**
 * The review facts of a built construct tree, read from what the constructs expose: the Harbor
 * resources `HarborProxyCache` declared (their inputs, as Terraform receives them), the rendered
 * registries file of `RegistriesContent`, and `RegistriesDelivery.targets` / `rolloutSteps`.
 * Works for any `HarborMirror`, not only the app's stack.
 */
import { TerraformBackend, Token } from "cdktf";
import type { IConstruct } from "constructs";
import { registry, retentionPolicy, robotAccount } from "../.gen/providers/harbor";
import type { HarborMirror } from "../constructs/harbor-mirror";
import type { HarborProxyCache } from "../constructs/harbor-proxy-cache";
import type { NodeTarget } from "../constructs/registries-delivery";
import { standInEndpoint, type ApplyTimeHost, type OrderedMirror } from "../registries/model";
import { applyTimePlaceholder } from "../registries/render";
import {
  backendIdentity,
  naturalSort,
  sha256Hex,
  sortNodeKinds,
  type NodeFileFacts,
  type NodeKindFacts,
  type ReviewFacts,
  type RobotFacts,
  type UpstreamFacts,
} from "../review/facts";

export interface ReviewFactsOptions {
  /** The stack's state backend (only its non-secret identity keys are kept). @default local, no settings */
  readonly backend?: TerraformBackend;
  /** PEM text of the CA file delivered to nodes, when one is (it is hashed, never shown). */
  readonly caCertPem?: string;
  /** The team's own images to resolve on both sides. @default none */
  readonly images?: readonly string[];
  /** Already formatted warnings. @default none */
  readonly warnings?: readonly string[];
}

export function reviewFactsOf(mirror: HarborMirror, options: ReviewFactsOptions = {}): ReviewFacts {
  const { proxyCache, registries, delivery } = mirror;
  const caCertNodePath = caCertNodePathOf(proxyCache);
  return {
    harborUrl: harborRootOf(proxyCache.mirrors),
    access: proxyCache.robot ? "robot" : "public",
    caCertNodePath,
    backend: backendOf(options.backend),
    upstreams: upstreamsOf(proxyCache),
    robot: proxyCache.robot ? robotOf(proxyCache.robot) : null,
    registries: {
      text: registries.rendered.text,
      sha256: sha256Hex(registries.rendered.text),
      standIns: standInsOf(proxyCache.registriesSpec.applyTimeHosts ?? []),
    },
    nodeKinds: delivery
      ? nodeKindsOf(
          delivery.targets,
          fileHashesOf(mirror, options.caCertPem === undefined ? undefined : sha256Hex(options.caCertPem)),
        )
      : [],
    rollout: {
      steps: (delivery?.rolloutSteps ?? []).map((step) => naturalSort(step)),
      restartTimeoutSeconds: delivery?.restartTimeoutSeconds ?? 0,
    },
    images: options.images ?? [],
    warnings: options.warnings ?? [],
  };
}

/** The backend block as synthesized: `{ terraform: { backend: { <type>: { … } } } }`. */
function backendOf(backend: TerraformBackend | undefined): ReviewFacts["backend"] {
  const block = (
    backend?.toTerraform() as { terraform?: { backend?: Record<string, Record<string, unknown>> } }
  )?.terraform?.backend;
  const [type, options] = Object.entries(block ?? { local: {} })[0];
  return backendIdentity(type, options);
}

/** The placeholders of apply-time hosts and the literal stand-ins the spec resolves with. */
function standInsOf(hosts: readonly ApplyTimeHost[]): Record<string, string> {
  return Object.fromEntries(
    hosts.flatMap((host) => [
      [applyTimePlaceholder(host.url.id), standInEndpoint(host)],
      [applyTimePlaceholder(host.host.id), host.standIn],
    ]),
  );
}

/** Every mirror's endpoint is Harbor's root URL. */
function harborRootOf(mirrors: readonly OrderedMirror[]): string {
  return mirrors[0]?.endpoints[0] ?? "";
}

function caCertNodePathOf(proxyCache: HarborProxyCache): string | null {
  const withCa = Object.values(proxyCache.configs).find((config) => config.tls?.ca_file !== undefined);
  return withCa?.tls?.ca_file ?? null;
}

function upstreamsOf(proxyCache: HarborProxyCache): UpstreamFacts[] {
  const rulesByRegistry = new Map(proxyCache.mirrors.map((mirror) => [mirror.registry, mirror.rewrites]));
  return Object.entries(proxyCache.projects)
    .map(([host, proxyProject]) => {
      const scope = proxyProject.node.scope as IConstruct;
      const endpoint = childOf(scope, registry.Registry);
      const retention = childOf(scope, retentionPolicy.RetentionPolicy);
      const [rule] = literal(retention.ruleInput) as retentionPolicy.RetentionPolicyRule[];
      return {
        registry: host,
        project: literal(proxyProject.nameInput) as string,
        provider: literal(endpoint.providerNameInput) as string,
        endpointUrl: literal(endpoint.endpointUrlInput) as string,
        storageQuotaGiB: (literal(proxyProject.storageQuotaInput) as number | undefined) ?? -1,
        proxySpeedKb: (literal(proxyProject.proxySpeedKbInput) as number | undefined) ?? null,
        localOnNotFound:
          (literal(proxyProject.proxyCacheLocalOnNotFoundInput) as boolean | undefined) ?? null,
        public: literal(proxyProject.publicInput) === true,
        preventDestroy: proxyProject.lifecycle?.preventDestroy === true,
        retention: {
          daysSinceLastPull: literal(rule.nDaysSinceLastPull) as number,
          schedule: literal(retention.scheduleInput) as string,
        },
        rules: rulesByRegistry.get(host) ?? [],
      };
    })
    .sort((a, b) => (a.registry < b.registry ? -1 : a.registry > b.registry ? 1 : 0));
}

function robotOf(robot: robotAccount.RobotAccount): RobotFacts {
  const permissions = literal(robot.permissionsInput) as robotAccount.RobotAccountPermissions[];
  return {
    name: literal(robot.nameInput) as string,
    level: literal(robot.levelInput) as string,
    permissions: permissions.map((permission) => ({
      kind: permission.kind,
      namespace: permission.namespace,
      access: (literal(permission.access) as robotAccount.RobotAccountPermissionsAccess[]).map(
        (access) => `${access.resource}:${access.action}`,
      ),
    })),
  };
}

/** The SHA-256 of each node file's displayed text, by the file id RegistriesDelivery gives it. */
function fileHashesOf(mirror: HarborMirror, caSha256: string | undefined): Map<string, string> {
  const hashes = new Map<string, string>([["registries", sha256Hex(mirror.registries.rendered.text)]]);
  if (caSha256 !== undefined) hashes.set("ca", caSha256);
  for (const file of mirror.containerdHosts?.files ?? []) hashes.set(file.id, sha256Hex(file.displayText));
  return hashes;
}

/** Nodes grouped by what they receive: each target's own file list, as delivery installs it. */
function nodeKindsOf(
  targets: ReadonlyMap<string, NodeTarget>,
  hashes: ReadonlyMap<string, string>,
): NodeKindFacts[] {
  const kinds = new Map<string, { role: string; unit: string; files: NodeFileFacts[]; nodes: string[] }>();
  for (const name of naturalSort(targets.keys())) {
    const target = targets.get(name)!;
    const nodeFiles: NodeFileFacts[] = target.files.map((file) => ({
      path: file.path,
      sha256: hashes.get(file.id) ?? "",
      restartOnChange: file.restartOnChange,
    }));
    const key = JSON.stringify([target.role, target.unit, nodeFiles]);
    const kind = kinds.get(key) ?? { role: target.role, unit: target.unit, files: nodeFiles, nodes: [] };
    kind.nodes.push(name);
    kinds.set(key, kind);
  }
  return sortNodeKinds([...kinds.values()]);
}

/** The one child of `scope` that is a `type`: each upstream's scope holds one of each resource. */
function childOf<T>(scope: IConstruct, type: abstract new (...args: never[]) => T): T {
  const child = scope.node.children.find((candidate) => candidate instanceof type);
  if (!child) throw new Error(`${scope.node.path}: no ${type.name} to review`);
  return child as T;
}

/** A value the review shows must be known at synth time; a token is shown as such. */
function literal(value: unknown): unknown {
  if (typeof value === "string" && Token.isUnresolved(value)) return "(known at apply time)";
  return value;
}
