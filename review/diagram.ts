/**
 * The Mermaid flowchart of the review report: upstream registry → Harbor proxy project → node
 * classes, each edge into the nodes labelled with the mirror rule that sends pulls there.
 * GitHub renders `flowchart` diagrams in pull-request comments.
 */
import type { ReviewModel } from "./report";

/** Mermaid ids allow letters, digits and underscores only. */
function nodeId(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
}

/** Text inside a quoted Mermaid label: quotes and angle brackets become entities. */
function label(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

export function flowDiagram(model: ReviewModel): string {
  const harborHost = new URL(model.harborUrl).host;
  const lines = ["flowchart LR"];
  lines.push('  subgraph upstreams["Upstream registries"]');
  for (const upstream of model.upstreams) {
    lines.push(
      `    ${nodeId("u", upstream.registry)}["${label(`${upstream.registry} (${upstream.provider})`)}"]`,
    );
  }
  lines.push("  end");
  lines.push(`  subgraph harbor["${label(`Harbor ${harborHost} (${model.access})`)}"]`);
  for (const upstream of model.upstreams) {
    lines.push(`    ${nodeId("p", upstream.registry)}["${label(`project ${upstream.project}`)}"]`);
  }
  lines.push("  end");
  const classes = model.nodeClasses.length
    ? model.nodeClasses.map((nodeClass) => ({
        id: nodeId("n", nodeClass.unit),
        text: `${nodeClass.unit} × ${nodeClass.nodes.length}`,
      }))
    : [{ id: "n_none", text: "no nodes configured" }];
  lines.push('  subgraph nodes["Nodes (registries.yaml)"]');
  for (const nodeClass of classes) lines.push(`    ${nodeClass.id}["${label(nodeClass.text)}"]`);
  lines.push("  end");
  for (const upstream of model.upstreams) {
    lines.push(`  ${nodeId("u", upstream.registry)} -->|"proxy cache"| ${nodeId("p", upstream.registry)}`);
    const rules = model.mirrors.find((mirror) => mirror.registry === upstream.registry)?.rewrites ?? [];
    const ruleText = rules.map((rule) => `${rule.match} → ${rule.replace}`).join("; ");
    for (const nodeClass of classes) {
      lines.push(`  ${nodeId("p", upstream.registry)} -->|"${label(ruleText)}"| ${nodeClass.id}`);
    }
  }
  return lines.join("\n");
}
