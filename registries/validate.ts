/**
 * The validation rules of docs/registries.md#what-harbor-mirror-validate-checks: every way a registries.yaml
 * can break a node, silently lose a mirror or credential, or behave non-deterministically. Pure: no I/O.
 */
import { docs } from "./docs";
import { hazardEffect, hostsTomlHazard, type RewriteField } from "./hosts-toml";
import { Diagnostic, Severity } from "./diagnostics";
import {
  containerdHostOf,
  defaultEndpointFor,
  hostnameOf,
  isBareHostPort,
  normalizeEndpointAddress,
  NormalizedEndpoint,
  parseGoUrl,
} from "./endpoint";
import { isApplyTimeValue, Mirror, RegistriesFile, RegistryConfig, RegistryString } from "./model";
import {
  entryPath,
  fieldPath,
  indexPath,
  parseRegistriesYaml,
  SourcePosition,
  SourcePositions,
} from "./parse";
import { analyseOverlaps } from "./regex-intersection";
import { onlyRepositoryPaths, ruleLanguage, type RuleLanguage } from "./rule-language";
import { compileRewritePattern, CompiledPattern, groupNumber, templateReferences } from "./rewrite";

const WILDCARD = "*";
const DEFAULT_API_ROOT = "/v2";
const DOCKER_HUB_HOSTS = ["docker.io", "registry-1.docker.io"];

/** Node settings that change what a registries.yaml does. */
export interface NodeRegistryOptions {
  /** `disable-default-registry-endpoint` is set on the node. @default false */
  readonly disableDefaultEndpoint?: boolean;
  /** `embedded-registry` (Spegel) is enabled on the servers. @default false */
  readonly embeddedRegistry?: boolean;
}

/** Parses and validates a registries.yaml text; diagnostics in source order. */
export function validateRegistriesYaml(text: string, options: NodeRegistryOptions = {}): Diagnostic[] {
  const parsed = parseRegistriesYaml(text);
  const diagnostics = [
    ...parsed.diagnostics,
    ...validateRegistriesFile(parsed.file, parsed.positions, options),
  ];
  return diagnostics
    .map((diagnostic, index) => ({ diagnostic, index }))
    .sort((a, b) => compareBySource(a.diagnostic, b.diagnostic) || a.index - b.index)
    .map(({ diagnostic }) => diagnostic);
}

/** Validates a parsed or generated file; `positions` adds line and column to each diagnostic. */
export function validateRegistriesFile(
  file: RegistriesFile,
  positions?: SourcePositions,
  options: NodeRegistryOptions = {},
): Diagnostic[] {
  const report = new Reporter(positions);
  const mirrors = Object.entries(file.mirrors ?? {});
  const configs = file.configs ?? {};
  for (const [registry, mirror] of mirrors) validateMirror(report, registry, mirror, configs);
  for (const [host, config] of Object.entries(configs)) validateConfig(report, host, config);
  warnConfigsShadowingWildcard(report, file);
  if (options.disableDefaultEndpoint && !options.embeddedRegistry) warnUselessDisableDefault(report, file);
  return report.diagnostics;
}

/** Without endpoints there is nothing to replace the upstream with: K3s drops the entry. */
function warnUselessDisableDefault(report: Reporter, file: RegistriesFile): void {
  for (const [registry, mirror] of Object.entries(file.mirrors ?? {})) {
    if ((mirror?.endpoint ?? []).length > 0) continue;
    report.warn(
      entryPath("mirrors", registry),
      `disable-default-registry-endpoint has no effect on ${JSON.stringify(registry)}: the mirror has no endpoints ` +
        "and the embedded registry is off, so RKE2 writes nothing for it and pulls still go to the upstream",
      "registries-disable-default-no-effect",
      "key",
    );
  }
}

function compareBySource(a: Diagnostic, b: Diagnostic): number {
  return (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);
}

type At = "key" | "value";

