/**
 * The order in which nodes get the new files (Terraform has no rolling apply, so the
 * order is expressed as `depends_on` between steps), and the Terraform resources that carry them.
 * Nodes are sorted by name (natural order: `n3` before `n10`) within their role, so the order of the input never matters.
 *
 * Batches and resource groups are cut by content-defined chunking of the sorted names
 * (`stableChunks`) keyed by the name that starts each run, and spread over resources by a hash of
 * the name: unlike cutting by list position (measured: one insert moved 499 of 5,000 nodes), adding
 * or removing a node leaves every other node's resource as it was with `parallel` and with batches
 * of 1 (the default); with larger batches only nodes of its own run can move (a bounded batch must
 * take someone's place, so some move is unavoidable there).
 */
import { throwIfErrors } from "../registries/diagnostics";
import { checkPositiveInteger } from "./checks";
import { compareNodeNames, NodeRole } from "./nodes";

/**
 * `parallel`: every node at once. `rolling`: servers one at a time, then agents `batchSize` at a
 * time. `servers-first`: servers one at a time, then every agent in one step without an order
 * among them (Terraform's `-parallelism` bounds how many run at once).
 */
export type RolloutPolicy =
  | { readonly kind: "parallel" }
  | { readonly kind: "servers-first" }
  | { readonly kind: "rolling"; readonly batchSize: number };

export interface RolloutNode {
  readonly name: string;
  readonly role: NodeRole;
}

/** Node names delivered together; a step starts when the previous step has finished. */
export type RolloutStep = readonly string[];

/** Names under a stable key: the key depends on the names, never on their position in the fleet. */
export interface KeyedNames {
  readonly key: string;
  readonly names: readonly string[];
}

/**
 * The nodes one Terraform resource delivers (`for_each` over them). Every group of a step waits for
 * every group of the step before (`after`).
 */
export interface DeliveryGroup extends KeyedNames {
  readonly role: NodeRole;
  /** Keys of the groups this one waits for. */
  readonly after: readonly string[];
}

/**
 * Terraform 1.11 plans the instances of one resource in time quadratic in their number, while
 * every resource also costs its own share (measured with `terraform_data`, 2 cores, plan CPU: 1,000
 * nodes as 1,000 resources 10.8 s, as 100 × 10 3.3 s, as 20 × 50 2.8 s, as 5 × 200 3.7 s;
 * `npm run bench`), so a step of many nodes is spread over hash buckets of about this many nodes.
 */
export const GROUP_SIZE = 25;

/**
 * Buckets of a step without an order among its nodes (`parallel`, the agents of
 * `servers-first`): a fixed count, so that a node's bucket depends on its name alone and no node
 * ever moves when others come or go; 10,000 nodes give about 40 each.
 */
export const UNORDERED_BUCKETS = 256;

/**
 * More sequential steps than this draw a warning: Terraform 1.11 plans a chain in time growing
 * with the square of its nodes (plan CPU of 4,000 nodes: 6 s unordered, 42 s in 10 steps, 62 s in
 * 400; npm run bench), so a long rolling rollout of a large fleet makes every plan slow.
 */
export const LONG_ROLLOUT_STEPS = 100;

const PARALLEL_STEP = "all";
const UNORDERED_AGENTS_STEP = "agents";

export function planRollout(nodes: readonly RolloutNode[], policy: RolloutPolicy): RolloutStep[] {
  return planKeyedSteps(nodes, policy).map((step) => step.names);
}

/** A rollout step and the number of hash buckets its nodes are spread over (delivery groups). */
export interface KeyedStep extends KeyedNames {
  readonly buckets: number;
}

/** The rollout steps with their stable keys: a server's own name, or the key of an agent batch. */
export function planKeyedSteps(nodes: readonly RolloutNode[], policy: RolloutPolicy): KeyedStep[] {
  const servers = sortedNamesOf(nodes, "server");
  const agents = sortedNamesOf(nodes, "agent");
  // No batch bounds an unordered step: its nodes go to the fixed buckets, so none ever moves.
  const unordered = (key: string, names: readonly string[]) =>
    names.length === 0 ? [] : [{ key, names, buckets: UNORDERED_BUCKETS }];
  if (policy.kind === "parallel") return unordered(PARALLEL_STEP, [...servers, ...agents]);
  if (policy.kind === "rolling") throwIfErrors(checkPositiveInteger(policy.batchSize, ["batchSize"]));
  // A bucket count fixed by the policy: a node's bucket within its step depends on its name alone.
  const buckets = policy.kind === "rolling" ? Math.ceil(policy.batchSize / GROUP_SIZE) : 1;
  // Servers one by one: each restart briefly takes a control-plane member away.
  const serverSteps = servers.map((name) => ({ key: name, names: [name], buckets }));
  if (policy.kind === "servers-first") return [...serverSteps, ...unordered(UNORDERED_AGENTS_STEP, agents)];
  return [
    ...serverSteps,
    ...stableChunks(agents, policy.batchSize, true).map((batch) => ({
      key: `agents-${batch.key}`,
      names: batch.names,
      buckets,
    })),
  ];
}

