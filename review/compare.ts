/**
 * What a change does, from the facts of a base and of the change (what forces a replacement:
 * docs/harbor.md#what-a-plan-replaces): where each image is pulled from before and after, what Terraform does
 * to each upstream's Harbor resources and to the robot, which settings change, and which nodes restart in
 * which rollout steps. The result is the machine-readable review (review.json) the Markdown report is written
 * from. Pure.
 */
import { parseRegistriesYaml } from "../registries/parse";
import { isPassThrough, ruleTarget, type RegistriesFile } from "../registries/model";
import { resolveImage } from "../registries/resolve";
import { applyRewriteRule, compileRewritePattern } from "../registries/rewrite";
import { naturalSort, type ReviewFacts, type UpstreamFacts } from "./facts";
import { ruleImages, uniqueSorted } from "./images";

export const REVIEW_KIND = "harbor-mirror-review";
export const REVIEW_SCHEMA_VERSION = 1;

/** Where a node pulls an image from first. */
export interface Pull {
  /** API root of the first endpoint tried, e.g. `https://harbor.example.com/v2`. */
  readonly endpoint: string;
  /** Repository sent there; null when containerd's random rule order decides (see `candidates`). */
  readonly repository: string | null;
  /** The (compiled) rule of the file that rewrote it; null when none did. */
  readonly rule: string | null;
  /**
   * The user's rule the repository goes through: the first of the upstream's rules, in priority
   * order, that rewrites it (`index` 1-based); null when none does or the rules are not recorded.
   */
  readonly userRule: { readonly index: number; readonly match: string; readonly replace: string } | null;
  /** True when the first endpoint is not Harbor, or Harbor is asked for the unrewritten path. */
  readonly bypassesHarbor: boolean;
  readonly deterministic: boolean;
}

export interface ImageChange {
  readonly image: string;
  /** Why the image is reviewed: built for a rule, or listed by the team. */
  readonly origin: "rule" | "listed";
  /** null without a base. */
  readonly before: Pull | null;
  readonly after: Pull;
  /** The first endpoint or repository differs from the base's. */
  readonly changed: boolean;
}

export type ResourceAction = "create" | "update" | "replace" | "delete" | "no-op";

