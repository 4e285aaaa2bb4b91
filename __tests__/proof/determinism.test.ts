/**
 * Proof: output is deterministic. (1) The real app run twice on the same configuration writes
 * byte-identical files (cdk.tf.json, manifest.json, review.md, review.json). (2) Reordering what has no order —
 * upstreams, nodes, the registries that rewrites are keyed by, and the key order of every mapping
 * (the YAML is re-emitted with shuffled keys) — keeps every Terraform address, every trigger value
 * and the registries content byte-identical (in fact the whole cdk.tf.json). Permutations come from fast-check with a fixed seed;
 * a rewrite registry's rule LIST keeps its order, because that order is the rules' priority.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import {
  filesUnder,
  synthInProcess,
  variantConfig,
  writeConfig,
  type ConfigObject,
  type TfJson,
} from "../../testing/config-variants";
import { REPO_ROOT, runSynth } from "../../testing/run-app";
import { STACK_NAME } from "../../app/harbor-mirror-stack";

const PERMUTATIONS = 12;
const SEED = 20261126;

/** The robot variant plus rewrites for two registries and a node with its own registries path. */
function richConfig(): ConfigObject {
  const config = variantConfig("robot");
  const nodes = config.nodes as ConfigObject[];
  return {
    ...config,
    rewrites: {
      "docker.io": [
        { match: "^ksd-test/(.*)$", replace: "production/$1" },
        { match: "^team-a/(.*)$", replace: "a/${1}" },
      ],
      "quay.io": [{ match: "^prometheus/(.*)$", replace: "prom/$1" }],
    },
    nodes: [
      ...nodes,
      { name: "agent-3", host: "192.0.2.23", role: "agent", registriesPath: "/opt/rke2/registries.yaml" },
    ],
    extraNodeDirectories: ["/opt/rke2/"],
  };
}

const permutation = <T>(items: readonly T[]) =>
  fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });

/** Where a value sits: the `rewrites` mapping's values are rule lists, whose order is priority. */
type Role = "rewrites" | "rule-list" | "other";

/** Every reordering of `value` that must not matter: lists and mapping keys, except rule lists. */
function reordered(value: unknown, role: Role = "other"): fc.Arbitrary<unknown> {
  if (Array.isArray(value)) {
    const items = fc.tuple(...value.map((item) => reordered(item)));
    return role === "rule-list" ? items : items.chain(permutation);
  }
  if (value !== null && typeof value === "object") {
    const childRole = (key: string): Role =>
      role === "rewrites" ? "rule-list" : key === "rewrites" ? "rewrites" : "other";
    const entries = Object.entries(value).map(([key, item]) =>
      reordered(item, childRole(key)).map((shuffled) => [key, shuffled] as const),
    );
    return fc
      .tuple(...entries)
      .chain(permutation)
      .map((pairs) => Object.fromEntries(pairs));
  }
  return fc.constant(value);
}

