/**
 * `harbor-mirror validate <file>`: checks a registries.yaml with the rules RKE2/K3s apply
 * (docs/registries.md).
 */
import { errorsOf, ValidationError } from "../../registries/diagnostics";
import { validateRegistriesYaml } from "../../registries/validate";
import { defineCommand, EXIT_OK, printDiagnostics, readInputFile } from "../command-kit";

export const command = defineCommand({
  name: "validate",
  summary: "Check a registries.yaml against the RKE2/K3s rules",
  usage: `Usage: harbor-mirror validate <file>

Checks an RKE2/K3s registries.yaml with the rules RKE2/K3s apply, including keys that
RKE2 silently ignores (typos such as "endpoints", "identitytoken", "token"). What is
checked and why: docs/registries.md#what-harbor-mirror-validate-checks

Prints "ok" and exits 0 when the file is valid (warnings go to stderr). Otherwise prints
every error as "file:line:column key: message" to stderr and exits 1. Usage errors exit 2.

Options:
  -h, --help  Show this help`,
  options: {},
  positionals: { min: 1, max: 1 },
  run(_values, [file]) {
    const diagnostics = validateRegistriesYaml(readInputFile(file));
    if (errorsOf(diagnostics).length > 0) throw new ValidationError(diagnostics, file);
    printDiagnostics(diagnostics, file);
    console.log("ok");
    return EXIT_OK;
  },
});
