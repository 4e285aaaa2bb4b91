/**
 * docs/example-review.md and .json are the real output for the walk-through's change
 * (scripts/gen-example-review.ts); these tests fail when the report changes and the example
 * is not regenerated, or when someone edits it by hand.
 */
import { readFileSync } from "node:fs";
import {
  EXAMPLE_REVIEW_JSON_PATH,
  EXAMPLE_REVIEW_PATH,
  generatedExampleReview,
} from "../../scripts/gen-example-review";

describe("the example review in docs/", () => {
  const generated = generatedExampleReview();

  it("docs/example-review.md is up to date (regenerate: npx tsx scripts/gen-example-review.ts)", () => {
    expect(readFileSync(EXAMPLE_REVIEW_PATH, "utf8")).toBe(generated.markdown);
  });

  it("docs/example-review.json is up to date (regenerate: npx tsx scripts/gen-example-review.ts)", () => {
    expect(readFileSync(EXAMPLE_REVIEW_JSON_PATH, "utf8")).toBe(generated.json);
  });
});
