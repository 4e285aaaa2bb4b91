/**
 * Runs the real app (`tsx main.ts`) or CLI in a child process, as a user would, with its own
 * configuration and output folder.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

export const REPO_ROOT = path.join(__dirname, "..");
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): RunResult {
  const result = spawnSync(args[0], args.slice(1), {
    cwd,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", ...env },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `tsx main.ts` with HARBOR_MIRROR_CONFIG and CDKTF_OUTDIR set. */
export function runSynth(configFile: string, outdir: string, env: NodeJS.ProcessEnv = {}): RunResult {
  return run(
    [TSX, path.join(REPO_ROOT, "main.ts")],
    { HARBOR_MIRROR_CONFIG: configFile, CDKTF_OUTDIR: outdir, ...env },
    REPO_ROOT,
  );
}

/** `harbor-mirror <args>` through the package's bin. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = REPO_ROOT): RunResult {
  return run([process.execPath, path.join(REPO_ROOT, "bin", "harbor-mirror.js"), ...args], env, cwd);
}
