/**
 * The report stays one pull-request comment at any size (GitHub holds 65,536 characters; the
 * report's bound is 60,000): at 100, 1,000 and 10,000 nodes, with every node restarting, nodes
 * added and removed, and node names that fold into ranges or that do not fold at all. The node
 * lists and rollout steps come from the real planner; the rest from the walk-through's facts.
 */
import { buildReview } from "../../review/build";
import type { ReviewFacts } from "../../review/facts";
import { planRollout, type RolloutNode } from "../../delivery/rollout";
import { afterConfig, beforeConfig, factsOf } from "../../testing/review-fixtures";
import { parseMermaid } from "../../testing/mermaid";

const LIMIT = 60_000;
const SERVERS = 3;

type Naming = "numbered" | "unnumbered";

/** Names that fold into ranges (`agent-1`…), or names that never do (each a different word). */
function nodeNames(count: number, naming: Naming, offset = 0): RolloutNode[] {
  return Array.from({ length: count }, (_, index) => {
    const number = index + offset;
    const role = number < SERVERS ? "server" : "agent";
    const name =
      naming === "numbered"
        ? `${role}-${number + 1}`
        : `${role}-${(number * 7919).toString(36)}x${((number * 104729) % 1000).toString(36)}`;
    return { name, role };
  });
}

/** `facts` with `nodes` (rolling, agents in batches of 10) in place of its own nodes. */
function withNodes(facts: ReviewFacts, nodes: readonly RolloutNode[]): ReviewFacts {
  const [serverKind, agentKind] = facts.nodeKinds;
  const named = (role: string) => nodes.filter((node) => node.role === role).map((node) => node.name);
  return {
    ...facts,
    nodeKinds: [
      { ...serverKind, nodes: named("server") },
      { ...agentKind, nodes: named("agent") },
    ],
    rollout: { ...facts.rollout, steps: planRollout(nodes, { kind: "rolling", batchSize: 10 }) },
  };
}

let before: ReviewFacts;
let after: ReviewFacts;
beforeAll(() => {
  before = factsOf(beforeConfig());
  after = factsOf(afterConfig());
});

/** A team's long image list: every one of a registry without a mirror, so every row is flagged. */
const MANY_IMAGES = Array.from(
  { length: 500 },
  (_, index) => `registry.example.com/team/service-${index}:1.0.${index}`,
);

/** Base and change at `count` nodes: the change renames the last 1% (removed and added). */
function reviewAt(count: number, naming: Naming, images: readonly string[] = []) {
  const base = nodeNames(count, naming);
  const changed = [...base.slice(0, count - count / 100), ...nodeNames(count / 100, naming, count * 2)];
  return buildReview({
    head: withNodes(after, changed),
    base: { facts: withNodes(before, base), source: "main" },
    images,
  });
}

describe.each<Naming>(["numbered", "unnumbered"])("%s node names", (naming) => {
  test.each([100, 1_000, 10_000])(`%i nodes: under ${LIMIT.toLocaleString("en")} characters`, (count) => {
    const { markdown, json } = reviewAt(count, naming);
    expect(json.restarts.restarting).toHaveLength(count);
    expect(json.restarts.removed).toHaveLength(count / 100);
    expect(markdown.length).toBeLessThan(LIMIT);
    // Every node is still accounted for: counted in the report, listed in review.json.
    expect(markdown).toContain(`- Restart: ${count.toLocaleString("en")} nodes`);
    process.stdout.write(`review.md at ${count} ${naming} nodes: ${markdown.length} characters\n`);
  });
});

test("10,000 unfolding node names and 500 flagged images: still under the limit, the rest in review.json", () => {
  const { markdown, json } = reviewAt(10_000, "unnumbered", MANY_IMAGES);
  expect(json.summary.bypassesHarbor).toHaveLength(500);
  expect(markdown.length).toBeLessThan(LIMIT);
  expect(markdown).toMatch(/… [0-9,]+ more images: see review\.json\./);
  process.stdout.write(
    `review.md at 10000 unnumbered nodes and 500 listed images: ${markdown.length} characters\n`,
  );
});

test("at 10,000 nodes the diagram still parses", async () => {
  const { markdown } = reviewAt(10_000, "unnumbered");
  const diagram = /```mermaid\n([\s\S]*?)```/.exec(markdown)![1];
  expect(diagram).toContain("rke2-agent × 9,997");
  await expect(parseMermaid(diagram)).resolves.toMatchObject({ ok: true });
});

test("numbered names fold into ranges, in natural order", () => {
  const { markdown } = reviewAt(1_000, "numbered");
  expect(markdown).toContain(
    "- Restart: 1,000 nodes: `agent-4`…`agent-990` (987), `agent-2001`…`agent-2010` (10), `server-1`…`server-3` (3)",
  );
  expect(markdown).toContain(
    "- Removed (their file stays on the node): 10 nodes: `agent-991`…`agent-1000` (10)",
  );
});

test("names that do not fold: a few inline, the rest in <details> up to a budget, then review.json", () => {
  const { markdown } = reviewAt(10_000, "unnumbered");
  const restart = markdown.split("\n").find((line) => line.startsWith("- Restart: "))!;
  expect(restart).toMatch(
    /^- Restart: 10,000 nodes: (`[^`]+`, ){4}… \(10,000 ranges\)<details><summary>all 10,000 nodes<\/summary>/,
  );
  expect(restart).toMatch(/, … [0-9,]+ more ranges: the full list is in review\.json<\/details>$/);
});
