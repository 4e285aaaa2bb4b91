import { CLI_MD_RESOLVE_EXAMPLE, WALK_THROUGH_SPEC } from "../../testing/walk-through";
import { compileRegistriesSpec } from "../../registries/compile-rules";
import { InvalidImageReferenceError } from "../../registries/image-reference";
import type { RegistriesFile } from "../../registries/model";
import { parseRegistriesYaml } from "../../registries/parse";
import { resolveImage, type ResolveAttempt } from "../../registries/resolve";

function registriesYaml(text: string): RegistriesFile {
  const { file, diagnostics } = parseRegistriesYaml(text);
  expect(diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
  return file;
}

/** The original walk-through: both rules in one map, as users write them by hand. */
const WALK_THROUGH_YAML = `
mirrors:
  "docker.io":
    endpoint:
      - "https://harbor.kingsd.top"
    rewrite:
      "^ksd-test/(.*)": "production/$1"
      "^(.*)$": "docker.io/$1"
`;

const orderedWalkThrough = compileRegistriesSpec(WALK_THROUGH_SPEC);

const dockerHubDefault = (repository: string, object = "latest"): ResolveAttempt => ({
  endpoint: "https://registry-1.docker.io/v2",
  repository,
  url: `https://registry-1.docker.io/v2/${repository}/manifests/${object}`,
  rule: null,
  auth: null,
});

describe("resolveImage: the walk-through (§4.3, cli.md)", () => {
  it("§4.3 two overlapping rules in a hand-written map are non-deterministic", () => {
    const result = resolveImage("ksd-test/busybox:1.35", registriesYaml(WALK_THROUGH_YAML));
    expect(result.deterministic).toBe(false);
    expect(result.attempts).toEqual([
      {
        endpoint: "https://harbor.kingsd.top/v2",
        repository: null,
        url: null,
        rule: null,
        auth: null,
        candidates: ["docker.io/ksd-test/busybox", "production/busybox"],
      },
      dockerHubDefault("ksd-test/busybox", "1.35"),
    ]);
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /rewrite "ksd-test\/busybox" differently.*random \(docs\/registries\.md#rewrites\)/,
      ),
    ]);
  });

  it("cli.md: the compiled ordered rules resolve deterministically, exactly as documented", () => {
    expect(resolveImage("ksd-test/busybox:1.35", orderedWalkThrough)).toEqual(CLI_MD_RESOLVE_EXAMPLE);
  });

  it("§4.1 busybox falls through to the proxy rule as docker.io/library/busybox", () => {
    const [mirror] = resolveImage("busybox", orderedWalkThrough).attempts;
    expect(mirror.repository).toBe("docker.io/library/busybox");
    expect(mirror.url).toBe(
      "https://harbor.kingsd.top/v2/docker.io/library/busybox/manifests/latest?ns=docker.io",
    );
  });
});

const HARBOR_RECIPE_YAML = `
mirrors:
  "docker.io":
    endpoint:
      - "https://harbor.example.com"
    rewrite:
      "^(.*)$": "dockerhub-proxy/$1"
  "quay.io":
    endpoint:
      - "https://harbor.example.com"
    rewrite:
      "^(.*)$": "quay-proxy/$1"
configs:
  "harbor.example.com":
    auth:
      username: "robot$k8s-puller"
      password: "s3cr3t-value"
`;

