/**
 * HarborProxyCache: the walk-through's five upstreams (config.md), wiring by reference, schema
 * conformance, robot permissions (harbor.md §2.4), address stability, validation and secrets.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformLocal, TerraformStack, TerraformVariable, Testing } from "cdktf";
import * as fc from "fast-check";
import { RE2JS } from "re2js";
import { provider } from "../../.gen/providers/harbor";
import { HarborProvider } from "../../constructs/harbor-provider";
import {
  applyTimeHarborUrlPattern,
  HARBOR_HOST_ID,
  HARBOR_STAND_IN_HOST,
  HARBOR_URL_ID,
  HarborProxyCache,
  HarborProxyCacheProps,
  ROBOT_FULL_NAME_ID,
  ROBOT_SECRET_ID,
  UpstreamProps,
} from "../../constructs/harbor-proxy-cache";
import { harborUrlProblem, parseHarborUrl } from "../../harbor/url";
import { checkAgainstProviderSchemas, HARBOR_SCHEMA } from "../../testing/schema-conformance";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HARBOR_URL = "https://harbor.kingsd.top";
const WALK_THROUGH: readonly UpstreamProps[] = [
  { registry: "docker.io" },
  { registry: "quay.io" },
  { registry: "gcr.io" },
  { registry: "k8s.gcr.io" },
  { registry: "ghcr.io" },
];

function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new HarborProvider(stack, "HarborProvider", { url: HARBOR_URL });
  return stack;
}

type PropsBuilder = (stack: TerraformStack) => Partial<HarborProxyCacheProps>;

function build(overrides: PropsBuilder = () => ({})) {
  const stack = newStack();
  const cache = new HarborProxyCache(stack, "Cache", {
    harborUrl: HARBOR_URL,
    upstreams: WALK_THROUGH,
    ...overrides(stack),
  });
  return { stack, cache, json: JSON.parse(Testing.synth(stack)) as Json, synthesized: Testing.synth(stack) };
}

/** The warnings about the upstreams and the URL; every public cache also warns about `access`. */
const withoutAccessWarnings = (warnings: readonly string[]) =>
  warnings.filter((warning) => !warning.startsWith("access:"));
const resourcesOf = (json: Json, type: string): Json => json.resource?.[type] ?? {};
const byName = (json: Json, type: string): Record<string, Json> =>
  Object.fromEntries(Object.values(resourcesOf(json, type)).map((body: Json) => [body.name, body]));
const addressOf = (json: Json, type: string, name: string): string =>
  Object.entries(resourcesOf(json, type)).find(([, body]) => (body as Json).name === name)![0];
/** The Terraform expressions behind tokens, as they appear in the synthesized JSON. */
function resolved(stack: TerraformStack, value: unknown): Json {
  new TerraformLocal(stack, "probe", value);
  return JSON.parse(Testing.synth(stack)).locals.probe;
}
const warningsOf = (cache: HarborProxyCache): string[] =>
  cache.node.metadata.filter((entry) => entry.type === "@cdktf/warn").map((entry) => String(entry.data));