class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly positions?: SourcePositions) {}

  error(path: string, message: string, code: string, at: At = "value"): void {
    this.add("error", path, message, code, at);
  }

  warn(path: string, message: string, code: string, at: At = "value"): void {
    this.add("warning", path, message, code, at);
  }

  private add(severity: Severity, path: string, message: string, code: string, at: At): void {
    this.diagnostics.push({ severity, code, path, message, ...this.positionOf(path, at) });
  }

  private positionOf(path: string, at: At): SourcePosition | undefined {
    const [first, second] = at === "key" ? (["keys", "values"] as const) : (["values", "keys"] as const);
    return this.positions?.[first].get(path) ?? this.positions?.[second].get(path);
  }
}

// ---------------------------------------------------------------------------------------------
// Keys and host names
// ---------------------------------------------------------------------------------------------

/** Mirror and config keys are looked up as exact `host[:port]` strings. */
function validateRegistryKey(report: Reporter, section: "mirrors" | "configs", key: string): void {
  const path = entryPath(section, key);
  if (key !== WILDCARD && !isBareHostPort(key)) {
    report.error(
      path,
      `${JSON.stringify(key)} is not a registry key: use "*" or a bare host[:port] such as "docker.io" or ` +
        `"harbor.example.com:8443" (no scheme, no path; containerd matches the image's registry host exactly)`,
      "registries-key-not-host",
      "key",
    );
    return;
  }
  warnMixedCase(report, path, key, "key");
}

function warnMixedCase(report: Reporter, path: string, host: string, at: At): void {
  if (host === host.toLowerCase()) return;
  report.warn(
    path,
    `host ${JSON.stringify(host)} contains upper-case letters; RKE2 and containerd match hosts case-sensitively, ` +
      `so write it as ${JSON.stringify(host.toLowerCase())}`,
    "registries-host-upper-case",
    at,
  );
}

// ---------------------------------------------------------------------------------------------
// Mirrors: endpoints
// ---------------------------------------------------------------------------------------------

interface KeptEndpoint {
  readonly index: number;
  readonly endpoint: NormalizedEndpoint;
}

function validateMirror(
  report: Reporter,
  registry: string,
  mirror: Mirror | null,
  configs: Readonly<Record<string, RegistryConfig | null>>,
): void {
  validateRegistryKey(report, "mirrors", registry);
  const path = entryPath("mirrors", registry);
  const kept = validateEndpoints(report, path, mirror?.endpoint ?? []);
  for (const { index, endpoint } of kept) {
    const endpointPath = indexPath(fieldPath(path, "endpoint"), index);
    warnEndpointConfigNearMiss(report, endpointPath, endpoint.host, registry, configs);
    warnHttpWithTls(report, endpointPath, endpoint, configs);
  }
  const rewrite = mirror?.rewrite ?? {};
  if (Object.keys(rewrite).length === 0) return;
  validateRewrites(report, fieldPath(path, "rewrite"), rewrite);
  warnDroppedRewrites(report, path, registry, kept);
}

/** Errors for endpoints K3s would skip or mis-key; returns the endpoints K3s keeps, in order. */
function validateEndpoints(
  report: Reporter,
  mirrorPath: string,
  endpoints: readonly string[],
): KeptEndpoint[] {
  const kept: KeptEndpoint[] = [];
  const seen = new Map<string, number>();
  const seenRoots = new Map<string, number>();
  endpoints.forEach((address, index) => {
    const path = indexPath(fieldPath(mirrorPath, "endpoint"), index);
    const endpoint = checkEndpoint(report, path, address);
    if (!endpoint) return;
    const first = seen.get(endpoint.url);
    if (first !== undefined) {
      report.warn(
        path,
        `duplicate endpoint: ${JSON.stringify(address)} normalizes to ${endpoint.url}, the same as endpoint[${first}]; ` +
          "RKE2 skips it",
        "registries-duplicate-endpoint",
      );
      return;
    }
    seen.set(endpoint.url, index);
    const apiRoot = containerdHostOf(endpoint).url;
    warnSameApiRoot(report, path, address, apiRoot, seenRoots.get(apiRoot));
    if (!seenRoots.has(apiRoot)) seenRoots.set(apiRoot, index);
    kept.push({ index, endpoint });
  });
  return kept;
}