describe("resolveImage: attempts, URLs and auth (§7)", () => {
  const cases: {
    name: string;
    yaml: string;
    image: string;
    disableDefaultEndpoint?: boolean;
    attempts: ResolveAttempt[];
  }[] = [
    {
      name: "§11 the Harbor recipe: proxy project via rewrite, then the upstream without rewrite",
      yaml: HARBOR_RECIPE_YAML,
      image: "busybox",
      attempts: [
        {
          endpoint: "https://harbor.example.com/v2",
          repository: "dockerhub-proxy/library/busybox",
          url: "https://harbor.example.com/v2/dockerhub-proxy/library/busybox/manifests/latest?ns=docker.io",
          rule: "^(.*)$",
          auth: "harbor.example.com",
        },
        dockerHubDefault("library/busybox"),
      ],
    },
    {
      name: "§3.2 disable-default-registry-endpoint removes the upstream attempt",
      yaml: HARBOR_RECIPE_YAML,
      image: "quay.io/org/app@sha256:" + "b".repeat(64),
      disableDefaultEndpoint: true,
      attempts: [
        {
          endpoint: "https://harbor.example.com/v2",
          repository: "quay-proxy/org/app",
          url: `https://harbor.example.com/v2/quay-proxy/org/app/manifests/sha256:${"b".repeat(64)}?ns=quay.io`,
          rule: "^(.*)$",
          auth: "harbor.example.com",
        },
      ],
    },
    {
      name: "§3.4 a registry without a directory uses containerd's built-in default",
      yaml: HARBOR_RECIPE_YAML,
      image: "ghcr.io/org/tool:v1",
      attempts: [
        {
          endpoint: "https://ghcr.io/v2",
          repository: "org/tool",
          url: "https://ghcr.io/v2/org/tool/manifests/v1",
          rule: null,
          auth: null,
        },
      ],
    },
    {
      name: '§3.4 the "*" mirror applies to registries without their own directory; server "" is the pulled registry',
      yaml: `mirrors:\n  "*":\n    endpoint: ["https://harbor.example.com"]\n    rewrite:\n      "^(.*)$": "all/$1"\n`,
      image: "ghcr.io/org/tool:v1",
      attempts: [
        {
          endpoint: "https://harbor.example.com/v2",
          repository: "all/org/tool",
          url: "https://harbor.example.com/v2/all/org/tool/manifests/v1?ns=ghcr.io",
          rule: "^(.*)$",
          auth: null,
        },
        {
          endpoint: "https://ghcr.io/v2",
          repository: "org/tool",
          url: "https://ghcr.io/v2/org/tool/manifests/v1",
          rule: null,
          auth: null,
        },
      ],
    },
    {
      name: '§3.2 step 6 an auth-only configs entry creates a directory, so "*" no longer applies (no merging)',
      yaml: `mirrors:\n  "*":\n    endpoint: ["https://harbor.example.com"]\nconfigs:\n  "ghcr.io":\n    auth:\n      username: "u"\n      password: "p"\n`,
      image: "ghcr.io/org/tool:v1",
      attempts: [
        {
          endpoint: "https://ghcr.io/v2",
          repository: "org/tool",
          url: "https://ghcr.io/v2/org/tool/manifests/v1",
          rule: null,
          auth: "ghcr.io",
        },
      ],
    },
    {
      name: "§4.7 an override path is the API root and the repository is appended to it",
      yaml: `mirrors:\n  "docker.io":\n    endpoint: ["https://registry.example.com/prefix/v2"]\n`,
      image: "busybox",
      attempts: [
        {
          endpoint: "https://registry.example.com/prefix/v2",
          repository: "library/busybox",
          url: "https://registry.example.com/prefix/v2/library/busybox/manifests/latest?ns=docker.io",
          rule: null,
          auth: null,
        },
        dockerHubDefault("library/busybox"),
      ],
    },
    {
      name: "§5 auth is keyed by the endpoint host, not by the mirror key (k3s#3937)",
      yaml: `mirrors:\n  "docker.io":\n    endpoint: ["https://harbor.example.com"]\nconfigs:\n  "docker.io":\n    auth:\n      username: "u"\n      password: "p"\n`,
      image: "busybox",
      attempts: [
        {
          endpoint: "https://harbor.example.com/v2",
          repository: "library/busybox",
          url: "https://harbor.example.com/v2/library/busybox/manifests/latest?ns=docker.io",
          rule: null,
          auth: null,
        },
        { ...dockerHubDefault("library/busybox"), auth: "docker.io" },
      ],
    },
    {
      name: "§4.6 the :443 trick: an endpoint that differs from the default gets rewrites and ?ns=",
      yaml: `mirrors:\n  "registry.example.com":\n    endpoint: ["https://registry.example.com:443"]\n    rewrite:\n      "^(.*)$": "proj/$1"\n`,
      image: "registry.example.com/app:1",
      attempts: [
        {
          endpoint: "https://registry.example.com:443/v2",
          repository: "proj/app",
          url: "https://registry.example.com:443/v2/proj/app/manifests/1?ns=registry.example.com",
          rule: "^(.*)$",
          auth: null,
        },
        {
          endpoint: "https://registry.example.com/v2",
          repository: "app",
          url: "https://registry.example.com/v2/app/manifests/1",
          rule: null,
          auth: null,
        },
      ],
    },
    {
      name: "§4.7 no ?ns= when the mirror endpoint is the registry's own host",
      yaml: `mirrors:\n  "registry.example.com":\n    endpoint: ["https://registry.example.com/proxy"]\n`,
      image: "registry.example.com/app:1",
      attempts: [
        {
          endpoint: "https://registry.example.com/proxy",
          repository: "app",
          url: "https://registry.example.com/proxy/app/manifests/1",
          rule: null,
          auth: null,
        },
        {
          endpoint: "https://registry.example.com/v2",
          repository: "app",
          url: "https://registry.example.com/v2/app/manifests/1",
          rule: null,
          auth: null,
        },
      ],
    },
    {
      name: "§4.3 several rules with the same output are deterministic; rule = the first in sorted order",
      yaml: `mirrors:\n  "docker.io":\n    endpoint: ["https://h.example"]\n    rewrite:\n      "^(library/.*)$": "p/$1"\n      "^(.*)$": "p/$1"\n`,
      image: "busybox",
      attempts: [
        {
          endpoint: "https://h.example/v2",
          repository: "p/library/busybox",
          url: "https://h.example/v2/p/library/busybox/manifests/latest?ns=docker.io",
          rule: "^(.*)$",
          auth: null,
        },
        dockerHubDefault("library/busybox"),
      ],
    },
  ];
  it.each(cases)("$name", ({ yaml, image, disableDefaultEndpoint, attempts }) => {
    const result = resolveImage(image, registriesYaml(yaml), { disableDefaultEndpoint });
    expect(result.attempts).toEqual(attempts);
    expect(result.deterministic).toBe(true);
  });
});

