/**
 * The package's one entry point (`import { HarborMirror } from "harbor-mirror"`): the constructs
 * with their props types, the plan review for construct users, and the pure registries.yaml
 * domain people use next to a stack.
 * Everything else is internal; the package's `exports` allows no deep imports, and exports tagged as
 * internal in their doc comment (shared between the package's modules) are left out of its .d.ts.
 */
// In the order docs/constructs.md presents them (npm run docs).
export * from "./constructs/harbor-mirror";
export * from "./constructs/harbor-proxy-cache";
export * from "./constructs/registries-content";
export * from "./constructs/registries-delivery";
export * from "./constructs/containerd-hosts";
export * from "./constructs/rollout-strategy";
export * from "./constructs/harbor-provider";
export * from "./constructs/provider-sources";
export * from "./app/mirror-review";

export { ValidationError, formatDiagnostic, type Diagnostic, type Severity } from "./registries/diagnostics";
export type {
  ApplyTimeValue,
  Mirror,
  OrderedMirror,
  OrderedRewrite,
  RegistriesFile,
  RegistriesSpec,
  RegistryAuth,
  RegistryConfig,
  RegistryTls,
} from "./registries/model";
export { compileRegistriesSpec } from "./registries/compile-rules";
export {
  configPathSnippet,
  readContainerdHostsDir,
  renderContainerdHosts,
  DEFAULT_HOSTS_DIR,
  type ContainerdHostsOptions,
  type HostsTomlFile,
  type RenderedContainerdHosts,
} from "./registries/containerd-hosts";
export { parseRegistriesYaml } from "./registries/parse";
export { renderRegistriesFile, renderRegistriesSpec, type RenderedRegistries } from "./registries/render";
export {
  resolveImage,
  resolveOnHosts,
  type ResolveAttempt,
  type ResolveOptions,
  type ResolveResult,
} from "./registries/resolve";
export {
  validateRegistriesFile,
  validateRegistriesYaml,
  type NodeRegistryOptions,
} from "./registries/validate";
