/**
 * Endpoint normalization (rke2-registries.md §3.3): K3s `normalizeEndpointAddress` and the Go
 * `net/url.Parse` behaviour it inherits. The first table is the §3.3 example table taken from
 * k3s `config_test.go`.
 */
import {
  containerdHost,
  defaultEndpointFor,
  isBareHostPort,
  normalizeEndpointAddress,
  parseGoUrl,
} from "../../registries/endpoint";

interface NormalizationCase {
  readonly name: string;
  readonly input: string;
  readonly url: string;
  readonly overridePath: boolean;
}

// §3.3 "Examples (from config_test.go)".
const configTestExamples: readonly NormalizationCase[] = [
  {
    name: "§3.3 host only → https + /v2",
    input: "registry.example.com",
    url: "https://registry.example.com/v2",
    overridePath: false,
  },
  {
    name: "§3.3 explicit :443 is kept (not equal to the default)",
    input: "registry.example.com:443",
    url: "https://registry.example.com:443/v2",
    overridePath: false,
  },
  {
    name: "§3.3 https without path → /v2",
    input: "https://registry.example.com",
    url: "https://registry.example.com/v2",
    overridePath: false,
  },
  {
    name: "§3.3 https with /v2 stays /v2",
    input: "https://registry.example.com/v2",
    url: "https://registry.example.com/v2",
    overridePath: false,
  },
  {
    name: "§3.3 host-only with path → override path",
    input: "registry.example.com/prefix/v2",
    url: "https://registry.example.com/prefix/v2",
    overridePath: true,
  },
  {
    name: "§3.3 localhost with port → http",
    input: "localhost:5000",
    url: "http://localhost:5000/v2",
    overridePath: false,
  },
  {
    name: "§3.3 loopback IP with port → http",
    input: "127.0.0.1:5000",
    url: "http://127.0.0.1:5000/v2",
    overridePath: false,
  },
  {
    name: "§3.3 explicit https on localhost stays https",
    input: "https://localhost:5000",
    url: "https://localhost:5000/v2",
    overridePath: false,
  },
  {
    name: "§3.3 docker.io → registry-1.docker.io",
    input: "docker.io",
    url: "https://registry-1.docker.io/v2",
    overridePath: false,
  },
];

// §3.3 steps 1–5: the rules behind the examples, one case per rule.
const ruleCases: readonly NormalizationCase[] = [
  {
    name: "§3.3 step 5 trailing slash after /v2 is an override path",
    input: "https://h/v2/",
    url: "https://h/v2/",
    overridePath: true,
  },
  { name: "§3.3 step 5 lone / → /v2", input: "https://h/", url: "https://h/v2", overridePath: false },
  {
    name: "§3.3 step 5 /prefix is the API root, verbatim",
    input: "https://h/proxy-project",
    url: "https://h/proxy-project",
    overridePath: true,
  },
  {
    name: "§3.3 step 3 localhost:443 → https",
    input: "localhost:443",
    url: "https://localhost:443/v2",
    overridePath: false,
  },
  {
    name: "§3.3 step 3 localhost without port → https",
    input: "localhost",
    url: "https://localhost/v2",
    overridePath: false,
  },
  {
    name: "§3.3 step 3 IPv6 loopback with port → http",
    input: "[::1]:5000",
    url: "http://[::1]:5000/v2",
    overridePath: false,
  },
  {
    name: "§3.3 step 3 whole 127/8 is loopback",
    input: "127.1.2.3:8080",
    url: "http://127.1.2.3:8080/v2",
    overridePath: false,
  },
  {
    name: "§3.3 step 3 non-loopback IP with port → https",
    input: "10.0.0.1:5000",
    url: "https://10.0.0.1:5000/v2",
    overridePath: false,
  },
  {
    name: "§3.3 step 3 explicit http kept",
    input: "http://registry.example.com",
    url: "http://registry.example.com/v2",
    overridePath: false,
  },
  {
    name: "§3.3 step 4 docker.io:443 is not mapped",
    input: "docker.io:443",
    url: "https://docker.io:443/v2",
    overridePath: false,
  },
  {
    name: "§3.3 step 4 no lower-casing of the host",
    input: "Registry.Example.com",
    url: "https://Registry.Example.com/v2",
    overridePath: false,
  },
  {
    name: "§3.3 step 2 Go lower-cases the scheme",
    input: "HTTPS://h",
    url: "https://h/v2",
    overridePath: false,
  },
  {
    name: "§3.3 step 6 query and fragment are kept in the key",
    input: "https://h/v2?x=1#f",
    url: "https://h/v2?x=1#f",
    overridePath: false,
  },
  {
    name: "§3.3 step 2 Go escapes a space in the path",
    input: "https://h/a b",
    url: "https://h/a%20b",
    overridePath: true,
  },
];

