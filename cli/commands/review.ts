/** `harbor-mirror review [--config <file>] [--out <file>]`: the plan-review report that synth writes. */
import { buildApp } from "../../app/build";
import { STACK_NAME } from "../../app/harbor-mirror-stack";
import { defaultReviewPath, REVIEW_FILE_NAME, writeReviewReport } from "../../app/review";
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
    console.log(writeReviewReport(values.out ?? defaultReviewPath(app.outdir), review));
    return EXIT_OK;
  },
});
