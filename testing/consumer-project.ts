/**
 * A consumer of the packed library, made the way `cdktf init --template=typescript` lays a project
 * out (ts-node app in cdktf.json, `tsc` build, jest with cdktf's Testing matchers), from the files
 * of `testing/consumer-app/`. The same project runs on cdktf and, with the core package swapped,
 * on CDK Terrain (cdktn).
 *
 * Speed: the template's dev tools (typescript, ts-node, jest, ts-jest, @types) are the same for
 * every variant and every run, so they are installed once into a cached folder of the temp dir
 * that holds the consumer projects (Node and TypeScript resolve them by walking up); each project
 * installs only its core packages and the tarball, from the npm cache where it can.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "./run-app";

const APP_TEMPLATE = path.join(REPO_ROOT, "testing", "consumer-app");
/** The examples of docs/constructs.md: part of the consumer's sources, so its `tsc` compiles them. */
const DOC_EXAMPLES = path.join(REPO_ROOT, "docs", "examples");

/** The template's dev dependencies, pinned to the versions the repository itself uses. */
const TOOLS = {
  "@types/jest": "30.0.0",
  "@types/node": "20.19.43",
  jest: "30.5.2",
  "ts-jest": "29.4.15",
  "ts-node": "10.9.2",
  typescript: "5.9.3",
} as const;

export interface ConsumerVariant {
  readonly name: "cdktf" | "cdktn";
  /** The module the consumer's own code imports the core from. */
  readonly core: "cdktf" | "cdktn";
  /** The consumer's package.json dependencies besides the tarball, and its overrides. */
  readonly dependencies: Readonly<Record<string, string>>;
  readonly overrides?: Readonly<Record<string, unknown>>;
}

export const CONSUMER_VARIANTS: readonly ConsumerVariant[] = [
  {
    name: "cdktf",
    core: "cdktf",
    dependencies: { cdktf: "0.21.0", constructs: "10.4.2", "@cdktf/provider-null": "11.0.1" },
  },
  {
    // CDK Terrain publishes no provider-null; the name `cdktf` is aliased to cdktn so that
    // harbor-mirror and @cdktf/provider-null load CDK Terrain (README, "Use it as a library").
    name: "cdktn",
    core: "cdktn",
    dependencies: {
      cdktn: "0.24.0",
      cdktf: "npm:cdktn@0.24.0",
      constructs: "10.7.0",
      "@cdktf/provider-null": "11.0.1",
    },
    overrides: { "@cdktf/provider-null": { cdktf: "$cdktf" } },
  },
];

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/** The environment of the nested npm, tsc and jest runs: none of this npm or jest run's own state. */
function childEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(JEST_|npm_package_|npm_lifecycle_)/.test(name)),
  );
  return { ...env, CHECKPOINT_DISABLE: "1", NODE_ENV: "development" };
}

export function run(command: readonly string[], cwd: string): CommandResult {
  const started = process.hrtime.bigint();
  const result = spawnSync(command[0], command.slice(1), { cwd, env: childEnv(), encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "", seconds };
}

/** Like `run`, but a failure throws with everything the command printed. */
export function runOrThrow(command: readonly string[], cwd: string): CommandResult {
  const result = run(command, cwd);
  if (result.status !== 0) {
    throw new Error(
      `${command.join(" ")} (in ${cwd}) exited ${result.status}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** Whether the npm registry answers (`npm ping`); the consumer tests skip themselves when not. */
export function npmRegistryReachable(): boolean {
  const result = spawnSync("npm", ["ping"], { env: childEnv(), encoding: "utf8", timeout: 30_000 });
  return result.status === 0;
}

export interface PackedLibrary {
  readonly tarball: string;
  readonly size: number;
  readonly files: readonly string[];
}

/** `npm pack` of the repository (its prepack script builds lib/) into `destination`. */
export function packLibrary(destination: string): PackedLibrary {
  const { stdout } = runOrThrow(["npm", "pack", "--json", "--pack-destination", destination], REPO_ROOT);
  const [packed] = JSON.parse(stdout) as { filename: string; size: number; files: { path: string }[] }[];
  return {
    tarball: path.join(destination, packed.filename),
    size: packed.size,
    files: packed.files.map((file) => file.path),
  };
}

/**
 * The folder whose node_modules holds the dev tools, installed on first use. Concurrent test runs
 * each install into their own folder and rename it into place; the loser uses the winner's.
 */
export function consumerToolsFolder(): string {
  const manifest = JSON.stringify({
    name: "harbor-mirror-consumer-tools",
    private: true,
    devDependencies: TOOLS,
  });
  const folder = path.join(
    tmpdir(),
    `harbor-mirror-consumer-tools-${createHash("sha256").update(manifest).digest("hex").slice(0, 12)}`,
  );
  if (existsSync(path.join(folder, "node_modules"))) return folder;
  const partial = `${folder}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  writeFileSync(path.join(partial, "package.json"), manifest);
  runOrThrow(["npm", "install", "--prefer-offline", "--no-audit", "--no-fund"], partial);
  try {
    renameSync(partial, folder);
  } catch {
    rmSync(partial, { recursive: true, force: true });
  }
  return folder;
}

export interface ConsumerProject {
  readonly dir: string;
  readonly variant: ConsumerVariant;
  /** A dev tool's executable (`tsc`, `ts-node`, `jest`). */
  tool(name: "tsc" | "ts-node" | "jest"): string;
}

/** Writes the consumer project for `variant` under `parent` and installs its dependencies. */
export function createConsumer(
  parent: string,
  variant: ConsumerVariant,
  tarball: string,
  tools: string,
): ConsumerProject {
  const dir = path.join(parent, variant.name);
  cpSync(APP_TEMPLATE, dir, { recursive: true });
  cpSync(DOC_EXAMPLES, path.join(dir, "examples"), { recursive: true });
  if (variant.core !== "cdktf") useCore(dir, variant.core);
  const manifest = {
    name: `consumer-${variant.name}`,
    version: "1.0.0",
    main: "main.js",
    types: "main.ts",
    license: "MPL-2.0",
    private: true,
    scripts: { build: "tsc", synth: "cdktf synth", test: "jest" },
    dependencies: { ...variant.dependencies, "harbor-mirror": `file:${tarball}` },
    ...(variant.overrides ? { overrides: variant.overrides } : {}),
  };
  writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  runOrThrow(["npm", "install", "--prefer-offline", "--no-audit", "--no-fund"], dir);
  return { dir, variant, tool: (name) => path.join(tools, "node_modules", ".bin", name) };
}

/** Points the consumer's own imports of the core (`"cdktf"`, `"cdktf/lib/…"`) at `core`. */
function useCore(dir: string, core: string): void {
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.replace(/(["'])cdktf(["/])/g, `$1${core}$2`));
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return /\.(ts|js)$/.test(entry.name) ? [file] : [];
  });
}

/** A temporary folder for one run's consumer projects, beside the tools they resolve. */
export function consumerRunFolder(tools: string): string {
  return mkdtempSync(path.join(tools, "run-"));
}
