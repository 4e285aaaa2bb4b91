/**
 * The app: reads harbor-mirror.yaml, synthesizes the stack and writes the plan-review report.
 * Invalid input fails here, before anything is written.
 */
import { synthesize } from "./app/build";
import { errorsOf, ValidationError } from "./registries/diagnostics";
import { printDiagnostics } from "./cli/command-kit";

// cdktf records a stack trace for every token it creates; with tsx's source maps on, mapping each
// of them costs about a third of synth time at a thousand nodes (npm run bench). Error messages
// of harbor-mirror never rely on stack positions.
process.setSourceMapsEnabled(false);

try {
  const { configFile, warnings, reviewPath } = synthesize();
  printDiagnostics(warnings, configFile);
  console.log(`review: ${reviewPath}`);
} catch (error) {
  if (!(error instanceof ValidationError)) throw error;
  printDiagnostics(errorsOf(error.diagnostics), error.file);
  process.exitCode = 1;
}
