/**
 * docs/configuration.md and harbor-mirror.schema.json are generated from config/schema.ts
 * (scripts/gen-config-docs.ts); these tests fail when someone changes the schema without
 * regenerating them, or edits them by hand.
 */
import { readFileSync } from "node:fs";
import { editorSchema, renderConfigReference } from "../../config/reference";
import { harborMirrorSchema } from "../../config/schema";
import {
  CONFIG_DOCS_PATH,
  EDITOR_SCHEMA_PATH,
  generatedConfigDocs,
  generatedEditorSchema,
} from "../../scripts/gen-config-docs";

describe("configuration reference", () => {
  it("docs/configuration.md is up to date (regenerate: npx tsx scripts/gen-config-docs.ts)", () => {
    expect(readFileSync(CONFIG_DOCS_PATH, "utf8")).toBe(generatedConfigDocs());
  });

  it("documents every top-level key of the schema", () => {
    const reference = renderConfigReference();
    for (const key of Object.keys(harborMirrorSchema.shape)) expect(reference).toContain(`| \`${key}\` |`);
  });

  it("renders the same text every time", () => {
    expect(renderConfigReference()).toBe(renderConfigReference());
  });
});

describe("editor schema", () => {
  it("harbor-mirror.schema.json is up to date (regenerate: npx tsx scripts/gen-config-docs.ts)", () => {
    expect(readFileSync(EDITOR_SCHEMA_PATH, "utf8")).toBe(generatedEditorSchema());
  });

  it("describes what may be written: required keys only where the loader requires them", () => {
    const schema = editorSchema() as { required: string[]; additionalProperties: boolean };
    expect(schema.required.sort()).toEqual(["harbor", "upstreams", "version"]);
    expect(schema.additionalProperties).toBe(false);
  });

  it("is referenced by the example's yaml-language-server modeline", () => {
    const example = readFileSync(
      EDITOR_SCHEMA_PATH.replace("harbor-mirror.schema.json", "harbor-mirror.yaml"),
      "utf8",
    );
    expect(example.split("\n")[0]).toBe("# yaml-language-server: $schema=./harbor-mirror.schema.json");
  });
});
