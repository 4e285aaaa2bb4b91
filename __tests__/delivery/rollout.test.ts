/**
 * Rollout order (prior-art.md "Combined delivery recipe": servers one by one, then agents in
 * batches, as depends_on chains) and the stability of the synthesized addresses and triggers
 * (architecture.md: addresses from stable names, never list positions; no secret in triggers).
 */
import fc from "fast-check";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { planRollout, RolloutNode, RolloutPolicy, rolloutDependencies } from "../../delivery/rollout";
import {
  DeliveryNode,
  RegistriesDelivery,
  RegistriesDeliveryProps,
} from "../../constructs/registries-delivery";
import { RolloutStrategy } from "../../constructs/rollout-strategy";

const server = (name: string): RolloutNode => ({ name, role: "server" });
const agent = (name: string): RolloutNode => ({ name, role: "agent" });
const rolling = (batchSize: number): RolloutPolicy => ({ kind: "rolling", batchSize });

describe("planRollout", () => {
  test.each<[string, RolloutNode[], RolloutPolicy, string[][]]>([
    [
      "rolling: servers one at a time, sorted by name, before any agent",
      [agent("a1"), server("s2"), server("s1")],
      rolling(1),
      [["s1"], ["s2"], ["a1"]],
    ],
    [
      "rolling: agents in batches of batchSize, the last batch smaller",
      [agent("a3"), agent("a1"), agent("a5"), agent("a2"), agent("a4"), server("s1")],
      rolling(2),
      [["s1"], ["a1", "a2"], ["a3", "a4"], ["a5"]],
    ],
    [
      "rolling: servers stay one at a time whatever batchSize",
      [server("s1"), server("s2")],
      rolling(5),
      [["s1"], ["s2"]],
    ],
    [
      "rolling: natural order of names, n2 before n10",
      [agent("n10"), agent("n2"), agent("n1")],
      rolling(1),
      [["n1"], ["n2"], ["n10"]],
    ],
    ["parallel: one step with every node", [agent("a1"), server("s1")], { kind: "parallel" }, [["s1", "a1"]]],
    ["no nodes: no steps", [], { kind: "parallel" }, []],
  ])("%s", (_rule, nodes, policy, expected) => {
    expect(planRollout(nodes, policy)).toEqual(expected);
  });

  test("the order of the input never changes the plan", () => {
    const nodeArbitrary = fc.uniqueArray(
      fc.record({
        name: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,6}$/),
        role: fc.constantFrom("server", "agent"),
      }),
      { selector: (node) => node.name, maxLength: 12 },
    );
    fc.assert(
      fc.property(nodeArbitrary, fc.integer({ min: 1, max: 4 }), (nodes, batchSize) => {
        const reversed = [...nodes].reverse() as RolloutNode[];
        expect(planRollout(reversed, rolling(batchSize))).toEqual(
          planRollout(nodes as RolloutNode[], rolling(batchSize)),
        );
      }),
    );
  });

  test("fails for a batch size below 1, naming the key and the value", () => {
    expect(() => planRollout([agent("a1")], rolling(0))).toThrow(
      "batchSize: 0 is not allowed: expected a whole number of at least 1",
    );
  });

  test("each step waits for exactly the previous step", () => {
    const dependencies = rolloutDependencies([["s1"], ["a1", "a2"], ["a3"]]);
    expect(Object.fromEntries(dependencies)).toEqual({ s1: [], a1: ["s1"], a2: ["s1"], a3: ["a1", "a2"] });
  });

  test("adding a node (batch size 1) changes only the edges of its successor", () => {
    const before = rolloutDependencies(planRollout([server("s1"), agent("a1"), agent("a3")], rolling(1)));
    const after = rolloutDependencies(
      planRollout([server("s1"), agent("a1"), agent("a2"), agent("a3")], rolling(1)),
    );
    const changed = [...before.keys()].filter((name) => String(before.get(name)) !== String(after.get(name)));
    expect(changed).toEqual(["a3"]);
  });
});

describe("RolloutStrategy", () => {
  test("rolling defaults to batches of 1", () => {
    expect(RolloutStrategy.rolling().policy).toEqual({ kind: "rolling", batchSize: 1 });
  });
  test.each([0, -1, 1.5])("fails for rolling({ batchSize: %p })", (batchSize) => {
    expect(() => RolloutStrategy.rolling({ batchSize })).toThrow(`batchSize: ${batchSize} is not allowed`);
  });
});

const SECRET_MARKER = "password-literal-must-not-leak";

interface Synthesized {
  readonly json: string;
  readonly resources: Record<string, { triggers: Record<string, string>; depends_on?: string[] }>;
}

