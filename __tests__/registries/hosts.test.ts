/**
 * `getHostConfigs` against the expected outputs of k3s `Test_UnitGetHostConfigs`
 * (pkg/agent/containerd/config_test.go @ 06ea261c, spec rke2-registries.md §3.2, and §3.6 for the
 * embedded registry, which the k3s test injects at 127.0.0.1:6443 with these TLS file names).
 */
import { configForHost, getHostConfigs, type HostEntry } from "../../registries/hosts";
import type { RegistriesFile } from "../../registries/model";

/** A compact, readable view of a host entry: what hosts.toml would say. */
interface EntrySummary {
  /** `server` URL; `""` = server = "" (registry pulled); `(none)` = no server line; absent = removed. */
  server?: string;
  serverConfig?: string;
  endpoints: string[];
}

function summarize(entry: HostEntry): EntrySummary {
  const summary: EntrySummary = { endpoints: entry.mirrors.map(describeMirror) };
  if (entry.default) {
    summary.server = { url: entry.default.endpoint?.url ?? "", "pulled-registry": "", none: "(none)" }[
      entry.default.kind
    ];
    if (entry.default.configKey !== undefined) summary.serverConfig = entry.default.configKey;
  }
  return summary;
}

function describeMirror(mirror: HostEntry["mirrors"][number]): string {
  const parts = [mirror.endpoint.url];
  if (mirror.endpoint.overridePath) parts.push("override_path");
  if (mirror.configKey !== undefined) parts.push(`config=${mirror.configKey}`);
  const rules = Object.keys(mirror.rewrites);
  if (rules.length > 0) parts.push(`rewrite=${rules.join(",")}`);
  return parts.join(" ");
}

const userPass = { auth: { username: "user", password: "pass" } };
const dockerHubDefault = "https://registry-1.docker.io/v2";

const embeddedRegistry = {
  address: "127.0.0.1:6443",
  tls: { ca_file: "server-ca", cert_file: "client-cert", key_file: "client-key" },
};
const embeddedEndpoint = "https://127.0.0.1:6443/v2 config=127.0.0.1:6443";
const embeddedEntry: EntrySummary = {
  server: "https://127.0.0.1:6443/v2",
  serverConfig: "127.0.0.1:6443",
  endpoints: [],
};
const exampleMirrorEntry: EntrySummary = {
  server: "https://registry.example.com/v2",
  serverConfig: "registry.example.com",
  endpoints: [],
};

