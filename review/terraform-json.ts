/**
 * The review facts of a synthesized stack (`cdk.tf.json`), for a base that is a previous synth
 * output: the Harbor resources by type, the registries file from its Terraform local, the nodes
 * from their `null_resource`s (construct path `…/Node-<name>`, or `…/Group-<key>` with `for_each`
 * over its nodes; triggers, `depends_on`, the restart timeout of the install script). A cdk.tf.json holds the compiled rules only, so the user's rules are
 * `null` there. Pure.
 */
import { restartTimeoutOfInstallScript } from "../delivery/remote-script";
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
} from "./facts";

type Json = Record<string, unknown>;

interface TerraformJson {
  readonly resource?: Record<string, Record<string, Json>>;
  readonly locals?: Record<string, string>;
  readonly provider?: Record<string, Json[]>;
  readonly terraform?: { readonly backend?: Record<string, Json> };
}

export class TerraformJsonError extends Error {}

/** Whether a parsed JSON document looks like a synthesized Terraform stack. */
export function isTerraformJson(document: unknown): boolean {
  return (
    typeof document === "object" && document !== null && "resource" in document && "terraform" in document
  );
}

export function factsFromTerraformJson(document: unknown): ReviewFacts {
  const stack = document as TerraformJson;
  const locals = stack.locals ?? {};
  const resources = withForEachMaps(stack.resource ?? {}, locals);
  const robot = Object.values(resources.harbor_robot_account ?? {})[0];
  const upstreams = upstreamsOf(resources);
  const registriesText = registriesTextOf(resources, locals);
  const [backendType, backendOptions] = Object.entries(stack.terraform?.backend ?? { local: {} })[0];
  return {
    harborUrl: String(stack.provider?.harbor?.[0]?.url ?? ""),
    access: robot ? "robot" : "public",
    caCertNodePath: caPathOf(resources),
    backend: backendIdentity(backendType, backendOptions),
    upstreams,
    robot: robot ? robotOf(robot) : null,
    // A stack whose Harbor URL is a variable names no stand-in host in its JSON: its images do not resolve.
    registries: {
      text: registriesText ?? "",
      sha256: registriesText === undefined ? "" : sha256Hex(registriesText),
      standIns: {},
    },
    nodeKinds: nodeKindsOf(resources, locals),
    rollout: { steps: rolloutStepsOf(resources), restartTimeoutSeconds: restartTimeoutOf(resources) },
    images: [],
    warnings: [],
  };
}

/** `${harbor_registry.X.registry_id}` → `harbor_registry.X`; the address a reference names. */
function referencedAddress(expression: unknown): string | undefined {
  return /^\$\{([a-z_]+\.[^.}]+)\./.exec(String(expression))?.[1];
}

function upstreamsOf(resources: TerraformJson["resource"] & object): UpstreamFacts[] {
  const registries = resources.harbor_registry ?? {};
  const retentionByProject = new Map(
    Object.values(resources.harbor_retention_policy ?? {}).map((policy) => [
      referencedAddress(policy.scope),
      policy,
    ]),
  );
  return Object.entries(resources.harbor_project ?? {})
    .map(([id, project]) => {
      const registry = registries[referencedAddress(project.registry_id)?.split(".")[1] ?? ""] ?? {};
      const retention = retentionByProject.get(`harbor_project.${id}`) ?? {};
      const [rule] = (retention.rule as Json[] | undefined) ?? [{}];
      return {
        registry: String(registry.name),
        project: String(project.name),
        provider: String(registry.provider_name),
        endpointUrl: String(registry.endpoint_url),
        storageQuotaGiB: (project.storage_quota as number | undefined) ?? -1,
        proxySpeedKb: (project.proxy_speed_kb as number | undefined) ?? null,
        localOnNotFound: (project.proxy_cache_local_on_not_found as boolean | undefined) ?? null,
        public: project.public === true,
        preventDestroy: (project.lifecycle as Json | undefined)?.prevent_destroy === true,
        retention: {
          daysSinceLastPull: rule.n_days_since_last_pull as number,
          schedule: String(retention.schedule),
        },
        rules: null,
      };
    })
    .sort((a, b) => (a.registry < b.registry ? -1 : a.registry > b.registry ? 1 : 0));
}