describe("HarborProxyCache: the walk-through (config.md, Harbor https://harbor.kingsd.top)", () => {
  const { json } = build();
  const registries = byName(json, "harbor_registry");
  const projects = byName(json, "harbor_project");

  it("declares five harbor_registry and five proxy harbor_project, one pair per registry", () => {
    const hosts = WALK_THROUGH.map((upstream) => upstream.registry).sort();
    expect(Object.keys(registries).sort()).toEqual(hosts);
    expect(Object.keys(projects).sort()).toEqual(hosts);
  });

  it.each(WALK_THROUGH.map((upstream) => upstream.registry))(
    "wires project %s to its own registry's registry_id",
    (host) => {
      const registryAddress = addressOf(json, "harbor_registry", host);
      expect(projects[host].registry_id).toBe(`\${harbor_registry.${registryAddress}.registry_id}`);
    },
  );

  it.each([
    { registry: "docker.io", provider: "docker-hub", endpoint: "https://hub.docker.com" },
    { registry: "quay.io", provider: "quay", endpoint: "https://quay.io" },
    { registry: "gcr.io", provider: "google", endpoint: "https://gcr.io" },
    { registry: "k8s.gcr.io", provider: "docker-registry", endpoint: "https://k8s.gcr.io" },
    { registry: "ghcr.io", provider: "github", endpoint: "https://ghcr.io" },
  ])("gives $registry the config.md default $provider at $endpoint", ({ registry, provider, endpoint }) => {
    expect(registries[registry]).toMatchObject({ provider_name: provider, endpoint_url: endpoint });
  });

  it("makes projects public, unlimited, never force-destroyed and protected by default", () => {
    for (const body of Object.values(projects)) {
      expect(body).toMatchObject({ public: true, storage_quota: -1, force_destroy: false });
      expect(body.lifecycle).toEqual({ prevent_destroy: true });
      expect(body).not.toHaveProperty("vulnerability_scanning"); // the provider default (true) is kept
    }
  });

  it("declares Harbor's hidden 7-day Daily retention explicitly, scoped to each project's id", () => {
    const policies = Object.values(resourcesOf(json, "harbor_retention_policy")) as Json[];
    expect(policies).toHaveLength(5);
    const projectIds = WALK_THROUGH.map(
      ({ registry }) => `\${harbor_project.${addressOf(json, "harbor_project", registry)}.id}`,
    );
    expect(policies.map((policy) => policy.scope).sort()).toEqual(projectIds.sort());
    for (const policy of policies) {
      expect(policy.schedule).toBe("Daily");
      expect(policy.rule).toEqual([
        { n_days_since_last_pull: 7, repo_matching: "**", tag_matching: "**", untagged_artifacts: true },
      ]);
    }
  });

  it("outputs the pull prefix <harbor host>/<project> per upstream", () => {
    const prefixes = Object.values(json.output as Json).map((output: Json) => output.value);
    expect(prefixes.sort()).toEqual(
      WALK_THROUGH.map(({ registry }) => `harbor.kingsd.top/${registry}`).sort(),
    );
  });

  it("creates no robot account for public access", () => {
    expect(resourcesOf(json, "harbor_robot_account")).toEqual({});
  });

  it("conforms to the Harbor provider schema (full synth, cdk.tf.json)", () => {
    const stack = newStack();
    new HarborProxyCache(stack, "Cache", { harborUrl: HARBOR_URL, upstreams: WALK_THROUGH, access: "robot" });
    const outdir = Testing.fullSynth(stack);
    const tfJson = JSON.parse(readFileSync(join(outdir, "stacks", "test", "cdk.tf.json"), "utf8"));
    expect(checkAgainstProviderSchemas(tfJson, [HARBOR_SCHEMA])).toEqual([]);
    expect(Object.keys(tfJson.resource).sort()).toEqual([
      "harbor_project",
      "harbor_registry",
      "harbor_retention_policy",
      "harbor_robot_account",
    ]);
  });
});

describe("HarborProxyCache: what nodes need (registriesSpec)", () => {
  const rewrites = { "docker.io": [{ match: "^ksd-test/(.*)$", replace: "production/$1" }] };

  it("gives each registry the Harbor root as only endpoint, user rules first, proxy rule last", () => {
    const { cache } = build(() => ({
      rewrites,
      upstreams: [{ registry: "docker.io", project: "hub" }, { registry: "ghcr.io" }],
    }));
    expect(cache.mirrors).toEqual([
      {
        registry: "docker.io",
        endpoints: ["https://harbor.kingsd.top"],
        rewrites: [rewrites["docker.io"][0], { match: "^(.*)$", replace: "hub/$1" }],
      },
      {
        registry: "ghcr.io",
        endpoints: ["https://harbor.kingsd.top"],
        rewrites: [{ match: "^(.*)$", replace: "ghcr.io/$1" }],
      },
    ]);
    expect(cache.registriesSpec).toEqual({ mirrors: cache.mirrors, configs: {} });
  });

  it("needs no configs and no apply-time values for public access without a CA", () => {
    const { cache } = build();
    expect(cache.configs).toEqual({});
    expect(cache.applyTimeTokens).toEqual({});
  });

  it("keys TLS and auth by the Harbor host, port kept, default port and trailing slash dropped", () => {
    const { cache } = build(() => ({
      harborUrl: "https://Harbor.Example.com:8443/",
      caCertNodePath: "/etc/rancher/rke2/harbor-ca.pem",
    }));
    expect(cache.mirrors[0].endpoints).toEqual(["https://harbor.example.com:8443"]);
    expect(cache.configs).toEqual({
      "harbor.example.com:8443": { tls: { ca_file: "/etc/rancher/rke2/harbor-ca.pem" } },
    });
    expect(build(() => ({ harborUrl: "https://harbor.example.com:443" })).cache.mirrors[0].endpoints).toEqual(
      ["https://harbor.example.com"],
    );
  });
});

