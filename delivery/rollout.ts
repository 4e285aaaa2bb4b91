/**
 * The order in which nodes get the new file (prior-art.md: Terraform has no rolling apply, so the
 * order is expressed as `depends_on` chains). Nodes are sorted by name (natural order: `n3` before
 * `n10`) within their role, so the order of the input never matters.
 */
import { throwIfErrors } from "../registries/diagnostics";
import { checkPositiveInteger } from "./checks";
import { compareNodeNames, NodeRole } from "./nodes";

/** `parallel`: every node at once. `rolling`: servers one at a time, then agents `batchSize` at a time. */
export type RolloutPolicy =
  { readonly kind: "parallel" } | { readonly kind: "rolling"; readonly batchSize: number };

export interface RolloutNode {
  readonly name: string;
  readonly role: NodeRole;
}

/** Node names delivered together; a step starts when the previous step has finished. */
export type RolloutStep = readonly string[];

export function planRollout(nodes: readonly RolloutNode[], policy: RolloutPolicy): RolloutStep[] {
  const servers = sortedNamesOf(nodes, "server");
  const agents = sortedNamesOf(nodes, "agent");
  if (policy.kind === "parallel") return nonEmpty([[...servers, ...agents]]);
  throwIfErrors(checkPositiveInteger(policy.batchSize, ["batchSize"]));
  // Servers one by one: each restart briefly takes a control-plane member away.
  return [...servers.map((name) => [name]), ...chunk(agents, policy.batchSize)];
}

/** For each node, the nodes of the previous step it must wait for (empty for the first step). */
export function rolloutDependencies(steps: readonly RolloutStep[]): Map<string, readonly string[]> {
  const dependencies = new Map<string, readonly string[]>();
  steps.forEach((step, index) => {
    for (const name of step) dependencies.set(name, index === 0 ? [] : steps[index - 1]);
  });
  return dependencies;
}

function sortedNamesOf(nodes: readonly RolloutNode[], role: NodeRole): string[] {
  return nodes
    .filter((node) => node.role === role)
    .map((node) => node.name)
    .sort(compareNodeNames);
}

function chunk(names: readonly string[], size: number): string[][] {
  const chunks: string[][] = [];
  for (let start = 0; start < names.length; start += size) chunks.push(names.slice(start, start + size));
  return chunks;
}

function nonEmpty(steps: string[][]): string[][] {
  return steps.filter((step) => step.length > 0);
}
