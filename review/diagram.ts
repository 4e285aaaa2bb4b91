/**
 * The Mermaid flowchart of the review report, in the direction images travel: upstream registry →
 * Harbor proxy project → the registries.yaml mirror whose rules send pulls there → node classes.
 * GitHub renders `flowchart` diagrams in pull-request comments.
 */
import { rulesOf, type ReviewModel } from "./report";

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

export function flowDiagram(model: ReviewModel): string {
  const harborHost = new URL(model.harborUrl).host;
  const ruleLines = (registry: string) =>
    rulesOf(model, registry).map((rule, index) => `${index + 1}. ${rule.match} → ${rule.replace}`);
  const nodeClasses = model.nodeClasses.length
    ? model.nodeClasses.map((nodeClass) => ({
        id: nodeId("n", nodeClass.unit),
        text: `${nodeClass.unit} × ${nodeClass.nodes.length}`,
      }))
    : [{ id: "n_none", text: "no nodes configured" }];
  return [
    "flowchart LR",
    ...subgraph(
      "upstreams",
      "Upstream registries",
      model.upstreams.map((upstream) =>
        box(nodeId("u", upstream.registry), [upstream.registry, upstream.provider]),
      ),
    ),
    ...subgraph(
      "harbor",
      `Harbor ${harborHost} (${model.access})`,
      model.upstreams.map((upstream) => box(nodeId("p", upstream.registry), [`project ${upstream.project}`])),
    ),
    ...subgraph(
      "mirrors",
      "registries.yaml mirrors",
      model.upstreams.map((upstream) =>
        box(nodeId("m", upstream.registry), [upstream.registry, ...ruleLines(upstream.registry)]),
      ),
    ),
    ...subgraph(
      "nodes",
      "Nodes",
      nodeClasses.map((nodeClass) => box(nodeClass.id, [nodeClass.text])),
    ),
    ...model.upstreams.flatMap((upstream) => [
      `  ${nodeId("u", upstream.registry)} -->|proxy cache| ${nodeId("p", upstream.registry)}`,
      `  ${nodeId("p", upstream.registry)} --> ${nodeId("m", upstream.registry)}`,
    ]),
    ...nodeClasses.map((nodeClass) => `  mirrors --> ${nodeClass.id}`),
  ].join("\n");
}
