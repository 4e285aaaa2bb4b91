/**
 * The containerd target (docs/containerd.md): the same registries spec as the RKE2/K3s
 * file, written as one `<hosts dir>/<registry>/hosts.toml` per upstream, the form plain
 * containerd ≥ 1.5 reads when its CRI `config_path` is set. Upstream containerd has no rewrite
 * rules, so a mirror reaches its Harbor project by the host's path instead: the proxy rule
 * `^(.*)$` → `<project>/$1` on `https://harbor` becomes the host `https://harbor/v2/<project>`
 * with `override_path = true` (same request URLs, proven in __tests__/registries). Anything else
 * containerd cannot express is refused before anything is written. Pure: no cdktf, no I/O.
 */
import { posix } from "node:path";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { Diagnostic, errorAt, throwIfErrors, warningAt, warningsOf } from "./diagnostics";
import {
  containerdHost,
  normalizeEndpointAddress,
  type ContainerdHost,
  type NormalizedEndpoint,
} from "./endpoint";
import { configForHost, WILDCARD, WILDCARD_DIRECTORY, type HostConfigs, type HostEntry } from "./hosts";
import { isRepositoryPath } from "./image-reference";
import {
  isPassThrough,
  ruleTarget,
  type ApplyTimeHost,
  type ApplyTimeValue,
  type OrderedMirror,
  type RegistriesSpec,
  type RegistryTls,
} from "./model";
import { applyTimePlaceholder, RENDER_HEADER } from "./render";

/** Where kubeadm-style nodes keep the per-registry directories (containerd's documented default). */
export const DEFAULT_HOSTS_DIR = "/etc/containerd/certs.d";

/** A Harbor mirror serves pulls only; `push` would send pushes to a read-only proxy project. */
const HOST_CAPABILITIES = ["pull", "resolve"] as const;

export interface ContainerdHostsOptions {
  /** The directory named by containerd's `config_path`. @default DEFAULT_HOSTS_DIR */
  readonly hostsDir?: string;
}

/** One node file: `<hosts dir>/<directory>/hosts.toml`. */
export interface HostsTomlFile {
  /** The registry as in image names (`docker.io`), or `"*"`. */
  readonly registry: string;
  /** The directory containerd looks the registry up by: the registry, `_default` for `"*"`. */
  readonly directory: string;
  readonly path: string;
  /** The exact bytes for the node, with apply-time values as plain placeholders. */
  readonly text: string;
}

export interface RenderedContainerdHosts {
  /** In directory order. */
  readonly files: readonly HostsTomlFile[];
  /**
   * Each placeholder in the files' text and the value it stands for: only apply-time Harbor URLs,
   * whose pattern (`applyTimeHarborUrlPattern`) admits no character a TOML basic string escapes,
   * so the construct substitutes the raw value.
   */
  readonly applyTimeValues: readonly { placeholder: string; value: ApplyTimeValue }[];
  /** The `config_path` reminder; errors make rendering throw instead. */
  readonly warnings: readonly Diagnostic[];
}

/** Throws ValidationError, naming every key containerd cannot express, before anything is written. */
export function renderContainerdHosts(
  spec: RegistriesSpec,
  options: ContainerdHostsOptions = {},
): RenderedContainerdHosts {
  const hostsDir = options.hostsDir ?? DEFAULT_HOSTS_DIR;
  const context: RenderContext = { spec, diagnostics: refusedCredentials(spec), applyTimeValues: new Map() };
  const files = [...spec.mirrors]
    .sort((a, b) => compare(directoryOf(a.registry), directoryOf(b.registry)))
    .map((mirror) => hostsFileOf(mirror, hostsDir, context));
  if (files.length > 0) context.diagnostics.push(configPathReminder(hostsDir));
  throwIfErrors(context.diagnostics);
  return {
    files,
    applyTimeValues: [...context.applyTimeValues].map(([placeholder, value]) => ({ placeholder, value })),
    warnings: warningsOf(context.diagnostics),
  };
}

/** The TOML of `config.toml` that makes containerd read the hosts directory, for 1.x and 2.x. */
export function configPathSnippet(hostsDir: string = DEFAULT_HOSTS_DIR): string {
  return stringifyToml({
    plugins: {
      // containerd 1.5–1.7; 2.x moved the image settings to `io.containerd.cri.v1.images`.
      "io.containerd.grpc.v1.cri": { registry: { config_path: hostsDir } },
    },
  });
}

interface RenderContext {
  readonly spec: RegistriesSpec;
  readonly diagnostics: Diagnostic[];
  readonly applyTimeValues: Map<string, ApplyTimeValue>;
}