/** RKE2 keeps both (their written URLs differ), but containerd cleans them to one API root. */
function warnSameApiRoot(
  report: Reporter,
  path: string,
  address: string,
  apiRoot: string,
  first: number | undefined,
): void {
  if (first === undefined) return;
  report.warn(
    path,
    `duplicate endpoint: containerd cleans ${JSON.stringify(address)} to the API root ${apiRoot}, the same as ` +
      `endpoint[${first}], and tries that host twice; remove one`,
    "registries-duplicate-endpoint",
  );
}

function checkEndpoint(report: Reporter, path: string, address: string): NormalizedEndpoint | undefined {
  const normalized = normalizeEndpointAddress(address);
  if (!normalized.ok) {
    report.error(
      path,
      `endpoint ${JSON.stringify(address)} is not a valid URL (${normalized.error}); RKE2 skips it`,
      "registries-endpoint-invalid-url",
    );
    return undefined;
  }
  const problem = endpointProblem(address, normalized.endpoint);
  if (problem) {
    report.error(
      path,
      `endpoint ${JSON.stringify(address)}: ${problem}; write it as https://host[:port]`,
      "registries-endpoint-shape",
    );
    return undefined;
  }
  warnMixedCase(report, path, normalized.endpoint.host, "value");
  const read = containerdHostOf(normalized.endpoint);
  if (read.path !== DEFAULT_API_ROOT) {
    report.warn(
      path,
      `endpoint path ${JSON.stringify(normalized.endpoint.path)} becomes containerd's API root ${read.url} ` +
        `(override_path), not a repository prefix (${docs("registries.md#a-path-in-an-endpoint-is-the-api-root")}); use the registry root plus a rewrite rule`,
      "registries-endpoint-override-path",
    );
  }
  return normalized.endpoint;
}

/** The parts K3s keeps but containerd drops or misparses. */
function endpointProblem(address: string, endpoint: NormalizedEndpoint): string | undefined {
  const parsed = parseGoUrl(address.includes("://") ? address : `//${address}`);
  if (!parsed.ok) return parsed.error;
  const url = parsed.url;
  if (!["http", "https"].includes(endpoint.scheme)) {
    return `scheme ${JSON.stringify(endpoint.scheme)} is not allowed (only http and https)`;
  }
  if (endpoint.host === "" || url.opaque !== "") return "the host is empty";
  if (url.userinfo !== undefined)
    return "userinfo (user:password@) is not allowed; put credentials under configs";
  if (url.rawQuery !== "" || url.forceQuery) return "a query (?…) is not allowed";
  if (url.fragment !== "" || address.includes("#")) return "a fragment (#…) is not allowed";
  return undefined;
}

/** Auth and TLS are looked up by the endpoint's exact host (k3s#3937). */
function warnEndpointConfigNearMiss(
  report: Reporter,
  path: string,
  host: string,
  registry: string,
  configs: Readonly<Record<string, RegistryConfig | null>>,
): void {
  const keys = Object.keys(configs);
  if (configKeysFor(host).some((key) => keys.includes(key))) return;
  const nearMiss = keys.find(
    (key) => key !== WILDCARD && (hostnameOf(key) === hostnameOf(host) || key === registry),
  );
  if (!nearMiss) return;
  report.warn(
    path,
    `no configs entry for the endpoint host ${JSON.stringify(host)}, but there is one for ${JSON.stringify(nearMiss)}; ` +
      `configs are keyed by the exact host[:port] of the endpoint contacted, so key it ${JSON.stringify(host)}`,
    "registries-configs-host-mismatch",
  );
}

