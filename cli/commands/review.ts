/**
 * `harbor-mirror review [--config <file>] [--base <file>] [--images <file>] [--out <file>] [--json <file>]`:
 * the plan review of a change: what it changes against a base, as review.md and review.json.
 */
import { buildApp } from "../../app/build";
import { STACK_NAME } from "../../app/harbor-mirror-stack";
import {
  defaultReviewPath,
  REVIEW_FILE_NAME,
  REVIEW_JSON_FILE_NAME,
  ReviewBaseError,
  reviewBaseFacts,
  writeReview,
} from "../../app/review";
import { buildReview } from "../../review/build";
import { ImageListError, parseImageList } from "../../review/images";
import { ValidationError } from "../../registries/diagnostics";
import {
  defineCommand,
  EXIT_OK,
  printDiagnostics,
  readInputFile,
  UnreadableInputError,
} from "../command-kit";

export const command = defineCommand({
  name: "review",
  summary: "Write the plan review of a change (review.md with a Mermaid diagram, and review.json)",
  usage: `Usage: harbor-mirror review [--config <harbor-mirror.yaml>] [--base <file>] [--images <file>]
                            [--out <file>] [--json <file>]

Writes what the configuration changes compared with a base: for each image, where nodes pull it
from before and after (flagged when it changes or bypasses Harbor); per upstream, whether
Terraform creates, changes, replaces or removes its Harbor resources (and what a replacement
costs); the Harbor settings; which nodes restart in which rollout steps and the worst-case
duration; the registries.yaml nodes receive (secrets as placeholders); every warning; a Mermaid
diagram. review.json holds the same facts for pipelines (docs/review-json.md). Prints both paths.

Options:
  -c, --config <file>  Configuration file (default: $HARBOR_MIRROR_CONFIG, else ./harbor-mirror.yaml)
  -b, --base <file>    What to compare with: another checkout's harbor-mirror.yaml, a previous
                       cdk.tf.json, or a previous review.json (default: no base)
  -i, --images <file>  More images to resolve: one reference a line, or the output of
                       'kubectl get pods -A -o json'
  -o, --out <file>     Where to write the report (default: cdktf.out/stacks/${STACK_NAME}/${REVIEW_FILE_NAME})
  -j, --json <file>    Where to write review.json (default: ${REVIEW_JSON_FILE_NAME} next to the report)
  -h, --help           Show this help`,
  options: {
    config: { type: "string", short: "c" },
    base: { type: "string", short: "b" },
    images: { type: "string", short: "i" },
    out: { type: "string", short: "o" },
    json: { type: "string", short: "j" },
  },
  run(values) {
    const { app, reviewFacts, warnings, configFile } = buildApp({ configPath: values.config });
    printDiagnostics(warnings, configFile);
    const base =
      values.base === undefined ? undefined : { facts: baseFacts(values.base), source: values.base };
    const images = values.images === undefined ? [] : imagesOf(values.images);
    const written = writeReview(
      buildReview({ head: reviewFacts, base, images }),
      values.out ?? defaultReviewPath(app.outdir),
      values.json,
    );
    console.log(written.markdown);
    console.log(written.json);
    return EXIT_OK;
  },
});

function baseFacts(file: string) {
  try {
    return reviewBaseFacts(file, readInputFile(file), (configPath, outdir) => {
      const built = buildApp({ configPath, outdir });
      return built.reviewFacts;
    });
  } catch (error) {
    if (error instanceof ReviewBaseError) throw new UnreadableInputError(error.message);
    // A base configuration's errors name the base's file, not the change's.
    if (error instanceof ValidationError && error.file === undefined)
      throw new ValidationError(error.diagnostics, file);
    throw error;
  }
}

function imagesOf(file: string): string[] {
  try {
    return parseImageList(readInputFile(file), file);
  } catch (error) {
    if (error instanceof ImageListError) throw new UnreadableInputError(error.message);
    throw error;
  }
}
