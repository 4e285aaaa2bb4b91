/**
 * How a construct reports a risky but legal setting: as a cdktf warning annotation (what any cdktf
 * user sees) and as a `Diagnostic` in the construct's metadata, with its code and key path, so an
 * app can place it at the setting it came from (`warningsIn`). Errors are thrown instead
 * (`throwIfErrors` in registries/diagnostics.ts).
 */
import { Annotations } from "cdktf";
import { IConstruct } from "constructs";
import { formatDiagnostic, warningsOf, type Diagnostic } from "../registries/diagnostics";

/** Metadata type of the structured warnings; cdktf writes only its own annotation types to manifests. */
const WARNING_METADATA = "harbor-mirror/warning";

export function reportWarnings(scope: IConstruct, diagnostics: readonly Diagnostic[]): void {
  for (const warning of warningsOf(diagnostics)) {
    Annotations.of(scope).addWarning(formatDiagnostic(warning));
    scope.node.addMetadata(WARNING_METADATA, { ...warning, construct: scope.node.path });
  }
}

/** Every warning reported under `root`, in construct-tree order. */
export function warningsIn(root: IConstruct): Diagnostic[] {
  return root.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === WARNING_METADATA)
        .map((entry) => entry.data as Diagnostic),
    );
}