describe("HarborProxyCache: access robot (harbor.md §2.4, rke2-registries.md §5, §9)", () => {
  const { stack, cache, json } = build(() => ({ access: "robot", caCertNodePath: "/etc/ca.pem" }));
  const robots = Object.values(resourcesOf(json, "harbor_robot_account")) as Json[];

  it("makes every proxy project private", () => {
    for (const body of Object.values(byName(json, "harbor_project"))) expect(body.public).toBe(false);
  });

  it("creates exactly one system robot that never expires", () => {
    expect(robots).toHaveLength(1);
    expect(robots[0]).toMatchObject({ name: "harbor-mirror-pull", level: "system", duration: -1 });
    expect(robots[0]).not.toHaveProperty("secret");
  });

  it("lets the robot pull from exactly the proxy projects and do nothing else", () => {
    const permissions = robots[0].permissions as Json[];
    expect(permissions.map((permission) => permission.namespace).sort()).toEqual(
      WALK_THROUGH.map(({ registry }) => registry).sort(),
    );
    for (const permission of permissions) {
      expect(permission.kind).toBe("project");
      expect(permission.access).toEqual([{ resource: "repository", action: "pull" }]);
    }
  });

  it("puts apply-time credentials into configs.<harbor host>.auth, next to the TLS settings", () => {
    expect(cache.configs).toEqual({
      "harbor.kingsd.top": {
        auth: {
          username: { kind: "apply-time", id: ROBOT_FULL_NAME_ID, display: "<robot full name>" },
          password: { kind: "apply-time", id: ROBOT_SECRET_ID, display: "<robot secret>" },
        },
        tls: { ca_file: "/etc/ca.pem" },
      },
    });
  });

  it("maps the apply-time ids to the robot's full_name and secret", () => {
    const robotAddress = Object.keys(resourcesOf(json, "harbor_robot_account"))[0];
    expect(resolved(stack, cache.applyTimeTokens)).toEqual({
      [ROBOT_FULL_NAME_ID]: `\${harbor_robot_account.${robotAddress}.full_name}`,
      [ROBOT_SECRET_ID]: `\${harbor_robot_account.${robotAddress}.secret}`,
    });
  });

  it("outputs the robot's full name", () => {
    const values = Object.values(json.output as Json).map((output: Json) => output.value);
    expect(values).toContain(
      `\${harbor_robot_account.${Object.keys(resourcesOf(json, "harbor_robot_account"))[0]}.full_name}`,
    );
  });

  it("warns about the RKE2 versions for authenticated rewrites and about imagePullSecrets", () => {
    const warnings = warningsOf(cache);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/v1\.29\.11.*v1\.30\.7.*v1\.31\.3/),
        expect.stringContaining("imagePullSecrets"),
      ]),
    );
  });

  it("sends a given robot secret write-only (secret_wo + secret_wo_version) and hands nodes the same token", () => {
    const built = build((s) => ({
      access: "robot",
      robotSecret: new TerraformVariable(s, "robot_secret", { type: "string", sensitive: true }).stringValue,
    }));
    const robot = Object.values(resourcesOf(built.json, "harbor_robot_account"))[0] as Json;
    expect(robot).toMatchObject({ secret_wo: "${var.robot_secret}", secret_wo_version: 1 });
    expect(resolved(built.stack, built.cache.applyTimeTokens)[ROBOT_SECRET_ID]).toBe("${var.robot_secret}");
  });
});

