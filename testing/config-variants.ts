/**
 * The example configuration and the variants the proof suite synthesizes (robot access with
 * upstream credentials; k3s with a parallel rollout and a private CA; plain containerd), plus an in-process synth
 * that does exactly what `main.ts` does, for tests that synthesize many times.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { synthesize } from "../app/build";
import { STACK_NAME } from "../app/harbor-mirror-stack";
import { REPO_ROOT } from "./run-app";

export type ConfigObject = Record<string, unknown>;
export type VariantName = "example" | "robot" | "k3s-parallel" | "containerd";

export const EXAMPLE_CONFIG = path.join(REPO_ROOT, "harbor-mirror.yaml");

/** The Terraform variables holding the upstream secrets of the robot variant. */
export const UPSTREAM_SECRET_VARS = ["dockerhub_token", "quay_token"] as const;

/** Not a real certificate: the loader only checks the PEM armour, and nothing parses it. */
const FAKE_CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBproof\n-----END CERTIFICATE-----\n";
const CA_FILE_NAME = "harbor-ca.pem";

export function exampleConfig(): ConfigObject {
  return parse(readFileSync(EXAMPLE_CONFIG, "utf8")) as ConfigObject;
}

export function variantConfig(name: VariantName): ConfigObject {
  const config = exampleConfig();
  if (name === "robot") return robotVariant(config);
  if (name === "k3s-parallel") return k3sParallelVariant(config);
  if (name === "containerd") return containerdVariant(config);
  return config;
}

/** access: robot, credentials for two upstreams, nodes reached through a bastion with a pinned key. */
function robotVariant(config: ConfigObject): ConfigObject {
  const upstreams = config.upstreams as ConfigObject[];
  const credentials: Record<string, ConfigObject> = {
    "docker.io": { accessId: "mirror-bot", accessSecretVar: UPSTREAM_SECRET_VARS[0] },
    "quay.io": { accessId: "quay-bot", accessSecretVar: UPSTREAM_SECRET_VARS[1] },
  };
  return {
    ...config,
    access: "robot",
    upstreams: upstreams.map((upstream) => ({ ...upstream, ...credentials[upstream.registry as string] })),
    ssh: { ...(config.ssh as ConfigObject), bastionHost: "192.0.2.1", bastionUser: "jump" },
  };
}

function k3sParallelVariant(config: ConfigObject): ConfigObject {
  return {
    ...config,
    distribution: "k3s",
    rollout: { strategy: "parallel" },
    harbor: { ...(config.harbor as ConfigObject), caCertFile: `./${CA_FILE_NAME}` },
  };
}

/** Plain containerd nodes with a private CA; without the custom rule, which containerd cannot express. */
function containerdVariant(config: ConfigObject): ConfigObject {
  return {
    ...config,
    distribution: "containerd",
    rewrites: {},
    harbor: { ...(config.harbor as ConfigObject), caCertFile: `./${CA_FILE_NAME}` },
  };
}

/** Writes the configuration (and the CA file the k3s variant names) into `dir`; returns its path. */
export function writeConfig(dir: string, config: ConfigObject | string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, CA_FILE_NAME), FAKE_CA_PEM);
  const file = path.join(dir, "harbor-mirror.yaml");
  writeFileSync(file, typeof config === "string" ? config : stringify(config));
  return file;
}

/** What `main.ts` does, in-process: build, synthesize, write review.md. */
export function synthInProcess(configFile: string, outdir: string): void {
  synthesize({ configPath: configFile, outdir });
}

/** Every file under `dir`, by path relative to it, sorted. */
export function filesUnder(dir: string): Map<string, Buffer> {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
  return new Map(entries.map((file) => [file, readFileSync(path.join(dir, file))]));
}

export type TfJson = Record<string, Record<string, unknown>>;

export function stackJsonIn(outdir: string): TfJson {
  return JSON.parse(readFileSync(path.join(outdir, "stacks", STACK_NAME, "cdk.tf.json"), "utf8")) as TfJson;
}
