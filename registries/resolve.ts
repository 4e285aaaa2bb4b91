/**
 * The resolution simulator (docs/registries.md#what-harbor-mirror-resolve-reports): what a node with a given
 * registries.yaml contacts, in order, for one image, and with which repository path, rule and credentials.
 * The result is exactly the `resolve --json` object. Pure and cached: safe to call per image.
 */
import { posix } from "node:path";
import { docs } from "./docs";
import { normalizeEndpointAddress, type ContainerdHost } from "./endpoint";
import {
  configForHost,
  getHostConfigs,
  WILDCARD,
  WILDCARD_DIRECTORY,
  type HostConfigs,
  type HostEntry,
  type HostOptions,
  type MirrorEndpoint,
} from "./hosts";
import { isRepositoryPath, parseImageReference, type ImageReference } from "./image-reference";
import type { RegistriesFile, RegistryConfig } from "./model";
import { rewriteOutcomes } from "./rewrite";

/** One endpoint containerd tries, in order (`attempts[]` of `resolve --json`). */
export interface ResolveAttempt {
  /** API root: `scheme://host[:port]/v2`, or the endpoint's override path. */
  readonly endpoint: string;
  /** Repository path sent to this endpoint; `null` when rules disagree (see `candidates`). */
  readonly repository: string | null;
  /** Manifest URL; `null` when the repository is not determined. */
  readonly url: string | null;
  /** The rewrite rule that produced `repository`, `null` when none applied. */
  readonly rule: string | null;
  /** The `configs` key whose credentials are sent, `null` for anonymous. Never the secret. */
  readonly auth: string | null;
  /** Sorted possible repositories when several rules rewrite differently (random winner). */
  readonly candidates?: readonly string[];
}

/** `resolve --json`, one per image. */
export interface ResolveResult {
  readonly image: string;
  readonly reference: string;
  readonly registry: string;
  readonly repository: string;
  readonly deterministic: boolean;
  readonly attempts: readonly ResolveAttempt[];
  readonly warnings: readonly string[];
}

/** The node settings that change resolution besides the file. */
export type ResolveOptions = HostOptions;

type Configs = Readonly<Record<string, RegistryConfig | null>>;

interface Context {
  readonly reference: ImageReference;
  readonly configs: Configs;
  readonly warnings: Set<string>;
}

/** Simulates containerd's resolution of `image` on a node with `file`. Throws on an invalid image name. */
export function resolveImage(
  image: string,
  file: RegistriesFile,
  options: ResolveOptions = {},
): ResolveResult {
  return resolveOnHosts(image, hostConfigsOf(file, options), file.configs ?? {});
}

/**
 * The same simulation on a host model read another way (a containerd hosts directory, which
 * carries no credentials: `configs` is then empty). Throws on an invalid image name.
 */
export function resolveOnHosts(
  image: string,
  hostConfigs: HostConfigs,
  configs: Configs = {},
): ResolveResult {
  const reference = parseImageReference(image);
  const context: Context = { reference, configs, warnings: new Set() };
  const attempts = attemptsFor(hostConfigs, context);
  warnAboutWildcardAuth(context);
  return {
    image,
    reference: reference.reference,
    registry: reference.registry,
    repository: reference.repository,
    deterministic: attempts.every((attempt) => attempt.candidates === undefined),
    attempts,
    warnings: [...context.warnings],
  };
}

// The host model depends only on the file and the flag: build it once per file, not per image.
const hostConfigsCache = new WeakMap<RegistriesFile, Map<string, HostConfigs>>();

function hostConfigsOf(file: RegistriesFile, options: ResolveOptions): HostConfigs {
  // Most callers pass no options: key them without serializing anything.
  const customized = options.disableDefaultEndpoint || options.embeddedRegistry;
  const key = customized
    ? JSON.stringify([options.disableDefaultEndpoint ?? false, options.embeddedRegistry])
    : "";
  let perOptions = hostConfigsCache.get(file);
  if (!perOptions) hostConfigsCache.set(file, (perOptions = new Map()));
  let cached = perOptions.get(key);
  if (!cached) perOptions.set(key, (cached = getHostConfigs(file, options)));
  return cached;
}

