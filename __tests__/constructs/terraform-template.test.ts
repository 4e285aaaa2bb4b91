import { escapeTemplateLiteral } from "../../delivery/terraform-template";
import { applyOutputs, findTerraformBinary } from "../../testing/terraform-cli";

const HAZARDS: readonly (readonly [string, string])[] = [
  ["interpolation opener", "${var.x}"],
  ["directive opener", "%{ if true }"],
  ["already-escaped looking text", "$${x} %%{y}"],
  ["Go template references", "$1 ${1}x $$ $name"],
  ["quotes and backslashes", '"quoted" \\ \\\\'],
  ["newlines and tabs", "a\nb\r\n\tc"],
  ["non-ASCII", "é ü 漢字 🚢"],
  ["lone dollar and percent at the end", "cost $ 100%"],
];

describe("escapeTemplateLiteral", () => {
  it.each(HAZARDS)("doubles the template openers in %s", (_name, text) => {
    const escaped = escapeTemplateLiteral(text);
    expect(escaped).not.toMatch(/(^|[^$])\$\{/);
    expect(escaped).not.toMatch(/(^|[^%])%\{/);
  });

  const terraform = findTerraformBinary();
  const withTerraform = terraform ? it : it.skip;
  withTerraform(
    "evaluates back to the exact bytes in real Terraform (skipped without terraform/tofu)",
    () => {
      const locals = Object.fromEntries(
        HAZARDS.map((_hazard, index) => [`v${index}`, escapeTemplateLiteral(HAZARDS[index][1])]),
      );
      const output = Object.fromEntries(
        HAZARDS.map((_hazard, index) => [`v${index}`, { value: `\${local.v${index}}` }]),
      );
      const values = applyOutputs(terraform!, { locals, output });
      HAZARDS.forEach(([, text], index) => expect(values[`v${index}`]).toBe(text));
    },
  );
});
