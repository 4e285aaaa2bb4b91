/**
 * What every `harbor-mirror` command shares: option parsing with `--help`, the exit codes (README "Command
 * line": 0 ok, 1 invalid input or failed check, 2 usage error) and how diagnostics are printed.
 */
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { Diagnostic, errorsOf, formatDiagnostic, ValidationError } from "../registries/diagnostics";
import { decodeUtf8 } from "../registries/yaml-limits";
import type { Command } from "./commands";

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface CommandSpec<O extends Options> {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: O;
  /** How many positional arguments the command takes. @default exactly 0 */
  readonly positionals?: { readonly min: number; readonly max: number };
  run(values: ParsedValues<O>, positionals: readonly string[]): Promise<number> | number;
}

export type ParsedValues<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true }>
>["values"];

export function defineCommand<O extends Options>(spec: CommandSpec<O>): Command {
  const usageError = (message: string) => {
    console.error(`harbor-mirror ${spec.name}: ${message}\n\n${spec.usage}`);
    return EXIT_USAGE;
  };
  return {
    summary: spec.summary,
    async run(argv) {
      let parsed;
      try {
        parsed = parseArgs({
          args: [...argv],
          options: { ...spec.options, help: { type: "boolean", short: "h" } },
          allowPositionals: true,
        });
      } catch (error) {
        return usageError((error as Error).message);
      }
      if ((parsed.values as { help?: boolean }).help) {
        console.log(spec.usage);
        return EXIT_OK;
      }
      const { min, max } = spec.positionals ?? { min: 0, max: 0 };
      const count = parsed.positionals.length;
      if (count < min || count > max) {
        const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
        return usageError(`expected ${expected} argument(s), got ${count}`);
      }
      try {
        return await spec.run(parsed.values as ParsedValues<O>, parsed.positionals);
      } catch (error) {
        if (error instanceof UnreadableInputError) console.error(error.message);
        else if (error instanceof ValidationError) printDiagnostics(errorsOf(error.diagnostics), error.file);
        else throw error;
        return EXIT_INVALID;
      }
    },
  };
}

/** Errors as `file:line:column key: message`; warnings the same, marked `warning:`. */
export function printDiagnostics(diagnostics: readonly Diagnostic[], file?: string): void {
  for (const diagnostic of diagnostics) {
    const message = diagnostic.severity === "warning" ? `warning: ${diagnostic.message}` : diagnostic.message;
    console.error(formatDiagnostic({ ...diagnostic, message }, file));
  }
}

/**
 * Reads a file the user named; an unreadable file is invalid input (exit 1), said with its path,
 * and so is one that is not UTF-8 (located at the first bad byte, as for the configuration).
 */
export function readInputFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UnreadableInputError(`${file}: cannot read the file: ${reason}`);
  }
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) throw new ValidationError([decoded.diagnostic], file);
  return decoded.text;
}

export class UnreadableInputError extends Error {}
