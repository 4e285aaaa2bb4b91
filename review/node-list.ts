/**
 * Node lists that stay readable and bounded at any size: names in natural order folded into
 * ranges of consecutive numbers (`agent-1…agent-9997`), a few ranges inline, the rest in a
 * `<details>` block up to a character budget; beyond it the report points to review.json. Pure.
 */
import { naturalSort } from "./facts";

export interface NameRange {
  readonly first: string;
  readonly last: string;
  readonly count: number;
}

const NUMBERED = /^(.*?)([0-9]+)$/;

/** Consecutive names `<prefix><n>`, `<prefix><n+1>`, … (same prefix, same digit count) become one range. */
export function nameRanges(names: Iterable<string>): NameRange[] {
  const ranges: { first: string; last: string; count: number; prefix?: string; digits?: string }[] = [];
  for (const name of naturalSort(names)) {
    const [, prefix, digits] = NUMBERED.exec(name) ?? [];
    const previous = ranges[ranges.length - 1];
    if (
      previous &&
      digits !== undefined &&
      previous.prefix === prefix &&
      previous.digits !== undefined &&
      Number(digits) === Number(previous.digits) + 1 &&
      (digits.length === previous.digits.length || !digits.startsWith("0"))
    ) {
      previous.last = name;
      previous.count++;
      previous.digits = digits;
    } else ranges.push({ first: name, last: name, count: 1, prefix, digits });
  }
  return ranges.map(({ first, last, count }) => ({ first, last, count }));
}

export function rangeText(range: NameRange): string {
  if (range.count === 1) return `\`${range.first}\``;
  if (range.count === 2) return `\`${range.first}\`, \`${range.last}\``;
  return `\`${range.first}\`…\`${range.last}\` (${range.count.toLocaleString("en")})`;
}

export interface CollapseOptions {
  /** Ranges shown inline before the rest is folded. @default 4 */
  readonly inlineRanges?: number;
  /** Characters the `<details>` list may take. @default 6000 */
  readonly detailsBudget?: number;
}

/** `count` and the first ranges on one line; when more, every range in `<details>` within the budget. */
export function collapsedNames(names: readonly string[], options: CollapseOptions = {}): string {
  if (names.length === 0) return "none";
  const inline = options.inlineRanges ?? 4;
  const budget = options.detailsBudget ?? 6000;
  const ranges = nameRanges(names);
  const count = `${names.length.toLocaleString("en")} node${names.length === 1 ? "" : "s"}`;
  const head = ranges.slice(0, inline).map(rangeText).join(", ");
  if (ranges.length <= inline) return `${count}: ${head}`;
  const listed: string[] = [];
  let used = 0;
  for (const range of ranges) {
    const text = rangeText(range);
    if (used + text.length > budget) break;
    listed.push(text);
    used += text.length + 2;
  }
  const rest = ranges.length - listed.length;
  const tail =
    rest > 0 ? `, … ${rest.toLocaleString("en")} more ranges: the full list is in review.json` : "";
  return (
    `${count}: ${head}, … (${ranges.length.toLocaleString("en")} ranges)` +
    `<details><summary>all ${count}</summary>${listed.join(", ")}${tail}</details>`
  );
}