const cases: {
  name: string;
  file: RegistriesFile;
  disableDefault?: boolean;
  embedded?: boolean;
  want: Record<string, EntrySummary>;
}[] = [
  { name: "no registries", file: {}, want: {} },
  { name: "registry with default endpoint", file: { mirrors: { "docker.io": null } }, want: {} },
  {
    name: "registry with default endpoint explicitly listed",
    file: { mirrors: { "docker.io": { endpoint: ["docker.io"] } } },
    want: {},
  },
  {
    name: "registry with default endpoint and creds",
    file: { mirrors: { "docker.io": null }, configs: { "docker.io": userPass } },
    want: { "docker.io": { server: dockerHubDefault, serverConfig: "docker.io", endpoints: [] } },
  },
  {
    name: "registry with default endpoint explicitly listed and creds",
    file: { mirrors: { "docker.io": { endpoint: ["docker.io"] } }, configs: { "docker.io": userPass } },
    want: { "docker.io": { server: dockerHubDefault, serverConfig: "docker.io", endpoints: [] } },
  },
  {
    name: "registry with only creds",
    file: { configs: { "docker.io": userPass } },
    want: { "docker.io": { server: dockerHubDefault, serverConfig: "docker.io", endpoints: [] } },
  },
  {
    name: "private registry with default endpoint",
    file: { mirrors: { "registry.example.com": null } },
    want: {},
  },
  {
    name: "private registry with default endpoint and creds",
    file: { mirrors: { "registry.example.com": null }, configs: { "registry.example.com": userPass } },
    want: {
      "registry.example.com": {
        server: "https://registry.example.com/v2",
        serverConfig: "registry.example.com",
        endpoints: [],
      },
    },
  },
  {
    name: "private registry with only creds",
    file: { configs: { "registry.example.com": userPass } },
    want: {
      "registry.example.com": {
        server: "https://registry.example.com/v2",
        serverConfig: "registry.example.com",
        endpoints: [],
      },
    },
  },
  ...(
    [
      [
        "full URL with override path",
        "https://registry.example.com/prefix/v2",
        "https://registry.example.com/prefix/v2 override_path",
      ],
      [
        "hostname only with override path",
        "registry.example.com/prefix/v2",
        "https://registry.example.com/prefix/v2 override_path",
      ],
      ["hostname only with default path", "registry.example.com/v2", "https://registry.example.com/v2"],
      ["full URL", "https://registry.example.com/v2", "https://registry.example.com/v2"],
      ["URL without path", "https://registry.example.com", "https://registry.example.com/v2"],
      ["hostname only", "registry.example.com", "https://registry.example.com/v2"],
      ["hostname and port only", "registry.example.com:443", "https://registry.example.com:443/v2"],
      ["ip address only", "1.2.3.4", "https://1.2.3.4/v2"],
      ["ip and port only", "1.2.3.4:443", "https://1.2.3.4:443/v2"],
      ["localhost and port only", "localhost:5000", "http://localhost:5000/v2"],
      ["localhost and port with scheme", "https://localhost:5000", "https://localhost:5000/v2"],
      ["loopback ip and port only", "127.0.0.1:5000", "http://127.0.0.1:5000/v2"],
      ["loopback ip and port with scheme", "https://127.0.0.1:5000", "https://127.0.0.1:5000/v2"],
    ] as const
  ).map(([form, endpoint, rendered]) => ({
    name: `registry with mirror endpoint - ${form}`,
    file: { mirrors: { "docker.io": { endpoint: [endpoint] } } },
    want: { "docker.io": { server: dockerHubDefault, endpoints: [rendered] } },
  })),
  {
    name: "registry with mirror endpoint - duplicate endpoints",
    file: { mirrors: { "docker.io": { endpoint: ["registry.example.com", "registry.example.com"] } } },
    want: { "docker.io": { server: dockerHubDefault, endpoints: ["https://registry.example.com/v2"] } },
  },
  {
    name: "registry with mirror endpoint - duplicate endpoints in different formats",
    file: {
      mirrors: {
        "docker.io": {
          endpoint: [
            "registry.example.com",
            "https://registry.example.com",
            "https://registry.example.com/v2",
          ],
        },
      },
    },
    want: { "docker.io": { server: dockerHubDefault, endpoints: ["https://registry.example.com/v2"] } },
  },
  {
    name: "registry with mirror endpoint - duplicate endpoints in different positions",
    file: {
      mirrors: {
        "docker.io": {
          endpoint: [
            "https://registry.example.com",
            "https://registry.example.org",
            "https://registry.example.com",
          ],
        },
      },
    },
    want: {
      "docker.io": {
        server: dockerHubDefault,
        endpoints: ["https://registry.example.com/v2", "https://registry.example.org/v2"],
      },
    },
  },
  {
    name: "registry with mirror endpoint and mirror creds",
    file: {
      mirrors: { "docker.io": { endpoint: ["https://registry.example.com/v2"] } },
      configs: { "registry.example.com": userPass },
    },
    want: {
      "docker.io": {
        server: dockerHubDefault,
        endpoints: ["https://registry.example.com/v2 config=registry.example.com"],
      },
      "registry.example.com": {
        server: "https://registry.example.com/v2",
        serverConfig: "registry.example.com",
        endpoints: [],
      },
    },
  },
  ...(["/prefix/v2", "/project/registry"] as const).map((path) => ({
    name: `registry with mirror endpoint and mirror creds - override path ${path}`,
    file: {
      mirrors: {
        "docker.io": { endpoint: [`https://registry.example.com${path}`] },
        "registry.example.com": { endpoint: [`https://registry.example.com${path}`] },
      },
      configs: { "registry.example.com": userPass },
    },
    want: {
      "docker.io": {
        server: dockerHubDefault,
        endpoints: [`https://registry.example.com${path} override_path config=registry.example.com`],
      },
      "registry.example.com": {
        server: "https://registry.example.com/v2",
        serverConfig: "registry.example.com",
        endpoints: [`https://registry.example.com${path} override_path config=registry.example.com`],
      },
    },
  })),
  {
    name: "registry with mirror endpoint and mirror creds - no default endpoint",
    disableDefault: true,
    file: {
      mirrors: { "docker.io": { endpoint: ["https://registry.example.com/v2"] } },
      configs: { "registry.example.com": userPass },
    },
    want: {
      "docker.io": { endpoints: ["https://registry.example.com/v2 config=registry.example.com"] },
      "registry.example.com": {
        server: "https://registry.example.com/v2",
        serverConfig: "registry.example.com",
        endpoints: [],
      },
    },
  },
  { name: "wildcard mirror endpoint - no endpoints", file: { mirrors: { "*": null } }, want: {} },
  {
    name: "wildcard mirror endpoint - full URL",
    file: { mirrors: { "*": { endpoint: ["https://registry.example.com/v2"] } } },
    want: { _default: { server: "", endpoints: ["https://registry.example.com/v2"] } },
  },
  {
    name: "wildcard config",
    file: { configs: { "*": { ...userPass, tls: { insecure_skip_verify: true } } } },
    want: { _default: { server: "(none)", serverConfig: "*", endpoints: [] } },
  },
  ...["localhost", "localhost:443", "localhost:5000", "localhost:80"].map((key) => ({
    name: `localhost registry - default endpoint ${key} alone produces nothing`,
    file: { mirrors: { [key]: null } },
    want: {},
  })),
  {
    name: "localhost registry - https endpoint on odd port with tls verification disabled",
    file: {
      mirrors: { "localhost:5000": { endpoint: ["https://localhost:5000"] } },
      configs: { "localhost:5000": { tls: { insecure_skip_verify: true } } },
    },
    want: {
      "localhost:5000": {
        server: "http://localhost:5000/v2",
        serverConfig: "localhost:5000",
        endpoints: ["https://localhost:5000/v2 config=localhost:5000"],
      },
    },
  },
  {
    name: "registry with default endpoint - embedded registry",
    embedded: true,
    file: { mirrors: { "docker.io": null } },
    want: {
      "docker.io": { server: dockerHubDefault, endpoints: [embeddedEndpoint] },
      "127.0.0.1:6443": embeddedEntry,
    },
  },
  {
    name: "registry with mirror endpoint and mirror creds - embedded registry",
    embedded: true,
    file: {
      mirrors: { "docker.io": { endpoint: ["https://registry.example.com/v2"] } },
      configs: { "registry.example.com": userPass },
    },
    want: {
      "docker.io": {
        server: dockerHubDefault,
        endpoints: [embeddedEndpoint, "https://registry.example.com/v2 config=registry.example.com"],
      },
      "registry.example.com": exampleMirrorEntry,
      "127.0.0.1:6443": embeddedEntry,
    },
  },
  {
    name: "registry with mirror endpoint and mirror creds - embedded registry with rewrites",
    embedded: true,
    file: {
      mirrors: {
        "docker.io": {
          endpoint: ["https://registry.example.com/v2"],
          rewrite: { "^rancher/(.*)": "docker/rancher-images/$1" },
        },
      },
      configs: { "registry.example.com": userPass },
    },
    want: {
      "docker.io": {
        server: dockerHubDefault,
        endpoints: [
          embeddedEndpoint,
          "https://registry.example.com/v2 config=registry.example.com rewrite=^rancher/(.*)",
        ],
      },
      "registry.example.com": exampleMirrorEntry,
      "127.0.0.1:6443": embeddedEntry,
    },
  },
  {
    name: "registry with mirror endpoint and mirror creds - embedded registry and no default endpoint",
    embedded: true,
    disableDefault: true,
    file: {
      mirrors: { "docker.io": { endpoint: ["https://registry.example.com/v2"] } },
      configs: { "registry.example.com": userPass },
    },
    want: {
      "docker.io": {
        endpoints: [embeddedEndpoint, "https://registry.example.com/v2 config=registry.example.com"],
      },
      "registry.example.com": exampleMirrorEntry,
      "127.0.0.1:6443": embeddedEntry,
    },
  },
  {
    name: "registry with mirror endpoint - embedded registry, default endpoint explicitly listed",
    embedded: true,
    file: {
      mirrors: { "docker.io": { endpoint: ["registry.example.com", "registry.example.org", "docker.io"] } },
    },
    want: {
      "docker.io": {
        server: dockerHubDefault,
        endpoints: [embeddedEndpoint, "https://registry.example.com/v2", "https://registry.example.org/v2"],
      },
      "127.0.0.1:6443": embeddedEntry,
    },
  },
  {
    name: "registry with mirror endpoint - embedded registry and no default endpoint, default endpoint explicitly listed",
    embedded: true,
    disableDefault: true,
    file: {
      mirrors: { "docker.io": { endpoint: ["registry.example.com", "registry.example.org", "docker.io"] } },
    },
    want: {
      "docker.io": {
        endpoints: [
          embeddedEndpoint,
          "https://registry.example.com/v2",
          "https://registry.example.org/v2",
          "https://registry-1.docker.io/v2",
        ],
      },
      "127.0.0.1:6443": embeddedEntry,
    },
  },
  {
    name: "wildcard mirror endpoint - full URL, embedded registry",
    embedded: true,
    file: { mirrors: { "*": { endpoint: ["https://registry.example.com/v2"] } } },
    want: {
      _default: { server: "", endpoints: [embeddedEndpoint, "https://registry.example.com/v2"] },
      "127.0.0.1:6443": embeddedEntry,
    },
  },
  {
    name: "wildcard mirror endpoint - full URL, embedded registry, no default",
    embedded: true,
    disableDefault: true,
    file: { mirrors: { "*": { endpoint: ["https://registry.example.com/v2"] } } },
    want: {
      _default: { endpoints: [embeddedEndpoint, "https://registry.example.com/v2"] },
      "127.0.0.1:6443": embeddedEntry,
    },
  },
  {
    name: "localhost registry - default http endpoint on odd port, embedded registry",
    embedded: true,
    file: { mirrors: { "localhost:5000": null } },
    want: { "127.0.0.1:6443": embeddedEntry },
  },
  // Cases beyond config_test.go, derived from config.go (§3.2).
  {
    name: "§3.2 step 3 rewrites are copied to every mirror endpoint",
    file: {
      mirrors: { "docker.io": { endpoint: ["a.example", "b.example"], rewrite: { "^(.*)$": "p/$1" } } },
    },
    want: {
      "docker.io": {
        server: dockerHubDefault,
        endpoints: ["https://a.example/v2 rewrite=^(.*)$", "https://b.example/v2 rewrite=^(.*)$"],
      },
    },
  },
  {
    name: "§3.2 step 4 an endpoint equal to the default is folded only when last (then no rewrites)",
    file: {
      mirrors: {
        "registry.example.com": { endpoint: ["registry.example.com"], rewrite: { "^(.*)$": "p/$1" } },
      },
    },
    want: { "registry.example.com": { server: "https://registry.example.com/v2", endpoints: [] } },
  },
  {
    name: "§3.2 step 4 an endpoint equal to the default but not last stays a mirror with rewrites",
    file: {
      mirrors: {
        "registry.example.com": {
          endpoint: ["registry.example.com", "other.example"],
          rewrite: { "^(.*)$": "p/$1" },
        },
      },
    },
    want: {
      "registry.example.com": {
        server: "https://registry.example.com/v2",
        endpoints: [
          "https://registry.example.com/v2 rewrite=^(.*)$",
          "https://other.example/v2 rewrite=^(.*)$",
        ],
      },
    },
  },
  {
    name: "§3.2 step 4 with the default removed, an endpoint equal to it stays a mirror",
    disableDefault: true,
    file: {
      mirrors: { "registry.example.com": { endpoint: ["registry.example.com"], rewrite: { a: "b" } } },
    },
    want: { "registry.example.com": { endpoints: ["https://registry.example.com/v2 rewrite=a"] } },
  },
  {
    name: "§3.2 step 5 disable-default with an endpoint-less mirror still produces nothing",
    disableDefault: true,
    file: { mirrors: { "docker.io": null } },
    want: {},
  },
  {
    name: "§3.2 step 7 a key under both configs and mirrors keeps its upstream despite disable-default",
    disableDefault: true,
    file: {
      mirrors: { "registry.example.com": { endpoint: ["mirror.example"] } },
      configs: { "registry.example.com": userPass },
    },
    want: {
      "registry.example.com": {
        server: "https://registry.example.com/v2",
        serverConfig: "registry.example.com",
        endpoints: ["https://mirror.example/v2"],
      },
    },
  },
  {
    name: "§3.2 wildcard mirror and wildcard config: the mirror entry replaces the config entry",
    file: {
      mirrors: { "*": { endpoint: ["https://registry.example.com"] } },
      configs: { "*": { tls: { insecure_skip_verify: true } } },
    },
    want: { _default: { server: "", serverConfig: "*", endpoints: ["https://registry.example.com/v2"] } },
  },
  {
    name: "§3.2 configForHost: registry-1.docker.io config applies to the docker.io default",
    file: { configs: { "registry-1.docker.io": userPass }, mirrors: { "docker.io": null } },
    want: {
      "docker.io": { server: dockerHubDefault, serverConfig: "registry-1.docker.io", endpoints: [] },
      "registry-1.docker.io": {
        server: dockerHubDefault,
        serverConfig: "registry-1.docker.io",
        endpoints: [],
      },
    },
  },
];

