/**
 * The plan review of a change (issue 14): two configurations — the walk-through before, and after
 * a rule is added, quay.io's provider changes (harbor.md §6.1: `provider_name` is ForceNew), a node
 * is added and retention changes — compared section by section in the Markdown and in review.json.
 * The base is read the three ways a pipeline gives it: a harbor-mirror.yaml, a cdk.tf.json and a
 * review.json; all three must tell the same story.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildReview, reviewJsonText } from "../../review/build";
import type { ReviewJson } from "../../review/compare";
import type { ReviewFacts } from "../../review/facts";
import { factsFromTerraformJson } from "../../review/terraform-json";
import { buildApp } from "../../app/build";
import { reviewBaseFacts } from "../../app/review";
import { synthInProcess, variantConfig, writeConfig, type VariantName } from "../../testing/config-variants";
import {
  ADDED_NODE,
  ADDED_RULE,
  afterConfig,
  beforeConfig,
  CHANGED_PROVIDER,
  CHANGED_RETENTION_DAYS,
  factsOf,
} from "../../testing/review-fixtures";
import { parseMermaid } from "../../testing/mermaid";

/** An image of a registry without a mirror: nodes pull it from its own registry, not through Harbor. */
const UNMIRRORED = "registry.example.com/team/app:1.0";

let before: ReviewFacts;
let after: ReviewFacts;
let review: ReviewJson;
let markdown: string;

beforeAll(() => {
  before = factsOf(beforeConfig());
  after = factsOf(afterConfig());
  ({ json: review, markdown } = buildReview({
    head: after,
    base: { facts: before, source: "main:harbor-mirror.yaml" },
    images: [UNMIRRORED, "busybox"],
  }));
});

/** The Markdown of one `## title` section. */
function sectionOf(title: string): string {
  const start = markdown.indexOf(`## ${title}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

function rowOf(section: string, firstCell: string): string {
  const row = section.split("\n").find((line) => line.startsWith(`| ${firstCell} |`));
  expect(row).toBeDefined();
  return row!;
}

describe("images: before/after source, flagged on change and when they bypass Harbor", () => {
  const ruleImage = "docker.io/team/a";

  it("builds one image per rule, the added rule included, each resolved through its own rule", () => {
    const ruleImages = review.images.filter((image) => image.origin === "rule");
    // docker.io: ksd-test, team, the proxy rule; one proxy rule for each of the four others.
    expect(ruleImages.map((image) => image.image)).toEqual([
      "docker.io/a/a",
      "docker.io/ksd-test/a",
      ruleImage,
      "gcr.io/a",
      "ghcr.io/a",
      "k8s.gcr.io/a",
      "quay.io/a",
    ]);
    const dockerRules = ruleImages
      .filter((image) => image.image.startsWith("docker.io/"))
      .map((image) => [image.image, image.after.userRule?.match]);
    expect(dockerRules).toEqual([
      ["docker.io/a/a", "^(.*)$"],
      ["docker.io/ksd-test/a", "^ksd-test/(.*)$"],
      [ruleImage, ADDED_RULE.match],
    ]);
  });

  it("the added rule's image moves from the proxy project to team-cache/, and is flagged changed", () => {
    const image = review.images.find((candidate) => candidate.image === ruleImage)!;
    expect(image.before).toMatchObject({
      endpoint: "https://harbor.kingsd.top/v2",
      repository: "docker.io/team/a",
    });
    expect(image.after).toMatchObject({
      endpoint: "https://harbor.kingsd.top/v2",
      repository: "team-cache/a",
    });
    expect(image.changed).toBe(true);
    expect(review.summary.changesSource).toEqual([ruleImage]);
    const row = rowOf(sectionOf("Images: where nodes pull from"), "`docker.io/team/a`");
    // Before: the proxy rule (2nd then); after: the added rule (2nd now).
    expect(row).toContain("`docker.io/team/a` (rule 2: `^(.*)$`)");
    expect(row).toContain("`team-cache/a` (rule 2: `^team/(.*)$`)");
    expect(row).toContain("**changed**");
  });

  it("an image of a registry without a mirror bypasses Harbor, before and after", () => {
    const image = review.images.find((candidate) => candidate.image === UNMIRRORED)!;
    expect(image.origin).toBe("listed");
    expect(image.after).toMatchObject({ endpoint: "https://registry.example.com/v2", bypassesHarbor: true });
    expect(review.summary.bypassesHarbor).toEqual([UNMIRRORED]);
    expect(rowOf(sectionOf("Images: where nodes pull from"), `\`${UNMIRRORED}\``)).toContain(
      "**bypasses Harbor**",
    );
    expect(sectionOf("Needs attention")).toContain("**1 image bypasses Harbor**");
  });

  it("an unchanged listed image is neither flagged changed nor bypassing", () => {
    const image = review.images.find((candidate) => candidate.image === "busybox")!;
    expect(image).toMatchObject({
      changed: false,
      after: { bypassesHarbor: false, repository: "docker.io/library/busybox" },
    });
  });
});

