/**
 * Writes docs/configuration.md, the `harbor-mirror.yaml` reference generated from config/schema.ts.
 * Usage: `npx tsx scripts/gen-config-docs.ts`. The output is formatted with the repository's prettier
 * settings, so `prettier --check .` and the docs-up-to-date test agree on the same bytes.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import * as prettier from "prettier";
import { renderConfigReference } from "../config/reference";

export const CONFIG_DOCS_PATH = path.join(__dirname, "..", "docs", "configuration.md");

export async function generatedConfigDocs(): Promise<string> {
  const options = await prettier.resolveConfig(CONFIG_DOCS_PATH);
  return prettier.format(renderConfigReference(), { ...options, filepath: CONFIG_DOCS_PATH });
}

if (require.main === module) {
  generatedConfigDocs().then(
    (text) => {
      writeFileSync(CONFIG_DOCS_PATH, text);
      console.log(`Configuration reference written to ${CONFIG_DOCS_PATH}`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
