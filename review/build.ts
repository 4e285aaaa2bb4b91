/**
 * The review's one entry point: the facts of the change (and of a base) in, the Markdown report
 * and its machine-readable twin (review.json) out. Pure: the app, the CLI and construct users
 * gather the facts and write the files.
 */
import { compareFacts, type CompareInput, type ReviewJson } from "./compare";
import { renderReviewReport } from "./report";

export interface BuiltReview {
  readonly markdown: string;
  readonly json: ReviewJson;
}

export function buildReview(input: CompareInput): BuiltReview {
  const json = compareFacts(input);
  return { markdown: renderReviewReport(json), json };
}

/** review.json's text: stable key order as built, two-space indent, final newline. */
export function reviewJsonText(json: ReviewJson): string {
  return `${JSON.stringify(json, null, 2)}\n`;
}