/** The registry's own directory, else `_default`, never both. */
function attemptsFor(hostConfigs: HostConfigs, context: Context): ResolveAttempt[] {
  const entry = hostConfigs.hosts[context.reference.registry] ?? hostConfigs.hosts[WILDCARD_DIRECTORY];
  if (!entry) return [defaultAttempt(builtInDefault(context), context)];
  const mirrorKey = entry.directory === WILDCARD_DIRECTORY ? WILDCARD : entry.directory;
  reportSkippedEndpoints(hostConfigs, mirrorKey, context);
  if (isUnreadableHostsToml(entry, mirrorKey, context))
    return [defaultAttempt(builtInDefault(context), context)];
  warnAboutFoldedRewrites(entry, mirrorKey, context);
  warnAboutDecodedRules(entry, mirrorKey, context);
  const attempts = entry.mirrors.map((mirror) => mirrorAttempt(mirror, mirrorKey, context));
  if (entry.default) attempts.push(defaultAttempt(entry.default.host ?? builtInDefault(context), context));
  return attempts;
}

/** Only the skipped endpoints of the entry actually used concern this image. */
function reportSkippedEndpoints(hostConfigs: HostConfigs, mirrorKey: string, context: Context): void {
  for (const warning of hostConfigs.warnings) {
    if (warning.path.startsWith(mirrorPath(mirrorKey)))
      context.warnings.add(`${warning.path}: ${warning.message}`);
  }
}

function mirrorPath(mirrorKey: string): string {
  return `mirrors.${JSON.stringify(mirrorKey)}`;
}

// A registry's built-in default never changes; images name few registries, so keep a bounded map.
const builtInDefaults = new Map<string, ContainerdHost>();
const BUILT_IN_DEFAULTS_MAX = 1024;

/** containerd's built-in default for the registry (https, `/v2`, docker.io → registry-1.docker.io). */
function builtInDefault(context: Context): ContainerdHost {
  const registry = context.reference.registry;
  const cached = builtInDefaults.get(registry);
  if (cached) return cached;
  const normalized = normalizeEndpointAddress(registry);
  if (!normalized.ok) throw new Error(`registry ${registry}: ${normalized.error}`);
  if (builtInDefaults.size >= BUILT_IN_DEFAULTS_MAX) builtInDefaults.clear();
  builtInDefaults.set(registry, normalized.endpoint);
  return normalized.endpoint;
}

function defaultAttempt(endpoint: ContainerdHost, context: Context): ResolveAttempt {
  const repository = context.reference.repository;
  return {
    endpoint: endpoint.url,
    repository,
    url: manifestUrl(endpoint, repository, context, false),
    rule: null,
    auth: authFor(endpoint, context),
  };
}

/** Applies the endpoint's rewrites as containerd decoded them; reports every changing rule. */
function mirrorAttempt(mirror: MirrorEndpoint, mirrorKey: string, context: Context): ResolveAttempt {
  const endpoint = mirror.host;
  const subject = context.reference.repository;
  const { results, invalid } = rewriteOutcomes(mirror.rules, subject);
  for (const { rule, error } of invalid) {
    context.warnings.add(
      `${mirrorPath(mirrorKey)}.rewrite: pattern ${JSON.stringify(rule)} does not compile as RE2 and is skipped by containerd (${docs("registries.md#rewrites")}): ${error}`,
    );
  }
  const base = { endpoint: endpoint.url, auth: authFor(endpoint, context) };
  // One changing rule (the usual case with compiled rules) needs no comparison.
  const candidates =
    results.length < 2 ? [] : [...new Set(results.map((result) => result.repository))].sort();
  if (candidates.length > 1) {
    context.warnings.add(
      `${mirrorPath(mirrorKey)}.rewrite: rules ${results.map((result) => JSON.stringify(result.rule)).join(", ")} ` +
        `rewrite ${JSON.stringify(subject)} differently; containerd applies one of them at random (${docs("registries.md#rewrites")})`,
    );
    return { endpoint: base.endpoint, repository: null, url: null, rule: null, auth: base.auth, candidates };
  }
  const winner = results[0];
  const repository = winner?.repository ?? subject;
  return {
    endpoint: base.endpoint,
    repository,
    url: manifestUrl(endpoint, repository, context, true),
    rule: winner?.rule ?? null,
    auth: base.auth,
  };
}

