/**
 * Harbor upstream (registry endpoint) types and the defaults harbor-mirror picks per registry host
 * (docs/configuration.md#default-provider-and-endpoint-by-registry-host,
 * docs/harbor.md#proxy-cache-upstream-types).
 */
import { docs } from "../registries/docs";

/**
 * Types Harbor accepts as a proxy-cache upstream. quay is kept because
 * Harbor ≤ 2.13 permits it and 2.14+ can be configured to; `upstreamWarnings` explains.
 */
const PROXY_CAPABLE_TYPES = [
  "docker-hub",
  "docker-registry",
  "harbor",
  "github",
  "quay",
  "aws",
  "azure",
  "google",
  "alibaba",
  "jfrog",
] as const;

/** The terraform provider's `provider_name` aliases: the proxy-capable ones and the rest. */
export const HARBOR_PROVIDER_TYPES = [
  ...PROXY_CAPABLE_TYPES,
  "gitlab",
  "helm",
  "artifact-hub",
  "huawei",
] as const;

export type HarborProviderType = (typeof HARBOR_PROVIDER_TYPES)[number];

export const PROXY_CACHE_PROVIDER_TYPES: readonly HarborProviderType[] = PROXY_CAPABLE_TYPES;

export function isHarborProviderType(value: string): value is HarborProviderType {
  return (HARBOR_PROVIDER_TYPES as readonly string[]).includes(value);
}

export function isProxyCacheProviderType(value: string): value is HarborProviderType {
  return (PROXY_CACHE_PROVIDER_TYPES as readonly string[]).includes(value);
}

export interface UpstreamDefaults {
  readonly provider: HarborProviderType;
  readonly endpointUrl: string;
}

/** Hosts whose default differs from the generic rule; checked before the suffix rules. */
const EXACT_HOST_DEFAULTS: Readonly<Record<string, UpstreamDefaults>> = {
  "docker.io": { provider: "docker-hub", endpointUrl: "https://hub.docker.com" },
  "ghcr.io": { provider: "github", endpointUrl: "https://ghcr.io" },
  "quay.io": { provider: "quay", endpointUrl: "https://quay.io" },
  // k8s.gcr.io is the old Kubernetes registry, a plain distribution registry, not GCR proper.
  "k8s.gcr.io": { provider: "docker-registry", endpointUrl: "https://k8s.gcr.io" },
  "registry.k8s.io": { provider: "docker-registry", endpointUrl: "https://registry.k8s.io" },
};

function isGoogleHost(host: string): boolean {
  return host === "gcr.io" || host.endsWith(".gcr.io") || host.endsWith(".pkg.dev");
}

/** The provider type and endpoint used when an upstream does not name them. */
export function defaultUpstream(registry: string): UpstreamDefaults {
  const host = registry.toLowerCase();
  const exact = EXACT_HOST_DEFAULTS[host];
  if (exact) return exact;
  const provider: HarborProviderType = isGoogleHost(host) ? "google" : "docker-registry";
  return { provider, endpointUrl: `https://${host}` };
}

/** Version-dependent caveats of an upstream choice, for the user to read (not errors). */
export function upstreamWarnings(registry: string, provider: HarborProviderType): string[] {
  const warnings: string[] = [];
  if (provider === "quay") {
    warnings.push(
      `upstream ${registry}: Harbor 2.14+ does not permit provider type "quay" as a proxy-cache upstream ` +
        `by default (${docs("harbor.md#proxy-cache-upstream-types")}); add quay to PERMITTED_REGISTRY_TYPES_FOR_PROXY_CACHE or use ` +
        `provider "docker-registry"`,
    );
  }
  if (provider === "docker-registry" && registry.toLowerCase() === "quay.io") {
    warnings.push(
      `upstream ${registry}: proxying quay.io through the generic "docker-registry" type is unconfirmed ` +
        `(${docs("harbor.md#proxy-cache-upstream-types")}, goharbor/harbor#21795); test a pull before relying on it`,
    );
  }
  if (provider === "alibaba") {
    warnings.push(
      `upstream ${registry}: provider type "alibaba" is a proxy-cache upstream only on Harbor 2.12+`,
    );
  }
  return warnings;
}

const DNS_LABEL = "[a-z0-9](?:[a-z0-9-]*[a-z0-9])?";
const REGISTRY_HOST = new RegExp(`^${DNS_LABEL}(?:[.]${DNS_LABEL})*(?::([0-9]{1,5}))?$`);

/**
 * A registry host as it appears in image names and as the `mirrors` key: lower-case DNS labels
 * and an optional port (matching on nodes is case-sensitive).
 */
export function registryHostProblem(host: string): string | undefined {
  if (host !== host.toLowerCase()) return "must be lowercase (registry names are matched case-sensitively)";
  const match = REGISTRY_HOST.exec(host);
  if (!match) return "must be a bare registry host[:port] as it appears in image names, e.g. `docker.io`";
  const port = match[1] === undefined ? undefined : Number(match[1]);
  return port !== undefined && (port < 1 || port > 65535) ? "the port must be 1–65535" : undefined;
}

/** The default proxy project of a registry: its host without the port (Harbor names have no `:`). */
export function defaultProjectName(registry: string): string {
  return registry.replace(/:[0-9]+$/, "");
}
