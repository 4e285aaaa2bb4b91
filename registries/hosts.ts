/**
 * The per-registry host model RKE2/K3s writes to `certs.d/<registry>/hosts.toml`: a port of K3s
 * `getHostConfigs` (fixtures: k3s `config_test.go`), with the embedded registry's injection (k3s
 * `spegel.InjectMirror`) when it is enabled. Behaviour:
 * docs/registries.md#mirrors-endpoints-and-the-default-endpoint.
 */
import type { Diagnostic } from "./diagnostics";
import {
  containerdHostOf,
  isLocalhost,
  normalizeEndpointAddress,
  type ContainerdHost,
  type EndpointResult,
  type NormalizedEndpoint,
} from "./endpoint";
import { readRewriteTable, type DecodedRewrite } from "./hosts-toml";
import type { Mirror, RegistriesFile, RegistryConfig, RegistryTls } from "./model";

/** The `configs` entry that applies to a host (`configForHost`), with the key it was found under. */
export interface AppliedConfig {
  readonly configKey?: string;
  readonly config?: RegistryConfig;
}

/** A `[host."<url>"]` table: a mirror endpoint, tried in file order. */
export interface MirrorEndpoint extends AppliedConfig {
  /** The endpoint as written: the table's key and `override_path`. */
  readonly endpoint: NormalizedEndpoint;
  /** The same endpoint as containerd reads it back: the API root it really requests under. */
  readonly host: ContainerdHost;
  /** The mirror's whole `rewrite` map as written, copied to every endpoint. */
  readonly rewrites: Readonly<Record<string, string>>;
  /** The rules as containerd decodes them from hosts.toml, in written order. */
  readonly rules: readonly DecodedRewrite[];
}

/**
 * The upstream endpoint (`server`), tried after the mirrors. `url`: `server = "<url>"`;
 * `pulled-registry`: `server = ""`, the registry actually pulled (a `"*"` mirror); `none`: no
 * server line (a `configs."*"` entry alone), so containerd falls back to its built-in default.
 */
export interface DefaultEndpoint extends AppliedConfig {
  readonly kind: "url" | "pulled-registry" | "none";
  readonly endpoint?: NormalizedEndpoint;
  /** With `kind: url`, the `server` line as containerd reads it back (the root has no `override_path`). */
  readonly host?: ContainerdHost;
  /** Rewrites of a last mirror endpoint folded into the default: containerd never applies them. */
  readonly foldedRewrites?: Readonly<Record<string, string>>;
}

export interface HostEntry {
  /** The `certs.d` directory: the registry key, or `_default` for `"*"`. */
  readonly directory: string;
  /** `undefined` when `disable-default-registry-endpoint` removed it: no upstream fallback. */
  readonly default?: DefaultEndpoint;
  readonly mirrors: readonly MirrorEndpoint[];
  /** Why containerd cannot decode this hosts.toml; it then uses only the registry's plain default host. */
  readonly unreadable?: string;
}

export interface HostConfigs {
  /** Entries by directory, in sorted directory order. */
  readonly hosts: Readonly<Record<string, HostEntry>>;
  /** Endpoints and keys RKE2 skips with a log line (invalid, duplicate). */
  readonly warnings: readonly Diagnostic[];
}

/** The embedded registry (Spegel) of `embedded-registry: true` (docs/registries.md#the-embedded-registry). */
export interface EmbeddedRegistry {
  /** `<node-internal-ip>:<port>`: RKE2 port 9345, K3s 6443. */
  readonly address: string;
  /** The cluster CA and client certificate K3s configures for it. */
  readonly tls: RegistryTls;
}

export interface HostOptions {
  /** RKE2/K3s `disable-default-registry-endpoint`. @default false */
  readonly disableDefaultEndpoint?: boolean;
  /** Set when the embedded registry is enabled. @default - disabled */
  readonly embeddedRegistry?: EmbeddedRegistry;
}

export const WILDCARD = "*";
export const WILDCARD_DIRECTORY = "_default";
const DOCKER_HUB = "docker.io";
const DOCKER_HUB_DEFAULT_HOST = "registry-1.docker.io";

