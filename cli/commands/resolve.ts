/**
 * `harbor-mirror resolve <image>… --registries <file> [--disable-default-endpoint] [--json]`
 * (cli.md): what an RKE2/K3s node with that registries.yaml contacts, in order, for each image.
 */
import { errorsOf, ValidationError } from "../../registries/diagnostics";
import { InvalidImageReferenceError } from "../../registries/image-reference";
import type { RegistriesFile } from "../../registries/model";
import { parseRegistriesYaml } from "../../registries/parse";
import { resolveImage, type ResolveAttempt, type ResolveResult } from "../../registries/resolve";
import {
  defineCommand,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_USAGE,
  printDiagnostics,
  readInputFile,
} from "../command-kit";

const USAGE = `Usage: harbor-mirror resolve <image>... --registries <file> [--disable-default-endpoint] [--json]

Shows, for each image reference, the endpoints an RKE2/K3s node with that registries.yaml
contacts, in order: the repository path sent after rewriting, the rewrite rule used, and
the configs key whose credentials are sent (never the secret). When several rewrite rules
change the repository differently, containerd picks one at random: the attempt lists the
candidates and the image is marked non-deterministic.

Options:
      --registries <file>          The registries.yaml to simulate (required)
      --disable-default-endpoint   Simulate disable-default-registry-endpoint: no upstream fallback
      --json                       Print a JSON array, one object per image
  -h, --help                       Show this help

Exit codes: 0 resolved, 1 invalid file or image reference, 2 usage error.`;

export const command = defineCommand({
  name: "resolve",
  summary: "Show what a node with a registries.yaml contacts for each image (§7)",
  usage: USAGE,
  options: {
    registries: { type: "string" },
    "disable-default-endpoint": { type: "boolean" },
    json: { type: "boolean" },
  },
  positionals: { min: 0, max: Infinity },
  run(values, images) {
    if (values.registries === undefined) return usageError("--registries <file> is required");
    if (images.length === 0) return usageError("expected at least one <image>");
    const file = readRegistries(values.registries);
    const options = { disableDefaultEndpoint: values["disable-default-endpoint"] ?? false };
    const results: ResolveResult[] = [];
    for (const image of images) {
      try {
        results.push(resolveImage(image, file, options));
      } catch (error) {
        if (!(error instanceof InvalidImageReferenceError)) throw error;
        console.error(`harbor-mirror resolve: ${error.message}`);
      }
    }
    console.log(values.json ? JSON.stringify(results, null, 2) : results.map(formatResult).join("\n\n"));
    return results.length < images.length ? EXIT_INVALID : EXIT_OK;
  },
});

function usageError(message: string): number {
  console.error(`harbor-mirror resolve: ${message}\n\n${USAGE}`);
  return EXIT_USAGE;
}

/** Reads and parses the file; its problems are printed as `file:line:column key: message`. */
function readRegistries(path: string): RegistriesFile {
  const { file, diagnostics } = parseRegistriesYaml(readInputFile(path));
  if (errorsOf(diagnostics).length > 0) throw new ValidationError(diagnostics, path);
  printDiagnostics(diagnostics, path);
  return file;
}

/** The readable form: a header line, one table row per attempt with its URL below, then warnings. */
function formatResult(result: ResolveResult): string {
  const determinism = result.deterministic ? "" : "  [NON-DETERMINISTIC: containerd picks a rule at random]";
  const header = `${result.image} → ${result.reference}${determinism}`;
  const rows = result.attempts.map((attempt, index) => [
    String(index + 1),
    attempt.endpoint,
    repositoryCell(attempt),
    attempt.rule ?? "-",
    attempt.auth ?? "-",
  ]);
  const table = formatTable([["#", "ENDPOINT", "REPOSITORY", "RULE", "AUTH"], ...rows]);
  const lines = table.map((line, index) => {
    const url = index === 0 ? undefined : result.attempts[index - 1].url;
    return url ? `  ${line}\n      ${url}` : `  ${line}`;
  });
  const warnings = result.warnings.map((warning) => `  warning: ${warning}`);
  return [header, ...lines, ...warnings].join("\n");
}

function repositoryCell(attempt: ResolveAttempt): string {
  return attempt.candidates ? `one of: ${attempt.candidates.join(" | ")}` : (attempt.repository ?? "-");
}

function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join("  ")
      .trimEnd(),
  );
}