function hostsFileOf(mirror: OrderedMirror, hostsDir: string, context: RenderContext): HostsTomlFile {
  const directory = directoryOf(mirror.registry);
  const prefix = projectPrefix(mirror, context);
  const hosts = Object.fromEntries(
    mirror.endpoints.map((endpoint, index) => hostTableOf(mirror, endpoint, index, prefix, context)),
  );
  const document = {
    ...(mirror.registry === WILDCARD ? {} : serverKeys(mirror.registry, context)),
    ...(mirror.endpoints.length > 0 ? { host: hosts } : {}),
  };
  return {
    registry: mirror.registry,
    directory,
    path: posix.join(hostsDir, directory, "hosts.toml"),
    // The header is a fixed ASCII comment; every value goes through the serializer.
    text: `# ${RENDER_HEADER}\n${stringifyToml(document).trimEnd()}\n`,
  };
}

/**
 * The path a mirror's rules send every repository to, if containerd can express them: none
 * (pass-through) or the one proxy rule `^(.*)$` → `<prefix>/$1`. Containerd has no rewrite, so
 * every other rule is refused at the user's `rewrites.<registry>[i]` (the spec keeps their order).
 */
function projectPrefix(mirror: OrderedMirror, context: RenderContext): string {
  const last = mirror.rewrites[mirror.rewrites.length - 1];
  const prefix =
    last === undefined ? "" : isPassThrough(last) ? undefined : prefixOfProxyRule(last.match, last.replace);
  const refused = prefix === undefined ? mirror.rewrites : mirror.rewrites.slice(0, -1);
  refused.forEach((rule, index) =>
    context.diagnostics.push(
      errorAt(
        "containerd-rewrite-unsupported",
        ["rewrites", mirror.registry, index],
        `the rule ${JSON.stringify(rule.match)} → ${JSON.stringify(ruleTarget(rule))} cannot be expressed for ` +
          "distribution containerd: upstream containerd has no rewrite rules, a hosts.toml host can only " +
          "put a fixed path in front of every repository. Remove the rule, or deliver to RKE2/K3s nodes " +
          "(see docs/containerd.md)",
      ),
    ),
  );
  return prefix ?? "";
}

const PROXY_RULE = { match: "^(.*)$", replaceSuffix: "/$1" };

/** `<prefix>` of `^(.*)$` → `<prefix>/$1` when the prefix is a literal repository path. */
function prefixOfProxyRule(match: string, replace: string): string | undefined {
  if (match !== PROXY_RULE.match || !replace.endsWith(PROXY_RULE.replaceSuffix)) return undefined;
  const prefix = replace.slice(0, -PROXY_RULE.replaceSuffix.length);
  return isRepositoryPath(prefix) ? prefix : undefined;
}

/** `[host."<API root>"]`: the endpoint's API root with the project appended, used as given. */
function hostTableOf(
  mirror: OrderedMirror,
  address: string,
  index: number,
  prefix: string,
  context: RenderContext,
): [string, Record<string, unknown>] {
  const normalized = normalizeEndpointAddress(address);
  if (!normalized.ok) {
    context.diagnostics.push(
      errorAt(
        "containerd-endpoint-invalid",
        ["mirrors", mirror.registry, "endpoints", index],
        `${JSON.stringify(address)} is not a valid endpoint: ${normalized.error}`,
      ),
    );
    return [address, {}];
  }
  const { endpoint } = normalized;
  const apiRoot = posix.join(endpoint.path, prefix);
  const key = `${originOf(endpoint, address, context)}${apiRoot}`;
  const settings = tlsKeys(configForHost(context.spec.configs, endpoint.host).config?.tls);
  return [key, { capabilities: [...HOST_CAPABILITIES], override_path: true, ...settings }];
}

/** `scheme://host`, or the placeholder of the apply-time Harbor URL the endpoint stands in for. */
function originOf(endpoint: NormalizedEndpoint, address: string, context: RenderContext): string {
  const host = (context.spec.applyTimeHosts ?? []).find((candidate) => isStandInFor(candidate, address));
  if (!host) return `${endpoint.scheme}://${endpoint.host}`;
  const placeholder = applyTimePlaceholder(host.url.id);
  context.applyTimeValues.set(placeholder, host.url);
  return placeholder;
}

function isStandInFor(host: ApplyTimeHost, address: string): boolean {
  return address === `https://${host.standIn}`;
}

/** `server` = the upstream containerd would use without the file, and the upstream's own TLS. */
function serverKeys(registry: string, context: RenderContext): Record<string, unknown> {
  const normalized = normalizeEndpointAddress(registry);
  if (!normalized.ok) {
    context.diagnostics.push(
      errorAt(
        "containerd-registry-invalid",
        ["mirrors", registry],
        `${JSON.stringify(registry)} is not a registry host: ${normalized.error}`,
      ),
    );
    return {};
  }
  const { scheme, host } = normalized.endpoint;
  return {
    server: `${scheme}://${host}`,
    ...tlsKeys(configForHost(context.spec.configs, registry).config?.tls),
  };
}

