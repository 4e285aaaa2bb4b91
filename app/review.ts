/**
 * Builds the plan-review report of a synthesized stack from what the constructs exposed (the
 * rendered file, the compiled rules, the rollout plan) and writes it next to the stack output.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { AnnotationMetadataEntryType } from "cdktf";
import { IConstruct } from "constructs";
import { formatDiagnostic, type Diagnostic } from "../registries/diagnostics";
import { resolveImage, type ResolveResult } from "../registries/resolve";
import type { RegistriesFile } from "../registries/model";
import { renderReviewReport, type ReviewModel, type ReviewNodeClass } from "../review/report";
import type { NodeTarget } from "../constructs/registries-delivery";
import { STACK_NAME, type HarborMirrorStack } from "./harbor-mirror-stack";

/** Images every review resolves: one per common upstream plus the walk-through's rewrite. */
export const COMMON_IMAGES = [
  "busybox",
  "nginx:1.27",
  "ksd-test/busybox:1.35",
  "quay.io/prometheus/prometheus",
  "gcr.io/distroless/static:nonroot",
  "k8s.gcr.io/pause:3.2",
  "registry.k8s.io/pause:3.10",
  "ghcr.io/fluxcd/source-controller:v1.4.1",
] as const;

export const REVIEW_FILE_NAME = "review.md";

export function buildReviewModel(
  stack: HarborMirrorStack,
  configWarnings: readonly Diagnostic[],
  configFile?: string,
): ReviewModel {
  const { config, mirror } = stack;
  const { rendered } = mirror.registries;
  return {
    harborUrl: config.harbor.url,
    access: config.access,
    upstreams: config.upstreams,
    mirrors: mirror.proxyCache.mirrors,
    registriesYaml: mirror.registries.displayText,
    nodeClasses: nodeClassesOf(mirror.delivery?.targets ?? new Map()),
    rolloutSteps: mirror.delivery?.rolloutSteps ?? [],
    resolutions: resolveCommonImages(rendered.file),
    warnings: [
      ...configWarnings.map((warning) => formatDiagnostic(warning, configFile)),
      ...constructWarnings(stack, new Set(configWarnings.map((warning) => warning.message))),
      ...rendered.warnings.map((warning) => `registries.yaml: ${formatDiagnostic(warning)}`),
    ],
  };
}

function resolveCommonImages(file: RegistriesFile): ResolveResult[] {
  return COMMON_IMAGES.map((image) => resolveImage(image, file));
}

/** Nodes that receive the same file at the same path and restart the same unit, servers first. */
function nodeClassesOf(targets: ReadonlyMap<string, NodeTarget>): ReviewNodeClass[] {
  const classes = new Map<string, ReviewNodeClass & { nodes: string[] }>();
  for (const name of [...targets.keys()].sort()) {
    const { role, unit, registriesPath: path } = targets.get(name)!;
    const key = `${role} ${unit} ${path}`;
    const nodeClass = classes.get(key) ?? { role, unit, path, nodes: [] as string[] };
    nodeClass.nodes.push(name);
    classes.set(key, nodeClass);
  }
  return [...classes.values()].sort((a, b) => (a.role === b.role ? 0 : a.role === "server" ? -1 : 1));
}

/**
 * Warnings the constructs attached with `Annotations.addWarning`, with the construct path; those
 * the configuration loader already reported (with a line number) are not repeated.
 */
function constructWarnings(root: IConstruct, alreadyReported: ReadonlySet<string>): string[] {
  return root.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter(
          (entry) => entry.type === AnnotationMetadataEntryType.WARN && !alreadyReported.has(entry.data),
        )
        .map((entry) => `${construct.node.path}: ${entry.data}`),
    );
}

/** Where synth puts the report: next to the stack's cdk.tf.json. */
export function defaultReviewPath(outdir: string): string {
  return path.join(outdir, "stacks", STACK_NAME, REVIEW_FILE_NAME);
}

/** Writes the report to `file` (creating its folder) and returns the path. */
export function writeReviewReport(file: string, model: ReviewModel): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, renderReviewReport(model));
  return file;
}