/** One attribute whose change forces a replacement (ForceNew, docs/harbor.md#what-a-plan-replaces). */
export interface ForcedReplacement {
  readonly resource: string;
  readonly attribute: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface AttributeChange {
  readonly attribute: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface UpstreamChange {
  readonly registry: string;
  readonly action: ResourceAction;
  readonly forcedBy: readonly ForcedReplacement[];
  /** The proxy project is destroyed: every artifact it cached is lost. */
  readonly cacheLost: boolean;
  /** The project to destroy has `prevent_destroy`: the plan fails until protection is lifted. */
  readonly blockedByPreventDestroy: boolean;
  readonly changes: readonly AttributeChange[];
  readonly before: UpstreamFacts | null;
  readonly after: UpstreamFacts | null;
}

export interface RobotChange {
  readonly action: ResourceAction;
  readonly forcedBy: readonly ForcedReplacement[];
  readonly changes: readonly AttributeChange[];
}

/** A setting shown with its before and after value, changed or not. */
export interface SettingChange {
  readonly setting: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly changed: boolean;
}

export interface RestartPlan {
  readonly registriesSha256: {
    readonly before: string | null;
    readonly after: string;
    readonly changed: boolean;
  };
  /**
   * Nodes whose unit restarts: every node without a base; else new nodes, nodes whose restarting
   * files or unit change, and every node when the robot's credentials change. Never a node that
   * has no restarting file (containerd reads its hosts.toml on every pull).
   */
  readonly restarting: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Nodes that get new files that do not restart (the CA alone, or containerd's hosts.toml). */
  readonly redelivered: readonly string[];
  readonly unchanged: number;
  /** Indexes (0-based) into `rollout.steps` of the change of the steps with a restarting node. */
  readonly restartingSteps: readonly number[];
  /**
   * Each restarting step may take the restart timeout; a failing step adds one more for the
   * rollback restart and stops the rollout: (restarting steps + 1) × timeout.
   */
  readonly worstCaseSeconds: number;
}

export interface ReviewSummary {
  readonly bypassesHarbor: readonly string[];
  readonly changesSource: readonly string[];
  readonly replacesProxyProject: readonly string[];
  readonly cacheLost: readonly string[];
  readonly blockedByPreventDestroy: readonly string[];
  readonly restartingNodes: number;
}

export interface ReviewJson {
  readonly kind: typeof REVIEW_KIND;
  readonly schemaVersion: typeof REVIEW_SCHEMA_VERSION;
  /** What the change was compared with (e.g. a path), or null without a base. */
  readonly baseSource: string | null;
  readonly summary: ReviewSummary;
  readonly images: readonly ImageChange[];
  readonly upstreams: readonly UpstreamChange[];
  readonly robot: RobotChange;
  readonly settings: readonly SettingChange[];
  readonly restarts: RestartPlan;
  readonly base: ReviewFacts | null;
  readonly head: ReviewFacts;
}

export interface CompareInput {
  readonly head: ReviewFacts;
  readonly base?: { readonly facts: ReviewFacts; readonly source: string };
  /** More images to resolve (e.g. `--images`), besides those of the rules and both sides' `images`. */
  readonly images?: readonly string[];
}

export function compareFacts(input: CompareInput): ReviewJson {
  const { head } = input;
  const base = input.base?.facts ?? null;
  const images = compareImages(base, head, input.images ?? []);
  const upstreams = compareUpstreams(base, head);
  const robot = compareRobot(base, head);
  const restarts = restartPlan(base, head, robot.action !== "no-op");
  return {
    kind: REVIEW_KIND,
    schemaVersion: REVIEW_SCHEMA_VERSION,
    baseSource: input.base?.source ?? null,
    summary: {
      bypassesHarbor: images.filter((image) => image.after.bypassesHarbor).map((image) => image.image),
      changesSource: images.filter((image) => image.changed).map((image) => image.image),
      replacesProxyProject: upstreams
        .filter((upstream) => upstream.action === "replace")
        .map((upstream) => upstream.registry),
      cacheLost: upstreams.filter((upstream) => upstream.cacheLost).map((upstream) => upstream.registry),
      blockedByPreventDestroy: upstreams
        .filter((upstream) => upstream.blockedByPreventDestroy)
        .map((upstream) => upstream.registry),
      restartingNodes: restarts.restarting.length,
    },
    images,
    upstreams,
    robot,
    settings: compareSettings(base, head),
    restarts,
    base,
    head,
  };
}

// ---------------------------------------------------------------------------------------------
// Images

/** The registries file a side's nodes read; null when its text does not parse (then nothing resolves). */
function fileOf(facts: ReviewFacts): RegistriesFile | null {
  const { text, standIns } = facts.registries;
  if (!text) return null;
  const literal = Object.entries(standIns).reduce(
    (current, [placeholder, standIn]) => current.split(placeholder).join(JSON.stringify(standIn)),
    text,
  );
  const parsed = parseRegistriesYaml(literal);
  return parsed.diagnostics.some((diagnostic) => diagnostic.severity === "error") ? null : parsed.file;
}

function compareImages(base: ReviewFacts | null, head: ReviewFacts, extra: readonly string[]): ImageChange[] {
  const headFile = fileOf(head) ?? {};
  const baseFile = base ? (fileOf(base) ?? {}) : null;
  const fromRules = uniqueSorted(
    [headFile, ...(baseFile ? [baseFile] : [])].flatMap((file) => ruleImages(file).map((rule) => rule.image)),
  );
  const listed = uniqueSorted([...head.images, ...(base?.images ?? []), ...extra]);
  const origins = new Map<string, ImageChange["origin"]>([
    ...fromRules.map((image) => [image, "rule"] as const),
    ...listed.map((image) => [image, "listed"] as const),
  ]);
  return [...origins.keys()].sort().map((image) => {
    const after = pullOf(image, headFile, head);
    const before = baseFile && base ? pullOf(image, baseFile, base) : null;
    return {
      image,
      origin: origins.get(image)!,
      before,
      after,
      changed:
        before !== null && (before.endpoint !== after.endpoint || before.repository !== after.repository),
    };
  });
}

function pullOf(image: string, file: RegistriesFile, facts: ReviewFacts): Pull {
  const result = resolveImage(image, file);
  const [first] = result.attempts;
  const harborApi = `${facts.harborUrl.replace(/\/+$/, "")}/v2`;
  const atHarbor = first.endpoint === harborApi;
  const rules = facts.upstreams.find((upstream) => upstream.registry === result.registry)?.rules ?? [];
  // The first rule that takes the repository: a pass-through rule takes what it matches unchanged.
  const index = rules.findIndex((rule) =>
    isPassThrough(rule)
      ? compiledPattern(rule.match)?.matcher(result.repository).find() === true
      : applyRewriteRule(rule.match, rule.replace, result.repository) !== undefined,
  );
  return {
    endpoint: first.endpoint,
    repository: first.repository,
    rule: first.rule,
    userRule:
      atHarbor && index >= 0
        ? { index: index + 1, match: rules[index].match, replace: ruleTarget(rules[index]) }
        : null,
    bypassesHarbor: !atHarbor || (first.rule === null && first.candidates === undefined),
    deterministic: result.deterministic,
  };
}

// ---------------------------------------------------------------------------------------------
// Harbor resources

/** Attributes changed in place, by their name in the report. */
const UPDATABLE: readonly { attribute: string; of: (upstream: UpstreamFacts) => unknown }[] = [
  { attribute: "registry.endpoint_url", of: (upstream) => upstream.endpointUrl },
  { attribute: "project.public", of: (upstream) => upstream.public },
  { attribute: "project.storage_quota (GiB)", of: (upstream) => upstream.storageQuotaGiB },
  { attribute: "project.proxy_speed_kb", of: (upstream) => upstream.proxySpeedKb },
  { attribute: "project.proxy_cache_local_on_not_found", of: (upstream) => upstream.localOnNotFound },
  { attribute: "project.prevent_destroy", of: (upstream) => upstream.preventDestroy },
  { attribute: "retention.n_days_since_last_pull", of: (upstream) => upstream.retention.daysSinceLastPull },
  { attribute: "retention.schedule", of: (upstream) => upstream.retention.schedule },
];

function compareUpstreams(base: ReviewFacts | null, head: ReviewFacts): UpstreamChange[] {
  const before = new Map((base?.upstreams ?? []).map((upstream) => [upstream.registry, upstream]));
  const after = new Map(head.upstreams.map((upstream) => [upstream.registry, upstream]));
  const registries = [...new Set([...before.keys(), ...after.keys()])].sort();
  return registries.map((registry) =>
    upstreamChange(registry, before.get(registry), after.get(registry), base),
  );
}

function upstreamChange(
  registry: string,
  before: UpstreamFacts | undefined,
  after: UpstreamFacts | undefined,
  base: ReviewFacts | null,
): UpstreamChange {
  const common = { registry, before: before ?? null, after: after ?? null };
  if (!before) {
    // Without a base everything is reported as it is, not as created.
    const action: ResourceAction = base ? "create" : "no-op";
    return { ...common, action, forcedBy: [], cacheLost: false, blockedByPreventDestroy: false, changes: [] };
  }
  if (!after) {
    return {
      ...common,
      action: "delete",
      forcedBy: [],
      cacheLost: true,
      blockedByPreventDestroy: before.preventDestroy,
      changes: [],
    };
  }
  const forcedBy = forcedReplacements(before, after);
  const changes = UPDATABLE.flatMap(({ attribute, of }) =>
    of(before) === of(after) ? [] : [{ attribute, before: of(before), after: of(after) }],
  );
  const replaced = forcedBy.length > 0;
  return {
    ...common,
    action: replaced ? "replace" : changes.length > 0 ? "update" : "no-op",
    forcedBy,
    cacheLost: replaced,
    blockedByPreventDestroy: replaced && before.preventDestroy,
    changes,
  };
}

/**
 * `provider_name` replaces the registry and so every project wired to it by
 * `registry_id`; a project's `name` replaces the project; a replaced project replaces its
 * retention policy (`scope`).
 */
function forcedReplacements(before: UpstreamFacts, after: UpstreamFacts): ForcedReplacement[] {
  const forced: ForcedReplacement[] = [];
  if (before.provider !== after.provider) {
    forced.push({
      resource: "harbor_registry",
      attribute: "provider_name",
      before: before.provider,
      after: after.provider,
    });
    forced.push({
      resource: "harbor_project",
      attribute: "registry_id",
      before: "(old registry)",
      after: "(new registry)",
    });
  }
  if (before.project !== after.project) {
    forced.push({
      resource: "harbor_project",
      attribute: "name",
      before: before.project,
      after: after.project,
    });
  }
  if (forced.length > 0) {
    forced.push({
      resource: "harbor_retention_policy",
      attribute: "scope",
      before: "(old project)",
      after: "(new project)",
    });
  }
  return forced;
}

function compareRobot(base: ReviewFacts | null, head: ReviewFacts): RobotChange {
  const before = base?.robot ?? null;
  const after = head.robot;
  if (!base) return { action: "no-op", forcedBy: [], changes: [] };
  if (!before && !after) return { action: "no-op", forcedBy: [], changes: [] };
  if (!before) return { action: "create", forcedBy: [], changes: [] };
  if (!after) return { action: "delete", forcedBy: [], changes: [] };
  const forcedBy: ForcedReplacement[] = (["name", "level"] as const).flatMap((attribute) =>
    before[attribute] === after[attribute]
      ? []
      : [{ resource: "harbor_robot_account", attribute, before: before[attribute], after: after[attribute] }],
  );
  const permissions = (robot: typeof before) => JSON.stringify(robot.permissions);
  const changes =
    permissions(before) === permissions(after)
      ? []
      : [{ attribute: "permissions", before: before.permissions, after: after.permissions }];
  return { action: forcedBy.length ? "replace" : changes.length ? "update" : "no-op", forcedBy, changes };
}

/** Settings every review shows, with the value on each side (JSON-compared). */
const SETTINGS: readonly { setting: string; of: (facts: ReviewFacts) => unknown }[] = [
  { setting: "Harbor URL", of: (facts) => facts.harborUrl },
  { setting: "access", of: (facts) => facts.access },
  { setting: "CA path on nodes", of: (facts) => facts.caCertNodePath },
  { setting: "backend", of: (facts) => facts.backend },
  {
    setting: "project protection (prevent_destroy)",
    of: (facts) => distinct(facts.upstreams.map((u) => u.preventDestroy)),
  },
  { setting: "retention", of: (facts) => distinct(facts.upstreams.map((u) => u.retention)) },
  { setting: "robot name", of: (facts) => facts.robot?.name ?? null },
  { setting: "robot level", of: (facts) => facts.robot?.level ?? null },
  { setting: "robot permissions", of: (facts) => facts.robot?.permissions ?? null },
  { setting: "restart timeout (s)", of: (facts) => facts.rollout.restartTimeoutSeconds },
];

/** One value when every upstream agrees (the usual case: these are stack-wide settings), else all of them. */
function distinct<T>(values: readonly T[]): T | T[] | null {
  const unique = [...new Map(values.map((value) => [JSON.stringify(value), value])).values()];
  return unique.length === 0 ? null : unique.length === 1 ? unique[0] : unique;
}

function compareSettings(base: ReviewFacts | null, head: ReviewFacts): SettingChange[] {
  return SETTINGS.map(({ setting, of }) => {
    const after = of(head);
    const before = base ? of(base) : null;
    return {
      setting,
      before,
      after,
      changed: base !== null && JSON.stringify(before) !== JSON.stringify(after),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Restarts

interface NodeState {
  readonly unit: string;
  /** Whether any of its files restarts the unit when it changes (containerd's hosts.toml do not). */
  readonly restartsOnChange: boolean;
  /** Restarting files (path and hash), then the others. */
  readonly restartKey: string;
  readonly otherKey: string;
}

function nodeStates(facts: ReviewFacts): Map<string, NodeState> {
  const states = new Map<string, NodeState>();
  for (const kind of facts.nodeKinds) {
    const key = (restart: boolean) =>
      JSON.stringify(
        kind.files.filter((file) => file.restartOnChange === restart).map((file) => [file.path, file.sha256]),
      );
    const state = {
      unit: kind.unit,
      restartsOnChange: kind.files.some((file) => file.restartOnChange),
      restartKey: key(true),
      otherKey: key(false),
    };
    for (const node of kind.nodes) states.set(node, state);
  }
  return states;
}

/**
 * `newCredentials`: the robot is created, replaced or removed, so the file's apply-time name and
 * secret change on every node although its rendering (placeholders) does not.
 */
function restartPlan(base: ReviewFacts | null, head: ReviewFacts, newCredentials: boolean): RestartPlan {
  const after = nodeStates(head);
  const before = base ? nodeStates(base) : null;
  const restarting: string[] = [];
  const added: string[] = [];
  const redelivered: string[] = [];
  let unchanged = 0;
  for (const [name, state] of after) {
    const previous = before ? before.get(name) : undefined;
    if (before && !previous) added.push(name);
    // A node without restarting files (containerd reads hosts.toml per pull) never restarts.
    if (
      state.restartsOnChange &&
      (!before ||
        !previous ||
        newCredentials ||
        previous.unit !== state.unit ||
        previous.restartKey !== state.restartKey)
    ) {
      restarting.push(name);
    } else if (!previous || previous.otherKey !== state.otherKey) redelivered.push(name);
    else unchanged++;
  }
  const removed = before ? [...before.keys()].filter((name) => !after.has(name)) : [];
  const restartingSet = new Set(restarting);
  const restartingSteps = head.rollout.steps.flatMap((step, index) =>
    step.some((name) => restartingSet.has(name)) ? [index] : [],
  );
  return {
    registriesSha256: {
      before: base?.registries.sha256 ?? null,
      after: head.registries.sha256,
      changed: base !== null && base.registries.sha256 !== head.registries.sha256,
    },
    restarting: naturalSort(restarting),
    added: naturalSort(added),
    removed: naturalSort(removed),
    redelivered: naturalSort(redelivered),
    unchanged,
    restartingSteps,
    worstCaseSeconds:
      restartingSteps.length === 0 ? 0 : (restartingSteps.length + 1) * head.rollout.restartTimeoutSeconds,
  };
}

function compiledPattern(pattern: string) {
  const compiled = compileRewritePattern(pattern);
  return compiled.ok ? compiled.regex : undefined;
}