/** What must not change: every address, every trigger value, the registries content. */
function fingerprint(stack: TfJson): {
  addresses: string[];
  triggers: Record<string, unknown>;
  locals: string;
} {
  const addresses = ["resource", "data", "variable", "output", "locals", "provider"].flatMap((section) =>
    section === "resource" || section === "data"
      ? Object.entries(stack[section] ?? {}).flatMap(([type, byName]) =>
          Object.keys(byName as object).map((name) => `${section}.${type}.${name}`),
        )
      : Object.keys(stack[section] ?? {}).map((name) => `${section}.${name}`),
  );
  const nullResources = (stack.resource?.null_resource ?? {}) as Record<string, { triggers?: unknown }>;
  const triggers = Object.fromEntries(
    Object.entries(nullResources).map(([name, body]) => [name, body.triggers]),
  );
  return { addresses: addresses.sort(), triggers, locals: JSON.stringify(stack.locals) };
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "harbor-mirror-proof-determinism-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let runs = 0;
/** The synthesized cdk.tf.json, as written. */
function synthesize(config: ConfigObject): string {
  const dir = path.join(root, `run-${++runs}`);
  synthInProcess(writeConfig(dir, config), path.join(dir, "out"));
  return readFileSync(path.join(dir, "out", "stacks", STACK_NAME, "cdk.tf.json"), "utf8");
}

describe("determinism", () => {
  it("the real app twice on the same configuration: every output file byte-identical", () => {
    const configFile = writeConfig(path.join(root, "twice"), richConfig());
    const outputs = ["a", "b"].map((name) => {
      const outdir = path.join(root, "twice", name);
      expect(runSynth(configFile, outdir).status).toBe(0);
      return filesUnder(outdir);
    });
    expect([...outputs[0].keys()]).toEqual([
      "manifest.json",
      "stacks/harbor-mirror/cdk.tf.json",
      "stacks/harbor-mirror/review.json",
      "stacks/harbor-mirror/review.md",
    ]);
    expect(outputs[1]).toEqual(outputs[0]);
  });

  // manifest.json is left out here: cdktf records the stack trace of every warning in it, so an
  // in-process synth carries its caller's call site. The real-app test above covers it.
  it.each(["example", "robot", "k3s-parallel", "containerd"] as const)(
    "in-process synth of %s twice: cdk.tf.json, review.md and review.json byte-identical",
    (variant) => {
      const configFile = writeConfig(path.join(root, variant), variantConfig(variant));
      const [first, second] = [1, 2].map(() => {
        const outdir = path.join(root, `${variant}-${++runs}`);
        synthInProcess(configFile, outdir);
        return new Map([...filesUnder(outdir)].filter(([file]) => file !== "manifest.json"));
      });
      expect(first.size).toBe(3);
      expect(second).toEqual(first);
    },
  );

  // cdktf's metadata stack traces would put this checkout's absolute paths into manifest.json;
  // the app turns them off (app/build.ts).
  it("no output file holds an absolute path of the checkout (manifest.json stack traces)", () => {
    const outdir = path.join(root, "paths");
    expect(runSynth(writeConfig(path.join(root, "paths-config"), richConfig()), outdir).status).toBe(0);
    const holding = [...filesUnder(outdir)].filter(([, bytes]) => bytes.includes(REPO_ROOT));
    expect(holding.map(([file]) => file)).toEqual([]);
  });

  it(`${PERMUTATIONS} seeded reorderings of upstreams, nodes, rewrite registries and mapping keys: same addresses, triggers, registries content (indeed the whole cdk.tf.json)`, () => {
    const config = richConfig();
    const expectedText = synthesize(config);
    const expected = fingerprint(JSON.parse(expectedText) as TfJson);
    expect(Object.keys(expected.triggers)).toHaveLength(4);
    fc.assert(
      fc.property(reordered(config), (shuffled) => {
        const text = synthesize(shuffled as ConfigObject);
        // The named properties first, for a readable failure; then the whole file, byte for byte.
        expect(fingerprint(JSON.parse(text) as TfJson)).toEqual(expected);
        expect(text).toBe(expectedText);
      }),
      { seed: SEED, numRuns: PERMUTATIONS },
    );
  });

  it("the reorderings really reorder (so the property above is not vacuous)", () => {
    const config = richConfig();
    const samples = fc.sample(reordered(config), { seed: SEED, numRuns: PERMUTATIONS }) as ConfigObject[];
    const orders = (pick: (sample: ConfigObject) => unknown) =>
      new Set(samples.map((sample) => JSON.stringify(pick(sample))));
    expect(orders((sample) => Object.keys(sample)).size).toBeGreaterThan(1);
    expect(
      orders((sample) => (sample.upstreams as ConfigObject[]).map((upstream) => upstream.registry)).size,
    ).toBeGreaterThan(1);
    expect(
      orders((sample) => (sample.nodes as ConfigObject[]).map((node) => node.name)).size,
    ).toBeGreaterThan(1);
    expect(orders((sample) => Object.keys(sample.rewrites as object)).size).toBeGreaterThan(1);
    // Rule lists keep their priority order.
    for (const sample of samples) {
      const dockerRules = (sample.rewrites as Record<string, ConfigObject[]>)["docker.io"].map(
        (rule) => rule.match,
      );
      expect(dockerRules).toEqual(["^ksd-test/(.*)$", "^team-a/(.*)$"]);
    }
  });
});
