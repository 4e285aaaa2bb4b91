/**
 * Proof: secrets never appear in plaintext. The robot variant (access: robot, upstream credentials
 * through accessSecretVar, nodes reached over SSH with a key) is synthesized by the real app, and
 * rendered and reviewed by the real CLI, with a unique canary in every documented secret channel
 * of the child's environment. No canary — nor its base64 form, as registries.yaml `auth` would
 * carry it — may appear in any output file, in review.md, or on stdout/stderr.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { commands } from "../../cli/commands";
import {
  filesUnder,
  stackJsonIn,
  UPSTREAM_SECRET_VARS,
  variantConfig,
  writeConfig,
} from "../../testing/config-variants";
import { runCli, runSynth, type RunResult } from "../../testing/run-app";

/** The documented channels (config.md, harbor.md provider settings) and a unique value for each. */
const CANARIES: Readonly<Record<string, string>> = {
  TF_VAR_harbor_username: "canary-tfvar-user-4d1f",
  TF_VAR_harbor_password: "canary-tfvar-password-8b2e",
  HARBOR_USERNAME: "canary-env-user-c93a",
  HARBOR_PASSWORD: "canary-env-password-17fd",
  HARBOR_SESSION_ID: "canary-env-session-5e60",
  HARBOR_BEARER_TOKEN: "canary-env-bearer-a7c4",
  ...Object.fromEntries(
    UPSTREAM_SECRET_VARS.map((name) => [`TF_VAR_${name}`, `canary-upstream-${name}-2b9d`]),
  ),
  TF_VAR_ssh_private_key:
    "-----BEGIN OPENSSH PRIVATE KEY-----\ncanary-ssh-key-e05b\n-----END OPENSSH PRIVATE KEY-----\n",
};

/**
 * The searchable forms of a canary: its core (the key's body line) in plaintext, and in base64 at
 * each of the three byte alignments it can have inside `base64(user:password)`, minus the edge
 * groups that mix in neighbouring bytes.
 */
function forms(canary: string): string[] {
  const core = canary.split("\n").find((line) => line.startsWith("canary-")) ?? canary;
  const base64 = [0, 1, 2].map((offset) => {
    const encoded = Buffer.from("x".repeat(offset) + core).toString("base64");
    return encoded.slice(offset === 0 ? 0 : 4, -4);
  });
  return [core, ...base64];
}

/** `where: CHANNEL` for every canary found in the given texts. */
function leaks(texts: ReadonlyMap<string, string | Buffer>): string[] {
  return [...texts].flatMap(([where, text]) =>
    Object.entries(CANARIES)
      .filter(([, canary]) => forms(canary).some((form) => text.includes(form)))
      .map(([channel]) => `${where}: ${channel}`),
  );
}

const outputsOf = (name: string, result: RunResult) =>
  new Map([
    [`${name} stdout`, result.stdout],
    [`${name} stderr`, result.stderr],
  ]);

const hasCommand = (name: string) => name in commands;

let root: string;
let configFile: string;
let outdir: string;
let synth: RunResult;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "harbor-mirror-proof-secrets-"));
  configFile = writeConfig(root, variantConfig("robot"));
  outdir = path.join(root, "cdktf.out");
  synth = runSynth(configFile, outdir, CANARIES);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe(`secret canaries (${Object.keys(CANARIES).length} channels) never appear in plaintext`, () => {
  it("the scanner finds a canary in plaintext and in base64 (so a clean result means something)", () => {
    const planted = new Map([
      ["plain", `password: ${CANARIES.HARBOR_PASSWORD}`],
      ["auth", `auth: ${Buffer.from(`robot$pull:${CANARIES.TF_VAR_quay_token}`).toString("base64")}`],
    ]);
    expect(leaks(planted)).toEqual(["plain: HARBOR_PASSWORD", "auth: TF_VAR_quay_token"]);
  });

  it("the secrets reach the stack only as sensitive variable references", () => {
    expect(synth.status).toBe(0);
    const stack = stackJsonIn(outdir) as Record<string, Record<string, Record<string, unknown>>>;
    const names = ["harbor_username", "harbor_password", "ssh_private_key", ...UPSTREAM_SECRET_VARS];
    for (const name of names) expect([name, stack.variable[name]?.sensitive]).toEqual([name, true]);
    expect(stack.provider.harbor).toEqual([
      expect.objectContaining({ username: "${var.harbor_username}", password: "${var.harbor_password}" }),
    ]);
  });

  it("npm run synth: no canary in any file under the out dir (incl. review.md) or in its output", () => {
    expect(synth.status).toBe(0);
    const files = new Map([...filesUnder(outdir)].map(([file, bytes]) => [file, bytes.toString("utf8")]));
    expect([...files.keys()]).toContain(path.join("stacks", "harbor-mirror", "review.md"));
    expect(leaks(new Map([...files, ...outputsOf("synth", synth)]))).toEqual([]);
  });

  (hasCommand("render") ? it : it.skip)("harbor-mirror render --config: no canary in its output", () => {
    const result = runCli(["render", "--config", configFile], CANARIES);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("mirrors");
    expect(leaks(outputsOf("render", result))).toEqual([]);
  });

  (hasCommand("review") ? it : it.skip)(
    "harbor-mirror review --config --out: no canary in the report or output",
    () => {
      const report = path.join(root, "review-cli.md");
      const result = runCli(["review", "--config", configFile, "--out", report], CANARIES);
      expect(result.status).toBe(0);
      expect(
        leaks(new Map([["review-cli.md", readFileSync(report, "utf8")], ...outputsOf("review", result)])),
      ).toEqual([]);
    },
  );
});
