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
import { parseImageReference, type ImageReference } from "./image-reference";
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
  const key = JSON.stringify([options.disableDefaultEndpoint ?? false, options.embeddedRegistry ?? null]);
  const perOptions = hostConfigsCache.get(file) ?? new Map<string, HostConfigs>();
  hostConfigsCache.set(file, perOptions);
  const cached = perOptions.get(key) ?? getHostConfigs(file, options);
  perOptions.set(key, cached);
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

/** containerd's built-in default for the registry (https, `/v2`, docker.io → registry-1.docker.io). */
function builtInDefault(context: Context): ContainerdHost {
  const normalized = normalizeEndpointAddress(context.reference.registry);
  if (!normalized.ok) throw new Error(`registry ${context.reference.registry}: ${normalized.error}`);
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
  const candidates = [...new Set(results.map((result) => result.repository))].sort();
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
  const path = posix.join("/", endpoint.path, repository, "manifests", context.reference.object);
  const registry = context.reference.registry;
  const namespace = isMirror && endpoint.host !== registry ? `?ns=${registry}` : "";
  return `${endpoint.scheme}://${endpoint.host}${path}${namespace}`;
}

/** Credentials are looked up by the host actually contacted, never by the mirror key. */
function authFor(endpoint: ContainerdHost, context: Context): string | null {
  const host = endpoint.host === "registry-1.docker.io" ? "docker.io" : endpoint.host;
  const applied = configForHost(context.configs, host);
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

/** hosts.toml decodes TOML escapes, so containerd compiles other text than the file shows. */
function warnAboutDecodedRules(entry: HostEntry, mirrorKey: string, context: Context): void {
  const mirror = entry.mirrors.find((candidate) => candidate.rules.length > 0);
  for (const rule of mirror?.rules ?? []) {
    const replacement = mirror?.rewrites[rule.written];
    if (rule.pattern === rule.written && rule.replacement === replacement) continue;
    context.warnings.add(
      `${mirrorPath(mirrorKey)}.rewrite: hosts.toml decodes the rule ${JSON.stringify(rule.written)}: ` +
        `${JSON.stringify(replacement ?? null)} to ${JSON.stringify(rule.pattern)}: ${JSON.stringify(rule.replacement)}, ` +
        `and that is what containerd compiles (${docs("registries.md#backslashes-and-quotes-break-hoststoml")})`,
    );
  }
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
