/**
 * The one error model of harbor-mirror. Every checker — config loader, construct, registries
 * validator, node-script generator — returns `Diagnostic[]`; whoever must stop throws them together
 * as one `ValidationError`. A diagnostic names its rule by a stable `code`, the key it is about as
 * a `keyPath` (relative to the props or file the checker read) and, when a construct found it, the
 * construct's path; the app maps a construct's key path back to the YAML position of the setting
 * (see NOTES of the app), so every error prints as `file:line:col key: message`.
 */

import { redactSecrets } from "./redact";

export type Severity = "error" | "warning";

export type PathSegment = string | number;
/** A key path as segments: `["upstreams", 0, "project"]`. */
export type KeyPath = readonly PathSegment[];

export interface Diagnostic {
  readonly severity: Severity;
  /**
   * Stable identifier of the rule, kebab-case (`upstream-duplicate-registry`). Tests and tools
   * match on it, never on the message text.
   */
  readonly code: string;
  /** Key path as shown, e.g. `mirrors."docker.io".endpoint[0]`. */
  readonly path: string;
  readonly message: string;
  /** 1-based line and column in the source file, when the value came from a file. */
  readonly line?: number;
  readonly column?: number;
  /** The key path as segments, when the checker knows them (constructs always do). */
  readonly keyPath?: KeyPath;
  /** `node.path` of the construct that found the problem. */
  readonly construct?: string;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `upstreams[2].project`, `rewrites."docker.io"[0].match`: keys with dots are quoted. */
export function formatPath(path: KeyPath): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((segment, index) => {
      if (typeof segment === "number") return `[${segment}]`;
      const key = PLAIN_KEY.test(segment) ? segment : JSON.stringify(segment);
      return index === 0 ? key : `.${key}`;
    })
    .join("");
}

/** A diagnostic about the value at `keyPath`. */
export function diagnosticAt(
  severity: Severity,
  code: string,
  keyPath: KeyPath,
  message: string,
): Diagnostic {
  return { severity, code, path: formatPath(keyPath), message, keyPath };
}

export function errorAt(code: string, keyPath: KeyPath, message: string): Diagnostic {
  return diagnosticAt("error", code, keyPath, message);
}

export function warningAt(code: string, keyPath: KeyPath, message: string): Diagnostic {
  return diagnosticAt("warning", code, keyPath, message);
}

/**
 * `file:line:column key: message`, the format every command prints. The credentials of any URL in
 * it are redacted (registries/redact.ts): a key or a message may quote what the user wrote.
 */
export function formatDiagnostic(diagnostic: Diagnostic, file?: string): string {
  const position = diagnostic.line === undefined ? "" : `${diagnostic.line}:${diagnostic.column ?? 1}`;
  const location = [file, position].filter((part) => part).join(":");
  const prefix = location ? `${location} ` : "";
  return redactSecrets(`${prefix}${diagnostic.path}: ${diagnostic.message}`);
}

/** The diagnostic with the credentials of every URL in its key path and message redacted. */
function redacted(diagnostic: Diagnostic): Diagnostic {
  return { ...diagnostic, path: redactSecrets(diagnostic.path), message: redactSecrets(diagnostic.message) };
}

export function errorsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.severity === "error");
}

export function warningsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.severity === "warning");
}

/**
 * Thrown when input is invalid; carries every diagnostic so callers can print them all — redacted,
 * so that whoever reads them (a tool, a report) sees no credential either.
 */
export class ValidationError extends Error {
  readonly diagnostics: readonly Diagnostic[];

  constructor(
    diagnostics: readonly Diagnostic[],
    readonly file?: string,
  ) {
    super(
      errorsOf(diagnostics)
        .map((diagnostic) => formatDiagnostic(diagnostic, file))
        .join("\n"),
    );
    this.diagnostics = diagnostics.map(redacted);
    this.name = "ValidationError";
  }

  /** The diagnostics found by the construct at `construct` (its `node.path`), each marked with it. */
  static inConstruct(construct: string, diagnostics: readonly Diagnostic[]): ValidationError {
    return new ValidationError(diagnostics.map((diagnostic) => ({ ...diagnostic, construct })));
  }

  /** The codes of its errors, in order. */
  get codes(): string[] {
    return errorsOf(this.diagnostics).map((diagnostic) => diagnostic.code);
  }
}

/**
 * Throws the errors among `diagnostics` as one `ValidationError`, each marked with the construct
 * that found it; returns quietly when there is none (warnings alone never stop anything).
 */
export function throwIfErrors(diagnostics: readonly Diagnostic[], construct?: string): void {
  if (errorsOf(diagnostics).length === 0) return;
  throw construct === undefined
    ? new ValidationError(diagnostics)
    : ValidationError.inConstruct(construct, diagnostics);
}

/**
 * The candidate nearest to `word` by edit distance (case-insensitive, ties in code-unit order),
 * when it is close enough to be a typo: a third of the word may be wrong, so that unrelated words
 * get no nonsense suggestion.
 */
export function nearestWord(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const [best] = candidates
    .map((candidate) => ({ candidate, distance: editDistance(lower, candidate.toLowerCase()) }))
    .sort(
      (a, b) =>
        a.distance - b.distance || (a.candidate < b.candidate ? -1 : a.candidate > b.candidate ? 1 : 0),
    );
  return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}
