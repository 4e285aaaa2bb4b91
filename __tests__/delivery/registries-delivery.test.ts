/**
 * RegistriesDelivery: early validation with clear messages (prior-art.md "Construct style
 * guidance": say what is wrong, show the value, say what is allowed; skip unresolved tokens) and
 * byte-exact transport of the content through Terraform's template syntax.
 */
import fc from "fast-check";
import { Fn, TerraformStack, TerraformVariable, Testing } from "cdktf";
import {
  DeliveryNode,
  RegistriesDelivery,
  RegistriesDeliveryProps,
} from "../../constructs/registries-delivery";
import { RolloutStrategy } from "../../constructs/rollout-strategy";
import { StackJson, TemplateEvaluator } from "../../testing/terraform-replay";

const CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const GOOD_NODE: DeliveryNode = { name: "server-1", host: "192.0.2.11", role: "server" };

function build(overrides: Partial<RegistriesDeliveryProps> = {}, literalKey = false) {
  const stack = new TerraformStack(Testing.app(), "validation");
  const key = new TerraformVariable(stack, "ssh_private_key", { type: "string", sensitive: true });
  new RegistriesDelivery(stack, "Delivery", {
    content: "mirrors: {}\n",
    nodes: [GOOD_NODE],
    ssh: { privateKey: literalKey ? "-----BEGIN OPENSSH PRIVATE KEY-----" : key.stringValue },
    ...overrides,
  });
  return stack;
}

describe("RegistriesDelivery validation", () => {
  test.each<[string, Partial<RegistriesDeliveryProps>, string]>([
    [
      "fails for duplicate node names",
      { nodes: [GOOD_NODE, { ...GOOD_NODE, host: "192.0.2.12" }] },
      'nodes[1].name: "server-1" is already the name of nodes[0]: node names are identities and must be unique',
    ],
    [
      "fails for a node name that is not a stable id",
      { nodes: [{ ...GOOD_NODE, name: "Server 1" }] },
      'nodes[0].name: node name "Server 1" is not a stable id',
    ],
    [
      "fails for a relative registries path",
      { nodes: [{ ...GOOD_NODE, registriesPath: "registries.yaml" }] },
      'nodes[0].registriesPath: "registries.yaml" is not allowed: expected an absolute file path',
    ],
    [
      "fails for an unknown role",
      { nodes: [{ ...GOOD_NODE, role: "worker" as DeliveryNode["role"] }] },
      'nodes[0].role: "worker" is not allowed: expected one of server, agent',
    ],
    [
      "fails for an unknown distribution",
      { distribution: "k8s" as RegistriesDeliveryProps["distribution"] },
      'distribution: "k8s" is not allowed: expected one of rke2, k3s',
    ],
    [
      "fails for a CA path with shell metacharacters",
      { caCert: { content: CA_PEM, path: "/etc/ca;reboot" } },
      'caCert.path: "/etc/ca;reboot" is not allowed',
    ],
    [
      "fails for a restart timeout of 0",
      { restartTimeoutSeconds: 0 },
      "restartTimeoutSeconds: 0 is not allowed: expected a whole number of at least 1",
    ],
    [
      "fails for a port out of range",
      { nodes: [{ ...GOOD_NODE, port: 70000 }] },
      "nodes[0].port: 70000 is not allowed: expected a TCP port from 1 to 65535",
    ],
  ])("%s", (_rule, overrides, message) => {
    expect(() => build(overrides)).toThrow(message);
  });

  test("fails for a literal private key, which would be written to cdktf.out", () => {
    expect(() => build({}, true)).toThrow(
      "ssh.privateKey: is a literal string, which would be written in plaintext",
    );
  });

  test("fails for batchSize < 1 when the strategy is built", () => {
    expect(() => build({ rollout: RolloutStrategy.rolling({ batchSize: 0 }) })).toThrow("batchSize: 0");
  });

  test("reports every problem at once", () => {
    expect(() =>
      build({ nodes: [{ ...GOOD_NODE, name: "A" }], restartTimeoutSeconds: -1, distribution: "x" as "rke2" }),
    ).toThrow(/nodes\[0\]\.name[\s\S]*distribution[\s\S]*restartTimeoutSeconds/);
  });

  /** Builds a delivery whose host, user or port are tokens (known only at apply time). */
  function buildWithTokens(caPathIsToken: boolean) {
    const stack = new TerraformStack(Testing.app(), "tokens");
    const variable = (name: string) =>
      new TerraformVariable(stack, name, { type: "string", sensitive: true });
    const port = new TerraformVariable(stack, "port", { type: "number" });
    new RegistriesDelivery(stack, "Delivery", {
      content: variable("content").stringValue,
      nodes: [
        {
          ...GOOD_NODE,
          host: variable("host").stringValue,
          user: variable("user").stringValue,
          port: port.numberValue,
        },
      ],
      caCert: {
        content: CA_PEM,
        path: caPathIsToken ? variable("path").stringValue : "/etc/rancher/rke2/ca.pem",
      },
      ssh: { privateKey: variable("ssh_private_key").stringValue },
    });
    return stack;
  }

  test("skips host, user, port and content that are tokens until apply time", () => {
    expect(() => buildWithTokens(false)).not.toThrow();
  });

  test("fails for a path given as a token: it is embedded in the node's shell script", () => {
    expect(() => buildWithTokens(true)).toThrow(
      "caCert.path: is a token: paths are embedded in the node's install script",
    );
  });
});

/** The content local as Terraform would evaluate it, given values for the variables. */
function renderedContent(content: (robot: string) => string, robotValue: string): string {
  const stack = new TerraformStack(Testing.app(), "escape");
  const key = new TerraformVariable(stack, "ssh_private_key", { type: "string", sensitive: true });
  const robot = new TerraformVariable(stack, "robot", { type: "string", sensitive: true });
  new RegistriesDelivery(stack, "Delivery", {
    content: content(robot.stringValue),
    nodes: [GOOD_NODE],
    ssh: { privateKey: key.stringValue },
  });
  const json: StackJson = JSON.parse(Testing.synth(stack));
  const evaluator = new TemplateEvaluator(json, { robot: robotValue });
  const [contentLocal] = Object.keys(json.locals ?? {}).filter((name) =>
    /_file_registries_[0-9A-F]+$/.test(name),
  );
  return evaluator.evaluate(`\${local.${contentLocal}}`);
}

describe("content through Terraform's template syntax", () => {
  test("any literal text renders byte for byte (property)", () => {
    const templateHeavy = fc.string({
      unit: fc.constantFrom("$", "{", "}", "%", "\\", '"', "'", "\n", "a", "ü", "1"),
      maxLength: 40,
    });
    fc.assert(
      fc.property(fc.oneof(templateHeavy, fc.string({ unit: "grapheme" })), (text) => {
        expect(renderedContent(() => text, "unused")).toBe(text);
      }),
      { numRuns: 150 },
    );
  });

  test("literal text around a token renders exactly, even dollars right before it", () => {
    for (const [before, after] of [
      ["pw: $", "$"],
      ["pw: $$", "%{"],
      ["pw: ${", "}"],
      ['auth: { password: "', '" }'],
    ]) {
      expect(renderedContent((robot) => `${before}${robot}${after}`, "s3cr3t")).toBe(
        `${before}s3cr3t${after}`,
      );
    }
  });

  test("a function token keeps working inside the content", () => {
    expect(renderedContent((robot) => `h: ${Fn.sha256(robot)}`, "x")).toMatch(/^h: [0-9a-f]{64}$/);
  });
});
