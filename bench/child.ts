/** Runs one measured command in a fresh child process: wall time around it, peak RSS from inside it. */
import { runChild } from "../testing/child-process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

export const REPO_ROOT = path.resolve(__dirname, "..");

/** `--import` takes URLs or specifiers resolved from the cwd; children run in temp dirs, so use URLs. */
const TSX_LOADER = pathToFileURL(require.resolve("tsx", { paths: [REPO_ROOT] })).href;
const USAGE_PROBE = pathToFileURL(path.join(__dirname, "usage-probe.ts")).href;

/** `node --import tsx --import <probe> <entry> …`: one process, so the probe sees the app itself. */
export function nodeWithTsx(entry: string, ...args: string[]): string[] {
  return [process.execPath, "--import", TSX_LOADER, "--import", USAGE_PROBE, entry, ...args];
}

export interface ChildRun {
  readonly wallMs: number;
  /** Peak RSS reported by the usage probe; undefined when the command did not load it (npm, npx). */
  readonly maxRssKiB?: number;
  readonly stdout: string;
}

export interface ChildOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
}

let usageCounter = 0;

/** Runs `command` to completion; a non-zero exit is an error carrying the end of its stderr. */
export async function runMeasured(
  [executable, ...args]: readonly string[],
  options: ChildOptions,
): Promise<ChildRun> {
  const usageFile = path.join(os.tmpdir(), `harbor-mirror-bench-usage-${process.pid}-${++usageCounter}.json`);
  const env = { ...process.env, CHECKPOINT_DISABLE: "1", ...options.env, BENCH_USAGE_FILE: usageFile };
  const started = performance.now();
  const result = await runChild([executable, ...args], { cwd: options.cwd, env });
  const wallMs = performance.now() - started;
  if (result.code !== 0) {
    const output = result.stderr.trim();
    throw new Error(
      `${describe([executable, ...args])} exited with ${result.code}: ${headline(output)}\n${output}`,
    );
  }
  return { wallMs, maxRssKiB: readUsage(usageFile), stdout: result.stdout };
}

/** The command as a reader would type it: loader flags dropped, absolute paths shortened to file names. */
function describe(args: readonly string[]): string {
  const shown = args.filter((arg, index) => arg !== "--import" && args[index - 1] !== "--import");
  return shown.map((arg) => (path.isAbsolute(arg) ? path.basename(arg) : arg)).join(" ");
}

/** The line of a failure's stderr that says what went wrong (stack traces start with the source line). */
function headline(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => line.trim() !== "");
  return lines.find((line) => /\b\w*Error\b|\berror\b/.test(line)) ?? lines[0] ?? "(no stderr)";
}

function readUsage(usageFile: string): number | undefined {
  if (!existsSync(usageFile)) return undefined;
  const usage = JSON.parse(readFileSync(usageFile, "utf8")) as { maxRssKiB: number };
  rmSync(usageFile);
  return usage.maxRssKiB;
}
