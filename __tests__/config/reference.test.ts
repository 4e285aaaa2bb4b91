/**
 * docs/configuration.md is generated from config/schema.ts (scripts/gen-config-docs.ts); these
 * tests fail when someone changes the schema without regenerating it, or edits the file by hand.
 */
import { readFileSync } from "node:fs";
import { renderConfigReference } from "../../config/reference";
import { harborMirrorSchema } from "../../config/schema";
import { CONFIG_DOCS_PATH, generatedConfigDocs } from "../../scripts/gen-config-docs";

describe("configuration reference", () => {
  it("docs/configuration.md is up to date (regenerate: npx tsx scripts/gen-config-docs.ts)", () => {
    expect(readFileSync(CONFIG_DOCS_PATH, "utf8")).toBe(generatedConfigDocs());
  });

  it("documents every top-level key of the schema", () => {
    const shape = harborMirrorSchema.shape;
    if (shape.kind !== "object") throw new Error("the schema's top level is a mapping");
    const reference = renderConfigReference();
    for (const key of Object.keys(shape.fields)) expect(reference).toContain(`| \`${key}\` |`);
  });

  it("renders the same text every time", () => {
    expect(renderConfigReference()).toBe(renderConfigReference());
  });
});
