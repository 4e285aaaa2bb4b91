/**
 * Runs a real `terraform` (or `tofu`) when one is on PATH, for configurations that need no
 * provider (locals and outputs only), so escaping is checked by Terraform itself. Tests that use
 * it report themselves skipped when neither binary exists.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export function findTerraformBinary(): string | undefined {
  for (const name of ["terraform", "tofu"]) {
    try {
      execFileSync(name, ["version"], { stdio: "ignore", env: terraformEnv() });
      return name;
    } catch {
      // not installed: try the next one
    }
  }
  return undefined;
}

function terraformEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
}

/** Applies a provider-less configuration and returns its outputs' values. */
export function applyOutputs(
  binary: string,
  config: object,
  variables: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  const dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-tf-"));
  try {
    writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config));
    const env = {
      ...terraformEnv(),
      ...Object.fromEntries(Object.entries(variables).map(([name, value]) => [`TF_VAR_${name}`, value])),
    };
    const run = (args: string[]) => execFileSync(binary, args, { cwd: dir, env, stdio: "pipe" }).toString();
    run(["init", "-input=false", "-no-color"]);
    run(["apply", "-auto-approve", "-input=false", "-no-color"]);
    const outputs = JSON.parse(run(["output", "-json", "-no-color"])) as Record<string, { value: unknown }>;
    return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.value]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
