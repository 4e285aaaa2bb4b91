/**
 * Rollout order (prior-art.md "Combined delivery recipe": servers one by one, then agents in
 * batches, as depends_on chains) and the stability of the synthesized addresses and triggers
 * (architecture.md: addresses from stable names, never list positions; no secret in triggers).
 */
import fc from "fast-check";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import {
  planDeliveryGroups,
  planKeyedSteps,
  planRollout,
  RolloutNode,
  RolloutPolicy,
  rolloutDependencies,
  stableChunks,
  UNORDERED_BUCKETS,
} from "../../delivery/rollout";
import {
  DeliveryNode,
  RegistriesDelivery,
  RegistriesDeliveryProps,
} from "../../constructs/registries-delivery";
import { RolloutStrategy } from "../../constructs/rollout-strategy";
import { compareNodeNames } from "../../delivery/nodes";
import { forEachMapOf } from "../../review/terraform-json";

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
    [
      "servers-first: servers one at a time, then every agent in one step",
      [agent("a2"), server("s2"), agent("a10"), server("s1"), agent("a1")],
      { kind: "servers-first" },
      [["s1"], ["s2"], ["a1", "a2", "a10"]],
    ],
    [
      "servers-first without agents: the servers' steps only",
      [server("s1")],
      { kind: "servers-first" },
      [["s1"]],
    ],
    [
      "servers-first without servers: one step",
      [agent("a1"), agent("a2")],
      { kind: "servers-first" },
      [["a1", "a2"]],
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

  const names = fc.uniqueArray(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/), { maxLength: 60 });

  test("agents go in batches of at most batchSize, in name order, after the servers", () => {
    fc.assert(
      fc.property(names, fc.integer({ min: 1, max: 7 }), (agents, batchSize) => {
        const steps = planRollout([server("s0"), ...agents.map(agent)], rolling(batchSize));
        expect(steps[0]).toEqual(["s0"]);
        expect(steps.slice(1).flat()).toEqual([...agents].sort(compareNodeNames));
        for (const step of steps) expect(step.length).toBeLessThanOrEqual(batchSize);
      }),
    );
  });

  test("adding a node moves no other node, except into the run it starts; with chunks of 1 never", () => {
    fc.assert(
      fc.property(
        names,
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/),
        fc.constantFrom(1, 3, 10),
        (before, added, size) => {
          const chunkOf = (list: string[]) =>
            new Map(
              stableChunks([...list].sort(), size, false).flatMap((c) => c.names.map((n) => [n, c.key])),
            );
          const old = chunkOf(before);
          const now = chunkOf([...new Set([...before, added])]);
          const moved = before.filter((name) => now.get(name) !== old.get(name));
          if (size === 1) expect(moved).toEqual([]);
          for (const name of moved) expect([name, now.get(name)]).toEqual([name, added]);
        },
      ),
    );
  });

  test("bounded chunks: an added node moves only nodes of its own run, never more than one per piece", () => {
    fc.assert(
      fc.property(names, fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/), (before, added) => {
        const chunks = (list: string[]) => stableChunks([...new Set(list)].sort(), 3, true);
        const old = new Map(chunks(before).flatMap((c) => c.names.map((n) => [n, c.key])));
        const runOf = (key: string) => key.split("+")[0];
        const moved = chunks([...before, added])
          .flatMap((c) => c.names.map((n) => [n, c.key] as const))
          .filter(([name, key]) => name !== added && old.get(name) !== key);
        const runs = new Set(moved.map(([name]) => runOf(old.get(name)!)));
        expect(runs.size).toBeLessThanOrEqual(1);
      }),
    );
  });

  test("delivery groups: role and script shape apart, keys unique, each group after the whole previous step", () => {
    const nodes = [server("s1"), server("s2"), ...["a1", "a2", "a3", "a4"].map(agent)];
    const groups = planDeliveryGroups(planKeyedSteps(nodes, rolling(4)), nodes, (name) =>
      name === "a2" ? "sudo" : "root",
    );
    const steps = groups.map((group) => [group.names, group.after.length]);
    expect(steps.slice(0, 2)).toEqual([
      [["s1"], 0],
      [["s2"], 1],
    ]);
    for (const group of groups.slice(2)) {
      expect(group.names.includes("a2") ? group.names : []).toEqual(group.names.includes("a2") ? ["a2"] : []);
      expect(groups.filter((g) => g.after.join() === group.after.join()).length).toBeGreaterThan(0);
    }
    expect(
      groups
        .slice(2)
        .flatMap((group) => group.names)
        .sort(),
    ).toEqual(["a1", "a2", "a3", "a4"]);
    expect(new Set(groups.map((group) => group.key)).size).toBe(groups.length);
    expect(
      planDeliveryGroups(planKeyedSteps(nodes, { kind: "parallel" }), nodes, () => "root").every(
        (g) => g.after.length === 0,
      ),
    ).toBe(true);
  });

  test("servers-first: every agent group waits for the last server only, agents over the fixed buckets", () => {
    const agents = Array.from({ length: 300 }, (_, index) => agent(`a${index}`));
    const fleet = [server("s2"), server("s1"), ...agents];
    const groups = planDeliveryGroups(planKeyedSteps(fleet, { kind: "servers-first" }), fleet, () => "root");
    const [first, second, ...agentGroups] = groups;
    expect([first.names, first.after, second.names, second.after]).toEqual([["s1"], [], ["s2"], [first.key]]);
    expect(agentGroups.every((group) => group.after.join() === second.key)).toBe(true);
    expect(agentGroups.length).toBeGreaterThan(1);
    expect(agentGroups.length).toBeLessThanOrEqual(UNORDERED_BUCKETS);
    expect(agentGroups.flatMap((group) => group.names).sort(compareNodeNames)).toEqual(
      agents.map((a) => a.name),
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
  readonly resources: Record<
    string,
    {
      for_each: Record<string, Record<string, string>>;
      triggers: Record<string, string>;
      depends_on?: string[];
    }
  >;
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
  const parsed = JSON.parse(json) as { locals: Record<string, unknown>; resource: { null_resource: object } };
  const resources = Object.entries(parsed.resource.null_resource).map(([address, body]) => [
    address,
    { ...body, for_each: forEachMapOf(body, parsed.locals) },
  ]);
  return { json, resources: Object.fromEntries(resources) as Synthesized["resources"] };
}

const node = (name: string, role: DeliveryNode["role"] = "agent"): DeliveryNode => ({
  name,
  role,
  host: `${name}.example`,
});
const NODES = [node("server-1", "server"), node("agent-1"), node("agent-3")];

/** Each node's instance: the resource it belongs to, its `for_each` values, the group's triggers and depends_on. */
const byNodeName = (synthesized: Synthesized) =>
  Object.fromEntries(
    Object.entries(synthesized.resources).flatMap(([address, body]) =>
      Object.entries(body.for_each).map(([name, value]) => [
        name,
        { address: `null_resource.${address}`, value, triggers: body.triggers, depends_on: body.depends_on },
      ]),
    ),
  );

describe("RegistriesDelivery addresses and triggers", () => {
  test("reordering the nodes changes nothing in the synthesized JSON", () => {
    expect(synth([...NODES].reverse()).json).toBe(synth(NODES).json);
  });

  test("adding a node leaves every other node's instance as it was, address and triggers", () => {
    for (const rollout of [
      RolloutStrategy.rolling(),
      RolloutStrategy.serversFirst(),
      RolloutStrategy.parallel(),
    ]) {
      const before = byNodeName(synth(NODES, { rollout }));
      const after = byNodeName(synth([...NODES, node("agent-2")], { rollout }));
      for (const name of Object.keys(before)) {
        expect({ ...after[name], depends_on: undefined }).toEqual({ ...before[name], depends_on: undefined });
      }
    }
  });

  test("rolling by default: server first, then one agent after the other", () => {
    const instances = byNodeName(synth(NODES));
    expect(instances["server-1"].depends_on).toBeUndefined();
    expect(instances["agent-1"].depends_on).toEqual([instances["server-1"].address]);
    expect(instances["agent-3"].depends_on).toEqual([instances["agent-1"].address]);
  });

  test("per node, only what differs: the host, and a port only where the group's nodes differ in it", () => {
    const agents = Array.from({ length: 20 }, (_, index) => ({
      ...node(`agent-${index}`),
      ...(index % 2 ? { port: 2222 } : {}),
    }));
    const { resources } = synth(agents, { rollout: RolloutStrategy.rolling({ batchSize: 10 }) });
    const groups = Object.values(resources).map((body) => Object.values(body.for_each));
    expect(groups.some((values) => values.length > 1 && "port" in values[0])).toBe(true);
    for (const values of groups) {
      const ports = new Set(values.map((value) => value.port));
      for (const value of values) {
        expect(Object.keys(value).sort()).toEqual(ports.size > 1 ? ["host", "port"] : ["host"]);
      }
    }
  });

  test("triggers hold keyed digests, paths, unit and host: no content, no plain hash, no secret", () => {
    const { resources, json } = synth(NODES, {
      caCert: {
        content: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        path: "/etc/rancher/rke2/harbor-ca.pem",
      },
    });
    const locals = JSON.parse(json).locals as Record<string, string>;
    for (const { triggers } of Object.values(resources)) {
      expect(Object.keys(triggers).sort()).toEqual([
        "ca_digest",
        "ca_path",
        "host",
        "registries_digest",
        "registries_path",
        "unit",
      ]);
      for (const digest of [triggers.registries_digest, triggers.ca_digest]) {
        const local = /^\$\{local\.([A-Za-z0-9_]+)\}$/.exec(digest)![1];
        expect(locals[local]).toMatch(
          /^\$\{nonsensitive\(sensitive\(sha256\(join\("", \[var\.ssh_private_key, local\.[A-Za-z0-9_]+\]\)\)\)\)\}$/,
        );
      }
      const text = JSON.stringify(triggers);
      expect(text).not.toContain(SECRET_MARKER);
      expect(text).not.toMatch(/var\.|CERTIFICATE|_sha256_/);
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
    expect(rke2["agent-1"].triggers.registries_path).toBe("/etc/rancher/rke2/registries.yaml");
    expect(k3s["agent-1"].triggers.registries_path).toBe("/etc/rancher/k3s/registries.yaml");
  });
});
