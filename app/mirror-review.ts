/**
 * The plan review for construct users: the same review.md (and review.json beside it) that
 * `npm run synth` writes for the app, for a `HarborMirror` inside any stack. A thin entry point:
 * the facts come from the constructs (`mirrorReviewFacts`), the report from review/'s builder.
 */
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import type { HarborMirror } from "../constructs/harbor-mirror";
import { buildReview } from "../review/build";
import { mirrorReviewFacts, REVIEW_FILE_NAME, writeReview } from "./review";

export interface MirrorReviewOptions {
  /**
   * Where review.md goes; review.json is written beside it.
   * @default - next to the stack's cdk.tf.json: `<app outdir>/stacks/<stack id>/review.md`
   */
  readonly file?: string;
  /**
   * Your own image references, resolved in the report next to the common ones.
   * @default - none
   */
  readonly images?: readonly string[];
}

/**
 * Writes the plan-review report of `mirror` and returns the paths of review.md and review.json.
 * Call it after `app.synth()`, so the report lands next to the stack it describes.
 */
export function writeMirrorReview(
  mirror: HarborMirror,
  options: MirrorReviewOptions = {},
): { markdown: string; json: string } {
  const review = buildReview({ head: mirrorReviewFacts(mirror), images: options.images });
  return writeReview(review, options.file ?? defaultFileOf(mirror));
}

function defaultFileOf(mirror: HarborMirror): string {
  const stack = TerraformStack.of(mirror);
  return path.join(App.of(stack).outdir, "stacks", stack.node.id, REVIEW_FILE_NAME);
}
