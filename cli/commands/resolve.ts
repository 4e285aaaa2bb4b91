/**
 * `harbor-mirror resolve <image>… --registries <file> [--disable-default-endpoint] [--json]`
 * (cli.md): what an RKE2/K3s node with that registries.yaml contacts, in order, for each image.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { errorsOf, formatDiagnostic, warningsOf, type Diagnostic } from "../../registries/diagnostics";
import { InvalidImageReferenceError } from "../../registries/image-reference";
import type { RegistriesFile } from "../../registries/model";
import { parseRegistriesYaml } from "../../registries/parse";
import { resolveImage, type ResolveAttempt, type ResolveResult } from "../../registries/resolve";
import type { Command } from "./index";

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

const EXIT_OK = 0;
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

type CommandLine =
  | {
      readonly kind: "resolve";
      readonly images: readonly string[];
      readonly registries: string;
      readonly disableDefaultEndpoint: boolean;
      readonly json: boolean;
    }
  | { readonly kind: "help" }
  | { readonly kind: "usage-error"; readonly message: string };

async function run(argv: readonly string[]): Promise<number> {
  const args = parseCommandLine(argv);
  if (args.kind === "help") {
    console.log(USAGE);
    return EXIT_OK;
  }
  if (args.kind === "usage-error") {
    console.error(`harbor-mirror resolve: ${args.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const file = readRegistries(args.registries);
  if (!file) return EXIT_INVALID;
  const results: ResolveResult[] = [];
  let invalidImages = 0;
  for (const image of args.images) {
    try {
      results.push(resolveImage(image, file, { disableDefaultEndpoint: args.disableDefaultEndpoint }));
    } catch (error) {
      if (!(error instanceof InvalidImageReferenceError)) throw error;
      console.error(`harbor-mirror resolve: ${error.message}`);
      invalidImages++;
    }
  }
  console.log(args.json ? JSON.stringify(results, null, 2) : results.map(formatResult).join("\n\n"));
  return invalidImages > 0 ? EXIT_INVALID : EXIT_OK;
}

function parseCommandLine(argv: readonly string[]): CommandLine {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        registries: { type: "string" },
        "disable-default-endpoint": { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
    if (values.help) return { kind: "help" };
    if (values.registries === undefined)
      return { kind: "usage-error", message: "--registries <file> is required" };
    if (positionals.length === 0) return { kind: "usage-error", message: "expected at least one <image>" };
    return {
      kind: "resolve",
      images: positionals,
      registries: values.registries,
      disableDefaultEndpoint: values["disable-default-endpoint"] ?? false,
      json: values.json ?? false,
    };
  } catch (error) {
    return { kind: "usage-error", message: (error as Error).message };
  }
}

/** Reads and parses the file; prints every problem as `file:line:column key: message`. */
function readRegistries(path: string): RegistriesFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    console.error(`${path}: cannot read the file: ${reason}`);
    return undefined;
  }
  const { file, diagnostics } = parseRegistriesYaml(text);
  for (const warning of warningsOf(diagnostics)) console.error(formatWarning(warning, path));
  const errors = errorsOf(diagnostics);
  for (const error of errors) console.error(formatDiagnostic(error, path));
  return errors.length > 0 ? undefined : file;
}

function formatWarning(warning: Diagnostic, file: string): string {
  return formatDiagnostic({ ...warning, message: `warning: ${warning.message}` }, file);
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

export const command: Command = {
  summary: "Show what a node with a registries.yaml contacts for each image (§7)",
  run,
};