describe("resolveImage: embedded registry (§3.6, §7 step 4)", () => {
  it("§3.6 the embedded registry is tried first, never rewritten, and carries no registries.yaml auth", () => {
    const embeddedRegistry = {
      address: "10.0.0.5:9345",
      tls: { ca_file: "ca", cert_file: "c", key_file: "k" },
    };
    const result = resolveImage("busybox", registriesYaml(HARBOR_RECIPE_YAML), { embeddedRegistry });
    expect(result.attempts.map((attempt) => [attempt.endpoint, attempt.repository, attempt.rule])).toEqual([
      ["https://10.0.0.5:9345/v2", "library/busybox", null],
      ["https://harbor.example.com/v2", "dockerhub-proxy/library/busybox", "^(.*)$"],
      ["https://registry-1.docker.io/v2", "library/busybox", null],
    ]);
    expect(result.attempts[0].url).toBe(
      "https://10.0.0.5:9345/v2/library/busybox/manifests/latest?ns=docker.io",
    );
  });
});

describe("resolveImage: warnings (§7 step 6)", () => {
  const cases: { name: string; yaml: string; image: string; warning: RegExp; attempts?: number }[] = [
    {
      name: "§4.2 a pattern that does not compile is reported and skipped",
      yaml: `mirrors:\n  "docker.io":\n    endpoint: ["https://h.example"]\n    rewrite:\n      "^(?!x)(.*)": "p/$1"\n`,
      image: "busybox",
      warning: /pattern "\^\(\?!x\)\(\.\*\)" does not compile as RE2 and is skipped/,
    },
    {
      name: "§3.2 step 4 rewrites dropped because the only endpoint equals the default (§10.1)",
      yaml: `mirrors:\n  "registry.example.com":\n    endpoint: ["https://registry.example.com"]\n    rewrite:\n      "^(.*)$": "proj/$1"\n`,
      image: "registry.example.com/app",
      warning: /folded into the default and its rewrites \("\^\(\.\*\)\$"\) are never applied/,
      attempts: 1,
    },
    {
      name: "§5 wildcard auth is not supported",
      yaml: `configs:\n  "*":\n    auth:\n      username: "u"\n      password: "p"\n`,
      image: "busybox",
      warning: /configs\."\*"\.auth is not supported/,
    },
    {
      name: "§3.2 a duplicate endpoint of the chosen mirror is reported",
      yaml: `mirrors:\n  "docker.io":\n    endpoint: ["https://h.example", "h.example"]\n`,
      image: "busybox",
      warning: /endpoint\[1\]: duplicate endpoint URL "h\.example"/,
      attempts: 2,
    },
  ];
  it.each(cases)("$name", ({ yaml, image, warning, attempts }) => {
    const result = resolveImage(image, registriesYaml(yaml));
    expect(result.warnings).toEqual(expect.arrayContaining([expect.stringMatching(warning)]));
    if (attempts !== undefined) expect(result.attempts).toHaveLength(attempts);
  });
});

// containerd `parseHostConfig` cleans the path K3s writes verbatim (override_path): the node requests
// under the cleaned API root, and that is what resolve reports.
describe("resolveImage: endpoint paths as containerd cleans them", () => {
  it.each([
    { endpoint: "https://h.example/v2/", apiRoot: "https://h.example/v2" },
    { endpoint: "https://h.example//v2", apiRoot: "https://h.example/v2" },
    { endpoint: "https://h.example/a/../v2", apiRoot: "https://h.example/v2" },
    { endpoint: "https://h.example/proxy/", apiRoot: "https://h.example/proxy" },
    { endpoint: "https://h.example/v2//docker.io/", apiRoot: "https://h.example/v2/docker.io" },
    { endpoint: "https://h.example/v%32", apiRoot: "https://h.example/v2" },
  ])("$endpoint is requested under $apiRoot", ({ endpoint, apiRoot }) => {
    const file = { mirrors: { "docker.io": { endpoint: [endpoint] } } };
    const [mirror] = resolveImage("busybox", file).attempts;
    expect(mirror).toEqual({
      endpoint: apiRoot,
      repository: "library/busybox",
      url: `${apiRoot}/library/busybox/manifests/latest?ns=docker.io`,
      rule: null,
      auth: null,
    });
  });
});

