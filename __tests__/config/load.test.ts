/**
 * Loading valid harbor-mirror.yaml files (contract: shared spec config.md): defaults, file
 * discovery, the example file, warnings, and independence from list order.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { CONFIG_PATH_VARIABLE, loadConfig, parseConfig } from "../../config/load";
import type { HarborMirrorConfig } from "../../config/schema";
import { ValidationError } from "../../registries/diagnostics";

const REPOSITORY_ROOT = join(__dirname, "..", "..");
const MINIMAL =
  "version: 1\nharbor:\n  url: https://harbor.example.com/\nupstreams:\n  - registry: docker.io\n";
const PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";

let workDir: string;
beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), "harbor-mirror-load-"));
});
afterEach(() => rmSync(workDir, { recursive: true, force: true }));

describe("defaults (config.md: every key not required has a documented default)", () => {
  it("fills every default of a minimal file", () => {
    // Typed as the loader's result type, so tsc also checks the inferred shape.
    const expected: HarborMirrorConfig = {
      version: 1,
      harbor: { url: "https://harbor.example.com", allowHttp: false, insecureApi: false },
      access: "public",
      robot: { name: "harbor-mirror-pull", secretVersion: 1 },
      protectProjects: true,
      retention: { daysSinceLastPull: 7, schedule: "Daily" },
      upstreams: [
        {
          registry: "docker.io",
          project: "docker.io",
          provider: "docker-hub",
          endpointUrl: "https://hub.docker.com",
          storageQuotaGiB: -1,
          proxySpeedKb: -1,
          localOnNotFound: false,
        },
      ],
      rewrites: {},
      projects: [],
      distribution: "rke2",
      nodes: [],
      extraNodeDirectories: [],
      ssh: { privateKeyVar: "ssh_private_key" },
      rollout: { strategy: "rolling", batchSize: 1 },
      backend: { type: "local", options: {} },
    };
    expect(parseConfig(MINIMAL).config).toEqual(expected);
  });

  it("derives node and CA paths from the distribution, and resolves caCertFile from the file's directory", () => {
    writeFileSync(join(workDir, "ca.pem"), PEM);
    const yaml =
      "version: 1\nharbor:\n  url: https://harbor.example.com\n  caCertFile: ./ca.pem\n" +
      "distribution: k3s\nupstreams:\n  - registry: registry.example.com:5000\n" +
      "nodes:\n  - { name: n1, host: 192.0.2.11, role: agent }\n";
    const { config } = parseConfig(yaml, "harbor-mirror.yaml", workDir);
    expect(config.harbor.caCertFile).toBe(join(workDir, "ca.pem"));
    expect(config.harbor.caCertNodePath).toBe("/etc/rancher/k3s/harbor-ca.pem");
    expect(config.nodes[0].registriesPath).toBe("/etc/rancher/k3s/registries.yaml");
    // Harbor project names have no `:`; the default drops the port (harbor.md §3.4).
    expect(config.upstreams[0]).toMatchObject({
      project: "registry.example.com",
      provider: "docker-registry",
      endpointUrl: "https://registry.example.com:5000",
    });
  });

  it("keeps explicit values over defaults", () => {
    const yaml =
      MINIMAL.replace("  - registry: docker.io\n", "") +
      "  - registry: quay.io\n    project: quay\n    provider: docker-registry\n    endpointUrl: https://quay.io/\n" +
      "nodes:\n  - { name: n1, host: node1.example.com, role: server, user: admin, port: 2222," +
      " registriesPath: /opt/rke2/registries.yaml }\nextraNodeDirectories: [/opt/rke2/]\n";
    const { config } = parseConfig(yaml);
    expect(config.upstreams[0]).toMatchObject({
      project: "quay",
      provider: "docker-registry",
      endpointUrl: "https://quay.io",
    });
    expect(config.nodes[0]).toEqual({
      name: "n1",
      host: "node1.example.com",
      role: "server",
      user: "admin",
      port: 2222,
      registriesPath: "/opt/rke2/registries.yaml",
    });
  });

  it("passes the backend's other keys through as written", () => {
    const yaml = MINIMAL + "backend:\n  type: s3\n  region: eu-west-1\n  bucket: state\n  encrypt: true\n";
    expect(parseConfig(yaml).config.backend).toEqual({
      type: "s3",
      options: { bucket: "state", encrypt: true, region: "eu-west-1" },
    });
  });
});

interface WarningCase {
  readonly rule: string;
  readonly yaml: string;
  readonly path: string;
  readonly message: string;
}

const PRIVATE_MINIMAL = MINIMAL + "access: robot\n";

// prettier-ignore
const WARNING_CASES: readonly WarningCase[] = [
  { rule: "provider quay is refused by Harbor 2.14+ by default (harbor.md §3.1)",
    yaml: PRIVATE_MINIMAL.replace("docker.io", "quay.io"),
    path: "upstreams[0].provider", message: 'Harbor 2.14+ does not permit provider type "quay"' },
  { rule: "insecureApi skips TLS verification of the Harbor API",
    yaml: PRIVATE_MINIMAL.replace("harbor:\n", "harbor:\n  insecureApi: true\n"),
    path: "harbor.insecureApi", message: "will not verify Harbor's certificate" },
  { rule: "allowHttp permits unencrypted traffic",
    yaml: PRIVATE_MINIMAL.replace("url: https:", "allowHttp: true\n  url: http:"),
    path: "harbor.allowHttp", message: "may travel unencrypted" },
  { rule: "ssh without nodes delivers nothing",
    yaml: PRIVATE_MINIMAL + "ssh:\n  privateKeyVar: key\n",
    path: "ssh", message: "nodes is empty: nothing is delivered" },
  { rule: "parallel rollout restarts every server at once",
    yaml: PRIVATE_MINIMAL + "nodes:\n  - { name: s1, host: 192.0.2.11, role: server }\nrollout:\n  strategy: parallel\n",
    path: "rollout.strategy", message: "all server nodes (the control plane) restart at the same time" },
  { rule: "public access allows anonymous pulls (config.md access)",
    yaml: MINIMAL,
    path: "access", message: "anonymous pulls" },
];

describe("warnings (legal but risky)", () => {
  it.each(WARNING_CASES)("$rule", ({ yaml, path, message }) => {
    const { warnings } = parseConfig(yaml);
    expect(warnings).toEqual([
      expect.objectContaining({ severity: "warning", path, message: expect.stringContaining(message) }),
    ]);
    expect(warnings[0].line).toBeGreaterThan(0);
  });

  it("gives none for a private, https-only, rolling configuration", () => {
    expect(parseConfig(PRIVATE_MINIMAL).warnings).toEqual([]);
  });
});

describe("finding the file", () => {
  it("reads ./harbor-mirror.yaml from the working directory", () => {
    writeFileSync(join(workDir, "harbor-mirror.yaml"), MINIMAL);
    const loaded = loadConfig({ cwd: workDir, env: {} });
    expect(loaded.path).toBe(join(workDir, "harbor-mirror.yaml"));
    expect(loaded.config.upstreams.map((upstream) => upstream.registry)).toEqual(["docker.io"]);
  });

  it(`prefers $${CONFIG_PATH_VARIABLE}, and an explicit path over both`, () => {
    writeFileSync(join(workDir, "harbor-mirror.yaml"), MINIMAL);
    writeFileSync(join(workDir, "env.yaml"), MINIMAL.replace("docker.io", "ghcr.io"));
    writeFileSync(join(workDir, "explicit.yaml"), MINIMAL.replace("docker.io", "quay.io"));
    const registryOf = (config: HarborMirrorConfig) => config.upstreams[0].registry;
    const env = { [CONFIG_PATH_VARIABLE]: "env.yaml" };
    expect(registryOf(loadConfig({ cwd: workDir, env }).config)).toBe("ghcr.io");
    expect(registryOf(loadConfig({ cwd: workDir, env, path: "explicit.yaml" }).config)).toBe("quay.io");
  });

  it("names the missing file and how to point at another", () => {
    expect(() => loadConfig({ cwd: workDir, env: {} })).toThrow(ValidationError);
    expect(() => loadConfig({ cwd: workDir, env: {} })).toThrow(
      new RegExp(`no configuration file at ${join(workDir, "harbor-mirror.yaml")}.*${CONFIG_PATH_VARIABLE}`),
    );
  });

  it("writes nothing, whether the file is valid or not", () => {
    writeFileSync(join(workDir, "harbor-mirror.yaml"), MINIMAL);
    writeFileSync(join(workDir, "bad.yaml"), "version: 2\n");
    const before = readdirSync(workDir).sort();
    loadConfig({ cwd: workDir, env: {} });
    expect(() => loadConfig({ cwd: workDir, env: {}, path: "bad.yaml" })).toThrow(ValidationError);
    expect(readdirSync(workDir).sort()).toEqual(before);
  });
});

describe("the example harbor-mirror.yaml (config.md: reproduces the original walk-through)", () => {
  const loaded = () => loadConfig({ cwd: REPOSITORY_ROOT, env: {} });

  it("loads without errors", () => {
    const { config } = loaded();
    expect(config.harbor.url).toBe("https://harbor.kingsd.top");
    expect(config.access).toBe("public");
    expect(config.upstreams.map((upstream) => upstream.registry)).toEqual([
      "docker.io",
      "quay.io",
      "gcr.io",
      "k8s.gcr.io",
      "ghcr.io",
    ]);
    expect(config.rewrites).toEqual({
      "docker.io": [{ match: "^ksd-test/(.*)$", replace: "production/$1" }],
    });
    expect(config.rollout.strategy).toBe("rolling");
  });

  it("has one server and two agents at documentation addresses (192.0.2.0/24)", () => {
    const { nodes } = loaded().config;
    expect(nodes.map((node) => node.role).sort()).toEqual(["agent", "agent", "server"]);
    for (const node of nodes) expect(node.host).toMatch(/^192[.]0[.]2[.][0-9]+$/);
  });

  it("warns only about what the walk-through chose: public access and the quay provider", () => {
    expect(
      loaded()
        .warnings.map((warning) => warning.path)
        .sort(),
    ).toEqual(["access", "upstreams[1].provider"]);
  });
});

describe("list order does not matter (config.md: upstreams order does not matter)", () => {
  const example = parse(readFileSync(join(REPOSITORY_ROOT, "harbor-mirror.yaml"), "utf8")) as Record<
    string,
    unknown
  >;
  const withRewriteFor = {
    ...example,
    rewrites: { ...(example.rewrites as object), "ghcr.io": [{ match: "^a/(.*)$", replace: "b/$1" }] },
  };

  /** The config with upstreams and nodes sorted by their identity. */
  function canonical(config: HarborMirrorConfig): unknown {
    const byKey =
      <T>(key: (item: T) => string) =>
      (a: T, b: T) =>
        key(a).localeCompare(key(b));
    return {
      ...config,
      upstreams: [...config.upstreams].sort(byKey((upstream) => upstream.registry)),
      nodes: [...config.nodes].sort(byKey((node) => node.name)),
    };
  }

  function permuted<T>(items: readonly T[]): fc.Arbitrary<T[]> {
    return fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
  }

  it("gives an equal configuration for any order of upstreams, nodes and rewrite registries", () => {
    const reference = canonical(parseConfig(stringify(withRewriteFor)).config);
    const rewriteEntries = Object.entries(withRewriteFor.rewrites);
    fc.assert(
      fc.property(
        permuted(example.upstreams as unknown[]),
        permuted(example.nodes as unknown[]),
        permuted(rewriteEntries),
        (upstreams, nodes, rewrites) => {
          const reordered = { ...withRewriteFor, upstreams, nodes, rewrites: Object.fromEntries(rewrites) };
          const { config } = parseConfig(stringify(reordered));
          expect(canonical(config)).toEqual(reference);
          expect(JSON.stringify(config.rewrites)).toBe(
            JSON.stringify((reference as HarborMirrorConfig).rewrites),
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  it("keeps the priority order of one registry's rewrite rules", () => {
    const rules = [
      { match: "^a/(.*)$", replace: "x/$1" },
      { match: "^b/(.*)$", replace: "y/$1" },
    ];
    const load = (ordered: typeof rules) =>
      parseConfig(stringify({ ...example, rewrites: { "docker.io": ordered } })).config.rewrites["docker.io"];
    expect(load(rules)).toEqual(rules);
    expect(load([...rules].reverse())).toEqual([...rules].reverse());
  });
});