describe("getHostConfigs (§3.2, k3s Test_UnitGetHostConfigs)", () => {
  it.each(cases)("$name", ({ file, disableDefault, embedded, want }) => {
    const options = {
      disableDefaultEndpoint: disableDefault,
      embeddedRegistry: embedded ? embeddedRegistry : undefined,
    };
    const { hosts } = getHostConfigs(file, options);
    const got = Object.fromEntries(
      Object.entries(hosts).map(([directory, entry]) => [directory, summarize(entry)]),
    );
    expect(got).toEqual(want);
  });
});

describe("getHostConfigs warnings (§3.2 step 3)", () => {
  it("§3.2 invalid and duplicate endpoints are skipped with a warning naming the key path and value", () => {
    const file = {
      mirrors: { "docker.io": { endpoint: ["https://a.example", "http://[::1", "a.example"] } },
    };
    const { warnings } = getHostConfigs(file);
    expect(warnings).toEqual([
      expect.objectContaining({
        severity: "warning",
        path: 'mirrors."docker.io".endpoint[1]',
        message: expect.stringContaining('"http://[::1"'),
      }),
      expect.objectContaining({
        severity: "warning",
        path: 'mirrors."docker.io".endpoint[2]',
        message: expect.stringContaining("duplicate"),
      }),
    ]);
  });
  it("§3.2 the output does not depend on the order of keys in the input", () => {
    const forward = {
      mirrors: { "quay.io": { endpoint: ["q.example"] }, "docker.io": { endpoint: ["d.example"] } },
    };
    const backward = {
      mirrors: { "docker.io": { endpoint: ["d.example"] }, "quay.io": { endpoint: ["q.example"] } },
    };
    expect(JSON.stringify(getHostConfigs(forward))).toBe(JSON.stringify(getHostConfigs(backward)));
  });
});

describe("configForHost (§3.2)", () => {
  const configs = { "docker.io": {}, "registry-1.docker.io": {}, "quay.io": {} };
  const cases = [
    {
      name: "§3.2 docker.io maps to registry-1.docker.io when that key exists",
      host: "docker.io",
      key: "registry-1.docker.io",
    },
    { name: "§3.2 other hosts match exactly", host: "quay.io", key: "quay.io" },
    { name: "§3.2 matching is exact: a port makes it another host", host: "quay.io:443", key: undefined },
  ];
  it.each(cases)("$name", ({ host, key }) => {
    expect(configForHost(configs, host).configKey).toBe(key);
  });
  it("§3.2 docker.io falls back to its own key", () => {
    expect(configForHost({ "docker.io": {} }, "docker.io").configKey).toBe("docker.io");
  });
});
