/**
 * The app: reads harbor-mirror.yaml, synthesizes the stack and writes the plan-review report.
 * Invalid input fails here, before anything is written.
 */
import { relative } from "node:path";
import { App } from "cdktf";
import { loadConfig } from "./config/load";
import { HarborMirrorStack, STACK_NAME } from "./app/harbor-mirror-stack";
import { buildReviewModel, writeReviewReport } from "./app/review";
import { errorsOf, formatDiagnostic, ValidationError } from "./registries/diagnostics";

function synth(): void {
  const loaded = loadConfig();
  const { config, warnings } = loaded;
  // Relative, so the report does not depend on where the repository is checked out.
  const path = relative(process.cwd(), loaded.path);
  for (const warning of warnings) console.warn(`warning: ${formatDiagnostic(warning, path)}`);
  const app = new App();
  const stack = new HarborMirrorStack(app, STACK_NAME, config);
  const review = buildReviewModel(stack, warnings, path);
  app.synth();
  console.log(`review: ${writeReviewReport(app.outdir, STACK_NAME, review)}`);
}

try {
  synth();
} catch (error) {
  if (!(error instanceof ValidationError)) throw error;
  for (const diagnostic of errorsOf(error.diagnostics))
    console.error(`error: ${formatDiagnostic(diagnostic, error.file)}`);
  process.exitCode = 1;
}