describe("HarborProxyCache: Terraform addresses come from registry hosts, never positions", () => {
  const synthWith = (upstreams: readonly UpstreamProps[], access: "public" | "robot") =>
    build(() => ({ upstreams, access })).synthesized;

  it("is byte-identical for every order of the upstreams", () => {
    for (const access of ["public", "robot"] as const) {
      const reference = synthWith(WALK_THROUGH, access);
      fc.assert(
        fc.property(fc.shuffledSubarray([...WALK_THROUGH], { minLength: 5, maxLength: 5 }), (shuffled) => {
          expect(synthWith(shuffled, access)).toBe(reference);
        }),
        { numRuns: 15 },
      );
    }
  });

  it("keeps every address and body when an upstream is inserted in the middle", () => {
    const before = JSON.parse(synthWith(WALK_THROUGH, "public")) as Json;
    const inserted = [...WALK_THROUGH.slice(0, 2), { registry: "registry.k8s.io" }, ...WALK_THROUGH.slice(2)];
    const after = JSON.parse(synthWith(inserted, "public")) as Json;
    for (const type of ["harbor_registry", "harbor_project", "harbor_retention_policy"]) {
      for (const [address, body] of Object.entries(resourcesOf(before, type))) {
        expect(resourcesOf(after, type)[address]).toEqual(body);
      }
      expect(Object.keys(resourcesOf(after, type))).toHaveLength(6);
    }
  });
});

describe("HarborProxyCache: settings per upstream", () => {
  it("passes quota, speed limit and local-on-not-found through, and warns about the Harbor version", () => {
    const { json, cache } = build(() => ({
      upstreams: [{ registry: "docker.io", storageQuotaGiB: 100, proxySpeedKb: 2048, localOnNotFound: true }],
    }));
    expect(byName(json, "harbor_project")["docker.io"]).toMatchObject({
      storage_quota: 100,
      proxy_speed_kb: 2048,
      proxy_cache_local_on_not_found: true,
    });
    expect(withoutAccessWarnings(warningsOf(cache))).toEqual([
      expect.stringContaining("once the cache holds 100 GiB Harbor rejects further pulls"),
      expect.stringContaining("Harbor 2.15.1"),
    ]);
  });

  it("overrides provider type and endpoint, and warns about quay on Harbor 2.14+ by default", () => {
    const { json, cache } = build(() => ({
      upstreams: [
        { registry: "quay.io" },
        { registry: "registry.example.com", provider: "harbor", endpointUrl: "https://other.example.com" },
      ],
    }));
    expect(byName(json, "harbor_registry")["registry.example.com"]).toMatchObject({
      provider_name: "harbor",
      endpoint_url: "https://other.example.com",
    });
    expect(withoutAccessWarnings(warningsOf(cache))).toEqual([expect.stringContaining("Harbor 2.14+")]);
  });

  it("applies a custom retention and can leave projects unprotected", () => {
    const { json } = build(() => ({
      retention: { daysSinceLastPull: 30, schedule: "0 0 3 * * *" },
      protectProjects: false,
    }));
    const policy = Object.values(resourcesOf(json, "harbor_retention_policy"))[0] as Json;
    expect(policy).toMatchObject({ schedule: "0 0 3 * * *", rule: [{ n_days_since_last_pull: 30 }] });
    expect(byName(json, "harbor_project")["docker.io"].lifecycle).toEqual({ prevent_destroy: false });
    expect(byName(json, "harbor_project")["docker.io"].force_destroy).toBe(false);
  });

  it("handles a registry with a port, given a valid project name", () => {
    const { json, cache } = build(() => ({ upstreams: [{ registry: "registry.lan:5000", project: "lan" }] }));
    expect(byName(json, "harbor_registry")["registry.lan:5000"]).toMatchObject({
      provider_name: "docker-registry",
      endpoint_url: "https://registry.lan:5000",
    });
    expect(cache.mirrors.map((mirror) => mirror.registry)).toEqual(["registry.lan:5000"]);
    expect(checkAgainstProviderSchemas(json, [HARBOR_SCHEMA])).toEqual([]);
  });

  it("uses the given provider for every resource", () => {
    const { json } = build((s) => ({
      access: "robot",
      provider: new provider.HarborProvider(s, "Second", {
        alias: "second",
        url: "https://h2.example.com",
        insecure: false,
      }),
    }));
    for (const type of [
      "harbor_registry",
      "harbor_project",
      "harbor_retention_policy",
      "harbor_robot_account",
    ]) {
      for (const body of Object.values(resourcesOf(json, type)))
        expect((body as Json).provider).toBe("harbor.second");
    }
  });

  it("accepts unresolved tokens without judging them", () => {
    expect(() =>
      build((s) => {
        const text = (name: string) => new TerraformVariable(s, name, { type: "string" }).stringValue;
        const count = (name: string) => new TerraformVariable(s, name, { type: "number" }).numberValue;
        return {
          upstreams: [
            {
              registry: "docker.io",
              project: text("project"),
              endpointUrl: text("endpoint"),
              storageQuotaGiB: count("quota"),
            },
          ],
          retention: { daysSinceLastPull: count("days"), schedule: text("schedule") },
          caCertNodePath: text("ca"),
        };
      }),
    ).not.toThrow();
  });
});

