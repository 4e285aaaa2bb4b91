/**
 * Diagnostics shared by every checker: an error or warning that names the key path, the
 * position in the source file when there is one, the offending value and what is allowed.
 */

export type Severity = "error" | "warning";

export interface Diagnostic {
  readonly severity: Severity;
  /** Key path, e.g. `mirrors."docker.io".endpoint[0]`. */
  readonly path: string;
  readonly message: string;
  /** 1-based line and column in the source file, when the value came from a file. */
  readonly line?: number;
  readonly column?: number;
  /** Spec section that states the rule, e.g. `§4.8`. */
  readonly rule?: string;
}

/** `file:line:column key: message`, the CLI's error format (cli.md). */
export function formatDiagnostic(diagnostic: Diagnostic, file?: string): string {
  const position = diagnostic.line === undefined ? "" : `${diagnostic.line}:${diagnostic.column ?? 1}`;
  const location = [file, position].filter((part) => part).join(":");
  const prefix = location ? `${location} ` : "";
  return `${prefix}${diagnostic.path}: ${diagnostic.message}`;
}

export function errorsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.severity === "error");
}

export function warningsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.severity === "warning");
}

/** Thrown when input is invalid; carries every diagnostic so callers can print them all. */
export class ValidationError extends Error {
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    readonly file?: string,
  ) {
    super(
      errorsOf(diagnostics)
        .map((diagnostic) => formatDiagnostic(diagnostic, file))
        .join("\n"),
    );
    this.name = "ValidationError";
  }
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