function synth(nodes: readonly DeliveryNode[], extra: Partial<RegistriesDeliveryProps> = {}): Synthesized {
  const stack = new TerraformStack(Testing.app(), "rollout");
  const key = new TerraformVariable(stack, "ssh_private_key", { type: "string", sensitive: true });
  const robot = new TerraformVariable(stack, "robot_secret", { type: "string", sensitive: true });
  new RegistriesDelivery(stack, "Delivery", {
    content: `configs:\n  harbor:\n    auth: { password: "${robot.stringValue}", note: "${SECRET_MARKER}" }\n`,
    nodes,
    ssh: { privateKey: key.stringValue },
    ...extra,
  });
  const json = Testing.synth(stack);
  return { json, resources: JSON.parse(json).resource.null_resource };
}

const node = (name: string, role: DeliveryNode["role"] = "agent"): DeliveryNode => ({
  name,
  role,
  host: `${name}.example`,
});
const NODES = [node("server-1", "server"), node("agent-1"), node("agent-3")];
const byNodeName = (synthesized: Synthesized) =>
  Object.fromEntries(
    Object.entries(synthesized.resources).map(([address, body]) => [/Node-([^_]+)_/.exec(address)![1], body]),
  );

describe("RegistriesDelivery addresses and triggers", () => {
  test("reordering the nodes changes nothing in the synthesized JSON", () => {
    expect(synth([...NODES].reverse()).json).toBe(synth(NODES).json);
  });

  test("adding a node changes no other node's triggers, and only its successor's depends_on", () => {
    const before = byNodeName(synth(NODES));
    const after = byNodeName(synth([...NODES, node("agent-2")]));
    for (const name of Object.keys(before)) expect(after[name].triggers).toEqual(before[name].triggers);
    const rewired = Object.keys(before).filter(
      (name) => JSON.stringify(after[name].depends_on) !== JSON.stringify(before[name].depends_on),
    );
    expect(rewired).toEqual(["agent-3"]);
  });

  test("rolling by default: server first, then one agent after the other", () => {
    const resources = byNodeName(synth(NODES));
    const address = (name: string) =>
      Object.keys(synth(NODES).resources)
        .filter((key) => key.includes(`Node-${name}_`))
        .map((key) => `null_resource.${key}`);
    expect(resources["server-1"].depends_on).toBeUndefined();
    expect(resources["agent-1"].depends_on).toEqual(address("server-1"));
    expect(resources["agent-3"].depends_on).toEqual(address("agent-1"));
  });

  test("triggers hold hashes, path, unit and host: no content, no secret", () => {
    const { resources } = synth(NODES, {
      caCert: {
        content: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        path: "/etc/rancher/rke2/harbor-ca.pem",
      },
    });
    for (const { triggers } of Object.values(resources)) {
      expect(Object.keys(triggers).sort()).toEqual([
        "ca_path",
        "ca_sha256",
        "content_sha256",
        "host",
        "path",
        "unit",
      ]);
      const hashOfLocal = /^\$\{nonsensitive\(sensitive\(sha256\(local\.[A-Za-z0-9_]+\)\)\)\}$/;
      expect(triggers.content_sha256).toMatch(hashOfLocal);
      expect(triggers.ca_sha256).toMatch(hashOfLocal);
      const text = JSON.stringify(triggers);
      expect(text).not.toContain(SECRET_MARKER);
      expect(text).not.toMatch(/var\.|PEM/);
    }
  });

  test("the content is stored once, however many nodes: the JSON grows by a constant per node", () => {
    const sizes = [1, 2, 3].map((count) => {
      const { json } = synth(Array.from({ length: count }, (_, index) => node(`agent-${index}`)));
      expect(json.split(SECRET_MARKER)).toHaveLength(2);
      return json.length;
    });
    expect(sizes[2] - sizes[1]).toBe(sizes[1] - sizes[0]);
  });

  test("unit and default path follow role and distribution (rke2-registries.md §1, §6)", () => {
    const rke2 = byNodeName(synth(NODES));
    const k3s = byNodeName(synth(NODES, { distribution: "k3s" }));
    expect([rke2["server-1"].triggers.unit, rke2["agent-1"].triggers.unit]).toEqual([
      "rke2-server",
      "rke2-agent",
    ]);
    expect([k3s["server-1"].triggers.unit, k3s["agent-1"].triggers.unit]).toEqual(["k3s", "k3s-agent"]);
    expect(rke2["agent-1"].triggers.path).toBe("/etc/rancher/rke2/registries.yaml");
    expect(k3s["agent-1"].triggers.path).toBe("/etc/rancher/k3s/registries.yaml");
  });
});
