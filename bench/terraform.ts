/**
 * What pipelines wait for: `terraform validate` and `terraform plan` of a synthesized stack, with
 * its `null_resource`s swapped for the built-in `terraform_data` (nothing to download)
 * and everything else that needs a provider left out. Each command is bounded by a timeout, and a
 * run that hits it is reported as such rather than waited for.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { asTerraformData } from "../testing/terraform-data";
import type { StackJson } from "../testing/terraform-replay";

export interface TerraformTiming {
  /** Wall time in ms, or undefined when the command hit the timeout. */
  readonly validateMs?: number;
  readonly planMs?: number;
}

/** The first of terraform/tofu on PATH, or undefined. */
export function terraformBinary(): string | undefined {
  return ["terraform", "tofu"].find((name) => spawnSync(name, ["version"], { stdio: "ignore" }).status === 0);
}

/** Validates and plans the delivery part of `stackFile` in `dir`; `timeoutMs` bounds each command. */
export function timeTerraform(
  binary: string,
  stackFile: string,
  dir: string,
  timeoutMs: number,
): TerraformTiming {
  mkdirSync(dir, { recursive: true });
  const stack = JSON.parse(readFileSync(stackFile, "utf8")) as StackJson & {
    variable?: Record<string, unknown>;
  };
  const {
    data: _data,
    output: _output,
    ...deliveryPart
  } = {
    ...stack,
    resource: { null_resource: stack.resource?.null_resource ?? {} },
  } as StackJson & { data?: unknown; output?: unknown };
  writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(asTerraformData(deliveryPart)));
  // Every declared variable needs a value, used or not; none is read by a plan without apply.
  const variables = Object.keys(stack.variable ?? {}).map((name) => [`TF_VAR_${name}`, "bench"]);
  const env = {
    ...process.env,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    ...Object.fromEntries(variables),
  };
  const run = (args: string[]): number | undefined => {
    const started = performance.now();
    const result = spawnSync(binary, args, {
      cwd: dir,
      env,
      encoding: "utf8",
      maxBuffer: 1 << 30,
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    if (result.error && (result.error as NodeJS.ErrnoException).code === "ETIMEDOUT") return undefined;
    if (result.status !== 0)
      throw new Error(`${binary} ${args[0]} failed: ${result.stderr.trim().split("\n").pop()}`);
    return performance.now() - started;
  };
  run(["init", "-input=false", "-no-color"]);
  return {
    validateMs: run(["validate", "-no-color"]),
    planMs: run(["plan", "-input=false", "-no-color", "-refresh=false", "-lock=false"]),
  };
}
