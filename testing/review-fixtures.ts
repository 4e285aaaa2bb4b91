/**
 * The two configurations of the plan-review tests: the walk-through (before) and a change of it
 * (after) that adds a rule, changes an upstream's provider, adds a node and changes retention —
 * and how to get the review facts of either, built in-process like the app builds them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildApp } from "../app/build";
import { buildReview, type BuiltReview } from "../review/build";
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

/**
 * The facts the app gathers for `config`, built in a scratch folder that is removed again.
 * `configName`: what warnings call the file instead of its scratch path (for stable output).
 */
export function factsOf(config: ConfigObject, configName?: string): ReviewFacts {
  const dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-facts-"));
  try {
    const configPath = writeConfig(dir, config);
    const facts = buildApp({ configPath, outdir: path.join(dir, "out") }).reviewFacts;
    if (configName === undefined) return facts;
    const shown = path.relative(process.cwd(), configPath);
    return { ...facts, warnings: facts.warnings.map((warning) => warning.split(shown).join(configName)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Images a team lists (`--images`) in the example review. */
export const EXAMPLE_LISTED_IMAGES = [
  "busybox",
  "nginx:1.27",
  "ksd-test/busybox:1.35",
  "quay.io/prometheus/prometheus:v3.0.0",
  "registry.k8s.io/pause:3.10",
  "registry.example.com/team/app:1.0",
];

/** The review of the walk-through's change, as docs/example-review.md shows it. */
export function exampleReview(): BuiltReview {
  return buildReview({
    head: factsOf(afterConfig(), "harbor-mirror.yaml"),
    base: { facts: factsOf(beforeConfig(), "harbor-mirror.yaml"), source: "origin/main:harbor-mirror.yaml" },
    images: EXAMPLE_LISTED_IMAGES,
  });
}