/** Clean-join of the API root, repository, `manifests` and reference; `?ns=` on mirrors of another host. */
function manifestUrl(
  endpoint: ContainerdHost,
  repository: string,
  context: Context,
  isMirror: boolean,
): string {
  const registry = context.reference.registry;
  const namespace = isMirror && endpoint.host !== registry ? `?ns=${registry}` : "";
  const object = context.reference.object;
  // A repository of the reference grammar has no empty, `.` or `..` segment (nor has a tag or
  // digest): appending it to the cleaned root is already the clean join.
  if (isRepositoryPath(repository)) return `${endpoint.url}/${repository}/manifests/${object}${namespace}`;
  const path = posix.join("/", endpoint.path, repository, "manifests", object);
  return `${endpoint.scheme}://${endpoint.host}${path}${namespace}`;
}

// The `configs` of a file are looked up per host again and again: remember the answer per file.
const authKeys = new WeakMap<Configs, Map<string, string | null>>();

/** Credentials are looked up by the host actually contacted, never by the mirror key. */
function authFor(endpoint: ContainerdHost, context: Context): string | null {
  let known = authKeys.get(context.configs);
  if (!known) authKeys.set(context.configs, (known = new Map()));
  let key = known.get(endpoint.host);
  if (key === undefined) known.set(endpoint.host, (key = authKeyFor(endpoint.host, context.configs)));
  return key;
}

function authKeyFor(endpointHost: string, configs: Configs): string | null {
  const host = endpointHost === "registry-1.docker.io" ? "docker.io" : endpointHost;
  const applied = configForHost(configs, host);
  return applied.config?.auth ? (applied.configKey ?? null) : null;
}

/** A hosts.toml containerd cannot decode is ignored; it then uses the plain default host. */
function isUnreadableHostsToml(entry: HostEntry, mirrorKey: string, context: Context): boolean {
  if (entry.unreadable === undefined) return false;
  context.warnings.add(
    `${mirrorPath(mirrorKey)}.rewrite: the rules break the generated hosts.toml (${entry.unreadable}); ` +
      `containerd ignores all mirrors of ${context.reference.registry} and uses only the default host (${docs("registries.md#backslashes-and-quotes-break-hoststoml")})`,
  );
  return true;
}

// The decoded rules of an entry never change: word their warnings once per entry, not per image.
const decodedRuleWarnings = new WeakMap<HostEntry, readonly string[]>();

/** hosts.toml decodes TOML escapes, so containerd compiles other text than the file shows. */
function warnAboutDecodedRules(entry: HostEntry, mirrorKey: string, context: Context): void {
  let warnings = decodedRuleWarnings.get(entry);
  if (!warnings) decodedRuleWarnings.set(entry, (warnings = decodedRuleWarningsOf(entry, mirrorKey)));
  for (const warning of warnings) context.warnings.add(warning);
}

function decodedRuleWarningsOf(entry: HostEntry, mirrorKey: string): string[] {
  const mirror = entry.mirrors.find((candidate) => candidate.rules.length > 0);
  return (mirror?.rules ?? [])
    .filter((rule) => rule.pattern !== rule.written || rule.replacement !== mirror?.rewrites[rule.written])
    .map(
      (rule) =>
        `${mirrorPath(mirrorKey)}.rewrite: hosts.toml decodes the rule ${JSON.stringify(rule.written)}: ` +
        `${JSON.stringify(mirror?.rewrites[rule.written] ?? null)} to ${JSON.stringify(rule.pattern)}: ` +
        `${JSON.stringify(rule.replacement)}, and that is what containerd compiles ` +
        `(${docs("registries.md#backslashes-and-quotes-break-hoststoml")})`,
    );
}

function warnAboutFoldedRewrites(entry: HostEntry, mirrorKey: string, context: Context): void {
  const folded = Object.keys(entry.default?.foldedRewrites ?? {});
  if (folded.length === 0 || !entry.default?.endpoint) return;
  context.warnings.add(
    `${mirrorPath(mirrorKey)}: the last endpoint equals the default endpoint ${entry.default.endpoint.url}, ` +
      `so it is folded into the default and its rewrites (${folded.map((rule) => JSON.stringify(rule)).join(", ")}) are never applied (${docs("registries.md#an-endpoint-equal-to-the-default-loses-its-rewrites")})`,
  );
}

function warnAboutWildcardAuth(context: Context): void {
  if (!context.configs[WILDCARD]?.auth) return;
  context.warnings.add(
    `configs."*".auth is not supported: containerd looks credentials up by exact host, so these credentials are never sent (${docs("registries.md#auth-and-tls-are-looked-up-by-the-endpoint-host")})`,
  );
}
