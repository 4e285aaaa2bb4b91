/**
 * The `backend:` section (config.md): local state next to the project by default, or one of
 * cdktf's own backends with the remaining keys passed through.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { synthesize } from "../../app/build";
import { REPO_ROOT } from "../../testing/run-app";

const EXAMPLE = readFileSync(path.join(REPO_ROOT, "harbor-mirror.yaml"), "utf8");

function backendOf(section: string): Record<string, unknown> {
  const dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-backend-"));
  try {
    const config = path.join(dir, "harbor-mirror.yaml");
    writeFileSync(config, `${EXAMPLE}\n${section}`);
    const outdir = path.join(dir, "out");
    synthesize({ configPath: config, outdir });
    const stack = JSON.parse(readFileSync(path.join(outdir, "stacks/harbor-mirror/cdk.tf.json"), "utf8"));
    return stack.terraform.backend;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("state backend", () => {
  it("defaults to a local state file next to the project, by a relative path", () => {
    expect(backendOf("")).toEqual({ local: { path: "../../../terraform.harbor-mirror.tfstate" } });
  });

  it.each([
    [
      "s3 with locking",
      "backend:\n  type: s3\n  bucket: tf-state\n  key: harbor-mirror.tfstate\n  region: eu-west-1\n  dynamodbTable: tf-locks\n",
      {
        s3: {
          bucket: "tf-state",
          key: "harbor-mirror.tfstate",
          region: "eu-west-1",
          dynamodb_table: "tf-locks",
        },
      },
    ],
    [
      "pg",
      "backend:\n  type: pg\n  connStr: postgres://state.example/terraform\n",
      { pg: { conn_str: "postgres://state.example/terraform" } },
    ],
    [
      "remote with a named workspace",
      "backend:\n  type: remote\n  organization: acme\n  workspaces:\n    name: harbor-mirror\n",
      { remote: { organization: "acme", workspaces: { name: "harbor-mirror" } } },
    ],
  ])("%s passes the remaining keys to cdktf's backend", (_name, section, expected) => {
    expect(backendOf(section)).toEqual(expected);
  });
});