describe("HarborProxyCache: harborUrl as a token (known only at apply time)", () => {
  const URL_TOKEN = "${var.harbor_url}";
  const pattern = applyTimeHarborUrlPattern();
  const HOST_EXPRESSION = `\${element(regex(${JSON.stringify(pattern)}, var.harbor_url), 0)}`;
  const withTokenUrl = (extra: PropsBuilder = () => ({})) =>
    build((s) => ({
      harborUrl: new TerraformVariable(s, "harbor_url", { type: "string" }).stringValue,
      ...extra(s),
    }));

  it("names Harbor by the stand-in host in mirrors and configs, declared as an apply-time host", () => {
    const { cache } = withTokenUrl(() => ({ access: "robot" }));
    expect(cache.mirrors.map((mirror) => mirror.endpoints)).toEqual(
      WALK_THROUGH.map(() => [`https://${HARBOR_STAND_IN_HOST}`]),
    );
    expect(Object.keys(cache.configs)).toEqual([HARBOR_STAND_IN_HOST]);
    expect(cache.registriesSpec.applyTimeHosts).toEqual([
      {
        standIn: HARBOR_STAND_IN_HOST,
        url: expect.objectContaining({ id: HARBOR_URL_ID }),
        host: expect.objectContaining({ id: HARBOR_HOST_ID }),
      },
    ]);
  });

  it("hands the URL token and a host expression derived from it to the content", () => {
    const { stack, cache } = withTokenUrl();
    expect(resolved(stack, cache.applyTimeTokens)).toEqual({
      [HARBOR_URL_ID]: URL_TOKEN,
      [HARBOR_HOST_ID]: HOST_EXPRESSION,
    });
  });

  it("writes no backslash into the pattern (cdktf and hosts.toml would each need escaping)", () => {
    expect(pattern).not.toContain("\\");
    expect(applyTimeHarborUrlPattern(true)).not.toContain("\\");
  });

  it("checks the URL at plan time: HarborHost output preconditions, the same pattern and no upstream host", () => {
    const { json } = withTokenUrl();
    const [hostOutput] = Object.values(json.output as Json).filter((output: Json) => output.precondition);
    const hostOrEmpty = `try(${HOST_EXPRESSION.slice(2, -1)}, "")`;
    const upstreamHosts = JSON.stringify(WALK_THROUGH.map(({ registry }) => registry).sort());
    expect(hostOutput.value).toBe(HOST_EXPRESSION);
    expect(hostOutput.precondition).toEqual([
      {
        condition: `\${can(regex(${JSON.stringify(pattern)}, var.harbor_url))}`,
        error_message: expect.stringMatching(/harborUrl must be Harbor's root URL https:\/\/host\[:port\]/),
      },
      {
        condition: `\${!contains(${upstreamHosts.replace(/,/g, ", ")}, ${hostOrEmpty})}`,
        error_message: expect.stringMatching(
          /must not be one of the upstream registries .*docs\/registries\.md#an-endpoint-equal-to-the-default-loses-its-rewrites/,
        ),
      },
    ]);
  });

  it("uses the host expression in the pull prefixes", () => {
    const prefixes = Object.values(withTokenUrl().json.output as Json)
      .filter((output: Json) => !output.precondition)
      .map((output: Json) => output.value);
    expect(prefixes.sort()).toEqual(
      WALK_THROUGH.map(({ registry }) => `${HOST_EXPRESSION}/${registry}`).sort(),
    );
  });

  // Terraform's regex() is Go RE2; re2js is its port, so the table runs without a Terraform binary.
  // `literalHost`: what the synth-time check makes of the same URL as a literal (undefined: refused).
  it.each<{ rule: string; url: string; insecure?: boolean; host?: string; literalHost?: string }>([
    {
      rule: "https root",
      url: "https://harbor.example.com",
      host: "harbor.example.com",
      literalHost: "harbor.example.com",
    },
    {
      rule: "with a port",
      url: "https://harbor.example.com:8443",
      host: "harbor.example.com:8443",
      literalHost: "harbor.example.com:8443",
    },
    {
      rule: "an IP address",
      url: "https://10.0.0.5:5000",
      host: "10.0.0.5:5000",
      literalHost: "10.0.0.5:5000",
    },
    {
      rule: "http only when allowed",
      url: "http://harbor.lan",
      insecure: true,
      host: "harbor.lan",
      literalHost: "harbor.lan",
    },
    { rule: "http refused by default", url: "http://harbor.lan" },
    { rule: "a path (§10 pitfall 4)", url: "https://harbor.example.com/v2" },
    { rule: "credentials", url: "https://robot:pw@harbor.example.com" },
    { rule: "a query", url: "https://harbor.example.com?x=1" },
    { rule: "no scheme", url: "harbor.example.com" },
    { rule: "another scheme", url: "ftp://harbor.example.com" },
    // Stricter than the literal check, which normalizes these; at apply time nothing is rewritten.
    { rule: "upper case (stricter)", url: "https://Harbor.example.com", literalHost: "harbor.example.com" },
    {
      rule: "a trailing slash (stricter)",
      url: "https://harbor.example.com/",
      literalHost: "harbor.example.com",
    },
  ])("apply-time check, $rule: $url", ({ url, insecure, host, literalHost }) => {
    const matcher = RE2JS.compile(applyTimeHarborUrlPattern(insecure)).matcher(url);
    expect(matcher.matches() ? matcher.group(1) : undefined).toBe(host);
    const literalProblem = harborUrlProblem(url, { allowInsecureHttp: insecure });
    expect(
      literalProblem === undefined ? parseHarborUrl(url, { allowInsecureHttp: insecure }).host : undefined,
    ).toBe(literalHost);
  });

  it("keeps literal URLs as before: parsed host, no stand-in, no check output", () => {
    const { cache, json } = build();
    expect(cache.harborHost).toBe("harbor.kingsd.top");
    expect(cache.registriesSpec.applyTimeHosts).toBeUndefined();
    expect(Object.values(json.output as Json).filter((output: Json) => output.precondition)).toEqual([]);
  });
});

describe("HarborProxyCache: invalid input fails with a message naming the key, the value and what is allowed", () => {
  const CANARY = "CANARY-Lit3ral-Secret";
  const hub = (extra: Partial<UpstreamProps>): UpstreamProps[] => [{ registry: "docker.io", ...extra }];

  it.each<{ rule: string; props: PropsBuilder; message: RegExp }>([
    {
      rule: "project name: Harbor regex (harbor.md §3.4)",
      props: () => ({ upstreams: hub({ project: "Docker_Hub" }) }),
      message:
        /upstreams\[0\]\.project: project name "Docker_Hub" is not a valid Harbor name: allowed are lower-case/,
    },
    {
      rule: "registry: no duplicates",
      props: () => ({ upstreams: [{ registry: "docker.io" }, { registry: "docker.io", project: "hub2" }] }),
      message: /upstreams\[1\]\.registry: "docker\.io" is already the registry of upstreams\[0\]/,
    },
    {
      rule: "project: no duplicates (Harbor names are unique)",
      props: () => ({
        upstreams: [
          { registry: "docker.io", project: "cache" },
          { registry: "ghcr.io", project: "cache" },
        ],
      }),
      message: /upstreams\[1\]\.project: "cache" is already the project of upstream (docker|ghcr)\.io/,
    },
    {
      rule: "provider: known type (harbor.md §3.2)",
      props: () => ({ upstreams: hub({ provider: "dockerhub" as never }) }),
      message:
        /upstreams\[0\]\.provider: unknown provider type "dockerhub": allowed are docker-hub, docker-registry/,
    },
    {
      rule: "provider: permitted as proxy upstream (harbor.md §3.1)",
      props: () => ({ upstreams: hub({ provider: "gitlab" }) }),
      message: /provider type "gitlab" cannot back a Harbor proxy cache.*allowed are docker-hub/,
    },
    {
      rule: "harborUrl: https only without opt-in",
      props: () => ({ harborUrl: "http://harbor.kingsd.top" }),
      message: /harborUrl: "http:\/\/harbor\.kingsd\.top" uses http:\/\/.*allowInsecureHttp/,
    },
    {
      rule: "harborUrl: root only (rke2-registries.md §10 pitfall 4)",
      props: () => ({ harborUrl: "https://harbor.kingsd.top/v2/docker" }),
      message:
        /harborUrl: "https:\/\/harbor\.kingsd\.top\/v2\/docker" must be an absolute https or http URL without a path/,
    },
    {
      rule: "harborUrl: a URL",
      props: () => ({ harborUrl: "harbor.kingsd.top" }),
      message: /harborUrl: "harbor\.kingsd\.top" must be an absolute https or http URL/,
    },
    {
      rule: "retention schedule: capitalised name (harbor.md §3.6)",
      props: () => ({ retention: { daysSinceLastPull: 7, schedule: "daily" } }),
      message: /retention\.schedule: schedule "daily" must be written "Daily"/,
    },
    {
      rule: "retention schedule: 6-field cron (harbor.md §2.5)",
      props: () => ({ retention: { daysSinceLastPull: 7, schedule: "0 3 * * *" } }),
      message:
        /retention\.schedule: schedule "0 3 \* \* \*" has 5 field\(s\); allowed: Hourly, Daily, Weekly or a 6-field cron/,
    },
    {
      rule: "retention schedule: valid cron fields",
      props: () => ({ retention: { daysSinceLastPull: 7, schedule: "0 0 3 * * %" } }),
      message: /invalid cron field "%"/,
    },
    {
      rule: "retention days: whole, at least 1",
      props: () => ({ retention: { daysSinceLastPull: 0, schedule: "Daily" } }),
      message: /retention\.daysSinceLastPull: daysSinceLastPull 0 is not allowed/,
    },
    {
      rule: "endpointUrl: http(s) URL (harbor.md §2.2)",
      props: () => ({ upstreams: hub({ endpointUrl: "ftp://hub.docker.com" }) }),
      message:
        /upstreams\[0\]\.endpointUrl: "ftp:\/\/hub\.docker\.com" must be an absolute https or http URL/,
    },
    {
      rule: "registry: a host as in image names",
      props: () => ({ upstreams: [{ registry: "https://docker.io" }] }),
      message: /upstreams\[0\]\.registry: "https:\/\/docker\.io" is not a registry host/,
    },
    {
      rule: "registry: not Harbor itself (rke2-registries.md §10 pitfall 1)",
      props: () => ({ upstreams: [{ registry: "harbor.kingsd.top", project: "self" }] }),
      message: /"harbor\.kingsd\.top" is Harbor's own host/,
    },
    {
      rule: "upstreams: at least one",
      props: () => ({ upstreams: [] }),
      message: /upstreams: at least one upstream registry is required/,
    },
    {
      rule: "storage quota: -1 or positive",
      props: () => ({ upstreams: hub({ storageQuotaGiB: 0 }) }),
      message:
        /storageQuotaGiB: 0 is not allowed: expected -1 \(unlimited\) or a whole number of GiB from 1 to 8589934591/,
    },
    {
      rule: "storage quota: GiB × 2^30 fits Harbor's 64-bit byte count (harbor.md §2.3)",
      props: () => ({ upstreams: hub({ storageQuotaGiB: 2 ** 33 }) }),
      message: /storageQuotaGiB: 8589934592 is not allowed/,
    },
    {
      rule: "storage quota: no fraction the provider would round",
      props: () => ({ upstreams: hub({ storageQuotaGiB: 0.5 }) }),
      message: /storageQuotaGiB: 0\.5 is not allowed/,
    },
    {
      rule: "proxy speed: -1 or positive",
      props: () => ({ upstreams: hub({ proxySpeedKb: 1.5 }) }),
      message: /proxySpeedKb: 1\.5 is not allowed/,
    },
    {
      rule: "credentials: id and secret together",
      props: () => ({ upstreams: hub({ accessId: "me" }) }),
      message: /upstreams\[0\]\.accessSecret: is required when accessId is set/,
    },
    {
      rule: "rewrites: only for upstream registries",
      props: () => ({ rewrites: { "registry.k8s.io": [{ match: "^a$", replace: "b" }] } }),
      message: /rewrites\."registry\.k8s\.io": is not an upstream registry/,
    },
    {
      rule: "robot name: Harbor regex (harbor.md §3.5)",
      props: () => ({ access: "robot", robotName: "robot$pull" }),
      message: /robotName: robot name "robot\$pull" is not a valid Harbor name/,
    },
    {
      rule: "robot settings need access robot",
      props: () => ({ robotName: "pull" }),
      message: /robotName: is set but access is "public"/,
    },
    {
      rule: "access: public or robot",
      props: () => ({ access: "private" as never }),
      message: /access: "private" is not allowed: expected "public" or "robot"/,
    },
    {
      rule: "caCertNodePath: absolute",
      props: () => ({ caCertNodePath: "certs/ca.pem" }),
      message: /caCertNodePath: "certs\/ca\.pem" is not allowed: expected an absolute path/,
    },
  ])("rejects $rule", ({ props, message }) => {
    expect(() => build(props)).toThrow(message);
  });

  it("reports every problem at once", () => {
    expect(() => build(() => ({ harborUrl: "http://h", upstreams: hub({ project: "A" }) }))).toThrow(
      /harborUrl[^]*project/,
    );
  });

  it.each([
    {
      field: "upstream accessSecret",
      props: () => ({ upstreams: hub({ accessId: "me", accessSecret: CANARY }) }),
      key: /accessSecret/,
    },
    {
      field: "robotSecret",
      props: () => ({ access: "robot" as const, robotSecret: CANARY }),
      key: /robotSecret/,
    },
  ])("rejects a literal $field without echoing it", ({ props, key }) => {
    let message = "";
    try {
      build(props);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(key);
    expect(message).toContain("literal secret is not allowed (value hidden)");
    expect(message).not.toContain(CANARY);
  });

  it("accepts http:// with allowInsecureHttp, with a warning", () => {
    const { cache } = build(() => ({
      harborUrl: "http://harbor.lan:8080",
      allowInsecureHttp: true,
      upstreams: hub({}),
    }));
    expect(cache.mirrors[0].endpoints).toEqual(["http://harbor.lan:8080"]);
    expect(withoutAccessWarnings(warningsOf(cache))).toEqual([expect.stringContaining("not encrypted")]);
  });
});

describe("HarborProxyCache: secrets travel only as Terraform references", () => {
  const { json, synthesized } = build((s) => ({
    access: "robot",
    upstreams: [
      {
        registry: "docker.io",
        accessId: "hub-user",
        accessSecret: new TerraformVariable(s, "dockerhub_token", { type: "string", sensitive: true })
          .stringValue,
      },
      { registry: "ghcr.io" },
    ],
    robotSecret: new TerraformVariable(s, "robot_secret", { type: "string", sensitive: true }).stringValue,
  }));

  it("writes access_secret, secret_wo and the provider password as ${var.…} references", () => {
    expect(byName(json, "harbor_registry")["docker.io"].access_secret).toBe("${var.dockerhub_token}");
    expect((Object.values(resourcesOf(json, "harbor_robot_account"))[0] as Json).secret_wo).toBe(
      "${var.robot_secret}",
    );
    expect(json.provider.harbor[0]).toMatchObject({
      username: "${var.harbor_username}",
      password: "${var.harbor_password}",
    });
  });

  it("gives secret variables no default value", () => {
    for (const name of ["dockerhub_token", "robot_secret"]) {
      expect(json.variable[name]).toEqual({ type: "string", sensitive: true });
    }
  });

  it("has no secret-bearing attribute with a literal anywhere in the document", () => {
    const secretKeys = /^(access_secret|secret|secret_wo|password|bearer_token|session_id)$/;
    const literals: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (Array.isArray(value)) return value.forEach((item, i) => walk(item, `${path}[${i}]`));
      if (typeof value !== "object" || value === null) return;
      for (const [key, item] of Object.entries(value)) {
        if (secretKeys.test(key) && !/^\$\{var\.[a-z_]+\}$/.test(String(item)))
          literals.push(`${path}.${key}`);
        walk(item, `${path}.${key}`);
      }
    };
    walk(JSON.parse(synthesized), "");
    expect(literals).toEqual([]);
  });
});