describe("normalizeEndpointAddress", () => {
  it.each([...configTestExamples, ...ruleCases])("$name: $input → $url", ({ input, url, overridePath }) => {
    const result = normalizeEndpointAddress(input);
    expect(result).toMatchObject({ ok: true, endpoint: { url, overridePath } });
  });

  it("§3.3 exposes scheme, host and path separately", () => {
    expect(normalizeEndpointAddress("registry.example.com:5000/prefix")).toEqual({
      ok: true,
      endpoint: {
        url: "https://registry.example.com:5000/prefix",
        scheme: "https",
        host: "registry.example.com:5000",
        path: "/prefix",
        overridePath: true,
      },
    });
  });

  // §3.3 step 2: a Go url.Parse error makes the endpoint invalid (K3s skips it).
  it.each([
    { name: "§3.3 step 2 non-numeric port", input: "h:abc", error: /invalid port ":abc"/ },
    { name: "§3.3 step 2 missing scheme before ://", input: "://h", error: /missing protocol scheme/ },
    { name: "§3.3 step 2 bad percent escape", input: "https://h/%zz", error: /invalid URL escape "%zz"/ },
    { name: "§3.3 step 2 control character", input: "https://h/\n", error: /invalid control character/ },
    { name: "§3.3 step 2 unclosed IPv6 bracket", input: "https://[::1/v2", error: /missing '\]' in host/ },
    {
      name: "§3.3 step 2 invalid host character",
      input: "https://h{x}/",
      error: /invalid character "\{" in host name/,
    },
    {
      name: "§3.3 step 2 colon in first segment without scheme",
      input: "1http://x",
      error: /first path segment/,
    },
  ])("$name: $input is rejected", ({ input, error }) => {
    const result = normalizeEndpointAddress(input);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.error).toMatch(error);
  });

  it("§3.3 step 2 does not reject an empty host (the validator must)", () => {
    expect(normalizeEndpointAddress("https://")).toMatchObject({ ok: true, endpoint: { host: "" } });
  });
});

describe("parseGoUrl", () => {
  it("§3.3 step 6 splits userinfo, query and fragment the way Go does", () => {
    expect(parseGoUrl("http://u:p@h:1/x?q=1#frag")).toEqual({
      ok: true,
      url: {
        scheme: "http",
        opaque: "",
        userinfo: "u:p",
        host: "h:1",
        rawPath: "/x",
        rawQuery: "q=1",
        forceQuery: false,
        fragment: "frag",
      },
    });
  });
});

describe("defaultEndpointFor", () => {
  it.each([
    {
      name: "§3.2 step 1 config key → normalized default",
      key: "harbor.example.com",
      url: "https://harbor.example.com/v2",
    },
    {
      name: "§3.2 step 2 mirror key docker.io → registry-1.docker.io",
      key: "docker.io",
      url: "https://registry-1.docker.io/v2",
    },
    {
      name: "§3.2 step 1 key with port keeps it",
      key: "harbor.example.com:8443",
      url: "https://harbor.example.com:8443/v2",
    },
  ])("$name", ({ key, url }) => {
    expect(defaultEndpointFor(key)).toMatchObject({ ok: true, endpoint: { url } });
  });

  it('§3.2 step 1 "*" has no default URL', () => {
    expect(defaultEndpointFor("*").ok).toBe(false);
  });
});

describe("isBareHostPort", () => {
  it.each([
    { key: "docker.io", bare: true },
    { key: "harbor.example.com:5000", bare: true },
    { key: "1.2.3.4", bare: true },
    { key: "[::1]:5000", bare: true },
    { key: "https://docker.io", bare: false },
    { key: "harbor.example.com/project", bare: false },
    { key: "user@harbor.example.com", bare: false },
    { key: "harbor.example.com:port", bare: false },
    { key: "", bare: false },
    { key: "*", bare: false },
  ])("§8 mirror/config key $key → bare host[:port] = $bare", ({ key, bare }) => {
    expect(isBareHostPort(key)).toBe(bare);
  });
});

// containerd `parseHostConfig` (remotes/docker/config/hosts.go; containerd-hosts.md): how a
// `server` or `[host."…"]` key K3s wrote is read back — the API root the node really requests under.
describe("containerdHost: parseHostConfig reads an endpoint back", () => {
  it.each([
    { name: "an empty path gets /v2", server: "https://h", override: false, url: "https://h/v2" },
    {
      name: "an empty path stays empty with override_path",
      server: "https://h",
      override: true,
      url: "https://h",
    },
    {
      name: "a lone / is cleaned to / and gets /v2",
      server: "https://h/",
      override: false,
      url: "https://h/v2",
    },
    { name: "/v2/ is cleaned to /v2", server: "https://h/v2/", override: true, url: "https://h/v2" },
    { name: "//v2 is cleaned to /v2", server: "https://h//v2", override: true, url: "https://h/v2" },
    { name: "dot segments are resolved", server: "https://h/a/../v2/.", override: true, url: "https://h/v2" },
    { name: "a trailing slash goes", server: "https://h/prefix/", override: true, url: "https://h/prefix" },
    {
      name: "without override_path /v2 is appended",
      server: "https://h/prefix/",
      override: false,
      url: "https://h/prefix/v2",
    },
    {
      name: "a path ending in /v2 gets no second /v2",
      server: "https://h/p/v2",
      override: false,
      url: "https://h/p/v2",
    },
    {
      name: "%-escapes are decoded first (Go's URL.Path)",
      server: "https://h/v%32",
      override: true,
      url: "https://h/v2",
    },
    {
      name: "no http prefix → https:// is put in front",
      server: "h.example:5000/v2",
      override: false,
      url: "https://h.example:5000/v2",
    },
    {
      name: "http is kept",
      server: "http://127.0.0.1:5000",
      override: false,
      url: "http://127.0.0.1:5000/v2",
    },
    {
      name: "another scheme becomes part of the host (the https:// prefix)",
      server: "ftp://h/v2",
      override: true,
      url: "https://ftp:/h/v2",
    },
  ])("$name: $server (override_path $override) → $url", ({ server, override, url }) => {
    expect(containerdHost(server, override)).toMatchObject({ ok: true, host: { url } });
  });

  it("a key Go cannot parse is an error", () => {
    expect(containerdHost("https://h:x", false)).toEqual({
      ok: false,
      error: expect.stringMatching(/invalid port/),
    });
  });
});
