/**
 * The app declares the new nodes' user-data as an output (README, "New nodes"): sensitive exactly
 * when the file holds the robot's secret, and written for the configured distribution's path.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { CLOUD_CONFIG_OUTPUT } from "../../app/harbor-mirror-stack";
import { synthInProcess, variantConfig, writeConfig, type VariantName } from "../../testing/config-variants";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synthesized(variant: VariantName): Json {
  const dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-cloud-config-"));
  try {
    synthInProcess(writeConfig(dir, variantConfig(variant)), path.join(dir, "out"));
    return JSON.parse(readFileSync(path.join(dir, "out", "stacks", "harbor-mirror", "cdk.tf.json"), "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The document template behind the output (its contents are placeholders until apply). */
function templateOf(stack: Json): Json {
  const local = /^\$\{local\.([A-Za-z0-9_]+)\}$/.exec(stack.output[CLOUD_CONFIG_OUTPUT].value)![1];
  const template = /^\$\{replace\(local\.([A-Za-z0-9_]+),/.exec(stack.locals[local])![1];
  return parse(stack.locals[template]) as Json;
}

describe(`the app's ${CLOUD_CONFIG_OUTPUT} output`, () => {
  it.each([
    { variant: "example" as const, sensitive: false, files: 1, path: "/etc/rancher/rke2/registries.yaml" },
    { variant: "robot" as const, sensitive: true, files: 1, path: "/etc/rancher/rke2/registries.yaml" },
    {
      variant: "k3s-parallel" as const,
      sensitive: false,
      files: 2,
      path: "/etc/rancher/k3s/registries.yaml",
    },
  ])(
    "for the $variant configuration: sensitive $sensitive, $files file(s), registries.yaml at $path",
    ({ variant, sensitive, files, path: file }) => {
      const stack = synthesized(variant);
      expect(stack.output[CLOUD_CONFIG_OUTPUT].sensitive).toBe(sensitive);
      const paths = (templateOf(stack).write_files as Json[]).map((entry) => entry.path);
      // Harbor's CA (k3s variant) comes first: the registries file names it.
      expect(paths).toHaveLength(files);
      expect(paths[paths.length - 1]).toBe(file);
    },
  );
});
