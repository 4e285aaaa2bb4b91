/**
 * Formats generated documentation with the repository's prettier settings, so `prettier --check .`
 * and the docs-up-to-date tests agree on the same bytes. The prettier CLI, not its API: the API
 * loads plugins with dynamic import(), which jest's CommonJS runtime refuses.
 */
import { spawnSync } from "node:child_process";

export function formatWithPrettier(text: string, filePath: string): string {
  const prettier = require.resolve("prettier/bin/prettier.cjs");
  const result = spawnSync(process.execPath, [prettier, "--stdin-filepath", filePath], {
    input: text,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`prettier failed on ${filePath}: ${result.stderr}`);
  return result.stdout;
}
