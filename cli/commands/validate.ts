/** `harbor-mirror validate <file>`: checks a registries.yaml with the rules of rke2-registries.md §8. */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Diagnostic, errorsOf, formatDiagnostic, warningsOf } from "../../registries/diagnostics";
import { validateRegistriesYaml } from "../../registries/validate";
import type { Command } from "./index";

const USAGE = `Usage: harbor-mirror validate <file>

Checks an RKE2/K3s registries.yaml with the rules of rke2-registries.md §8, including keys
that RKE2 silently ignores (typos such as "endpoints", "identitytoken", "token").

Prints "ok" and exits 0 when the file is valid (warnings go to stderr). Otherwise prints
every error as "file:line:column key: message" to stderr and exits 1. Usage errors exit 2.

Options:
  -h, --help  Show this help`;

const EXIT_OK = 0;
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

async function run(argv: readonly string[]): Promise<number> {
  const args = parseCommandLine(argv);
  if (args.kind === "help") {
    console.log(USAGE);
    return EXIT_OK;
  }
  if (args.kind === "usage-error") {
    console.error(`harbor-mirror validate: ${args.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const text = readInput(args.file);
  if (text === undefined) return EXIT_INVALID;
  const diagnostics = validateRegistriesYaml(text);
  for (const warning of warningsOf(diagnostics)) console.error(formatWarning(warning, args.file));
  const errors = errorsOf(diagnostics);
  for (const error of errors) console.error(formatDiagnostic(error, args.file));
  if (errors.length > 0) return EXIT_INVALID;
  console.log("ok");
  return EXIT_OK;
}

type CommandLine =
  | { readonly kind: "check"; readonly file: string }
  | { readonly kind: "help" }
  | { readonly kind: "usage-error"; readonly message: string };

function parseCommandLine(argv: readonly string[]): CommandLine {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
    if (values.help) return { kind: "help" };
    if (positionals.length !== 1) {
      return { kind: "usage-error", message: `expected exactly one <file>, got ${positionals.length}` };
    }
    return { kind: "check", file: positionals[0] };
  } catch (error) {
    return { kind: "usage-error", message: (error as Error).message };
  }
}

function readInput(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    console.error(
      `${file}: cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
    return undefined;
  }
}

/** Same `file:line:column key: message` shape as errors, marked so that scripts can tell them apart. */
function formatWarning(warning: Diagnostic, file: string): string {
  return formatDiagnostic({ ...warning, message: `warning: ${warning.message}` }, file);
}

export const command: Command = {
  summary: "Check a registries.yaml against the RKE2/K3s rules (§8)",
  run,
};
