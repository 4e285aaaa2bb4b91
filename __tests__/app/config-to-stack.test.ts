/**
 * Keys of harbor-mirror.yaml reach the resources they configure (config.md → constructs):
 * the robot section, the project protection switch and the per-upstream cache settings.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { synthesize } from "../../app/build";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

function synthesizedResources(yaml: string): { resource: Resources; variable: Record<string, unknown> } {
  const dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-keys-"));
  try {
    const config = path.join(dir, "harbor-mirror.yaml");
    writeFileSync(config, yaml);
    synthesize({ configPath: config, outdir: path.join(dir, "out") });
    return JSON.parse(readFileSync(path.join(dir, "out/stacks/harbor-mirror/cdk.tf.json"), "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BASE = "version: 1\nharbor:\n  url: https://harbor.example.com\n";
const only = (resources: Record<string, Record<string, unknown>>) => Object.values(resources)[0];

describe("configuration keys reach the stack", () => {
  it("robot: name, write-only secret from the named sensitive variable, and its version", () => {
    const { resource, variable } = synthesizedResources(
      BASE +
        "access: robot\nrobot:\n  name: node-puller\n  secretVar: robot_secret\n  secretVersion: 3\n" +
        "upstreams:\n  - registry: docker.io\n",
    );
    expect(only(resource.harbor_robot_account)).toMatchObject({
      name: "node-puller",
      secret_wo: "${var.robot_secret}",
      secret_wo_version: 3,
    });
    expect(variable.robot_secret).toMatchObject({ sensitive: true });
  });

  it.each([
    ["protects proxy projects by default", "", true],
    ["lets protectProjects: false allow their deletion", "protectProjects: false\n", false],
  ])("%s", (_name, line, prevent) => {
    const { resource } = synthesizedResources(BASE + line + "upstreams:\n  - registry: docker.io\n");
    expect(only(resource.harbor_project)).toMatchObject({
      lifecycle: { prevent_destroy: prevent },
      force_destroy: false,
    });
  });

  it("upstream cache settings: quota, bandwidth limit, serving deleted images", () => {
    const { resource } = synthesizedResources(
      BASE +
        "upstreams:\n  - registry: docker.io\n    storageQuotaGiB: 100\n    proxySpeedKb: 2048\n    localOnNotFound: true\n",
    );
    expect(only(resource.harbor_project)).toMatchObject({
      storage_quota: 100,
      proxy_speed_kb: 2048,
      proxy_cache_local_on_not_found: true,
    });
  });
});