interface MutableEntry {
  default?: DefaultEndpoint;
  mirrors: MirrorEndpoint[];
  unreadable?: string;
}

/** K3s `getHostConfigs`. */
export function getHostConfigs(file: RegistriesFile, options: HostOptions = {}): HostConfigs {
  const injected = options.embeddedRegistry ? withEmbeddedRegistry(file, options.embeddedRegistry) : file;
  const context: BuildContext = {
    configs: injected.configs ?? {},
    embeddedAddress: options.embeddedRegistry?.address,
    warnings: [],
  };
  const entries = new Map<string, MutableEntry>();
  for (const key of Object.keys(context.configs).sort()) {
    const entry = defaultEntry(
      key,
      { configKey: key, config: context.configs[key] ?? {} },
      context,
      "configs",
    );
    if (entry) entries.set(directoryOf(key), entry);
  }
  for (const key of Object.keys(injected.mirrors ?? {}).sort()) {
    // K3s looks the mirror up under its raw key, so `"*"` never reuses the `configs."*"` entry.
    const entry = entries.get(key) ?? newMirrorEntry(key, options, context);
    if (!entry) continue;
    addMirrorEndpoints(key, injected.mirrors?.[key] ?? {}, entry, context);
    entries.set(directoryOf(key), entry);
  }
  return { hosts: withoutEmptyEntries(entries), warnings: context.warnings };
}

interface BuildContext {
  readonly configs: Readonly<Record<string, RegistryConfig | null>>;
  readonly embeddedAddress?: string;
  readonly warnings: Diagnostic[];
}

/**
 * `spegel.InjectMirror`: the embedded registry becomes the first endpoint of every
 * non-localhost mirror, and gets a configs entry with the cluster TLS files.
 */
function withEmbeddedRegistry(file: RegistriesFile, embedded: EmbeddedRegistry): RegistriesFile {
  const url = `https://${embedded.address}/v2`;
  const mirrors: Record<string, Mirror | null> = {};
  for (const [key, mirror] of Object.entries(file.mirrors ?? {})) {
    mirrors[key] = isLocalhost(key) ? mirror : { ...mirror, endpoint: [url, ...(mirror?.endpoint ?? [])] };
  }
  return { mirrors, configs: { ...file.configs, [embedded.address]: { tls: embedded.tls } } };
}

/** `normalizeEndpointAddress` with K3s's exception: the embedded registry is always https. */
function normalizeFor(address: string, context: BuildContext): EndpointResult {
  return normalizeEndpointAddress(address === context.embeddedAddress ? `https://${address}` : address);
}

/** `configForHost`: the config under containerd's default host name (docker.io only) wins, else the exact host. */
export function configForHost(
  configs: Readonly<Record<string, RegistryConfig | null>>,
  host: string,
): AppliedConfig {
  const mapped = host === DOCKER_HUB ? DOCKER_HUB_DEFAULT_HOST : host;
  for (const key of mapped === host ? [host] : [mapped, host]) {
    if (Object.prototype.hasOwnProperty.call(configs, key))
      return { configKey: key, config: configs[key] ?? {} };
  }
  return {};
}

function directoryOf(key: string): string {
  return key === WILDCARD ? WILDCARD_DIRECTORY : key;
}

/** `defaultHostConfig`: the default endpoint is the normalized key; `"*"` has no URL. */
function defaultEntry(
  key: string,
  applied: AppliedConfig,
  context: BuildContext,
  section: "configs" | "mirrors",
): MutableEntry | undefined {
  if (key === WILDCARD) return { default: { kind: "none", ...applied }, mirrors: [] };
  const normalized = normalizeFor(key, context);
  if (!normalized.ok) {
    context.warnings.push(
      warning(
        "hosts-invalid-key",
        `${section}.${JSON.stringify(key)}`,
        `invalid registry key, ignored: ${normalized.error}`,
      ),
    );
    return undefined;
  }
  return { default: { kind: "url", ...serverLine(normalized.endpoint), ...applied }, mirrors: [] };
}