/** `configForHost` also finds Docker Hub's config under either of its names. */
function configKeysFor(host: string): string[] {
  return DOCKER_HUB_HOSTS.includes(host) ? DOCKER_HUB_HOSTS : [host];
}

function configFor(
  configs: Readonly<Record<string, RegistryConfig | null>>,
  host: string,
): RegistryConfig | null {
  const key = configKeysFor(host).find((candidate) => configs[candidate]);
  return key === undefined ? null : configs[key];
}

function warnHttpWithTls(
  report: Reporter,
  path: string,
  endpoint: NormalizedEndpoint,
  configs: Readonly<Record<string, RegistryConfig | null>>,
): void {
  if (endpoint.scheme !== "http" || !configFor(configs, endpoint.host)?.tls) return;
  report.warn(
    path,
    `http endpoint ${endpoint.url} has TLS settings in configs; containerd then tries HTTPS first; ` +
      "remove the tls block or use https",
    "registries-http-endpoint-with-tls",
  );
}

/** Rewrites apply only to mirror endpoints, never to the default endpoint. */
function warnDroppedRewrites(
  report: Reporter,
  mirrorPath: string,
  registry: string,
  kept: readonly KeptEndpoint[],
): void {
  const rewritePath = fieldPath(mirrorPath, "rewrite");
  if (kept.length === 0) {
    report.warn(
      rewritePath,
      "rewrite on a mirror without (valid) endpoints has no effect; add an endpoint",
      "registries-rewrite-without-endpoints",
      "key",
    );
    return;
  }
  const defaultEndpoint = registry === WILDCARD ? undefined : defaultEndpointFor(registry);
  const onlyIsDefault =
    kept.length === 1 && defaultEndpoint?.ok && defaultEndpoint.endpoint.url === kept[0].endpoint.url;
  if (!onlyIsDefault) return;
  report.warn(
    rewritePath,
    `the only endpoint normalizes to ${kept[0].endpoint.url}, the registry's default endpoint, so RKE2 folds it ` +
      "into the default and drops these rewrites; list an endpoint that differs (e.g. with an explicit :443)",
    "registries-endpoint-folded-into-default",
    "key",
  );
}

// ---------------------------------------------------------------------------------------------
// Mirrors: rewrite rules
// ---------------------------------------------------------------------------------------------

interface CompiledRule {
  readonly pattern: string;
  readonly path: string;
}

function validateRewrites(
  report: Reporter,
  rewritePath: string,
  rewrite: Readonly<Record<string, string>>,
): void {
  const valid: CompiledRule[] = [];
  for (const [pattern, replacement] of Object.entries(rewrite)) {
    const path = entryPath(rewritePath, pattern);
    const compiled = validatePattern(report, path, pattern);
    const replacementOk = checkTomlHazard(report, path, "replacement", replacement, "value");
    if (!compiled) continue;
    if (replacementOk) warnTemplateReferences(report, path, compiled, replacement);
    valid.push({ pattern, path });
  }
  warnOverlappingRules(report, rewritePath, valid);
}

type ValidPattern = Extract<CompiledPattern, { ok: true }>;

/** The compiled pattern when containerd would compile it and hosts.toml would carry it intact. */
function validatePattern(report: Reporter, path: string, pattern: string): ValidPattern | undefined {
  if (!checkTomlHazard(report, path, "pattern", pattern, "key")) return undefined;
  if (pattern.includes("(?<")) {
    report.error(
      path,
      `pattern ${JSON.stringify(pattern)} uses "(?<": lookbehind is not RE2, and (?<name>…) needs RKE2 built ` +
        "with Go 1.22+; write named groups as (?P<name>…)",
      "registries-pattern-lookbehind",
      "key",
    );
    return undefined;
  }
  const compiled = compileRewritePattern(pattern);
  if (!compiled.ok) {
    report.error(
      path,
      `pattern ${JSON.stringify(pattern)} is not valid RE2 (Go regexp): ${compiled.error}; containerd skips it at ` +
        "pull time (no lookaround, no backreferences)",
      "registries-pattern-invalid",
      "key",
    );
    return undefined;
  }
  if (!pattern.startsWith("^")) {
    report.warn(
      path,
      `pattern ${JSON.stringify(pattern)} is not anchored: containerd replaces every match in the repository; ` +
        `start it with "^"`,
      "registries-pattern-unanchored",
      "key",
    );
  }
  return compiled;
}

