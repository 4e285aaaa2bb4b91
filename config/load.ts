/**
 * Finds, parses and decodes `harbor-mirror.yaml`. Decoding only: YAML (config/yaml-source.ts), the
 * zod schema's types and keys (config/schema.ts), credential-looking keys and the one file
 * reference (`harbor.caCertFile`, made absolute). Every problem names the key path, line, column,
 * value and what is allowed; all of them are collected before `ValidationError` is thrown. Rules
 * about values are the constructs'; the app places their errors with `ParsedConfig.locate`.
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import {
  errorAt,
  nearestWord,
  ValidationError,
  type Diagnostic,
  type KeyPath,
} from "../registries/diagnostics";
import { decodeUtf8 } from "../registries/yaml-limits";
import { harborMirrorSchema, type HarborMirrorConfig } from "./schema";
import { readYamlSource, type Position } from "./yaml-source";

export const CONFIG_FILE_NAME = "harbor-mirror.yaml";
export const CONFIG_PATH_VARIABLE = "HARBOR_MIRROR_CONFIG";

export interface ParsedConfig {
  readonly config: HarborMirrorConfig;
  /** Where a key path of the configuration is written (its nearest written ancestor if absent). */
  readonly locate: (path: KeyPath) => Position;
}

export interface LoadedConfig extends ParsedConfig {
  /** Absolute path of the file that was read. */
  readonly path: string;
}

export interface LoadOptions {
  /** Explicit file (e.g. `--config`); wins over `$HARBOR_MIRROR_CONFIG`. */
  readonly path?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Directory relative paths are resolved from. @default process.cwd() */
  readonly cwd?: string;
}

/** Reads `path`, else `$HARBOR_MIRROR_CONFIG`, else `./harbor-mirror.yaml`. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const path = resolve(cwd, options.path ?? env[CONFIG_PATH_VARIABLE] ?? CONFIG_FILE_NAME);
  return { ...parseConfig(readConfigFile(path), path, dirname(path)), path };
}

/** The file's text, or a one-line error: missing, a directory, unreadable, not UTF-8 (located). */
function readConfigFile(path: string): string {
  const problem = (code: string, message: string) =>
    new ValidationError([{ severity: "error", code, path: "(file)", message }], path);
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats) {
    throw problem(
      "config-file-missing",
      `no configuration file at ${path}: create ./${CONFIG_FILE_NAME}, pass --config <file> or set ${CONFIG_PATH_VARIABLE}`,
    );
  }
  if (!stats.isFile()) throw problem("config-file-not-a-file", `${path} is not a file (a directory?)`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw problem("config-file-unreadable", `cannot read ${path}: ${reason}`);
  }
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) throw new ValidationError([decoded.diagnostic], path);
  return decoded.text;
}

/**
 * Decodes configuration text. `file` only labels messages; `baseDir` resolves relative paths in
 * the file (caCertFile). Throws `ValidationError` carrying every error.
 */
export function parseConfig(
  text: string,
  file: string = CONFIG_FILE_NAME,
  baseDir: string = ".",
): ParsedConfig {
  const read = readYamlSource(text);
  if (!read.ok) throw new ValidationError(read.diagnostics, file);
  const { source } = read;
  if (source.value === null) {
    const message = "the file is empty: it needs at least `version: 1`, `harbor.url` and `upstreams`";
    throw new ValidationError(
      [{ severity: "error", code: "config-file-empty", path: "(file)", message, line: 1, column: 1 }],
      file,
    );
  }
  const value = withoutEmptyValues(source.value);
  const result = harborMirrorSchema.safeParse(value);
  const diagnostics = [
    ...(result.success ? [] : result.error.issues.flatMap((issue) => issueDiagnostics(issue, value))),
    ...passedThroughCredentials(value),
  ].map((diagnostic) => ({ ...diagnostic, ...source.locate(diagnostic.keyPath ?? []) }));
  if (!result.success || diagnostics.length > 0) throw new ValidationError(diagnostics, file);
  return { config: withAbsoluteFiles(result.data, baseDir), locate: source.locate };
}

/** A key YAML leaves empty (`key:`) counts as absent, so its default applies. */
function withoutEmptyValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyValues);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, entry]) => entry !== null)
      .map(([key, entry]) => [key, withoutEmptyValues(entry)]),
  );
}

function withAbsoluteFiles(config: HarborMirrorConfig, baseDir: string): HarborMirrorConfig {
  const { caCertFile } = config.harbor;
  return caCertFile === undefined
    ? config
    : { ...config, harbor: { ...config.harbor, caCertFile: resolve(baseDir, caCertFile) } };
}

// ---------------------------------------------------------------------------------------------
// zod issues → diagnostics in the project's words