describe("Harbor: what Terraform does per upstream", () => {
  it("the provider change replaces quay.io's registry, project and retention: cache lost, blocked by prevent_destroy", () => {
    const quay = review.upstreams.find((upstream) => upstream.registry === CHANGED_PROVIDER.registry)!;
    expect(quay.action).toBe("replace");
    expect(quay.forcedBy).toEqual([
      {
        resource: "harbor_registry",
        attribute: "provider_name",
        before: CHANGED_PROVIDER.from,
        after: CHANGED_PROVIDER.to,
      },
      {
        resource: "harbor_project",
        attribute: "registry_id",
        before: "(old registry)",
        after: "(new registry)",
      },
      {
        resource: "harbor_retention_policy",
        attribute: "scope",
        before: "(old project)",
        after: "(new project)",
      },
    ]);
    expect(quay).toMatchObject({ cacheLost: true, blockedByPreventDestroy: true });
    expect(review.summary).toMatchObject({
      replacesProxyProject: ["quay.io"],
      cacheLost: ["quay.io"],
      blockedByPreventDestroy: ["quay.io"],
    });
    const row = rowOf(sectionOf("Harbor: what Terraform will do"), "`quay.io`");
    expect(row).toContain("**replaced**");
    expect(row).toContain("`harbor_registry.provider_name`: `quay` → `docker-registry`");
    expect(row).toContain("cache lost; blocked by `prevent_destroy`");
    const attention = sectionOf("Needs attention");
    expect(attention).toContain("**The proxy project of `quay.io` is replaced**");
    expect(attention).toContain("**Blocked**: `quay.io`'s project has `prevent_destroy`");
  });

  it("the other upstreams change retention in place", () => {
    const docker = review.upstreams.find((upstream) => upstream.registry === "docker.io")!;
    expect(docker.action).toBe("update");
    expect(docker.changes).toEqual([
      { attribute: "retention.n_days_since_last_pull", before: 7, after: CHANGED_RETENTION_DAYS },
    ]);
    expect(rowOf(sectionOf("Harbor: what Terraform will do"), "`docker.io`")).toContain(
      "`retention.n_days_since_last_pull`: `7` → `14`",
    );
  });
});

describe("Harbor settings", () => {
  it("shows every setting, marks the retention change, and warns that retention deletes artifacts", () => {
    const settings = Object.fromEntries(review.settings.map((setting) => [setting.setting, setting]));
    expect(Object.keys(settings)).toEqual([
      "Harbor URL",
      "access",
      "CA path on nodes",
      "backend",
      "project protection (prevent_destroy)",
      "retention",
      "robot name",
      "robot level",
      "robot permissions",
      "restart timeout (s)",
    ]);
    expect(settings.retention).toEqual({
      setting: "retention",
      before: { daysSinceLastPull: 7, schedule: "Daily" },
      after: { daysSinceLastPull: CHANGED_RETENTION_DAYS, schedule: "Daily" },
      changed: true,
    });
    expect(settings.access.changed).toBe(false);
    const section = sectionOf("Harbor settings");
    expect(rowOf(section, "retention")).toContain("**changed**");
    expect(rowOf(section, "`quay.io`")).toContain("`quay` → **`docker-registry`**");
    expect(rowOf(section, "`docker.io`")).toContain(
      "`7 days since last pull, Daily` → **`14 days since last pull, Daily`**",
    );
    expect(rowOf(section, "backend")).toContain(
      '`{"type":"local","settings":{"path":"../../../terraform.harbor-mirror.tfstate"}}`',
    );
    expect(sectionOf("Needs attention")).toContain("**Retention changes**");
  });
});

