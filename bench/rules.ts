/**
 * The bench's rewrite-rule section: compile time of the ordered-rule compiler at each size of
 * BENCH_RULES (default "100,1000"), median of BENCH_REPETITIONS fresh processes, next to re2js
 * compiling the same patterns in the same process (the baseline), and the growth between sizes
 * against n·log n.
 */
import path from "node:path";
import { nodeWithTsx, REPO_ROOT, runMeasured } from "./child";
import { median } from "./stats";

interface RulesSample {
  readonly rules: number;
  readonly written: number;
  readonly compileMs: number;
  readonly re2Ms: number;
}

export async function rulesSection(
  sizes: readonly number[],
  repetitions: number,
  progress: (message: string) => void,
): Promise<string> {
  const rows: string[][] = [];
  let previous: { rules: number; ms: number } | undefined;
  for (const size of sizes) {
    progress(`rules: compiling ${size} rules`);
    const samples: RulesSample[] = [];
    for (let run = 0; run < repetitions; run++) {
      const child = await runMeasured(nodeWithTsx(path.join(__dirname, "rules-child.ts"), String(size)), {
        cwd: REPO_ROOT,
      });
      samples.push(JSON.parse(child.stdout.trim().split("\n").pop() ?? "") as RulesSample);
    }
    const ms = median(samples.map((sample) => sample.compileMs));
    const re2 = median(samples.map((sample) => sample.re2Ms));
    const { rules, written } = samples[0];
    const growth = previous ? growthCell(previous, { rules, ms }) : "–";
    rows.push([
      rules.toLocaleString("en-US"),
      String(written),
      `${(ms / 1000).toFixed(2)} s`,
      `${(ms / rules).toFixed(2)} ms`,
      `${re2.toFixed(1)} ms`,
      `${(ms / re2).toFixed(0)}×`,
      growth,
    ]);
    previous = { rules, ms };
  }
  const header = [
    "rules (incl. proxy rule)",
    "patterns written",
    "compile (median)",
    "per rule",
    "re2js compile of the same patterns",
    "ratio to re2js",
    "growth vs. n·log n",
  ];
  return [
    `Median of ${repetitions} fresh processes. Rules: a mix of prefixes, alternations, classes, pins, ` +
      "groups spanning the organisation and pass-through rules, each on its own prefix, then the proxy rule " +
      "(narrowed past all of them).",
    "",
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

/** Time ratio between two sizes, next to the ratio n·log n would give. */
function growthCell(from: { rules: number; ms: number }, to: { rules: number; ms: number }): string {
  const nLogN = (to.rules * Math.log(to.rules)) / (from.rules * Math.log(from.rules));
  return `${(to.ms / from.ms).toFixed(1)}× (n·log n: ${nLogN.toFixed(1)}×)`;
}
