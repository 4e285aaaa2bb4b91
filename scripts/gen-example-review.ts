/**
 * Writes docs/example-review.md and docs/example-review.json: the review of the walk-through's
 * change (testing/review-fixtures.ts) exactly as `harbor-mirror review --base` writes it, so the
 * pages go stale (and their test fails) when the report changes.
 * Usage: `npx tsx scripts/gen-example-review.ts`.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { reviewJsonText } from "../review/build";
import { exampleReview } from "../testing/review-fixtures";

const DOCS = path.join(__dirname, "..", "docs");
export const EXAMPLE_REVIEW_PATH = path.join(DOCS, "example-review.md");
export const EXAMPLE_REVIEW_JSON_PATH = path.join(DOCS, "example-review.json");

export function generatedExampleReview(): { markdown: string; json: string } {
  const review = exampleReview();
  return { markdown: review.markdown, json: reviewJsonText(review.json) };
}

if (require.main === module) {
  const { markdown, json } = generatedExampleReview();
  writeFileSync(EXAMPLE_REVIEW_PATH, markdown);
  writeFileSync(EXAMPLE_REVIEW_JSON_PATH, json);
  console.log(`${EXAMPLE_REVIEW_PATH}\n${EXAMPLE_REVIEW_JSON_PATH}`);
}