describe("mirror rules: the user's rules, before and after", () => {
  it("shows the added rule in priority order, before the proxy rule", () => {
    const row = rowOf(sectionOf("Mirror rules, in priority order"), "`docker.io`");
    expect(row).toContain(
      "| 1. `^ksd-test/(.*)$` → `production/$1`<br>2. `^(.*)$` → `docker.io/$1` | " +
        "1. `^ksd-test/(.*)$` → `production/$1`<br>2. `^team/(.*)$` → `team-cache/$1`<br>3. `^(.*)$` → `docker.io/$1` | **changed** |",
    );
  });
});

describe("who restarts", () => {
  it("every node restarts (the file changed), the new node included, in natural order", () => {
    expect(review.restarts.registriesSha256.changed).toBe(true);
    expect(review.restarts.registriesSha256.before).toBe(before.registries.sha256);
    expect(review.restarts.added).toEqual([ADDED_NODE.name]);
    expect(review.restarts.restarting).toEqual(["agent-1", "agent-2", "agent-10", "server-1"]);
    expect(after.rollout.steps).toEqual([["server-1"], ["agent-1"], ["agent-2"], ["agent-10"]]);
    // 4 restarting steps and one rollback restart, 120 s each.
    expect(review.restarts.worstCaseSeconds).toBe(600);
    const section = sectionOf("Who restarts");
    expect(section).toContain(
      `\`${before.registries.sha256}\` → \`${after.registries.sha256}\`: **changed**`,
    );
    expect(section).toContain("- Restart: 4 nodes: `agent-1`, `agent-2`, `agent-10`, `server-1`");
    expect(section).toContain("- Added: 1 node: `agent-10`");
    expect(section).toContain("- Worst case: 10 min (4 restarting steps + 1 rollback");
    expect(section).toContain(
      "- steps 2–4: agents, 1 per step — `agent-1`, `agent-2`, `agent-10`; 3 restart",
    );
  });

  it("without a change of the file nothing restarts", () => {
    const same = buildReview({ head: before, base: { facts: before, source: "same" } }).json;
    expect(same.restarts).toMatchObject({ restarting: [], unchanged: 3, worstCaseSeconds: 0 });
    expect(same.upstreams.every((upstream) => upstream.action === "no-op")).toBe(true);
    expect(renderAttention(same)).toContain("Nothing: no image changes source");
  });
});

function renderAttention(json: ReviewJson): string {
  const { markdown: text } = buildReview({ head: json.head, base: { facts: json.base!, source: "x" } });
  return text.slice(text.indexOf("## Needs attention"), text.indexOf("## Flow"));
}

describe("the Mermaid diagram of the change", () => {
  it("marks the replaced upstream and counts restarts, and still parses", async () => {
    const diagram = /```mermaid\n([\s\S]*?)```/.exec(markdown)![1];
    expect(diagram).toContain('u_quay_io["quay.io<br/>docker-registry<br/>(REPLACED: cache lost)"]');
    expect(diagram).toContain("rke2-agent × 3<br/>restart: 3");
    await expect(parseMermaid(diagram)).resolves.toMatchObject({ ok: true });
  });
});

