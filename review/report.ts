/**
 * The plan-review report (`review.md`): what a change does, readable in one pull-request comment.
 * Pure: it formats the comparison of review/compare (the same facts as review.json) into Markdown
 * with a Mermaid flowchart, and stays bounded at any node count (node lists fold into ranges).
 */
import { ruleTarget } from "../registries/model";
import type {
  AttributeChange,
  ImageChange,
  Pull,
  ReviewJson,
  SettingChange,
  UpstreamChange,
} from "./compare";
import { flowDiagram } from "./diagram";
import type { NodeKindFacts, UpstreamFacts } from "./facts";
import { collapsedNames, nameRanges, rangeText } from "./node-list";

/** Hidden first line: a pipeline finds its earlier comment by it and edits that comment. */
export const REVIEW_MARKER = "<!-- harbor-mirror-review -->";

/** Images listed in full before the rest is counted (review.json has them all). */
const MAX_IMAGE_ROWS = 60;

export function renderReviewReport(review: ReviewJson): string {
  const { head } = review;
  const nodes = head.nodeKinds.reduce((count, kind) => count + kind.nodes.length, 0);
  return [
    REVIEW_MARKER,
    "# harbor-mirror plan review",
    "",
    review.baseSource === null
      ? "No base to compare with (`harbor-mirror review --base <file>`): everything is shown as it will be."
      : `Compared with ${code(review.baseSource)}.`,
    "",
    `Harbor: ${code(head.harborUrl)} · access: **${head.access}** · upstreams: ${head.upstreams.length} · ` +
      `nodes: ${nodes.toLocaleString("en")}`,
    "",
    section("Needs attention", attentionLines(review)),
    section("Flow", ["```mermaid", flowDiagram(review), "```"]),
    section("Images: where nodes pull from", imageLines(review)),
    section("Harbor: what Terraform will do", harborActionLines(review)),
    section("Harbor settings", settingLines(review)),
    section("Mirror rules, in priority order", ruleLines(review)),
    section("Who restarts", restartLines(review)),
    section("registries.yaml delivered to nodes", fileLines(review)),
    section(
      "Warnings",
      head.warnings.length ? head.warnings.map((warning) => `- ${cell(warning)}`) : ["None."],
    ),
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
  const safe = cell(text);
  return safe.includes("`") ? `\`\` ${safe} \`\`` : `\`${safe}\``;
}

function value(item: unknown): string {
  if (item === null || item === undefined) return "—";
  return code(typeof item === "string" ? item : JSON.stringify(item));
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ];
}

function count(items: readonly unknown[], noun: string): string {
  return `${items.length.toLocaleString("en")} ${noun}${items.length === 1 ? "" : "s"}`;
}

function verb(items: readonly unknown[], one: string, many: string): string {
  return items.length === 1 ? one : many;
}

function attentionLines(review: ReviewJson): string[] {
  const { summary, restarts } = review;
  const lines = [
    ...(summary.bypassesHarbor.length
      ? [
          `- **${count(summary.bypassesHarbor, "image")} ${verb(summary.bypassesHarbor, "bypasses", "bypass")} Harbor**: ${summary.bypassesHarbor.slice(0, 10).map(code).join(", ")}`,
        ]
      : []),
    ...(summary.changesSource.length
      ? [
          `- **${count(summary.changesSource, "image")} ${verb(summary.changesSource, "changes where it is", "change where they are")} pulled from**: ${summary.changesSource.slice(0, 10).map(code).join(", ")}`,
        ]
      : []),
    ...summary.replacesProxyProject.map(
      (registry) => `- **The proxy project of ${code(registry)} is replaced**: its cache is lost.`,
    ),
    ...review.upstreams
      .filter((upstream) => upstream.action === "delete")
      .map(
        (upstream) => `- **The proxy project of ${code(upstream.registry)} is removed**: its cache is lost.`,
      ),
    ...summary.blockedByPreventDestroy.map(
      (registry) =>
        `- **Blocked**: ${code(registry)}'s project has \`prevent_destroy\`, so \`terraform plan\` fails until protection is lifted for that run.`,
    ),
    ...(review.robot.action === "replace"
      ? ["- **The pull robot is replaced**: new name and secret on every node (every node restarts)."]
      : []),
    ...(review.settings.some((setting) => setting.setting === "retention" && setting.changed)
      ? ["- **Retention changes**: the next run deletes cached artifacts the new policy no longer keeps."]
      : []),
    ...(restarts.restarting.length
      ? [
          `- **${count(restarts.restarting, "node")} ${verb(restarts.restarting, "restarts", "restart")}** in ${count(restarts.restartingSteps, "rollout step")}, worst case ${duration(restarts.worstCaseSeconds)}.`,
        ]
      : []),
  ];
  return lines.length
    ? lines
    : ["Nothing: no image changes source or bypasses Harbor, nothing is replaced, no node restarts."];
}

