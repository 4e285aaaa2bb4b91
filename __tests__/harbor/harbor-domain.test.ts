/** harbor/ pure rules: naming (harbor.md §2.4, §3.4, §3.5) and upstream defaults (config.md table, harbor.md §3.1/§3.2). */
import { projectNameProblem, robotNameProblem } from "../../harbor/naming";
import {
  defaultUpstream,
  isProxyCacheProviderType,
  PROXY_CACHE_PROVIDER_TYPES,
  upstreamWarnings,
} from "../../harbor/upstreams";

describe("projectNameProblem (harbor.md §3.4)", () => {
  it.each([
    { rule: "registry host as name", name: "docker.io" },
    { rule: "digits and separators", name: "k8s.gcr.io" },
    { rule: "single character", name: "a" },
    { rule: "every separator kind", name: "a.b_c-d" },
    { rule: "255 characters is the maximum", name: "a".repeat(255) },
  ])("accepts $rule: $name", ({ name }) => {
    expect(projectNameProblem(name)).toBeUndefined();
  });

  it.each([
    { rule: "no upper case", name: "Docker.io", fragment: "lower-case" },
    { rule: "not empty", name: "", fragment: "not a valid Harbor name" },
    { rule: "no leading separator", name: "-docker", fragment: "not at the start or end" },
    { rule: "no trailing separator", name: "docker.", fragment: "not at the start or end" },
    { rule: "no two separators in a row", name: "docker..io", fragment: "single '.', '_' or '-'" },
    { rule: "no port colon", name: "registry:5000", fragment: "not a valid Harbor name" },
    { rule: "no slash", name: "docker/io", fragment: "not a valid Harbor name" },
    { rule: "at most 255 characters", name: "a".repeat(256), fragment: "Harbor allows 1 to 255 characters" },
  ])("rejects $rule", ({ name, fragment }) => {
    const problem = projectNameProblem(name);
    expect(problem).toContain(fragment);
    expect(problem).toContain(name.length > 255 ? "256 characters" : JSON.stringify(name));
  });
});

describe("robotNameProblem (harbor.md §2.4, §3.5)", () => {
  it.each(["harbor-mirror-pull", "puller", "k8s.pull_1"])("accepts %s", (name) => {
    expect(robotNameProblem(name)).toBeUndefined();
  });

  it.each([
    { rule: "the robot$ prefix is not part of the short name", name: "robot$pull" },
    { rule: "project-robot separator + is not allowed", name: "proj+pull" },
    { rule: "no upper case", name: "Pull" },
    { rule: "not empty", name: "" },
  ])("rejects $rule", ({ name }) => {
    expect(robotNameProblem(name)).toContain(`robot name ${JSON.stringify(name)}`);
  });
});

describe("defaultUpstream (config.md table)", () => {
  it.each([
    { registry: "docker.io", provider: "docker-hub", endpointUrl: "https://hub.docker.com" },
    { registry: "ghcr.io", provider: "github", endpointUrl: "https://ghcr.io" },
    { registry: "gcr.io", provider: "google", endpointUrl: "https://gcr.io" },
    { registry: "eu.gcr.io", provider: "google", endpointUrl: "https://eu.gcr.io" },
    { registry: "europe-docker.pkg.dev", provider: "google", endpointUrl: "https://europe-docker.pkg.dev" },
    { registry: "quay.io", provider: "quay", endpointUrl: "https://quay.io" },
    { registry: "registry.k8s.io", provider: "docker-registry", endpointUrl: "https://registry.k8s.io" },
    // k8s.gcr.io matches *.gcr.io too; its own row (docker-registry) is the more specific one.
    { registry: "k8s.gcr.io", provider: "docker-registry", endpointUrl: "https://k8s.gcr.io" },
    {
      registry: "registry.example.com:5000",
      provider: "docker-registry",
      endpointUrl: "https://registry.example.com:5000",
    },
    { registry: "notgcr.io", provider: "docker-registry", endpointUrl: "https://notgcr.io" },
  ])("$registry → $provider at $endpointUrl", ({ registry, provider, endpointUrl }) => {
    expect(defaultUpstream(registry)).toEqual({ provider, endpointUrl });
  });

  it("gives only proxy-cache permitted types as defaults", () => {
    for (const registry of ["docker.io", "ghcr.io", "gcr.io", "quay.io", "k8s.gcr.io", "example.com"]) {
      expect(isProxyCacheProviderType(defaultUpstream(registry).provider)).toBe(true);
    }
  });
});

describe("proxy-cache provider types (harbor.md §3.2)", () => {
  it.each(["gitlab", "helm", "artifact-hub", "huawei"])("%s cannot back a proxy cache", (type) => {
    expect(PROXY_CACHE_PROVIDER_TYPES).not.toContain(type);
  });

  it.each([
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
  ])("%s can back a proxy cache", (type) => {
    expect(isProxyCacheProviderType(type)).toBe(true);
  });
});

describe("upstreamWarnings (harbor.md §3.1)", () => {
  it.each([
    {
      rule: "quay is not permitted by default on Harbor 2.14+",
      registry: "quay.io",
      provider: "quay" as const,
      fragment: "Harbor 2.14+",
    },
    {
      rule: "quay.io via docker-registry is unconfirmed",
      registry: "quay.io",
      provider: "docker-registry" as const,
      fragment: "unconfirmed",
    },
    {
      rule: "alibaba needs Harbor 2.12+",
      registry: "registry.cn-hangzhou.aliyuncs.com",
      provider: "alibaba" as const,
      fragment: "2.12+",
    },
  ])("warns: $rule", ({ registry, provider, fragment }) => {
    const warnings = upstreamWarnings(registry, provider);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(fragment);
    expect(warnings[0]).toContain(registry);
  });

  it.each([
    { registry: "docker.io", provider: "docker-hub" as const },
    { registry: "ghcr.io", provider: "github" as const },
    { registry: "registry.k8s.io", provider: "docker-registry" as const },
  ])("has nothing to say about $registry as $provider", ({ registry, provider }) => {
    expect(upstreamWarnings(registry, provider)).toEqual([]);
  });
});
