/**
 * Writes the two documents generated from config/schema.ts: docs/configuration.md (the reference)
 * and harbor-mirror.schema.json (the editor schema the example's modeline points at).
 * Usage: `npx tsx scripts/gen-config-docs.ts`. Both go through the repository's prettier
 * settings, so `prettier --check .` and the up-to-date tests agree on the same bytes.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { EDITOR_SCHEMA_FILE, renderConfigReference, renderEditorSchema } from "../config/reference";

export const CONFIG_DOCS_PATH = path.join(__dirname, "..", "docs", "configuration.md");
export const EDITOR_SCHEMA_PATH = path.join(__dirname, "..", EDITOR_SCHEMA_FILE);

// The prettier CLI, not its API: the API loads plugins with dynamic import(), which jest's CommonJS
// runtime refuses, and the test must produce exactly what this script writes.
function formatted(file: string, text: string): string {
  const prettier = require.resolve("prettier/bin/prettier.cjs");
  const result = spawnSync(process.execPath, [prettier, "--stdin-filepath", file], {
    input: text,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`prettier failed on ${path.basename(file)}: ${result.stderr}`);
  return result.stdout;
}

export function generatedConfigDocs(): string {
  return formatted(CONFIG_DOCS_PATH, renderConfigReference());
}

export function generatedEditorSchema(): string {
  return formatted(EDITOR_SCHEMA_PATH, renderEditorSchema());
}

if (require.main === module) {
  writeFileSync(CONFIG_DOCS_PATH, generatedConfigDocs());
  writeFileSync(EDITOR_SCHEMA_PATH, generatedEditorSchema());
  console.log(
    `Configuration reference written to ${CONFIG_DOCS_PATH}, editor schema to ${EDITOR_SCHEMA_PATH}`,
  );
}
