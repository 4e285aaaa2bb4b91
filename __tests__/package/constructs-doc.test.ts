/**
 * docs/constructs.md is generated from the constructs' doc comments and docs/examples/
 * (scripts/gen-constructs-doc.ts); the consumer test compiles those examples against the packed
 * library, and the repository's type check compiles them against index.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { CONSTRUCTS_DOC_PATH, EXAMPLES_DIR, generatedConstructsDoc } from "../../scripts/gen-constructs-doc";

describe("docs/constructs.md", () => {
  const page = readFileSync(CONSTRUCTS_DOC_PATH, "utf8");

  it("is up to date (regenerate: npm run docs)", () => {
    expect(page).toBe(generatedConstructsDoc());
  });

  it.each(readdirSync(EXAMPLES_DIR).filter((file) => file.endsWith(".ts")))(
    "shows docs/examples/%s, which imports the package by its name only",
    (file) => {
      const example = readFileSync(path.join(EXAMPLES_DIR, file), "utf8");
      expect(page).toContain(example.trimEnd());
      const imports = [...example.matchAll(/from "([^"]+)"/g)].map((match) => match[1]);
      expect(imports.filter((specifier) => specifier.startsWith("."))).toEqual([]);
      expect(imports).toContain("harbor-mirror");
    },
  );
});