function checkTomlHazard(report: Reporter, path: string, what: RewriteField, text: string, at: At): boolean {
  const hazard = hostsTomlHazard(text, what);
  if (hazard === undefined) return true;
  report.error(
    path,
    `${what} ${JSON.stringify(text)} contains ${hazard.what}: RKE2 writes it unescaped into hosts.toml, ` +
      `where ${hazardEffect(hazard)}; use a character class such as [.] or [0-9] instead of a backslash escape`,
    "registries-hosts-toml-hazard",
    at,
  );
  return false;
}

/** Go `Regexp.Expand` reads `$name` greedily and expands unknown groups to "". */
function warnTemplateReferences(
  report: Reporter,
  path: string,
  compiled: ValidPattern,
  replacement: string,
): void {
  const pattern = compiled.pattern;
  const groupCount = compiled.regex.groupCount();
  const names = Object.keys(compiled.regex.namedGroups());
  for (const reference of templateReferences(replacement)) {
    const ambiguous = /^([0-9]+)([A-Za-z_].*)$/.exec(reference.name);
    if (!reference.braced && ambiguous) {
      report.warn(
        path,
        `replacement ${JSON.stringify(replacement)}: $${reference.name} names the group "${reference.name}", not ` +
          `$${ambiguous[1]} followed by "${ambiguous[2]}"; write \${${ambiguous[1]}}${ambiguous[2]}`,
        "registries-replacement-ambiguous-group",
      );
    } else if (!groupExists(reference.name, groupCount, names)) {
      report.warn(
        path,
        `replacement ${JSON.stringify(replacement)} refers to group ${JSON.stringify(reference.name)}, which pattern ` +
          `${JSON.stringify(pattern)} does not have (${groupCount} groups); it expands to ""`,
        "registries-replacement-missing-group",
      );
    }
  }
}

function groupExists(name: string, groupCount: number, names: readonly string[]): boolean {
  const number = groupNumber(name);
  return number >= 0 ? number <= groupCount : names.includes(name);
}

/** containerd tries a mirror's rules in random order; only disjoint rules are deterministic. */
function warnOverlappingRules(report: Reporter, rewritePath: string, rules: readonly CompiledRule[]): void {
  const overlap = firstOverlap(rules.map((rule) => rule.pattern));
  if (!overlap) return;
  const [first, second] = overlap.patterns.map((pattern) => JSON.stringify(pattern));
  const relation =
    overlap.witness === undefined
      ? "are not provably disjoint"
      : `overlap (both match the repository ${JSON.stringify(overlap.witness)})`;
  report.warn(
    rewritePath,
    `rules ${first} and ${second} ${relation}: containerd tries a mirror's rules in random order and the first ` +
      `that changes the repository wins (${docs("registries.md#rewrites")}); use one anchored rule, or rules anchored on literal ` +
      'prefixes none of which is a prefix of another (e.g. "^team-a/" and "^team-b/")',
    "registries-rules-overlap",
    "key",
  );
}

interface Overlap {
  readonly patterns: readonly [string, string];
  /** A repository both rules match; absent when the patterns are beyond the checker's syntax subset. */
  readonly witness?: string;
}