describe("review.json: the machine-readable twin", () => {
  it("carries the same facts, and a pipeline can fail on bypass or replacement from the summary alone", () => {
    const parsed = JSON.parse(reviewJsonText(review)) as ReviewJson;
    expect(parsed).toMatchObject({
      kind: "harbor-mirror-review",
      schemaVersion: 1,
      baseSource: "main:harbor-mirror.yaml",
    });
    expect(parsed.summary).toEqual({
      bypassesHarbor: [UNMIRRORED],
      changesSource: ["docker.io/team/a"],
      replacesProxyProject: ["quay.io"],
      cacheLost: ["quay.io"],
      blockedByPreventDestroy: ["quay.io"],
      restartingNodes: 4,
    });
    expect(parsed.head).toEqual(after);
    expect(parsed.base).toEqual(before);
  });
});

describe("a base read from a file: harbor-mirror.yaml, cdk.tf.json or review.json", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-base-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A base configuration is built the way the CLI builds it. */
  const buildFacts = (configPath: string, outdir: string) => buildApp({ configPath, outdir }).reviewFacts;

  it("a review.json base is its head, exactly", () => {
    const file = path.join(dir, "review.json");
    expect(reviewBaseFacts(file, reviewJsonText(review), buildFacts)).toEqual(after);
  });

  it("a harbor-mirror.yaml base is built like the app builds it", () => {
    const file = writeConfig(path.join(dir, "yaml"), beforeConfig());
    // Only the warnings differ: they name the file they come from.
    expect(reviewBaseFacts(file, readFileSync(file, "utf8"), buildFacts)).toEqual({
      ...before,
      warnings: before.warnings.map((warning) =>
        warning.replace(/^.*harbor-mirror\.yaml:/, `${path.relative(process.cwd(), file)}:`),
      ),
    });
  });

  it.each<VariantName>(["example", "robot", "k3s-parallel"])(
    "a cdk.tf.json of the %s variant gives the constructs' facts, except the rules it does not record",
    (variant) => {
      const configFile = writeConfig(path.join(dir, variant), variantConfig(variant));
      const outdir = path.join(dir, variant, "out");
      synthInProcess(configFile, outdir);
      const text = readFileSync(path.join(outdir, "stacks", "harbor-mirror", "cdk.tf.json"), "utf8");
      const fromJson = reviewBaseFacts("cdk.tf.json", text, buildFacts);
      const fromConstructs = factsOf(variantConfig(variant));
      expect(fromJson).toEqual({
        ...fromConstructs,
        upstreams: fromConstructs.upstreams.map((upstream) => ({ ...upstream, rules: null })),
        images: [],
        warnings: [],
      });
    },
  );

  it("a cdk.tf.json base still compares images and restarts: the same story as the yaml base", () => {
    const outdir = path.join(dir, "before-out");
    synthInProcess(writeConfig(path.join(dir, "before"), beforeConfig()), outdir);
    const stack = JSON.parse(
      readFileSync(path.join(outdir, "stacks", "harbor-mirror", "cdk.tf.json"), "utf8"),
    );
    const fromJson = buildReview({
      head: after,
      base: { facts: factsFromTerraformJson(stack), source: "cdk.tf.json" },
      images: [UNMIRRORED, "busybox"],
    }).json;
    expect(fromJson.summary).toEqual(review.summary);
    expect(fromJson.restarts).toEqual(review.restarts);
    expect(fromJson.upstreams.map((upstream) => [upstream.registry, upstream.action])).toEqual(
      review.upstreams.map((upstream) => [upstream.registry, upstream.action]),
    );
  });

  it("refuses JSON that is neither a review.json nor a cdk.tf.json, and a review.json of another schema version", () => {
    expect(() => reviewBaseFacts("x.json", '{"hello": 1}', buildFacts)).toThrow(
      /x\.json: a JSON base must be a review\.json .* or a synthesized cdk\.tf\.json/,
    );
    expect(() =>
      reviewBaseFacts(
        "r.json",
        JSON.stringify({ kind: "harbor-mirror-review", schemaVersion: 99 }),
        buildFacts,
      ),
    ).toThrow(/schemaVersion 99 is not supported: expected 1/);
  });
});
