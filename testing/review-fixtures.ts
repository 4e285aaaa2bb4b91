/**
 * The two configurations of the plan-review tests: the walk-through (before) and a change of it
 * (after) that adds a rule, changes an upstream's provider, adds a node and changes retention —
 * and how to get the review facts of either, built in-process like the app builds them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildApp } from "../app/build";
import type { ReviewFacts } from "../review/facts";
import { exampleConfig, writeConfig, type ConfigObject } from "./config-variants";

export const ADDED_RULE = { match: "^team/(.*)$", replace: "team-cache/$1" };
export const ADDED_NODE = { name: "agent-10", host: "192.0.2.30", role: "agent" };
export const CHANGED_PROVIDER = { registry: "quay.io", from: "quay", to: "docker-registry" };
export const CHANGED_RETENTION_DAYS = 14;

export function beforeConfig(): ConfigObject {
  return exampleConfig();
}

export function afterConfig(): ConfigObject {
  const config = exampleConfig();
  const rewrites = config.rewrites as Record<string, unknown[]>;
  return {
    ...config,
    rewrites: { ...rewrites, "docker.io": [...rewrites["docker.io"], ADDED_RULE] },
    upstreams: (config.upstreams as ConfigObject[]).map((upstream) =>
      upstream.registry === CHANGED_PROVIDER.registry
        ? { ...upstream, provider: CHANGED_PROVIDER.to }
        : upstream,
    ),
    nodes: [...(config.nodes as ConfigObject[]), ADDED_NODE],
    retention: { ...(config.retention as ConfigObject), daysSinceLastPull: CHANGED_RETENTION_DAYS },
  };
}

/** The facts the app gathers for `config`, built in a scratch folder that is removed again. */
export function factsOf(config: ConfigObject): ReviewFacts {
  const dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-facts-"));
  try {
    return buildApp({ configPath: writeConfig(dir, config), outdir: path.join(dir, "out") }).reviewFacts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
