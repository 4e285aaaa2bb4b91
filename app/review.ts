/**
 * The plan review of the app's stack: its facts (from the constructs), an optional base read from
 * a file (another checkout's harbor-mirror.yaml, a previous cdk.tf.json or review.json), and the
 * writing of review.md and review.json next to the stack output.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { TerraformBackend, TerraformStack } from "cdktf";
import { warningsIn } from "../constructs/warnings";
import { formatDiagnostic, type Diagnostic } from "../registries/diagnostics";
import { reviewJsonText, type BuiltReview } from "../review/build";
import { REVIEW_KIND, REVIEW_SCHEMA_VERSION, type ReviewJson } from "../review/compare";
import type { ReviewFacts } from "../review/facts";
import { factsFromTerraformJson, isTerraformJson } from "../review/terraform-json";
import { reviewFactsOf } from "./review-facts";
import type { HarborMirror } from "../constructs/harbor-mirror";
import { STACK_NAME } from "./harbor-mirror-stack";

export const REVIEW_FILE_NAME = "review.md";
export const REVIEW_JSON_FILE_NAME = "review.json";

export interface MirrorReviewFactsOptions {
  /**
   * Every warning, located where the user wrote the setting (the app locates them in its configuration file).
   * @default - the warnings the constructs of the mirror's stack reported, with their construct path
   */
  readonly warnings?: readonly Diagnostic[];
  /** The configuration file the warnings are located in. @default - none */
  readonly configFile?: string;
}

/**
 * The review facts of `mirror` within its stack: the stack's backend, Harbor's CA file, and every
 * warning (the constructs', the registries file's).
 */
export function mirrorReviewFacts(mirror: HarborMirror, options: MirrorReviewFactsOptions = {}): ReviewFacts {
  const stack = TerraformStack.of(mirror);
  const warnings = options.warnings ?? warningsIn(stack);
  return reviewFactsOf(mirror, {
    backend: stack.node.children.find(
      (child): child is TerraformBackend => child instanceof TerraformBackend,
    ),
    caCertPem: mirror.caCert?.content,
    warnings: [
      ...warnings.map((warning) => formatDiagnostic(warning, options.configFile)),
      ...mirror.registries.rendered.warnings.map(
        (warning) => `registries.yaml: ${formatDiagnostic(warning)}`,
      ),
    ],
  });
}

/** A base that is not one of the three kinds of file the review reads. */
export class ReviewBaseError extends Error {}

/** The facts of a harbor-mirror.yaml, built in `outdir` (a scratch folder). */
export type ConfigFactsBuilder = (configPath: string, outdir: string) => ReviewFacts;

/**
 * The facts of the base `file` holding `text`: a review.json (its `head`), a cdk.tf.json, or else
 * a harbor-mirror.yaml, which is built (not synthesized) the way the app builds its own.
 */
export function reviewBaseFacts(file: string, text: string, buildFacts: ConfigFactsBuilder): ReviewFacts {
  if (!text.trimStart().startsWith("{")) return factsOfConfig(file, buildFacts);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ReviewBaseError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  if (isReviewJson(document)) return document.head;
  if (isTerraformJson(document)) return factsFromTerraformJson(document);
  throw new ReviewBaseError(
    `${file}: a JSON base must be a review.json (kind "${REVIEW_KIND}", schemaVersion ${REVIEW_SCHEMA_VERSION}) or a synthesized cdk.tf.json`,
  );
}

function isReviewJson(document: unknown): document is ReviewJson {
  const candidate = document as Partial<ReviewJson>;
  if (candidate?.kind !== REVIEW_KIND) return false;
  if (candidate.schemaVersion !== REVIEW_SCHEMA_VERSION) {
    throw new ReviewBaseError(
      `review.json schemaVersion ${String(candidate.schemaVersion)} is not supported: expected ${REVIEW_SCHEMA_VERSION} (docs/review-json.md)`,
    );
  }
  return true;
}

/** A base configuration is built in a scratch folder: nothing of it is written anywhere. */
function factsOfConfig(file: string, buildFacts: ConfigFactsBuilder): ReviewFacts {
  const scratch = mkdtempSync(path.join(tmpdir(), "harbor-mirror-base-"));
  try {
    return buildFacts(file, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Where synth puts the report: next to the stack's cdk.tf.json. */
export function defaultReviewPath(outdir: string): string {
  return path.join(outdir, "stacks", STACK_NAME, REVIEW_FILE_NAME);
}

/** review.json next to the Markdown report. */
export function reviewJsonPathFor(markdownPath: string): string {
  return path.join(path.dirname(markdownPath), REVIEW_JSON_FILE_NAME);
}

/** Writes the report to `file` and review.json to `jsonFile` (creating their folders); returns both paths. */
export function writeReview(
  review: BuiltReview,
  file: string,
  jsonFile = reviewJsonPathFor(file),
): { markdown: string; json: string } {
  for (const [target, content] of [
    [file, review.markdown],
    [jsonFile, reviewJsonText(review.json)],
  ] as const) {
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return { markdown: file, json: jsonFile };
}