/**
 * The resources that carry a rollout's steps (`planKeyedSteps`): each step split by role and by
 * `classOf` (nodes whose install script has a different shape, e.g. root or sudo) and into its hash
 * buckets. Keys are unique and stable; every group of a step is `after` every group of the step before.
 */
export function planDeliveryGroups(
  steps: readonly KeyedStep[],
  nodes: readonly RolloutNode[],
  classOf: (name: string) => string,
): DeliveryGroup[] {
  const roles = new Map(nodes.map((node) => [node.name, node.role]));
  let previous: readonly string[] = [];
  return steps.flatMap((step) => {
    const groups = groupsOfStep(step, roles, classOf).map((group) => ({ ...group, after: previous }));
    previous = groups.map((group) => group.key);
    return groups;
  });
}

function groupsOfStep(
  step: KeyedStep,
  roles: ReadonlyMap<string, NodeRole>,
  classOf: (name: string) => string,
): Omit<DeliveryGroup, "after">[] {
  const parts = new Map<string, { role: NodeRole; names: string[] }>();
  for (const name of step.names) {
    const role = roles.get(name)!;
    const part = `${role}-${classOf(name)}`;
    const entry = parts.get(part) ?? { role, names: [] };
    entry.names.push(name);
    parts.set(part, entry);
  }
  return [...parts].flatMap(([part, { role, names }]) =>
    hashBuckets(names, step.buckets).map((chunk) => ({
      key: `${step.key}-${part}-${chunk.key}`,
      role,
      names: chunk.names,
    })),
  );
}

/** For each node, the nodes of the previous step it must wait for (empty for the first step). */
export function rolloutDependencies(steps: readonly RolloutStep[]): Map<string, readonly string[]> {
  const dependencies = new Map<string, readonly string[]>();
  steps.forEach((step, index) => {
    for (const name of step) dependencies.set(name, index === 0 ? [] : steps[index - 1]);
  });
  return dependencies;
}

/**
 * Content-defined chunks of `sortedNames`: a run starts at every name whose hash is 0 modulo
 * `size` (`size` × RUNS_PER_BATCH when `bounded`; every name when `size` is 1) and is keyed by it; the
 * names before the first such name form the run "head". Adding a name moves no other name, unless
 * the added name starts a run: then the names after it in its run join it. `bounded`: runs longer
 * than `size` are cut into pieces keyed `<run>+2`, `<run>+3`… (`+` cannot occur in a node name),
 * so no chunk exceeds `size`; then the names after an added one inside its run may also shift to
 * the next piece. With `size` 1 nothing ever moves.
 */
/**
 * Bounded chunks: a run is this many batches long on average, so that most pieces are full (the
 * rollout takes few more steps than by position) while an insert shifts only the pieces after it
 * inside its run (a few nodes, against every later node by position).
 */
const RUNS_PER_BATCH = 8;

export function stableChunks(sortedNames: readonly string[], size: number, bounded: boolean): KeyedNames[] {
  const chunks: { key: string; names: string[] }[] = [];
  let run = "head";
  let piece = 0;
  for (const name of sortedNames) {
    const current = chunks[chunks.length - 1];
    if (size === 1 || nameHash(name) % (bounded ? size * RUNS_PER_BATCH : size) === 0) {
      run = name;
      piece = 1;
      chunks.push({ key: run, names: [name] });
    } else if (current === undefined || (bounded && current.names.length === size)) {
      piece += 1;
      chunks.push({ key: piece === 1 ? run : `${run}+${piece}`, names: [name] });
    } else {
      current.names.push(name);
    }
  }
  return chunks;
}

/**
 * `names` by `nameHash` modulo `count`, keyed `b<bucket>` (just "b0" for one bucket): a node's
 * bucket depends on its name alone.
 */
function hashBuckets(names: readonly string[], count: number): KeyedNames[] {
  const buckets = new Map<number, string[]>();
  for (const name of names) {
    const bucket = nameHash(name) % count;
    const members = buckets.get(bucket);
    if (members) members.push(name);
    else buckets.set(bucket, [name]);
  }
  return [...buckets.keys()]
    .sort((a, b) => a - b)
    .map((bucket) => ({ key: `b${bucket}`, names: buckets.get(bucket)! }));
}

/** FNV-1a (32 bit): fast, and the same on every machine and Node version. */
function nameHash(name: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < name.length; index++) {
    hash ^= name.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function sortedNamesOf(nodes: readonly RolloutNode[], role: NodeRole): string[] {
  return nodes
    .filter((node) => node.role === role)
    .map((node) => node.name)
    .sort(compareNodeNames);
}