/** One analysis over all rules (not pairwise), so validating grows with the rules' size, not its square. */
function firstOverlap(patterns: readonly string[]): Overlap | undefined {
  const languages = patterns.map((pattern) => ruleLanguage(pattern));
  const untranslatable = languages.findIndex((language) => !language.ok);
  if (untranslatable >= 0 && patterns.length > 1) {
    const other = patterns[untranslatable === 0 ? 1 : 0];
    return { patterns: [patterns[untranslatable], other] };
  }
  const searches = languages.map((language) =>
    onlyRepositoryPaths((language as { language: RuleLanguage }).language.search),
  );
  const overlaps = analyseOverlaps(searches);
  const later = overlaps.findIndex((result) => result.earlier.size > 0);
  if (later < 0) return undefined;
  const [earlier, witness] = [...overlaps[later].earlier.entries()][0];
  return { patterns: [patterns[earlier], patterns[later]], witness };
}

// ---------------------------------------------------------------------------------------------
// Configs
// ---------------------------------------------------------------------------------------------

function validateConfig(report: Reporter, host: string, config: RegistryConfig | null): void {
  validateRegistryKey(report, "configs", host);
  const path = entryPath("configs", host);
  if (config?.auth) {
    if (host === WILDCARD) {
      report.error(
        fieldPath(path, "auth"),
        `configs."*".auth is not supported: containerd looks credentials up by exact host (${docs("registries.md#auth-and-tls-are-looked-up-by-the-endpoint-host")}); ` +
          "key the credentials by the endpoint host instead",
        "registries-wildcard-auth",
        "key",
      );
    }
    validateAuthString(report, fieldPath(fieldPath(path, "auth"), "auth"), config.auth.auth);
  }
  if (config?.tls?.cert_file && !config.tls.key_file) {
    report.warn(
      fieldPath(fieldPath(path, "tls"), "cert_file"),
      "cert_file without key_file: wharfie (RKE2's bootstrap pull) fails, containerd only works if the file also " +
        "holds the key; set key_file",
      "registries-cert-without-key",
      "key",
    );
  }
}

/** containerd `ParseAuth`: standard base64 of `user:password`. */
function validateAuthString(report: Reporter, path: string, auth: RegistryString | undefined): void {
  if (auth === undefined || isApplyTimeValue(auth)) return;
  const isBase64 = auth.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(auth);
  if (isBase64 && Buffer.from(auth, "base64").toString("utf8").includes(":")) return;
  report.error(
    path,
    'auth must be the standard base64 encoding of "user:password" (containerd rejects anything else); ' +
      `got a value of ${auth.length} characters${isBase64 ? " that decodes without a ':'" : " that is not valid base64"}`,
    "registries-auth-not-base64",
  );
}

/** A `configs` entry makes its own certs.d directory, which hides the `"*"` mirror. */
function warnConfigsShadowingWildcard(report: Reporter, file: RegistriesFile): void {
  const mirrors = file.mirrors ?? {};
  if (!(WILDCARD in mirrors)) return;
  // Configs for the hosts of mirror endpoints are needed for auth and TLS there: not shadowing by mistake.
  const endpointHosts = Object.values(mirrors).flatMap((mirror) =>
    (mirror?.endpoint ?? []).flatMap((address) => {
      const normalized = normalizeEndpointAddress(address);
      return normalized.ok ? configKeysFor(normalized.endpoint.host) : [];
    }),
  );
  for (const [host, config] of Object.entries(file.configs ?? {})) {
    // An entry without auth or tls is dropped by K3s: no directory, nothing hidden.
    const createsDirectory = Boolean(config?.auth || config?.tls);
    if (!createsDirectory || host === WILDCARD || host in mirrors || endpointHosts.includes(host)) continue;
    report.warn(
      entryPath("configs", host),
      `configs.${JSON.stringify(host)} makes RKE2 write certs.d/${host}, so images from ${host} no longer use the ` +
        `"*" mirror; add a mirrors entry for ${JSON.stringify(host)} or remove this config`,
      "registries-configs-shadow-wildcard",
      "key",
    );
  }
}
