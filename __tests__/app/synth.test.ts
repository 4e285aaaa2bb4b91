/**
 * The README's first command on the example configuration (issues #2 and #6): the app
 * synthesizes the walk-through into cdk.tf.json and writes review.md; an invalid configuration
 * fails before anything is written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REPO_ROOT, runSynth, type RunResult } from "../../testing/run-app";
import { parseMermaid } from "../../testing/mermaid";

const EXAMPLE = path.join(REPO_ROOT, "harbor-mirror.yaml");

type TfJson = Record<string, Record<string, Record<string, Record<string, unknown>>>>;

describe("npm run synth on the example configuration", () => {
  let outdir: string;
  let result: RunResult;
  let tf: TfJson;
  let review: string;
  let reviewJson: string;

  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-synth-"));
    result = runSynth(EXAMPLE, outdir);
    tf = JSON.parse(readFileSync(path.join(outdir, "stacks/harbor-mirror/cdk.tf.json"), "utf8"));
    review = readFileSync(path.join(outdir, "stacks/harbor-mirror/review.md"), "utf8");
    reviewJson = readFileSync(path.join(outdir, "stacks/harbor-mirror/review.json"), "utf8");
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("exits 0 and prints the review report's path", () => {
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`review: ${path.join(outdir, "stacks/harbor-mirror/review.md")}`);
  });

  it("pins both providers with full source addresses and exact versions", () => {
    expect(tf.terraform.required_providers).toEqual({
      harbor: { source: "registry.terraform.io/goharbor/harbor", version: "3.12.4" },
      null: { source: "registry.terraform.io/hashicorp/null", version: "3.2.4" },
    });
  });

  it("declares five upstream registries and five proxy projects wired by registry_id", () => {
    const registries = Object.keys(tf.resource.harbor_registry);
    const projects = Object.values(tf.resource.harbor_project);
    expect(registries).toHaveLength(5);
    expect(projects).toHaveLength(5);
    const wired = projects.map(
      (project) => /^\$\{harbor_registry\.(.+)\.registry_id\}$/.exec(String(project.registry_id))?.[1],
    );
    expect(wired.sort()).toEqual(registries.sort());
  });

  it("delivers to the three example nodes, servers first", () => {
    const nodes = tf.resource.null_resource;
    expect(Object.keys(nodes)).toHaveLength(3);
    const [server] = Object.entries(nodes).filter(
      ([, node]) => (node.triggers as Record<string, string>).unit === "rke2-server",
    );
    const agents = Object.values(nodes).filter(
      (node) => (node.triggers as Record<string, string>).unit === "rke2-agent",
    );
    expect(server[1].depends_on).toBeUndefined();
    expect(agents.flatMap((agent) => agent.depends_on as string[])).toContain(`null_resource.${server[0]}`);
  });

  it("writes a review with the images of the rules, the rollout and a diagram Mermaid parses", async () => {
    expect(review).toContain(
      "| `docker.io/ksd-test/a` | rule 1: `^ksd-test/(.*)$` | — | `https://harbor.kingsd.top/v2` `production/a` (rule 1: `^ksd-test/(.*)$`) |",
    );
    expect(review).toContain(
      "- step 1: servers, 1 per step — `server-1`; 1 restart\n- steps 2–3: agents, 1 per step — `agent-1`, `agent-2`; 2 restart",
    );
    const diagram = /```mermaid\n([\s\S]*?)```/.exec(review)?.[1];
    expect(diagram).toBeDefined();
    expect(await parseMermaid(diagram!)).toEqual({ ok: true, diagramType: "flowchart-v2" });
  });

  it("puts no absolute path of this machine into any output", () => {
    expect(JSON.stringify(tf)).not.toContain(REPO_ROOT);
    expect(review).not.toContain(REPO_ROOT);
    expect(reviewJson).not.toContain(REPO_ROOT);
  });
});

describe("an invalid configuration", () => {
  it("fails with the line of the problem and writes nothing", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-invalid-"));
    try {
      const config = path.join(dir, "harbor-mirror.yaml");
      const valid = readFileSync(EXAMPLE, "utf8");
      writeFileSync(config, valid.replace("access: public", "access: anonymous"));
      const line = valid.split("\n").findIndex((text) => text.startsWith("access:")) + 1;
      const outdir = path.join(dir, "out");
      const result = runSynth(config, outdir);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`harbor-mirror\\.yaml:${line}:\\d+ access: .*anonymous`));
      expect(existsSync(outdir)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