// ---------------------------------------------------------------------------------------------

function pullText(pull: Pull | null): string {
  if (!pull) return "—";
  const repository = pull.repository ?? "(random: rules disagree)";
  const rule = pull.userRule ? ` (rule ${pull.userRule.index}: ${code(pull.userRule.match)})` : "";
  return `${code(pull.endpoint)} ${code(repository)}${rule}`;
}

/** Why an image is reviewed: the user's rule it was built for, or the team's list. */
function originText(image: ImageChange): string {
  if (image.origin === "listed") return "listed";
  const rule = image.after.userRule ?? image.before?.userRule;
  return rule
    ? `rule ${rule.index}: ${code(rule.match)}`
    : `rule ${code(image.after.rule ?? image.before?.rule ?? "—")}`;
}

function imageFlags(image: ImageChange): string {
  return [
    image.changed ? "**changed**" : "",
    image.after.bypassesHarbor ? "**bypasses Harbor**" : "",
    image.after.deterministic ? "" : "**not deterministic**",
  ]
    .filter((flag) => flag)
    .join(", ");
}

function imageLines(review: ReviewJson): string[] {
  // What needs a look first; the rest in name order.
  const notable = (image: ImageChange) =>
    image.changed || image.after.bypassesHarbor || !image.after.deterministic;
  const ordered = [...review.images.filter(notable), ...review.images.filter((image) => !notable(image))];
  const shown = ordered.slice(0, MAX_IMAGE_ROWS);
  const rows = shown.map((image) => [
    code(image.image),
    originText(image),
    pullText(image.before),
    pullText(image.after),
    imageFlags(image),
  ]);
  const more = ordered.length - shown.length;
  return [
    "One image is built for each rule of each mirror (so every rule is exercised), plus the images the team lists (`--images`). First endpoint tried and the repository sent there:",
    "",
    ...table(["image", "why", "before", "after", ""], rows),
    ...(more > 0 ? ["", `… ${more.toLocaleString("en")} more images: see review.json.`] : []),
  ];
}

// ---------------------------------------------------------------------------------------------

const ACTION_TEXT: Record<UpstreamChange["action"], string> = {
  create: "**created**",
  update: "**changed**",
  replace: "**replaced**",
  delete: "**removed**",
  "no-op": "unchanged",
};

function changeText(change: AttributeChange): string {
  return `${code(change.attribute)}: ${value(change.before)} → ${value(change.after)}`;
}

function costText(upstream: UpstreamChange): string {
  const costs = [
    upstream.cacheLost ? "cache lost" : "",
    upstream.blockedByPreventDestroy ? "blocked by `prevent_destroy`" : "",
  ].filter((cost) => cost);
  return costs.join("; ") || "—";
}

function harborActionLines(review: ReviewJson): string[] {
  const rows = review.upstreams.map((upstream) => [
    code(upstream.registry),
    ACTION_TEXT[upstream.action],
    upstream.forcedBy
      .map(
        (forced) =>
          `${code(`${forced.resource}.${forced.attribute}`)}: ${value(forced.before)} → ${value(forced.after)}`,
      )
      .join("<br>") || "—",
    costText(upstream),
    upstream.changes.map(changeText).join("<br>") || "—",
  ]);
  const robot = review.robot;
  const robotLine =
    review.head.robot === null && robot.action === "no-op"
      ? "No pull robot (access public)."
      : `Pull robot: ${ACTION_TEXT[robot.action]}` +
        (robot.forcedBy.length
          ? ` (forced by ${robot.forcedBy.map((forced) => `${code(forced.attribute)} ${value(forced.before)} → ${value(forced.after)}`).join(", ")})`
          : "") +
        (robot.changes.length ? `; permissions change` : "") +
        ".";
  return [
    ...table(["upstream", "action", "forces replacement", "cost", "changed in place"], rows),
    "",
    robotLine,
  ];
}

