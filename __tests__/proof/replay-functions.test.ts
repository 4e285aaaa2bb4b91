/**
 * The replay evaluator's functions (testing/terraform-replay.ts) against Terraform's documented
 * semantics, and — when `terraform`/`tofu` is on PATH — against Terraform itself on the same
 * expressions (locals and outputs only, no provider needed).
 */
import { StackJson, TemplateEvaluator, UnsupportedExpressionError } from "../../testing/terraform-replay";
import { applyOutputs, findTerraformBinary } from "../../testing/terraform-cli";

const ROBOT = "harbor_robot_account.Robot_1234.secret";
/** Everything a template, JSON or YAML could misread, plus non-ASCII and Go's HTML escapes. */
const TRICKY = 'a ${b} %{c} $$ "q" \\ \n\t <x>&y grüße ✓ \u2028 \u0001 \u007f';

const stack: StackJson = {
  locals: { template: "user: __USER__\npassword: __SECRET__\n", plain: "x" },
};

// Each expected value is Terraform's documented behaviour (functions reference: jsonencode escapes
// <, >, &, U+2028 and U+2029 as \u sequences; replace substitutes every literal occurrence).
const CASES: readonly { rule: string; expression: string; expected: string }[] = [
  {
    rule: "jsonencode quotes and escapes like JSON",
    expression: `jsonencode(var.tricky)`,
    expected: expectedJson(TRICKY),
  },
  {
    rule: "jsonencode of a resource attribute given to the replay",
    expression: `jsonencode(${ROBOT})`,
    expected: expectedJson(TRICKY),
  },
  {
    rule: "replace substitutes every literal occurrence",
    expression: `replace("a-b-c", "-", "+")`,
    expected: "a+b+c",
  },
  {
    rule: "nested replace with jsonencode, as the registries content local is built",
    expression: `replace(replace(local.template, "__USER__", jsonencode("robot$pull")), "__SECRET__", jsonencode(${ROBOT}))`,
    expected: `user: "robot$pull"\npassword: ${expectedJson(TRICKY)}\n`,
  },
  {
    rule: "sha256 of a function result",
    expression: `sha256(replace(local.plain, "x", "y"))`,
    expected: "a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa",
  },
];

/** JSON.stringify plus Go's extra escapes, written out here independently of the code under test. */
function expectedJson(value: string): string {
  return JSON.stringify(value)
    .split("<")
    .join("\\u003c")
    .split(">")
    .join("\\u003e")
    .split("&")
    .join("\\u0026")
    .split("\u2028")
    .join("\\u2028");
}

const evaluator = new TemplateEvaluator(stack, { tricky: TRICKY }, { [ROBOT]: TRICKY });

describe("replay evaluator functions", () => {
  it.each(CASES)("$rule", ({ expression, expected }) => {
    expect(evaluator.evaluate(`\${${expression}}`)).toBe(expected);
  });

  it("fails loudly on replace with a regular expression and on unknown functions", () => {
    expect(() => evaluator.evaluate('${replace("a", "/a/", "b")}')).toThrow(UnsupportedExpressionError);
    expect(() => evaluator.evaluate("${base64encode(var.tricky)}")).toThrow(UnsupportedExpressionError);
    expect(() => evaluator.evaluate("${harbor_robot_account.Other.secret}")).toThrow(
      UnsupportedExpressionError,
    );
  });

  const terraform = findTerraformBinary();
  (terraform ? it : it.skip)(
    terraform
      ? `agrees with ${terraform} on every case`
      : "agrees with Terraform (SKIPPED: no terraform/tofu on PATH)",
    () => {
      // The resource attribute becomes a variable: same value, reachable without a provider.
      const toTerraform = (expression: string) => expression.split(ROBOT).join("var.robot_secret");
      const outputs = applyOutputs(
        terraform!,
        {
          variable: { tricky: { type: "string" }, robot_secret: { type: "string" } },
          locals: stack.locals,
          output: Object.fromEntries(
            CASES.map((item, index) => [`case_${index}`, { value: `\${${toTerraform(item.expression)}}` }]),
          ),
        },
        { tricky: TRICKY, robot_secret: TRICKY },
      );
      CASES.forEach((item, index) =>
        expect([item.rule, outputs[`case_${index}`]]).toEqual([item.rule, item.expected]),
      );
    },
  );
});
