/**
 * `harbor-mirror render` and `review` (cli.md) run as a user runs them, through the package's bin.
 * The end-to-end promise of issue #3: the file `render` produces for the walk-through's ordered
 * rules passes `validate` and resolves `ksd-test/busybox:1.35` deterministically to Harbor's
 * `production/busybox`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REPO_ROOT, runCli } from "../../testing/run-app";
import { writeConfig } from "../../testing/config-variants";
import { afterConfig, beforeConfig } from "../../testing/review-fixtures";

const EXAMPLE = path.join(REPO_ROOT, "harbor-mirror.yaml");

describe("harbor-mirror render", () => {
  let dir: string;
  let rendered: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-cli-"));
    const result = runCli(["render", "--config", EXAMPLE], {}, dir);
    expect(result.status).toBe(0);
    rendered = result.stdout;
    writeFileSync(path.join(dir, "registries.yaml"), rendered);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints a file that passes validate without a warning", () => {
    expect(runCli(["validate", path.join(dir, "registries.yaml")])).toEqual({
      status: 0,
      stdout: "ok\n",
      stderr: "",
    });
  });

  it("resolves the walk-through's ksd-test image to production/ on Harbor, deterministically", () => {
    const result = runCli([
      "resolve",
      "ksd-test/busybox:1.35",
      "busybox",
      "--registries",
      path.join(dir, "registries.yaml"),
      "--json",
    ]);
    const [ksd, busybox] = JSON.parse(result.stdout);
    expect(ksd.deterministic).toBe(true);
    expect(ksd.attempts[0]).toMatchObject({
      endpoint: "https://harbor.kingsd.top/v2",
      repository: "production/busybox",
      url: "https://harbor.kingsd.top/v2/production/busybox/manifests/1.35?ns=docker.io",
      rule: "^ksd-test/(.*)$",
    });
    expect(busybox.attempts[0].repository).toBe("docker.io/library/busybox");
  });

  it("leaves nothing behind in the working directory", () => {
    expect(readdirSync(dir).sort()).toEqual(["registries.yaml"]);
  });
});

describe("harbor-mirror review", () => {
  it("writes the report where --out says and prints its path", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-review-"));
    try {
      const out = path.join(dir, "nested", "review.md");
      const result = runCli(["review", "--config", EXAMPLE, "--out", out]);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(`${out}\n${path.join(dir, "nested", "review.json")}\n`);
      const report = readFileSync(out, "utf8");
      expect(report).toContain("```mermaid\nflowchart LR");
      expect(report).toContain("## Images: where nodes pull from");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ["an unknown option", ["review", "--bogus"]],
    ["a positional argument", ["render", "extra"]],
  ])("exits 2 with the usage on %s", (_name, args) => {
    const result = runCli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`Usage: harbor-mirror ${args[0]}`);
  });

  it("exits 1 naming the file and line of an invalid configuration", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-review-bad-"));
    try {
      const config = path.join(dir, "bad.yaml");
      writeFileSync(
        config,
        readFileSync(EXAMPLE, "utf8").replace("distribution: rke2", "distribution: rke3"),
      );
      const result = runCli(["review", "--config", config, "--out", path.join(dir, "r.md")]);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/bad\.yaml:\d+:\d+ distribution: .*rke3/);
      expect(readdirSync(dir)).toEqual(["bad.yaml"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("harbor-mirror review --base --images", () => {
  let dir: string;
  let after: string;
  let before: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-review-base-"));
    before = writeConfig(path.join(dir, "main"), beforeConfig());
    after = writeConfig(path.join(dir, "pr"), afterConfig());
    writeFileSync(path.join(dir, "images.txt"), "# ours\nregistry.example.com/team/app:1.0\nbusybox\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const summaryOf = (file: string) => JSON.parse(readFileSync(file, "utf8")).summary;

  it("compares with another checkout's harbor-mirror.yaml, then with the review.json it wrote", () => {
    const first = path.join(dir, "base", "review.md");
    expect(runCli(["review", "--config", before, "--out", first]).status).toBe(0);
    const images = path.join(dir, "images.txt");
    for (const base of [before, path.join(dir, "base", "review.json")]) {
      const out = path.join(dir, "against", path.basename(base), "review.md");
      const result = runCli(["review", "--config", after, "--base", base, "--images", images, "--out", out]);
      expect(result.status).toBe(0);
      expect(summaryOf(path.join(path.dirname(out), "review.json"))).toEqual({
        bypassesHarbor: ["registry.example.com/team/app:1.0"],
        changesSource: ["docker.io/team/a"],
        replacesProxyProject: ["quay.io"],
        cacheLost: ["quay.io"],
        blockedByPreventDestroy: ["quay.io"],
        restartingNodes: 4,
      });
      expect(readFileSync(out, "utf8")).toContain(`Compared with \`${base}\`.`);
    }
  });

  it.each([
    ["a base that cannot be read", ["--base", "missing.yaml"], /missing\.yaml: cannot read the file: ENOENT/],
    [
      "a JSON base of another kind",
      ["--base", "package.json"],
      /package\.json: a JSON base must be a review\.json/,
    ],
    ["an invalid image in --images", ["--images", "README.md"], /README\.md:\d+: invalid image reference/],
  ])("exits 1 on %s, writing nothing", (_name, args, message) => {
    const out = path.join(dir, "refused", "review.md");
    const result = runCli(["review", "--config", after, ...args, "--out", out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(() => readFileSync(out)).toThrow();
  });
});