/** K3s writes the default as `server = "<url>"` with no `override_path` at the root. */
function serverLine(endpoint: NormalizedEndpoint): { endpoint: NormalizedEndpoint; host: ContainerdHost } {
  return { endpoint, host: containerdHostOf(endpoint, false) };
}

function newMirrorEntry(key: string, options: HostOptions, context: BuildContext): MutableEntry | undefined {
  const entry = defaultEntry(key, configForHost(context.configs, key), context, "mirrors");
  if (!entry?.default) return entry;
  if (options.disableDefaultEndpoint) return { mirrors: entry.mirrors };
  if (key === WILDCARD) return { ...entry, default: { ...entry.default, kind: "pulled-registry" } };
  return entry;
}

/** Endpoints in order; invalid and duplicate ones skipped; a trailing default is folded. */
function addMirrorEndpoints(key: string, mirror: Mirror, entry: MutableEntry, context: BuildContext): void {
  const endpoints = mirror.endpoint ?? [];
  const seen = new Set<string>();
  const written = readRewriteTable(mirror.rewrite ?? {});
  endpoints.forEach((address, index) => {
    const path = `mirrors.${JSON.stringify(key)}.endpoint[${index}]`;
    const normalized = normalizeFor(address, context);
    if (!normalized.ok) {
      context.warnings.push(
        warning(
          "hosts-invalid-endpoint",
          path,
          `invalid endpoint URL ${JSON.stringify(address)} is ignored: ${normalized.error}`,
        ),
      );
      return;
    }
    const { endpoint } = normalized;
    if (seen.has(endpoint.url)) {
      context.warnings.push(
        warning(
          "hosts-duplicate-endpoint",
          path,
          `duplicate endpoint URL ${JSON.stringify(address)} is skipped (${endpoint.url})`,
        ),
      );
      return;
    }
    seen.add(endpoint.url);
    const applied = configForHost(context.configs, registryNameOf(endpoint));
    // The embedded registry serves images under their original names: never rewritten.
    const rewrites = endpoint.host === context.embeddedAddress ? {} : (mirror.rewrite ?? {});
    const isLast = index === endpoints.length - 1;
    if (isLast && entry.default?.endpoint?.url === endpoint.url) {
      entry.default = { kind: "url", ...serverLine(endpoint), ...applied, foldedRewrites: rewrites };
      return;
    }
    const host = containerdHostOf(endpoint);
    const hasRules = Object.keys(rewrites).length > 0;
    if (hasRules && !written.ok) entry.unreadable ??= written.error;
    const rules = hasRules && written.ok ? written.rules : [];
    entry.mirrors.push({ endpoint, host, ...applied, rewrites, rules });
  });
}

/** The host K3s uses for the config lookup: the host as written, `docker.io` for Docker Hub. */
function registryNameOf(endpoint: NormalizedEndpoint): string {
  return endpoint.host === DOCKER_HUB_DEFAULT_HOST ? DOCKER_HUB : endpoint.host;
}

/** An entry without mirrors whose default carries nothing produces no hosts.toml. */
function withoutEmptyEntries(entries: Map<string, MutableEntry>): Record<string, HostEntry> {
  const hosts: Record<string, HostEntry> = {};
  for (const directory of [...entries.keys()].sort()) {
    const entry = entries.get(directory) as MutableEntry;
    if (entry.mirrors.length === 0 && !defaultHasConfig(entry.default)) continue;
    const unreadable = entry.unreadable === undefined ? {} : { unreadable: entry.unreadable };
    hosts[directory] = { directory, default: entry.default, mirrors: entry.mirrors, ...unreadable };
  }
  return hosts;
}

function defaultHasConfig(endpoint: DefaultEndpoint | undefined): boolean {
  if (!endpoint) return false;
  const config = endpoint.config ?? {};
  const hasRewrites = Object.keys(endpoint.foldedRewrites ?? {}).length > 0;
  return (
    Boolean(endpoint.endpoint?.overridePath) || Boolean(config.auth) || Boolean(config.tls) || hasRewrites
  );
}

function warning(code: string, path: string, message: string): Diagnostic {
  return { severity: "warning", code, path, message };
}
