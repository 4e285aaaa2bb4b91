/**
 * Real Terraform checks the two things the SSH replay takes on trust: that the content local
 * renders byte for byte (literal `${`, `%{`, dollars before a token, …) and that the replay's
 * template evaluator renders every provisioner string, trigger and connection field exactly as
 * Terraform does. Locals and outputs need no provider, so this runs wherever `terraform` or
 * `tofu` is on PATH; otherwise it reports itself skipped.
 */
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { RegistriesDelivery } from "../../constructs/registries-delivery";
import { applyOutputs, findTerraformBinary } from "../../testing/terraform-cli";
import { checkAgainstProviderSchemas, NULL_SCHEMA } from "../../testing/schema-conformance";
import { StackJson, TemplateEvaluator } from "../../testing/terraform-replay";
import { forEachMapOf } from "../../review/terraform-json";

const TRICKY = `a: "\${1} %{x} $1 $$ $\${y} %%{z}"\n# 'single' "double" \\back\\slash grüße ✓\npassword: "$`;
const ROBOT_SECRET = "s3cr3t-$1-${x}-%{y}";
const VARIABLES = { robot_secret: ROBOT_SECRET, ssh_private_key: "not-a-real-key" };

function synthesize(): StackJson & { resource: { null_resource: Record<string, Record<string, unknown>> } } {
  const stack = new TerraformStack(Testing.app(), "templates");
  const key = new TerraformVariable(stack, "ssh_private_key", { type: "string", sensitive: true });
  const robot = new TerraformVariable(stack, "robot_secret", { type: "string", sensitive: true });
  new RegistriesDelivery(stack, "Delivery", {
    content: `${TRICKY}${robot.stringValue}"\n`,
    caCert: {
      content: "-----BEGIN CERTIFICATE-----\n${not-a-template}\n-----END CERTIFICATE-----\n",
      path: "/etc/rancher/rke2/harbor-ca.pem",
    },
    nodes: [
      { name: "server-1", host: "192.0.2.11", role: "server" },
      { name: "agent-1", host: "192.0.2.21", role: "agent", user: "ubuntu" },
    ],
    ssh: { privateKey: key.stringValue, hostKey: "ssh-ed25519 AAAAC3Nza" },
  });
  return JSON.parse(Testing.synth(stack));
}

type ForEach = Record<string, Record<string, string | number>>;

/**
 * Every string-valued field the replay evaluates, per `for_each` instance, keyed
 * `<resource>.<instance>.<field path>`: the template as written (for the replay) and the same
 * template with `each.key` / `each.value.<x>` replaced by that instance's values as quoted strings
 * (for Terraform, whose outputs know no `each`). Instance values are node names, hosts, ports and
 * validated paths: no quote or backslash to escape.
 */
function templatesOf(
  stack: ReturnType<typeof synthesize>,
): Record<string, { template: string; key: string; value: ForEach[string]; forTerraform: string }> {
  const templates: ReturnType<typeof templatesOf> = {};
  Object.entries(stack.resource.null_resource).forEach(([name, body], index) => {
    for (const [key, value] of Object.entries(forEachMapOf(body, stack.locals ?? {}) as ForEach)) {
      const forTerraform = (template: string) =>
        template
          .replace(/\beach\.key\b/g, JSON.stringify(key))
          .replace(/\beach\.value\.([A-Za-z0-9_]+)/g, (_, attribute: string) =>
            JSON.stringify(String(value[attribute])),
          );
      const collect = (field: unknown, path: string) => {
        if (typeof field === "string") {
          templates[`r${index}_${key}_${path}`.replace(/[^A-Za-z0-9_]/g, "_")] = {
            template: field,
            key,
            value,
            forTerraform: forTerraform(field),
          };
        } else if (field && typeof field === "object") {
          for (const [inner, innerValue] of Object.entries(field)) collect(innerValue, `${path}_${inner}`);
        }
      };
      collect({ triggers: body.triggers, connection: body.connection, provisioner: body.provisioner }, name);
    }
  });
  return templates;
}

test("the synthesized null_resources conform to the hashicorp/null 3.2.4 schema", () => {
  expect(checkAgainstProviderSchemas(synthesize(), [NULL_SCHEMA])).toEqual([]);
});

const binary = findTerraformBinary();
(binary ? describe : describe.skip)(
  binary
    ? `rendered by real ${binary}`
    : "rendered by real Terraform (SKIPPED: neither terraform nor tofu is on PATH)",
  () => {
    const stack = synthesize();
    const templates = templatesOf(stack);
    const contentLocal = Object.keys(stack.locals ?? {}).find((name) =>
      /_file_registries_[0-9A-F]+$/.test(name),
    )!;
    let outputs: Record<string, unknown>;

    beforeAll(() => {
      const output = Object.fromEntries(
        Object.entries({
          content: `\${local.${contentLocal}}`,
          ...Object.fromEntries(
            Object.entries(templates).map(([name, { forTerraform }]) => [name, forTerraform]),
          ),
        }).map(([name, value]) => [name, { value, sensitive: true }]),
      );
      outputs = applyOutputs(binary!, { variable: stack.variable, locals: stack.locals, output }, VARIABLES);
    });

    test("the content arrives byte for byte, the secret included", () => {
      expect(outputs.content).toBe(`${TRICKY}${ROBOT_SECRET}"\n`);
    });

    test("the replay's evaluator agrees with Terraform on every provisioner string, trigger and connection field", () => {
      const evaluator = new TemplateEvaluator(stack, VARIABLES);
      const disagreements = Object.entries(templates).filter(
        ([name, { template, key, value }]) =>
          evaluator.forInstance(key, value).evaluate(template) !== String(outputs[name]),
      );
      expect(disagreements).toEqual([]);
      expect(Object.keys(templates).length).toBeGreaterThan(20);
    });
  },
);