function issueDiagnostics(issue: z.core.$ZodIssue, root: unknown): Diagnostic[] {
  const path = issue.path as KeyPath;
  const got = valueAt(root, path);
  if (got === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value")) {
    return [
      requiredKey(path, issue.code === "invalid_type" ? typeWords(issue.expected) : issue.values.join(" | ")),
    ];
  }
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => unknownKey(path, key));
    case "too_big":
    case "too_small": {
      // The only bounds of the schema: zod's safe-integer range of every integer key.
      const range = `from -${Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`;
      const message = `must be an integer ${range} (beyond, the number read is not the number written)`;
      return [errorAt("config-wrong-type", path, message)];
    }
    case "invalid_type":
      return [
        errorAt("config-wrong-type", path, `must be ${typeWords(issue.expected)}; got ${showValue(got)}`),
      ];
    case "invalid_value": {
      const allowed = issue.values.map((value) => `\`${String(value)}\``).join(", ");
      const words = issue.values.map(String);
      const hint = typeof got === "string" ? suggestion(got, words) : "";
      const rule =
        issue.values.length === 1 ? `must be ${String(issue.values[0])}` : `must be one of ${allowed}${hint}`;
      return [
        errorAt(
          path.join(".") === "version" ? "config-version" : "config-not-allowed",
          path,
          `${rule}; got ${showValue(got)}`,
        ),
      ];
    }
    default:
      return [errorAt("config-invalid", path, issue.message)];
  }
}

function requiredKey(path: KeyPath, expected: string): Diagnostic {
  const description = descriptionAt(path);
  return errorAt(
    "config-required",
    path,
    `is required (${expected})${description ? `: ${description}` : ""}`,
  );
}

function unknownKey(parent: KeyPath, key: string): Diagnostic {
  const path = [...parent, key];
  const credential = credentialKeyProblem(key);
  if (credential) return errorAt("config-credential-key", path, credential);
  const known = knownKeysAt(parent);
  return errorAt(
    "config-unknown-key",
    path,
    `unknown key \`${key}\`${suggestion(key, known)}; allowed keys: ${listWords(known)}`,
  );
}

/** The backend passes its other keys through unchecked, so credential-looking keys are caught here. */
function passedThroughCredentials(root: unknown): Diagnostic[] {
  const backend = valueAt(root, ["backend"]);
  const walk = (value: unknown, path: KeyPath): Diagnostic[] => {
    if (Array.isArray(value)) return value.flatMap((item, index) => walk(item, [...path, index]));
    if (value === null || typeof value !== "object") return [];
    return Object.entries(value).flatMap(([key, entry]) => {
      const problem = credentialKeyProblem(key);
      return [
        ...(problem ? [errorAt("config-credential-key", [...path, key], problem)] : []),
        ...walk(entry, [...path, key]),
      ];
    });
  };
  return walk(backend, ["backend"]);
}

/** Where credentials go instead of this file (named in the error for a credential-like key). */
export const CREDENTIAL_SOURCES =
  "Harbor admin credentials come from TF_VAR_harbor_username / TF_VAR_harbor_password " +
  "(or the provider's HARBOR_USERNAME / HARBOR_PASSWORD), an upstream's secret from the sensitive " +
  "Terraform variable named by upstreams[].accessSecretVar, the SSH key from the variable named by " +
  "ssh.privateKeyVar";

// Compared without case, `_` and `-`: `private_key`, `PrivateKey` and `privateKey` are one word.
export const CREDENTIAL_WORDS = [
  "password",
  "passwd",
  "username",
  "token",
  "secret",
  "privatekey",
  "accesskey",
  "customerkey",
];

/** A key the schema does not declare that looks like a credential: secrets never go in this file. */
export function credentialKeyProblem(key: string): string | undefined {
  const word = key.toLowerCase().replace(/[-_]/g, "");
  if (!CREDENTIAL_WORDS.some((credential) => word.includes(credential))) return undefined;
  return `\`${key}\` looks like a credential, and secrets never go in harbor-mirror.yaml: ${CREDENTIAL_SOURCES}`;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer (written without quotes)",
  boolean: "true or false",
  object: "a mapping",
  record: "a mapping",
  array: "a list (one `- ` item per line)",
};

function typeWords(expected: string): string {
  return TYPE_WORDS[expected] ?? expected;
}

function valueAt(root: unknown, path: KeyPath): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

/** A value as error messages show it: scalars as JSON, collections by their kind. */
function showValue(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value !== null && typeof value === "object") return "a mapping";
  return JSON.stringify(value) ?? String(value);
}

function listWords(values: readonly string[]): string {
  return values.map((value) => `\`${value}\``).join(", ");
}

/** `; did you mean \`x\`?` for the nearest candidate, or `""` when nothing is close. */
function suggestion(word: string, candidates: readonly string[]): string {
  const nearest = nearestWord(word, candidates);
  return nearest === undefined ? "" : `; did you mean \`${nearest}\`?`;
}

// ---------------------------------------------------------------------------------------------
// The schema at a key path (for the keys and description of the key a message is about)

function schemaAt(path: KeyPath): z.ZodType | undefined {
  let schema: z.ZodType | undefined = harborMirrorSchema;
  for (const segment of path) {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) schema = (inner.shape as Record<string, z.ZodType>)[String(segment)];
    else if (inner instanceof z.ZodArray) schema = inner.element as z.ZodType;
    else if (inner instanceof z.ZodRecord) schema = inner.valueType as z.ZodType;
    else return undefined;
  }
  return schema;
}

/** The schema under defaults, optionals and transforms. */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodOptional)
      current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else return current;
  }
}

function knownKeysAt(path: KeyPath): string[] {
  const schema = unwrap(schemaAt(path));
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function descriptionAt(path: KeyPath): string | undefined {
  const schema = schemaAt(path);
  return schema && z.globalRegistry.get(schema)?.description;
}
