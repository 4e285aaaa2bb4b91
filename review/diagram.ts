/**
 * The Mermaid flowchart of the review report, in the direction images travel: upstream registry →
 * Harbor proxy project → the registries.yaml mirror whose rules send pulls there → node kinds.
 * Labels carry what the change does (replaced, created, how many nodes restart). GitHub renders
 * `flowchart` diagrams in pull-request comments.
 */
import { ruleTarget } from "../registries/model";
import type { ResourceAction, ReviewJson } from "./compare";

/** Mermaid ids allow letters, digits and underscores only. */
function nodeId(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
}

/** Text inside a quoted Mermaid label: quotes and angle brackets become entities. */
function label(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

/** A box with one or more lines; `<br/>` is Mermaid's line break inside a label. */
function box(id: string, lines: readonly string[]): string {
  return `    ${id}["${lines.map(label).join("<br/>")}"]`;
}

function subgraph(id: string, title: string, boxes: readonly string[]): string[] {
  return [`  subgraph ${id}["${label(title)}"]`, ...boxes, "  end"];
}

const ACTION_LABEL: Record<ResourceAction, string | undefined> = {
  create: "(created)",
  update: "(changed)",
  replace: "(REPLACED: cache lost)",
  delete: "(REMOVED: cache lost)",
  "no-op": undefined,
};

export function flowDiagram(review: ReviewJson): string {
  const { head } = review;
  const harborHost = head.harborUrl.replace(/^[a-z]+:\/\//, "");
  const upstreams = review.upstreams.map((change) => ({
    change,
    facts: change.after ?? change.before!,
    note: ACTION_LABEL[change.action],
  }));
  const restarting = new Set(review.restarts.restarting);
  const nodeKinds = head.nodeKinds.length
    ? head.nodeKinds.map((kind, index) => ({
        id: nodeId("n", `${index}_${kind.unit}`),
        lines: [
          `${kind.unit} × ${kind.nodes.length.toLocaleString("en")}`,
          `restart: ${kind.nodes.filter((node) => restarting.has(node)).length.toLocaleString("en")}`,
        ],
      }))
    : [{ id: "n_none", lines: ["no nodes configured"] }];
  const current = upstreams.filter((upstream) => upstream.change.after !== null);
  return [
    "flowchart LR",
    ...subgraph(
      "upstreams",
      "Upstream registries",
      // An in-place change is the project's (quota, retention…); the registry box shows only whole-resource actions.
      upstreams.map(({ facts, note, change }) =>
        box(nodeId("u", facts.registry), [
          facts.registry,
          facts.provider,
          ...(note && change.action !== "update" ? [note] : []),
        ]),
      ),
    ),
    ...subgraph(
      "harbor",
      `Harbor ${harborHost} (${head.access})`,
      upstreams.map(({ facts, note }) =>
        box(nodeId("p", facts.registry), [`project ${facts.project}`, ...(note ? [note] : [])]),
      ),
    ),
    ...subgraph(
      "mirrors",
      "registries.yaml mirrors",
      current.map(({ facts }) =>
        box(nodeId("m", facts.registry), [
          facts.registry,
          ...(facts.rules ?? []).map((rule, index) => `${index + 1}. ${rule.match} → ${ruleTarget(rule)}`),
        ]),
      ),
    ),
    ...subgraph(
      "nodes",
      "Nodes",
      nodeKinds.map((kind) => box(kind.id, kind.lines)),
    ),
    ...upstreams.flatMap(({ facts, change }) => [
      `  ${nodeId("u", facts.registry)} -->|proxy cache| ${nodeId("p", facts.registry)}`,
      ...(change.after ? [`  ${nodeId("p", facts.registry)} --> ${nodeId("m", facts.registry)}`] : []),
    ]),
    ...nodeKinds.map((kind) => `  mirrors --> ${kind.id}`),
  ].join("\n");
}
