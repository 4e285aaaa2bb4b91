/** harbor/ pure rules: naming (harbor.md §2.4, §3.4, §3.5) and upstream defaults (config.md table, harbor.md §3.1/§3.2). */
import { projectNameProblem, robotNameProblem } from "../../harbor/naming";
import {
  HARBOR_DEFAULT_PROXY_RETENTION,
  retentionDaysProblem,
  retentionScheduleProblem,
} from "../../harbor/retention";
import { endpointUrlProblem, harborUrlProblem, parseHarborUrl } from "../../harbor/url";
import {
  defaultProjectName,
  registryHostProblem,
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

describe("retentionScheduleProblem (harbor.md §2.5, §3.6)", () => {
  it.each([
    "Hourly",
    "Daily",
    "Weekly",
    "0 0 3 * * *",
    "0 */15 * * * ?",
    "0 0 2 * * MON-FRI",
    "0 0 0 1,15 * *",
  ])("accepts %s", (schedule) => {
    expect(retentionScheduleProblem(schedule)).toBeUndefined();
  });

  it.each([
    {
      rule: "named schedules are capitalised (read-back diff)",
      schedule: "weekly",
      fragment: 'must be written "Weekly"',
    },
    { rule: "cron has 6 fields, seconds first", schedule: "0 3 * * *", fragment: "has 5 field(s)" },
    { rule: "cron has no 7th field", schedule: "0 0 3 * * * 2030", fragment: "has 7 field(s)" },
    {
      rule: "empty means manual, which harbor-mirror does not offer",
      schedule: "",
      fragment: "allowed: Hourly, Daily, Weekly",
    },
    { rule: "cron fields use cron syntax", schedule: "0 0 3 * * #", fragment: 'invalid cron field "#"' },
  ])("rejects $rule", ({ schedule, fragment }) => {
    expect(retentionScheduleProblem(schedule)).toContain(fragment);
  });

  it("makes Harbor's hidden proxy default explicit: 7 days, Daily (harbor.md §3.3)", () => {
    expect(HARBOR_DEFAULT_PROXY_RETENTION).toEqual({ daysSinceLastPull: 7, schedule: "Daily" });
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects %s days", (days) => {
    expect(retentionDaysProblem(days)).toContain(`daysSinceLastPull ${days} is not allowed`);
  });
});

describe("parseHarborUrl (rke2-registries.md §5, §10)", () => {
  it.each([
    { url: "https://harbor.kingsd.top", root: "https://harbor.kingsd.top", host: "harbor.kingsd.top" },
    { url: "https://Harbor.Example.com/", root: "https://harbor.example.com", host: "harbor.example.com" },
    { url: "https://harbor.example.com:443", root: "https://harbor.example.com", host: "harbor.example.com" },
    {
      url: "https://harbor.example.com:8443",
      root: "https://harbor.example.com:8443",
      host: "harbor.example.com:8443",
    },
    { url: "https://[2001:db8::1]:8443", root: "https://[2001:db8::1]:8443", host: "[2001:db8::1]:8443" },
  ])("$url → endpoint $root, configs key $host", ({ url, root, host }) => {
    expect(parseHarborUrl(url)).toEqual({ root, host });
  });

  it.each([
    { rule: "https unless opted in", url: "http://harbor.example.com", fragment: "allowInsecureHttp" },
    {
      rule: "no path: it would become the API root",
      url: "https://harbor.example.com/docker",
      fragment: "without a path",
    },
    { rule: "no query", url: "https://harbor.example.com/?a=1", fragment: "query" },
    {
      rule: "no credentials in the URL",
      url: "https://admin:pw@harbor.example.com",
      fragment: "without user:password",
    },
    {
      rule: "http(s) only",
      url: "ftp://harbor.example.com",
      fragment: "must be an absolute https or http URL",
    },
    { rule: "a URL at all", url: "harbor.example.com", fragment: "must be an absolute https or http URL" },
  ])("rejects $rule", ({ url, fragment }) => {
    expect(harborUrlProblem(url)).toContain(fragment);
    expect(() => parseHarborUrl(url)).toThrow(fragment);
  });

  it("accepts http:// when opted in", () => {
    expect(parseHarborUrl("http://harbor.lan:8080", { allowInsecureHttp: true }).root).toBe(
      "http://harbor.lan:8080",
    );
  });

  it("names a URL with credentials redacted once it is an error (registries/redact.ts)", () => {
    expect(() => parseHarborUrl("https://admin:CANARY-pw@harbor.example.com")).toThrow(
      '"https://***@harbor.example.com" must be an absolute https or http URL without user:password',
    );
  });
});

describe("endpointUrlProblem (harbor.md §2.2: Harbor requires an HTTP(S) URL)", () => {
  it.each(["https://hub.docker.com", "http://registry.lan:5000", "https://registry.example.com/v2"])(
    "accepts %s",
    (url) => {
      expect(endpointUrlProblem(url)).toBeUndefined();
    },
  );

  it.each([
    { url: "ftp://hub.docker.com", fragment: '"ftp://hub.docker.com" must be an absolute https or http URL' },
    { url: "hub.docker.com", fragment: '"hub.docker.com" must be an absolute https or http URL' },
    {
      url: "https://user:CANARY-pw@hub.docker.com",
      fragment: "must be an absolute https or http URL without user:password",
    },
  ])("rejects $url", ({ url, fragment }) => {
    expect(endpointUrlProblem(url)).toContain(fragment);
  });
});

describe("registry hosts (rke2-registries.md §3.2: mirror keys are matched case-sensitively)", () => {
  it.each([
    ["docker.io", undefined],
    ["registry.example.com:5000", undefined],
    ["localhost:5000", undefined],
    ["Docker.io", /must be lowercase/],
    ["https://docker.io", /bare registry host/],
    ["docker.io/library", /bare registry host/],
    ["-bad.example.com", /bare registry host/],
    ["registry.example.com:70000", /port must be 1–65535/],
    ["registry.example.com:0", /port must be 1–65535/],
  ])("%s", (host, problem) => {
    const found = registryHostProblem(host);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });

  it.each([
    ["docker.io", "docker.io"],
    ["registry.example.com:5000", "registry.example.com"],
  ])("the default project of %s is %s (Harbor project names have no colon)", (registry, project) => {
    expect(defaultProjectName(registry)).toBe(project);
    expect(projectNameProblem(project)).toBeUndefined();
  });
});
