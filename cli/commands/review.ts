/** `harbor-mirror review [--config <file>] [--out <file>]`: the plan-review report that synth writes. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildApp } from "../../app/build";
import { STACK_NAME } from "../../app/harbor-mirror-stack";
import { REVIEW_FILE_NAME } from "../../app/review";
import { renderReviewReport } from "../../review/report";
import { defineCommand, EXIT_OK, printDiagnostics } from "../command-kit";

export const command = defineCommand({
  name: "review",
  summary: "Write the plan-review report (Markdown with a Mermaid diagram)",
  usage: `Usage: harbor-mirror review [--config <harbor-mirror.yaml>] [--out <file>]

Writes the plan-review report that synth also writes: upstreams, mirror rules, the
registries.yaml nodes receive (secrets as placeholders), the rollout order, what common images
resolve to, every warning, and a Mermaid diagram. Prints the report's path.

Options:
  -c, --config <file>  Configuration file (default: $HARBOR_MIRROR_CONFIG, else ./harbor-mirror.yaml)
  -o, --out <file>     Where to write (default: cdktf.out/stacks/${STACK_NAME}/${REVIEW_FILE_NAME})
  -h, --help           Show this help`,
  options: { config: { type: "string", short: "c" }, out: { type: "string", short: "o" } },
  run(values) {
    const { app, review, warnings, configFile } = buildApp({ configPath: values.config });
    printDiagnostics(warnings, configFile);
    const out = values.out ?? join(app.outdir, "stacks", STACK_NAME, REVIEW_FILE_NAME);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, renderReviewReport(review));
    console.log(out);
    return EXIT_OK;
  },
});