// RKE2 pastes each rule between double quotes in hosts.toml, unescaped; containerd decodes that TOML
// before compiling (rke2-registries.md §4.8). The files are built as objects: RKE2 reads any string.
describe("resolveImage: rewrite text as hosts.toml decodes it (§4.8)", () => {
  const mirrorWith = (rewrite: Record<string, string>): RegistriesFile => ({
    mirrors: { "docker.io": { endpoint: ["https://h.example"], rewrite } },
  });
  const decoded: { name: string; rewrite: Record<string, string>; image: string; repository: string }[] = [
    {
      name: "a doubled backslash reaches containerd as one: \\. is a regex escape of the dot",
      rewrite: { "^acme/app\\\\.v2$": "pinned/app" },
      image: "acme/app.v2",
      repository: "pinned/app",
    },
    {
      name: "\\u00e9 in the replacement becomes é",
      rewrite: { "^(.*)$": "caf\\u00e9/$1" },
      image: "library/app",
      repository: "café/library/app",
    },
    {
      name: "\\t in the pattern becomes a tab, so the rule no longer matches",
      rewrite: { "^a\\tb/(.*)$": "p/$1" },
      image: "atb/app",
      repository: "atb/app",
    },
    {
      name: "a double quote can end the string early: the rest is a TOML comment",
      rewrite: { "^(.*)$": 'p/$1" # the rest' },
      image: "library/app",
      repository: "p/library/app",
    },
  ];
  it.each(decoded)("$name", ({ rewrite, image, repository }) => {
    const result = resolveImage(image, mirrorWith(rewrite));
    expect(result.attempts[0]).toMatchObject({ endpoint: "https://h.example/v2", repository });
    expect(result.warnings).toEqual([
      expect.stringMatching(/hosts\.toml decodes the rule .* containerd compiles/),
    ]);
  });

  const broken: { name: string; rewrite: Record<string, string> }[] = [
    { name: "an unknown TOML escape (\\.)", rewrite: { "^a\\.b/(.*)": "p/$1" } },
    { name: "a raw newline", rewrite: { "^(.*)$": "p/\n$1" } },
    { name: "another control character", rewrite: { "^(.*)$": "p/\u0001$1" } },
    {
      name: "a TOML 1.1 escape containerd's TOML 1.0 decoder does not know (\\e)",
      rewrite: { "^(.*)$": "p\\e/$1" },
    },
    { name: "a double quote that leaves no valid TOML", rewrite: { '^a"b': "p" } },
    { name: "two rules that decode to the same key", rewrite: { "^a\\u0062": "x", "^ab": "y" } },
  ];
  it.each(broken)("$name breaks the file: containerd ignores every mirror of the registry", ({ rewrite }) => {
    const result = resolveImage("busybox", mirrorWith(rewrite));
    expect(result.attempts).toEqual([dockerHubDefault("library/busybox")]);
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /break the generated hosts\.toml \(.+\).*uses only the default host \(docs\/registries\.md#backslashes-and-quotes-break-hoststoml\)/,
      ),
    ]);
  });

  it("a tab survives the TOML string unchanged (allowed raw in a basic string)", () => {
    expect(resolveImage("busybox", mirrorWith({ "^(.*)\t$": "p/$1" })).warnings).toEqual([]);
  });
});

describe("resolveImage: invariants", () => {
  it("secrets never appear in the result", () => {
    const text = JSON.stringify(resolveImage("busybox", registriesYaml(HARBOR_RECIPE_YAML)));
    expect(text).not.toContain("s3cr3t-value");
    expect(text).not.toContain("robot$k8s-puller");
  });

  it("the order of keys in the file does not change the result", () => {
    const forward = {
      mirrors: {
        "docker.io": { endpoint: ["https://h.example"], rewrite: { "^a/(.*)": "x/$1", "^b/(.*)": "y/$1" } },
      },
    };
    const backward = {
      mirrors: {
        "docker.io": { endpoint: ["https://h.example"], rewrite: { "^b/(.*)": "y/$1", "^a/(.*)": "x/$1" } },
      },
    };
    expect(JSON.stringify(resolveImage("a/app", forward))).toBe(
      JSON.stringify(resolveImage("a/app", backward)),
    );
  });

  it("§4.1 an invalid image reference is an error naming the value", () => {
    expect(() => resolveImage("Library/BusyBox:x", {})).toThrow(InvalidImageReferenceError);
  });
});
