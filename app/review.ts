/**
 * Builds the plan-review report of a synthesized stack from what the constructs exposed (the
 * rendered file, the compiled rules, the rollout plan) and writes it next to the stack output.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { AnnotationMetadataEntryType } from "cdktf";
import { IConstruct } from "constructs";
import type { HarborMirrorConfig } from "../config/schema";
import { defaultRegistriesPath, serviceUnit } from "../delivery/nodes";
import { compileRegistriesSpec } from "../registries/compile-rules";
import { formatDiagnostic, type Diagnostic } from "../registries/diagnostics";
import { resolveImage, type ResolveResult } from "../registries/resolve";
import type { RegistriesFile } from "../registries/model";
import { validateRegistriesFile } from "../registries/validate";
import { renderReviewReport, type ReviewModel, type ReviewNodeClass } from "../review/report";
import type { HarborMirrorStack } from "./harbor-mirror-stack";

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
  const compiled = compileRegistriesSpec(mirror.proxyCache.registriesSpec);
  return {
    harborUrl: config.harbor.url,
    access: config.access,
    upstreams: config.upstreams,
    mirrors: mirror.proxyCache.mirrors,
    registriesYaml: mirror.registries.displayText,
    nodeClasses: nodeClassesOf(config),
    rolloutSteps: mirror.delivery?.rolloutSteps ?? [],
    resolutions: resolveCommonImages(compiled),
    warnings: [
      ...configWarnings.map((warning) => formatDiagnostic(warning, configFile)),
      ...constructWarnings(stack, new Set(configWarnings.map((warning) => warning.message))),
      ...validateRegistriesFile(compiled).map((warning) => `registries.yaml: ${formatDiagnostic(warning)}`),
    ],
  };
}

export function resolveCommonImages(file: RegistriesFile): ResolveResult[] {
  return COMMON_IMAGES.map((image) => resolveImage(image, file));
}

function nodeClassesOf(config: HarborMirrorConfig): ReviewNodeClass[] {
  const classes = new Map<string, ReviewNodeClass & { nodes: string[] }>();
  for (const node of [...config.nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    const unit = serviceUnit(config.distribution, node.role);
    const path = node.registriesPath ?? defaultRegistriesPath(config.distribution);
    const key = `${node.role} ${unit} ${path}`;
    const nodeClass = classes.get(key) ?? { role: node.role, unit, path, nodes: [] as string[] };
    nodeClass.nodes.push(node.name);
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

/** Writes `review.md` into the stack's output folder and returns its path. */
export function writeReviewReport(outdir: string, stackName: string, model: ReviewModel): string {
  const file = path.join(outdir, "stacks", stackName, REVIEW_FILE_NAME);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, renderReviewReport(model));
  return file;
}