function robotOf(robot: Json): RobotFacts {
  const permissions = (robot.permissions as Json[] | undefined) ?? [];
  return {
    name: String(robot.name),
    level: String(robot.level),
    permissions: permissions.map((permission) => ({
      kind: String(permission.kind),
      namespace: String(permission.namespace),
      access: ((permission.access as Json[] | undefined) ?? []).map(
        (access) => `${String(access.resource)}:${String(access.action)}`,
      ),
    })),
  };
}

interface NodeResource {
  readonly name: string;
  readonly address: string;
  readonly resource: Json;
  /** The node's triggers with its `each.value.<x>` filled in (grouped layout). */
  readonly triggers: Json;
}

/**
 * One entry per node: a resource per node (`…/Node-<name>`, the earlier layout) or one instance of
 * a group resource (`…/Group-<key>` with `for_each` over its nodes).
 */
function nodeResourcesOf(resources: TerraformJson["resource"] & object): NodeResource[] {
  return Object.entries(resources.null_resource ?? {}).flatMap(([id, resource]) => {
    const path = String(((resource["//"] as Json | undefined)?.metadata as Json | undefined)?.path ?? "");
    const address = `null_resource.${id}`;
    const triggers = (resource.triggers as Json | undefined) ?? {};
    const name = /\/Node-([^/]+)$/.exec(path)?.[1];
    if (name !== undefined) return [{ name, address, resource, triggers }];
    if (!/\/Group-[^/]+$/.test(path)) return [];
    return Object.entries((resource.for_each as Record<string, Json> | undefined) ?? {}).map(
      ([node, value]) => ({
        name: node,
        address,
        resource,
        triggers: Object.fromEntries(
          Object.entries(triggers).map(([key, expression]) => [
            key,
            String(expression).replace(/\$\{each\.value\.([A-Za-z0-9_]+)\}/g, (_, attribute: string) =>
              String(value[attribute]),
            ),
          ]),
        ),
      }),
    );
  });
}

/** The triggers of a file, in either layout: path and the expression naming the file's local. */
function fileTriggers(triggers: Json, locals: Record<string, string>, id: "registries" | "ca") {
  const legacy = id === "registries" ? ["path", "content_sha256"] : ["ca_path", "ca_sha256"];
  if (triggers[legacy[1]] !== undefined) return { path: triggers[legacy[0]], content: triggers[legacy[1]] };
  const digest = /^\$\{local\.([A-Za-z0-9_-]+)\}$/.exec(String(triggers[`${id}_digest`]))?.[1];
  // The keyed digest's local: sha256(join("", [<ssh key>, local.<file>])), the file being the last local.
  const file = [...String(locals[digest ?? ""] ?? "").matchAll(/local\.([A-Za-z0-9_-]+)/g)].pop()?.[1];
  return { path: triggers[`${id}_path`], content: file === undefined ? undefined : `\${local.${file}}` };
}