/** hosts.toml carries no credentials: every `configs` entry with `auth` is refused. */
function refusedCredentials(spec: RegistriesSpec): Diagnostic[] {
  return Object.keys(spec.configs)
    .sort()
    .filter((key) => spec.configs[key].auth !== undefined)
    .map((key) =>
      errorAt(
        "containerd-credentials-unsupported",
        ["configs", key, "auth"],
        "registry credentials (access: robot) cannot be delivered for distribution containerd: hosts.toml " +
          "carries no credentials. containerd takes them from the CRI registry configs in config.toml " +
          "(deprecated in 2.x), a kubelet credential provider or imagePullSecrets, none of which harbor-mirror " +
          "writes. Use access: public (see docs/containerd.md)",
      ),
    );
}

/** A host's `configs.<host>.tls` as hosts.toml keys. */
function tlsKeys(tls: RegistryTls = {}): Record<string, unknown> {
  const client = tls.key_file === undefined ? tls.cert_file : [[tls.cert_file, tls.key_file]];
  return {
    ...(tls.ca_file === undefined ? {} : { ca: tls.ca_file }),
    ...(client === undefined ? {} : { client }),
    ...(tls.insecure_skip_verify === undefined ? {} : { skip_verify: tls.insecure_skip_verify }),
  };
}

function configPathReminder(hostsDir: string): Diagnostic {
  return warningAt(
    "containerd-config-path",
    ["distribution"],
    `containerd reads ${hostsDir} only when config_path is set in /etc/containerd/config.toml ` +
      "(then restart containerd once; hosts.toml changes need no restart). containerd 1.5–1.7:\n" +
      configPathSnippet(hostsDir) +
      'containerd 2.x: the same under [plugins."io.containerd.cri.v1.images".registry]',
  );
}

// ---------------------------------------------------------------------------------------------
// Reading hosts.toml as containerd does (`remotes/docker/config/hosts.go`), for the resolver.
// ---------------------------------------------------------------------------------------------

/** The host model of a hosts directory: `files` maps a directory name to its hosts.toml text. */
export function readContainerdHostsDir(files: Readonly<Record<string, string>>): HostConfigs {
  const hosts: Record<string, HostEntry> = {};
  for (const directory of Object.keys(files).sort()) {
    hosts[directory] = hostEntryOfToml(directory, files[directory]);
  }
  return { hosts, warnings: [] };
}

/** Throws UndecodableHostsTomlError on text containerd would fail to decode. */
function hostEntryOfToml(directory: string, text: string): HostEntry {
  const document = decodeToml(directory, text);
  const tables = (document.host ?? {}) as Record<string, Record<string, unknown>>;
  // Hosts without both capabilities are not asked for a tag (containerd filters by capability).
  const mirrors = Object.entries(tables)
    .filter(([, table]) => hasPullCapabilities(table.capabilities))
    .map(([url, table]) => ({
      ...hostEndpoint(directory, url, table.override_path === true),
      rewrites: {},
      rules: [],
    }));
  const server = typeof document.server === "string" ? document.server : undefined;
  return {
    directory,
    default: server
      ? { kind: "url", ...hostEndpoint(directory, server, document.override_path === true) }
      : { kind: directory === WILDCARD_DIRECTORY ? "pulled-registry" : "none" },
    mirrors,
  };
}

/** A hosts.toml containerd fails on: its pulls of that registry fail too. */
export class UndecodableHostsTomlError extends Error {
  constructor(
    readonly directory: string,
    reason: string,
  ) {
    super(`${directory}/hosts.toml: containerd cannot decode it: ${reason}`);
    this.name = "UndecodableHostsTomlError";
  }
}

function decodeToml(directory: string, text: string): Record<string, unknown> {
  try {
    return parseToml(text);
  } catch (error) {
    throw new UndecodableHostsTomlError(directory, (error as Error).message);
  }
}

function hasPullCapabilities(capabilities: unknown): boolean {
  if (capabilities === undefined) return true;
  return (
    Array.isArray(capabilities) && HOST_CAPABILITIES.every((capability) => capabilities.includes(capability))
  );
}

/** A `server` or `[host."…"]` key as written, and as containerd's `parseHostConfig` reads it. */
function hostEndpoint(
  directory: string,
  url: string,
  overridePath: boolean,
): { endpoint: NormalizedEndpoint; host: ContainerdHost } {
  const read = containerdHost(url, overridePath);
  if (!read.ok)
    throw new UndecodableHostsTomlError(directory, `invalid host ${JSON.stringify(url)}: ${read.error}`);
  const { scheme, host, path } = read.host;
  return { endpoint: { url, scheme, host, path, overridePath }, host: read.host };
}

function directoryOf(registry: string): string {
  return registry === WILDCARD ? WILDCARD_DIRECTORY : registry;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
