/**
 * From a construct's diagnostic back to the line of `harbor-mirror.yaml` it is about. A construct
 * names the prop it rejects (`keyPath`, relative to its props) and itself (`construct`); the app
 * built each construct from known config keys, so one table per construct translates the prop path
 * into the config key path, and the YAML source gives its line and column. Where a prop has the
 * same name as its key (the rule), the table has no line.
 */
import type { HarborMirrorConfig } from "../config/schema";
import type { Position } from "../config/yaml-source";
import { formatPath, type Diagnostic, type KeyPath, type PathSegment } from "../registries/diagnostics";
import { STACK_NAME } from "./harbor-mirror-stack";

type ToConfig = (keyPath: KeyPath, config: HarborMirrorConfig) => KeyPath;

/** Prop-path prefixes whose config key is named or placed differently; `*` matches any segment. */
function renamed(table: readonly (readonly [KeyPath, KeyPath])[]): ToConfig {
  return (keyPath) => {
    for (const [from, to] of table) {
      if (
        from.length > keyPath.length ||
        !from.every((segment, i) => segment === "*" || segment === keyPath[i])
      )
        continue;
      const filled = to.map((segment) =>
        typeof segment === "string" && /^\*\d$/.test(segment) ? keyPath[Number(segment[1])] : segment,
      );
      return [...filled, ...keyPath.slice(from.length)];
    }
    return keyPath;
  };
}

const providerToConfig = renamed([
  [["url"], ["harbor", "url"]],
  [["insecureApi"], ["harbor", "insecureApi"]],
  [["allowInsecureHttp"], ["harbor", "allowInsecureHttp"]],
]);

const proxyCacheToConfig = renamed([
  [["harborUrl"], ["harbor", "url"]],
  [["allowInsecureHttp"], ["harbor", "allowInsecureHttp"]],
  [["caCertNodePath"], ["harbor", "caCertNodePath"]],
  [["robotName"], ["robot", "name"]],
  [["robotSecret"], ["robot", "secretVar"]],
  [["robotSecretVersion"], ["robot", "secretVersion"]],
  [
    ["upstreams", "*", "accessSecret"],
    ["upstreams", "*1", "accessSecretVar"],
  ],
]);

const deliveryToConfig = renamed([
  [
    ["ssh", "privateKey"],
    ["ssh", "privateKeyVar"],
  ],
  [
    ["caCert", "path"],
    ["harbor", "caCertNodePath"],
  ],
  [
    ["caCert", "content"],
    ["harbor", "caCertFile"],
  ],
  [["rollout"], ["rollout", "strategy"]],
]);

const mirrorToConfig: ToConfig = (keyPath, config) => {
  const [head, ...rest] = keyPath;
  if (head === "proxyCache") return proxyCacheToConfig(rest, config);
  if (head === "caCertFile") return ["harbor", "caCertFile"];
  if (head === "delivery") return deliveryToConfig(rest, config);
  return keyPath;
};

/**
 * The registries spec's rules are the user's rewrites of that registry, then its proxy rule; the
 * proxy rule comes from the upstream's project.
 */
const registriesToConfig: ToConfig = (keyPath, config) => {
  const [section, registry, field, index] = keyPath;
  if (section !== "mirrors" || typeof registry !== "string" || field !== "rewrites") return [];
  const own = config.rewrites[registry] ?? [];
  if (typeof index === "number" && index < own.length)
    return ["rewrites", registry, index, ...keyPath.slice(4)];
  return ["upstreams", config.upstreams.findIndex((upstream) => upstream.registry === registry), "project"];
};

const TO_CONFIG: Readonly<Record<string, ToConfig>> = {
  [STACK_NAME]: (keyPath) => keyPath,
  [`${STACK_NAME}/Harbor`]: providerToConfig,
  [`${STACK_NAME}/HarborMirror`]: mirrorToConfig,
  [`${STACK_NAME}/HarborMirror/Cache`]: proxyCacheToConfig,
  [`${STACK_NAME}/HarborMirror/Registries`]: registriesToConfig,
  [`${STACK_NAME}/HarborMirror/Delivery`]: deliveryToConfig,
  // Its rewrite and distribution paths are the config's; robot credentials come from `access`.
  [`${STACK_NAME}/HarborMirror/ContainerdHosts`]: (keyPath) =>
    keyPath[0] === "configs" ? ["access"] : keyPath,
  "RolloutStrategy.rolling": (keyPath) => ["rollout", ...keyPath],
};

/** The config key path a construct's diagnostic is about, or undefined when it names none. */
export function configPathOf(diagnostic: Diagnostic, config: HarborMirrorConfig): KeyPath | undefined {
  if (diagnostic.keyPath === undefined) return undefined;
  const toConfig = diagnostic.construct === undefined ? undefined : TO_CONFIG[diagnostic.construct];
  return toConfig ? toConfig(diagnostic.keyPath, config) : undefined;
}

/**
 * The diagnostic as the user reads it: at the config key with its line and column. Diagnostics
 * of the file itself (already located) and of no known construct stay as they are.
 */
export function locateInConfig(
  diagnostic: Diagnostic,
  config: HarborMirrorConfig,
  locate: (path: KeyPath) => Position,
): Diagnostic {
  if (diagnostic.line !== undefined) return diagnostic;
  const path = configPathOf(diagnostic, config);
  if (path === undefined) return diagnostic;
  const segments = path.filter((segment): segment is PathSegment => segment !== -1);
  return { ...diagnostic, path: formatPath(segments), ...locate(segments) };
}

/** The same diagnostics located, each problem once (two constructs may check one value). */
export function locateAll(
  diagnostics: readonly Diagnostic[],
  config: HarborMirrorConfig,
  locate: (path: KeyPath) => Position,
): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics
    .map((diagnostic) => locateInConfig(diagnostic, config, locate))
    .filter((diagnostic) => {
      const key = `${diagnostic.severity} ${diagnostic.code} ${diagnostic.path}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
