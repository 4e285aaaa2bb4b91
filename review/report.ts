/**
 * The plan-review report (`review.md`): what a change does to every node, readable in a pull
 * request. Pure: it formats a ReviewModel into Markdown with a Mermaid flowchart; it computes
 * nothing about registries itself (the resolver and the renderer did that).
 */
import type { OrderedMirror, OrderedRewrite } from "../registries/model";
import type { ResolveResult } from "../registries/resolve";
import { flowDiagram } from "./diagram";

export interface ReviewUpstream {
  readonly registry: string;
  readonly project: string;
  readonly provider: string;
  readonly endpointUrl: string;
}

/** Nodes that receive the same file at the same path and restart the same unit. */
export interface ReviewNodeClass {
  readonly role: "server" | "agent";
  readonly unit: string;
  readonly path: string;
  readonly nodes: readonly string[];
}

export interface ReviewModel {
  readonly harborUrl: string;
  readonly access: "public" | "robot";
  readonly upstreams: readonly ReviewUpstream[];
  readonly mirrors: readonly OrderedMirror[];
  /** The registries.yaml nodes receive, with apply-time secrets shown as placeholders. */
  readonly registriesYaml: string;
  readonly nodeClasses: readonly ReviewNodeClass[];
  /** Rollout steps in order; the nodes of one step restart together. */
  readonly rolloutSteps: readonly (readonly string[])[];
  readonly resolutions: readonly ResolveResult[];
  readonly warnings: readonly string[];
}

/** The mirror rules of one upstream registry, in priority order. */
export function rulesOf(model: ReviewModel, registry: string): readonly OrderedRewrite[] {
  return model.mirrors.find((mirror) => mirror.registry === registry)?.rewrites ?? [];
}

export function renderReviewReport(model: ReviewModel): string {
  return [
    "# harbor-mirror plan review",
    "",
    `Harbor: \`${model.harborUrl}\` · access: **${model.access}** · upstreams: ${model.upstreams.length} · ` +
      `nodes: ${model.nodeClasses.reduce((count, nodeClass) => count + nodeClass.nodes.length, 0)}`,
    "",
    section("Flow", ["```mermaid", flowDiagram(model), "```"]),
    section("Upstreams", upstreamTable(model)),
    section("Resolution of common images", resolutionTable(model.resolutions)),
    section("registries.yaml delivered to nodes", nodeClassLines(model)),
    section("Rollout order", rolloutLines(model.rolloutSteps)),
    section("Warnings", model.warnings.length ? model.warnings.map((warning) => `- ${warning}`) : ["None."]),
  ].join("\n");
}

function section(title: string, lines: readonly string[]): string {
  return [`## ${title}`, "", ...lines, ""].join("\n");
}

/** Markdown table cell: pipes and newlines would break the row. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function code(text: string): string {
  return `\`${cell(text)}\``;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ];
}

function upstreamTable(model: ReviewModel): string[] {
  const harborHost = new URL(model.harborUrl).host;
  const rows = model.upstreams.map((upstream) => {
    const rules = rulesOf(model, upstream.registry);
    return [
      code(upstream.registry),
      `${code(upstream.provider)} ${code(upstream.endpointUrl)}`,
      code(`${harborHost}/${upstream.project}`),
      rules.map((rule, index) => `${index + 1}. ${code(rule.match)} → ${code(rule.replace)}`).join("<br>"),
    ];
  });
  return table(
    ["upstream", "Harbor endpoint", "proxy project (pull prefix)", "mirror rules, in priority order"],
    rows,
  );
}

function resolutionTable(resolutions: readonly ResolveResult[]): string[] {
  const rows = resolutions.map((resolution) => {
    const [first, ...fallbacks] = resolution.attempts;
    return [
      code(resolution.image),
      first ? attemptText(first) : "—",
      fallbacks.map((attempt) => attemptText(attempt)).join("<br>") || "none",
      resolution.deterministic ? "yes" : "**no**",
    ];
  });
  return table(["image", "pulled first from", "then", "deterministic"], rows);
}

function attemptText(attempt: ResolveResult["attempts"][number]): string {
  const repository = attempt.repository ?? `one of ${(attempt.candidates ?? []).join(", ")}`;
  return `${code(attempt.endpoint)} ${code(repository)}`;
}

function nodeClassLines(model: ReviewModel): string[] {
  const classes = model.nodeClasses.length
    ? table(
        ["role", "unit restarted", "path", "nodes"],
        model.nodeClasses.map((nodeClass) => [
          nodeClass.role,
          code(nodeClass.unit),
          code(nodeClass.path),
          nodeClass.nodes.map(code).join(", "),
        ]),
      )
    : ["No nodes are configured: the file is rendered but not delivered."];
  return [
    ...classes,
    "",
    "Every node receives the same file, `0600 root:root`; secrets known only at apply time are shown as placeholders.",
    "",
    "```yaml",
    model.registriesYaml.trimEnd(),
    "```",
  ];
}

function rolloutLines(steps: readonly (readonly string[])[]): string[] {
  if (!steps.length) return ["Nothing to roll out."];
  return steps.map((step, index) => `${index + 1}. ${step.map(code).join(", ")}`);
}
