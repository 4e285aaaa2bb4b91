/**
 * Writes docs/configuration.md, the `harbor-mirror.yaml` reference generated from config/schema.ts.
 * Usage: `npx tsx scripts/gen-config-docs.ts`. The output goes through the repository's prettier
 * settings, so `prettier --check .` and the docs-up-to-date test agree on the same bytes.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { renderConfigReference } from "../config/reference";

export const CONFIG_DOCS_PATH = path.join(__dirname, "..", "docs", "configuration.md");

// The prettier CLI, not its API: the API loads plugins with dynamic import(), which jest's CommonJS
// runtime refuses, and the test must produce exactly what this script writes.
export function generatedConfigDocs(): string {
  const prettier = require.resolve("prettier/bin/prettier.cjs");
  const result = spawnSync(process.execPath, [prettier, "--stdin-filepath", CONFIG_DOCS_PATH], {
    input: renderConfigReference(),
    encoding: "utf8",
  });
  if (result.status !== 0)
    throw new Error(`prettier failed on the configuration reference: ${result.stderr}`);
  return result.stdout;
}

if (require.main === module) {
  writeFileSync(CONFIG_DOCS_PATH, generatedConfigDocs());
  console.log(`Configuration reference written to ${CONFIG_DOCS_PATH}`);
}
