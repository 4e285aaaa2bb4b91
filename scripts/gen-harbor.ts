/**
 * Generates the Harbor provider bindings offline from the committed provider schema,
 * with the same generator `cdktf get` uses. Usage: `tsx scripts/gen-harbor.ts [outDir]`.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { generateProviderBindingsFromSchema } from "@cdktf/provider-generator";

export const HARBOR_SCHEMA_PATH = path.join(__dirname, "..", "providers", "harbor", "schema.json");
export const HARBOR_BINDINGS_DIR = path.join(__dirname, "..", ".gen");

export async function generateHarborBindings(outDir: string): Promise<void> {
  const schema = JSON.parse(readFileSync(HARBOR_SCHEMA_PATH, "utf8"));
  await generateProviderBindingsFromSchema(outDir, schema);
}

if (require.main === module) {
  const outDir = process.argv[2] ?? HARBOR_BINDINGS_DIR;
  generateHarborBindings(outDir).then(
    () => console.log(`Harbor bindings written to ${outDir}`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
