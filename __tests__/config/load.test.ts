/**
 * Loading valid harbor-mirror.yaml files: defaults, file discovery, the example file, and
 * independence from list order.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { buildApp } from "../../app/build";
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
      harbor: { url: "https://harbor.example.com/", allowInsecureHttp: false, insecureApi: false },
      access: "public",
      robot: {},
      protectProjects: true,
      retention: { daysSinceLastPull: 7, schedule: "Daily" },
      upstreams: [
        {
          registry: "docker.io",
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

  it("resolves caCertFile from the file's directory and leaves computed defaults to the constructs", () => {
    writeFileSync(join(workDir, "ca.pem"), PEM);
    const yaml =
      "version: 1\nharbor:\n  url: https://harbor.example.com\n  caCertFile: ./ca.pem\n" +
      "distribution: k3s\nupstreams:\n  - registry: registry.example.com:5000\n" +
      "nodes:\n  - { name: n1, host: 192.0.2.11, role: agent }\n";
    const { config } = parseConfig(yaml, "harbor-mirror.yaml", workDir);
    expect(config.harbor.caCertFile).toBe(join(workDir, "ca.pem"));
    expect(config.harbor.caCertNodePath).toBeUndefined();
    expect(config.nodes[0].registriesPath).toBeUndefined();
    expect(config.upstreams[0]).toEqual(expect.not.objectContaining({ project: expect.anything() }));
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
      endpointUrl: "https://quay.io/",
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

  it("warns only about what the walk-through chose: public access, the quay provider, the unmanaged production project", () => {
    const outdir = join(workDir, "out");
    const { warnings } = buildApp({ configPath: "harbor-mirror.yaml", cwd: REPOSITORY_ROOT, outdir });
    expect(warnings.map((warning) => warning.path).sort()).toEqual([
      "access",
      'rewrites."docker.io"[0].match',
      "upstreams[1].provider",
    ]);
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