/** `${nonsensitive(sensitive(sha256(local.X)))}` → the text local X renders, following `${local.Y}` chains. */
function hashedLocalText(expression: unknown, locals: Record<string, string>): string | undefined {
  let name = /local\.([A-Za-z0-9_-]+)/.exec(String(expression))?.[1];
  for (let hops = 0; name !== undefined && hops < 10; hops++) {
    const value = locals[name];
    if (value === undefined) return undefined;
    const next = /^\$\{(?:replace\()*local\.([A-Za-z0-9_-]+)/.exec(value)?.[1];
    if (next === undefined) return untemplate(value);
    name = next;
  }
  return undefined;
}

/**
 * A resource's `for_each` map: an object literal, or a `${local.<name>}` naming one (the grouped
 * layout keeps each group's nodes in a local); undefined for anything else.
 */
export function forEachMapOf(
  body: Json,
  locals: Readonly<Record<string, unknown>>,
): Record<string, Json> | undefined {
  const forEach = body.for_each;
  const local =
    typeof forEach === "string" ? /^\$\{local\.([A-Za-z0-9_-]+)\}$/.exec(forEach)?.[1] : undefined;
  const map = local === undefined ? forEach : locals[local];
  return typeof map === "object" && map !== null && !Array.isArray(map)
    ? (map as Record<string, Json>)
    : undefined;
}

/** The stack's resources with every `null_resource`'s `for_each` as the map it stands for. */
function withForEachMaps(
  resources: TerraformJson["resource"] & object,
  locals: Readonly<Record<string, unknown>>,
): TerraformJson["resource"] & object {
  const nullResources = Object.entries(resources.null_resource ?? {}).map(([id, body]) => [
    id,
    body.for_each === undefined ? body : { ...body, for_each: forEachMapOf(body, locals) },
  ]);
  return { ...resources, null_resource: Object.fromEntries(nullResources) as Record<string, Json> };
}

/** The literal text of a Terraform template without interpolations: `$${` is `${`, `%%{` is `%{`. */
function untemplate(template: string): string {
  return template.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
}

function registriesTextOf(
  resources: TerraformJson["resource"] & object,
  locals: Record<string, string>,
): string | undefined {
  const [first] = nodeResourcesOf(resources);
  const expression = first ? fileTriggers(first.triggers, locals, "registries").content : undefined;
  if (expression !== undefined) return hashedLocalText(expression, locals);
  const template = Object.entries(locals).find(([name]) =>
    name.startsWith("HarborMirror_Registries_template"),
  );
  return template ? untemplate(template[1]) : undefined;
}

function caPathOf(resources: TerraformJson["resource"] & object): string | null {
  const [first] = nodeResourcesOf(resources);
  const path = first ? (first.triggers.ca_path ?? undefined) : undefined;
  return path === undefined ? null : String(path);
}

function nodeKindsOf(
  resources: TerraformJson["resource"] & object,
  locals: Record<string, string>,
): NodeKindFacts[] {
  const kinds = new Map<string, { role: string; unit: string; files: NodeFileFacts[]; nodes: string[] }>();
  const byName = new Map(nodeResourcesOf(resources).map((node) => [node.name, node]));
  for (const name of naturalSort(byName.keys())) {
    const triggers = byName.get(name)!.triggers;
    const unit = String(triggers.unit);
    const ca = fileTriggers(triggers, locals, "ca");
    const registries = fileTriggers(triggers, locals, "registries");
    const files: NodeFileFacts[] = [
      ...(ca.path === undefined
        ? []
        : [{ path: String(ca.path), sha256: hashOf(ca.content, locals), restartOnChange: false }]),
      { path: String(registries.path), sha256: hashOf(registries.content, locals), restartOnChange: true },
    ];
    const role = /agent$/.test(unit) ? "agent" : "server";
    const key = JSON.stringify([role, unit, files]);
    const kind = kinds.get(key) ?? { role, unit, files, nodes: [] };
    kind.nodes.push(name);
    kinds.set(key, kind);
  }
  return sortNodeKinds([...kinds.values()]);
}

function hashOf(expression: unknown, locals: Record<string, string>): string {
  const text = hashedLocalText(expression, locals);
  if (text === undefined)
    throw new TerraformJsonError(`cannot find the file hashed by ${String(expression)}`);
  return sha256Hex(text);
}

/** Steps from `depends_on`: a node's step is one after the step of the nodes it waits for. */
function rolloutStepsOf(resources: TerraformJson["resource"] & object): string[][] {
  const nodes = nodeResourcesOf(resources);
  const namesByAddress = new Map<string, string[]>();
  for (const node of nodes)
    namesByAddress.set(node.address, [...(namesByAddress.get(node.address) ?? []), node.name]);
  const waitsFor = new Map(
    nodes.map((node) => [
      node.name,
      ((node.resource.depends_on as string[] | undefined) ?? []).flatMap(
        (address) => namesByAddress.get(address) ?? [],
      ),
    ]),
  );
  const depth = new Map<string, number>();
  // Iterative: a rolling rollout is a chain as long as the node list.
  const depthOf = (start: string): number => {
    const pending = [start];
    while (pending.length > 0) {
      const name = pending[pending.length - 1];
      const previous = (waitsFor.get(name) ?? []).filter((other) => !depth.has(other));
      if (previous.length > 0) pending.push(...previous);
      else {
        pending.pop();
        const before = (waitsFor.get(name) ?? []).map((other) => depth.get(other)! + 1);
        depth.set(name, Math.max(0, ...before));
      }
    }
    return depth.get(start)!;
  };
  const steps: string[][] = [];
  for (const node of nodes) (steps[depthOf(node.name)] ??= []).push(node.name);
  return steps.filter((step) => step !== undefined).map((step) => naturalSort(step));
}

/** The restart timeout the first node's install script passes to the installer (delivery/remote-script). */
function restartTimeoutOf(resources: TerraformJson["resource"] & object): number {
  const [first] = nodeResourcesOf(resources);
  return first ? (restartTimeoutOfInstallScript(JSON.stringify(first.resource.provisioner ?? [])) ?? 0) : 0;
}