// ---------------------------------------------------------------------------------------------

function beforeAfter(before: unknown, after: unknown, hasBase: boolean): string {
  if (!hasBase || JSON.stringify(before) === JSON.stringify(after)) return value(after);
  return `${value(before)} → **${value(after)}**`;
}

function settingRow(setting: SettingChange, hasBase: boolean): string[] {
  return [
    setting.setting,
    beforeAfter(setting.before, setting.after, hasBase),
    setting.changed ? "**changed**" : "",
  ];
}

const UPSTREAM_COLUMNS: readonly { title: string; of: (upstream: UpstreamFacts) => unknown }[] = [
  { title: "project", of: (upstream) => upstream.project },
  { title: "provider", of: (upstream) => upstream.provider },
  { title: "endpoint", of: (upstream) => upstream.endpointUrl },
  { title: "quota GiB", of: (upstream) => upstream.storageQuotaGiB },
  { title: "bandwidth KB/s", of: (upstream) => upstream.proxySpeedKb ?? "unlimited" },
  { title: "localOnNotFound", of: (upstream) => upstream.localOnNotFound ?? false },
  {
    title: "retention",
    of: (upstream) =>
      `${upstream.retention.daysSinceLastPull} days since last pull, ${upstream.retention.schedule}`,
  },
  { title: "prevent_destroy", of: (upstream) => upstream.preventDestroy },
];

function settingLines(review: ReviewJson): string[] {
  const hasBase = review.base !== null;
  const upstreamRows = review.upstreams.map((upstream) => [
    code(upstream.registry),
    ...UPSTREAM_COLUMNS.map(({ of }) =>
      upstream.after
        ? beforeAfter(
            upstream.before ? of(upstream.before) : undefined,
            of(upstream.after),
            hasBase && upstream.before !== null,
          )
        : `~~${value(upstream.before ? of(upstream.before) : null)}~~`,
    ),
  ]);
  return [
    ...table(
      ["setting", hasBase ? "before → after" : "value", ""],
      review.settings.map((setting) => settingRow(setting, hasBase)),
    ),
    "",
    ...table(["upstream", ...UPSTREAM_COLUMNS.map((column) => column.title)], upstreamRows),
  ];
}

// ---------------------------------------------------------------------------------------------

function rulesText(upstream: UpstreamFacts | null): string {
  if (!upstream) return "—";
  if (upstream.rules === null) return "(not recorded in the base: it holds compiled rules only)";
  return upstream.rules
    .map((rule, index) => `${index + 1}. ${code(rule.match)} → ${code(ruleTarget(rule))}`)
    .join("<br>");
}

function ruleLines(review: ReviewJson): string[] {
  const hasBase = review.base !== null;
  const rows = review.upstreams.map((upstream) => {
    const before = rulesText(upstream.before);
    const after = rulesText(upstream.after);
    const changed = hasBase && before !== after;
    return [code(upstream.registry), ...(hasBase ? [before] : []), after, changed ? "**changed**" : ""];
  });
  return table(["upstream", ...(hasBase ? ["before"] : []), hasBase ? "after" : "rules", ""], rows);
}

// ---------------------------------------------------------------------------------------------

/** `3 h 20 min 5 s`. */
export function duration(seconds: number): string {
  const parts = [
    [Math.floor(seconds / 3600), "h"],
    [Math.floor((seconds % 3600) / 60), "min"],
    [seconds % 60, "s"],
  ] as const;
  const text = parts.filter(([amount]) => amount > 0).map(([amount, unit]) => `${amount} ${unit}`);
  return text.join(" ") || "0 s";
}

function kindRow(kind: NodeKindFacts): string[] {
  return [
    kind.role,
    code(kind.unit),
    kind.files
      .map(
        (file) =>
          `${code(file.path)} ${code(file.sha256.slice(0, 12))}${file.restartOnChange ? "" : " (no restart)"}`,
      )
      .join("<br>"),
    collapsedNames(kind.nodes),
  ];
}

