/**
 * Finds, parses and validates `harbor-mirror.yaml` (contract: shared spec config.md). Every problem
 * names the key path, line, column, value and what is allowed; all of them are collected before
 * `ValidationError` is thrown. The loader only reads: it never writes anything.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument, type YAMLError } from "yaml";
import { errorsOf, ValidationError, warningsOf, type Diagnostic } from "../registries/diagnostics";
import { credentialKeyProblem, harborMirrorSchema, type HarborMirrorConfig } from "./schema";
import { DecodeContext, INVALID } from "./schema-kit";

export const CONFIG_FILE_NAME = "harbor-mirror.yaml";
export const CONFIG_PATH_VARIABLE = "HARBOR_MIRROR_CONFIG";

export interface ParsedConfig {
  readonly config: HarborMirrorConfig;
  readonly warnings: Diagnostic[];
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
  if (!existsSync(path)) {
    const message =
      `no configuration file at ${path}: create ./${CONFIG_FILE_NAME}, ` +
      `pass --config <file> or set ${CONFIG_PATH_VARIABLE}`;
    throw new ValidationError(
      [{ severity: "error", code: "config-file-missing", path: "(file)", message }],
      path,
    );
  }
  return { ...parseConfig(readFileSync(path, "utf8"), path, dirname(path)), path };
}

/**
 * Validates configuration text. `file` only labels messages; `baseDir` resolves relative paths in
 * the file (caCertFile). Throws `ValidationError` carrying every error and warning.
 */
export function parseConfig(
  text: string,
  file: string = CONFIG_FILE_NAME,
  baseDir: string = ".",
): ParsedConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const context = new DecodeContext(document, lineCounter, { baseDir, forbiddenKey: credentialKeyProblem });
  if (document.errors.length > 0) {
    throw new ValidationError(
      document.errors.map((error) => syntaxDiagnostic(error, context)),
      file,
    );
  }
  if (document.contents === null) {
    const message = "the file is empty: it needs at least `version: 1`, `harbor.url` and `upstreams`";
    throw new ValidationError(
      [{ severity: "error", code: "config-file-empty", path: "(file)", message, line: 1, column: 1 }],
      file,
    );
  }
  context.remember([], document.contents);
  const config = harborMirrorSchema.decode(document.contents, [], context);
  if (config === INVALID || errorsOf(context.diagnostics).length > 0) {
    throw new ValidationError(context.diagnostics, file);
  }
  return { config, warnings: warningsOf(context.diagnostics) };
}

function syntaxDiagnostic(error: YAMLError, context: DecodeContext): Diagnostic {
  const { line, column } = context.positionAtOffset(error.pos[0]);
  return {
    severity: "error",
    code: "yaml-syntax",
    path: "(yaml)",
    message: `YAML syntax: ${error.message}`,
    line,
    column,
  };
}
