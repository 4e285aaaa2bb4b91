/**
 * `harbor-mirror resolve <image>… --registries <file> [--disable-default-endpoint] [--json]` (README "Command
 * line"): what an RKE2/K3s node with that registries.yaml contacts, in order, for each image; with `--target
 * containerd --hosts-dir <dir>`, what plain containerd does with that hosts directory.
 */
import { existsSync, readdirSync, type Dirent } from "node:fs";
import { join } from "node:path";
import { readContainerdHostsDir, UndecodableHostsTomlError } from "../../registries/containerd-hosts";
import { errorsOf, ValidationError } from "../../registries/diagnostics";
import type { HostConfigs } from "../../registries/hosts";
import { InvalidImageReferenceError } from "../../registries/image-reference";
import type { RegistriesFile } from "../../registries/model";
import { parseRegistriesYaml } from "../../registries/parse";
import { redactSecrets } from "../../registries/redact";
import {
  resolveImage,
  resolveOnHosts,
  type ResolveAttempt,
  type ResolveResult,
} from "../../registries/resolve";
import {
  defineCommand,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_USAGE,
  printDiagnostics,
  readInputFile,
  UnreadableInputError,
} from "../command-kit";

const TARGETS = ["rke2", "k3s", "containerd"] as const;

const USAGE = `Usage: harbor-mirror resolve <image>... --registries <file> [--disable-default-endpoint] [--json]
       harbor-mirror resolve <image>... --target containerd --hosts-dir <dir> [--json]

Shows, for each image reference, the endpoints an RKE2/K3s node with that registries.yaml
contacts, in order: the repository path sent after rewriting, the rewrite rule used, and
the configs key whose credentials are sent (never the secret). When several rewrite rules
change the repository differently, containerd picks one at random: the attempt lists the
candidates and the image is marked non-deterministic. With --target containerd, the same for
plain containerd reading <dir>/<registry>/hosts.toml (its config_path, or ctr --hosts-dir).

Options:
      --target <target>            rke2 (default), k3s or containerd
      --registries <file>          The registries.yaml to simulate (rke2, k3s)
      --hosts-dir <dir>            The hosts directory to simulate (containerd)
      --disable-default-endpoint   Simulate disable-default-registry-endpoint: no upstream fallback (rke2, k3s)
      --json                       Print a JSON array, one object per image
  -h, --help                       Show this help

Exit codes: 0 resolved, 1 invalid file or image reference, 2 usage error.`;

export const command = defineCommand({
  name: "resolve",
  summary: "Show what a node with a registries.yaml contacts for each image",
  usage: USAGE,
  options: {
    target: { type: "string" },
    registries: { type: "string" },
    "hosts-dir": { type: "string" },
    "disable-default-endpoint": { type: "boolean" },
    json: { type: "boolean" },
  },
  positionals: { min: 0, max: Infinity },
  run(values, images) {
    const resolver = resolverFor(values);
    if (typeof resolver === "string") return usageError(resolver);
    if (images.length === 0) return usageError("expected at least one <image>");
    const resolve = resolver();
    const results: ResolveResult[] = [];
    for (const image of images) {
      try {
        results.push(resolve(image));
      } catch (error) {
        if (!(error instanceof InvalidImageReferenceError)) throw error;
        console.error(redactSecrets(`harbor-mirror resolve: ${error.message}`));
      }
    }
    // The endpoints are the file's own: one with credentials in its URL is shown redacted too.
    const shown = JSON.parse(redactSecrets(JSON.stringify(results))) as ResolveResult[];
    console.log(values.json ? JSON.stringify(shown, null, 2) : shown.map(formatResult).join("\n\n"));
    return results.length < images.length ? EXIT_INVALID : EXIT_OK;
  },
});

function usageError(message: string): number {
  console.error(`harbor-mirror resolve: ${message}\n\n${USAGE}`);
  return EXIT_USAGE;
}

type Resolver = (image: string) => ResolveResult;

interface ResolveValues {
  readonly target?: string;
  readonly registries?: string;
  readonly "hosts-dir"?: string;
  readonly "disable-default-endpoint"?: boolean;
}

/** The resolver the options ask for (built lazily, after the usage checks), or the usage error. */
function resolverFor(values: ResolveValues): (() => Resolver) | string {
  const target = values.target ?? "rke2";
  if (!(TARGETS as readonly string[]).includes(target))
    return `--target ${JSON.stringify(target)} is not allowed: expected one of ${TARGETS.join(", ")}`;
  const hostsDir = values["hosts-dir"];
  if (target !== "containerd") {
    if (hostsDir !== undefined) return `--hosts-dir applies only to --target containerd`;
    if (values.registries === undefined) return "--registries <file> is required";
    const registries = values.registries;
    return () => registriesResolver(registries, values);
  }
  if (values.registries !== undefined) return "--registries does not apply to --target containerd";
  if (values["disable-default-endpoint"])
    return "--disable-default-endpoint does not apply to --target containerd";
  if (hostsDir === undefined) return "--hosts-dir <dir> is required with --target containerd";
  return () => containerdResolver(hostsDir);
}

function registriesResolver(path: string, values: { "disable-default-endpoint"?: boolean }): Resolver {
  const file = readRegistries(path);
  const options = { disableDefaultEndpoint: values["disable-default-endpoint"] ?? false };
  return (image) => resolveImage(image, file, options);
}

function containerdResolver(hostsDir: string): Resolver {
  const hosts = readHostsDir(hostsDir);
  return (image) => resolveOnHosts(image, hosts);
}

/** Every `<dir>/<registry>/hosts.toml`, as containerd finds them; a file it cannot decode is invalid input. */
function readHostsDir(hostsDir: string): HostConfigs {
  const files: Record<string, string> = {};
  for (const directory of listDirectory(hostsDir)) {
    const path = join(hostsDir, directory.name, "hosts.toml");
    if (directory.isDirectory() && existsSync(path)) files[directory.name] = readInputFile(path);
  }
  try {
    return readContainerdHostsDir(files);
  } catch (error) {
    if (!(error instanceof UndecodableHostsTomlError)) throw error;
    throw new UnreadableInputError(`${hostsDir}/${error.message}`);
  }
}

function listDirectory(path: string): Dirent[] {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UnreadableInputError(`${path}: cannot read the directory: ${reason}`);
  }
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