function restartLines(review: ReviewJson): string[] {
  const { restarts, head } = review;
  if (head.nodeKinds.length === 0)
    return ["No nodes are configured: the file is rendered but not delivered."];
  const hash = restarts.registriesSha256;
  const hashLine =
    hash.before === null
      ? `- registries.yaml sha256 ${code(hash.after)}`
      : `- registries.yaml sha256 ${code(hash.before)} → ${code(hash.after)}: **${hash.changed ? "changed" : "unchanged"}**`;
  return [
    hashLine,
    `- Restart: ${collapsedNames(restarts.restarting)}`,
    ...(review.base
      ? [
          `- Added: ${collapsedNames(restarts.added)}`,
          `- Removed (their file stays on the node): ${collapsedNames(restarts.removed)}`,
          `- New CA file only, no restart: ${collapsedNames(restarts.redelivered)}`,
          `- Unchanged: ${restarts.unchanged.toLocaleString("en")} nodes`,
        ]
      : []),
    `- Worst case: ${duration(restarts.worstCaseSeconds)} (${restarts.restartingSteps.length.toLocaleString("en")} restarting steps + 1 rollback, × restart timeout ${head.rollout.restartTimeoutSeconds} s; a failing step restores its nodes and stops the rollout)`,
    "",
    ...table(["role", "unit restarted", "files (sha256)", "nodes"], head.nodeKinds.map(kindRow)),
    "",
    "Rollout steps (a step starts when the previous one is done; the nodes of a step restart together):",
    "",
    ...stepRunLines(review),
  ];
}

interface StepRun {
  readonly first: number;
  readonly last: number;
  /** Largest and smallest step of the run. */
  size: number;
  minSize: number;
  readonly role: string;
  readonly nodes: string[];
  restarting: number;
}

/**
 * Consecutive steps of the same role fold into one line, with the range of their sizes: batches
 * are cut by content (delivery/rollout.ts), so their sizes vary up to the batch size.
 */
function stepRunLines(review: ReviewJson): string[] {
  const roleOf = new Map(
    review.head.nodeKinds.flatMap((kind) => kind.nodes.map((node) => [node, kind.role] as const)),
  );
  const restarting = new Set(review.restarts.restarting);
  const runs: StepRun[] = [];
  review.head.rollout.steps.forEach((step, index) => {
    const roles = [...new Set(step.map((node) => roleOf.get(node) ?? "?"))].join("+");
    const previous = runs[runs.length - 1];
    const run = previous && previous.role === roles && previous.last === index - 1 ? previous : undefined;
    const target = run ?? {
      first: index,
      last: index,
      size: step.length,
      minSize: step.length,
      role: roles,
      nodes: [],
      restarting: 0,
    };
    if (!run) runs.push(target);
    (target as { last: number }).last = index;
    target.size = Math.max(target.size, step.length);
    target.minSize = Math.min(target.minSize, step.length);
    target.nodes.push(...step);
    target.restarting += step.filter((node) => restarting.has(node)).length;
  });
  if (runs.length === 0) return ["Nothing to roll out."];
  return runs.map((run) => {
    const steps = run.first === run.last ? `step ${run.first + 1}` : `steps ${run.first + 1}–${run.last + 1}`;
    const ranges = nameRanges(run.nodes);
    const names = ranges.length <= 4 ? ranges.map(rangeText).join(", ") : collapsedNames(run.nodes);
    const sizes =
      run.minSize === run.size
        ? run.size.toLocaleString("en")
        : `${run.minSize.toLocaleString("en")}–${run.size.toLocaleString("en")}`;
    return `- ${steps}: ${run.role}s, ${sizes} per step — ${names}; ${run.restarting.toLocaleString("en")} restart`;
  });
}

// ---------------------------------------------------------------------------------------------

function fileLines(review: ReviewJson): string[] {
  const text = review.head.registries.text.trimEnd();
  return [
    "Every node receives this file, `0600 root:root`; secrets known only at apply time are shown as placeholders.",
    "",
    "<details><summary>registries.yaml</summary>",
    "",
    "```yaml",
    text,
    "```",
    "",
    "</details>",
  ];
}
