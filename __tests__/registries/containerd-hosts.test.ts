/**
 * The containerd target's renderer and reader (containerd-hosts.md): hosts.toml per upstream
 * from the same registries spec as the RKE2/K3s file, refusals of what containerd cannot
 * express, and the proof that the proxy rule and the project path request the same URLs.
 */
import fc from "fast-check";
import { parse } from "smol-toml";
import {
  configPathSnippet,
  readContainerdHostsDir,
  renderContainerdHosts,
  UndecodableHostsTomlError,
  type RenderedContainerdHosts,
} from "../../registries/containerd-hosts";
import { ValidationError } from "../../registries/diagnostics";
import type { OrderedMirror, RegistriesSpec } from "../../registries/model";
import { applyTimePlaceholder, renderRegistriesSpec } from "../../registries/render";
import { resolveImage, resolveOnHosts } from "../../registries/resolve";

const HARBOR = "https://harbor.example.com";
const CA = "/etc/containerd/certs.d/harbor-ca.pem";

/** A mirror as HarborProxyCache builds it: Harbor's root, then the proxy rule into the project. */
function proxyMirror(registry: string, project = registry, endpoint = HARBOR): OrderedMirror {
  return { registry, endpoints: [endpoint], rewrites: [{ match: "^(.*)$", replace: `${project}/$1` }] };
}

const SPEC: RegistriesSpec = {
  mirrors: [proxyMirror("quay.io"), proxyMirror("docker.io"), proxyMirror("registry.local:5000", "local")],
  configs: { "harbor.example.com": { tls: { ca_file: CA } } },
};

function hostsOf(rendered: RenderedContainerdHosts) {
  return readContainerdHostsDir(
    Object.fromEntries(rendered.files.map((file) => [file.directory, file.text])),
  );
}

function refusal(spec: RegistriesSpec): ValidationError {
  try {
    renderContainerdHosts(spec);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected the spec to be refused");
}

describe("renderContainerdHosts", () => {
  const rendered = renderContainerdHosts(SPEC);

  it("writes one hosts.toml per upstream, in directory order, under /etc/containerd/certs.d", () => {
    expect(rendered.files.map((file) => file.path)).toEqual([
      "/etc/containerd/certs.d/docker.io/hosts.toml",
      "/etc/containerd/certs.d/quay.io/hosts.toml",
      "/etc/containerd/certs.d/registry.local:5000/hosts.toml",
    ]);
  });

  it("docker.io: server is the upstream, the host is Harbor's project path with override_path and ca", () => {
    expect(rendered.files[0].text).toBe(
      [
        "# Managed by harbor-mirror. Do not edit: changes are overwritten on the next deploy.",
        'server = "https://registry-1.docker.io"',
        "",
        '[host."https://harbor.example.com/v2/docker.io"]',
        'capabilities = [ "pull", "resolve" ]',
        "override_path = true",
        `ca = "${CA}"`,
        "",
      ].join("\n"),
    );
    expect(parse(rendered.files[2].text)).toEqual({
      server: "https://registry.local:5000",
      host: {
        "https://harbor.example.com/v2/local": {
          capabilities: ["pull", "resolve"],
          override_path: true,
          ca: CA,
        },
      },
    });
  });

  it("warns once that config_path must be set, with the config.toml snippet", () => {
    expect(rendered.warnings.map((warning) => warning.code)).toEqual(["containerd-config-path"]);
    expect(rendered.warnings[0].message).toContain(configPathSnippet());
    expect(parse(configPathSnippet("/etc/containerd/certs.d"))).toEqual({
      plugins: { "io.containerd.grpc.v1.cri": { registry: { config_path: "/etc/containerd/certs.d" } } },
    });
  });

  it("does not depend on the order of the mirrors (determinism)", () => {
    const reversed = renderContainerdHosts({ ...SPEC, mirrors: [...SPEC.mirrors].reverse() });
    expect(reversed).toEqual(rendered);
  });

  it("a custom hosts directory moves the files and the snippet", () => {
    const moved = renderContainerdHosts(SPEC, { hostsDir: "/srv/certs.d" });
    expect(moved.files[0].path).toBe("/srv/certs.d/docker.io/hosts.toml");
    expect(moved.warnings[0].message).toContain('config_path = "/srv/certs.d"');
  });

  it('"*" becomes _default, without a server (containerd falls back to the registry pulled)', () => {
    const [file] = renderContainerdHosts({ mirrors: [proxyMirror("*", "all")], configs: {} }).files;
    expect(file.path).toBe("/etc/containerd/certs.d/_default/hosts.toml");
    expect(parse(file.text)).toEqual({
      host: {
        "https://harbor.example.com/v2/all": { capabilities: ["pull", "resolve"], override_path: true },
      },
    });
  });

  it("a mirror without rules passes repositories through: the host is the endpoint's API root", () => {
    const [file] = renderContainerdHosts({
      mirrors: [{ registry: "ghcr.io", endpoints: ["https://cache.example.com"], rewrites: [] }],
      configs: {},
    }).files;
    expect(Object.keys(parse(file.text).host as object)).toEqual(["https://cache.example.com/v2"]);
  });

  it("client certificates and skip_verify map to hosts.toml's keys", () => {
    const [file] = renderContainerdHosts({
      mirrors: [proxyMirror("docker.io")],
      configs: {
        "harbor.example.com": {
          tls: { cert_file: "/c.pem", key_file: "/k.pem", insecure_skip_verify: true },
        },
      },
    }).files;
    expect(parse(file.text).host).toEqual({
      "https://harbor.example.com/v2/docker.io": {
        capabilities: ["pull", "resolve"],
        override_path: true,
        client: [["/c.pem", "/k.pem"]],
        skip_verify: true,
      },
    });
  });

  it("a value with TOML's special characters reaches the node byte-exact (serializer, not a template)", () => {
    const tricky = '/etc/ca "quoted" \\n ${x} %{y} $ grüße\u007f.pem';
    const [file] = renderContainerdHosts({
      mirrors: [proxyMirror("docker.io")],
      configs: { "harbor.example.com": { tls: { ca_file: tricky } } },
    }).files;
    expect((parse(file.text).host as Record<string, { ca: string }>)[`${HARBOR}/v2/docker.io`].ca).toBe(
      tricky,
    );
  });

  it("an apply-time Harbor URL becomes a placeholder in the host key, listed in applyTimeValues", () => {
    const url = { kind: "apply-time" as const, id: "harbor_url", display: "<var.harbor_url>" };
    const host = { kind: "apply-time" as const, id: "harbor_host", display: "<host>" };
    const standIn = "harbor.apply-time.invalid";
    const result = renderContainerdHosts({
      mirrors: [proxyMirror("docker.io", "docker.io", `https://${standIn}`)],
      configs: {},
      applyTimeHosts: [{ standIn, url, host }],
    });
    expect(Object.keys(parse(result.files[0].text).host as object)).toEqual([
      `${applyTimePlaceholder("harbor_url")}/v2/docker.io`,
    ]);
    expect(result.applyTimeValues).toEqual([{ placeholder: applyTimePlaceholder("harbor_url"), value: url }]);
  });
});

describe("what containerd cannot express is refused, at the user's key", () => {
  const cases: { name: string; spec: RegistriesSpec; code: string; path: string; message: RegExp }[] = [
    {
      name: "a custom rewrite rule before the proxy rule",
      spec: {
        mirrors: [
          {
            ...proxyMirror("docker.io"),
            rewrites: [
              { match: "^ksd-test/(.*)$", replace: "production/$1" },
              ...proxyMirror("docker.io").rewrites,
            ],
          },
        ],
        configs: {},
      },
      code: "containerd-rewrite-unsupported",
      path: 'rewrites."docker.io"[0]',
      message:
        /"\^ksd-test\/\(\.\*\)\$" → "production\/\$1" cannot be expressed for distribution containerd: upstream containerd has no rewrite rules/,
    },
    {
      name: "a proxy rule whose prefix is not a literal repository path",
      spec: {
        mirrors: [{ ...proxyMirror("docker.io"), rewrites: [{ match: "^(.*)$", replace: "$1/$1" }] }],
        configs: {},
      },
      code: "containerd-rewrite-unsupported",
      path: 'rewrites."docker.io"[0]',
      message: /cannot be expressed for distribution containerd/,
    },
    {
      name: "robot credentials (hosts.toml carries none)",
      spec: {
        mirrors: [proxyMirror("docker.io")],
        configs: { "harbor.example.com": { auth: { username: "robot$pull", password: "not-shown" } } },
      },
      code: "containerd-credentials-unsupported",
      path: 'configs."harbor.example.com".auth',
      message:
        /registry credentials \(access: robot\) cannot be delivered for distribution containerd: hosts\.toml carries no credentials/,
    },
  ];

  it.each(cases)("$name", ({ spec, code, path, message }) => {
    const error = refusal(spec);
    expect(error.codes).toEqual([code]);
    expect(error.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([
      expect.objectContaining({ path, message: expect.stringMatching(message) }),
    ]);
    expect(error.message).not.toContain("not-shown");
  });
});

describe("the proxy rule on Harbor's root and the project path request the same URLs (equivalence proof)", () => {
  const repository = fc
    .array(fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)?$/), { minLength: 1, maxLength: 3 })
    .map((parts) => parts.join("/"));
  const object = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}$/).map((tag) => `:${tag}`),
    fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `@sha256:${hex}`),
  );
  const registry = fc.constantFrom("docker.io", "quay.io", "registry.local:5000");
  const rke2 = renderRegistriesSpec(SPEC).file;
  const containerd = hostsOf(renderContainerdHosts(SPEC));

  it("for every image of every upstream, each attempt's manifest URL is identical", () => {
    fc.assert(
      fc.property(registry, repository, object, (host, path, suffix) => {
        const image = `${host}/${path}${suffix}`;
        const urls = (result: ReturnType<typeof resolveImage>) =>
          result.attempts.map((attempt) => attempt.url);
        expect(urls(resolveOnHosts(image, containerd))).toEqual(urls(resolveImage(image, rke2)));
      }),
    );
  });
});

describe("readContainerdHostsDir reads hosts.toml as containerd's hosts.go does", () => {
  const rows: { host: string; overridePath: boolean; apiRoot: string }[] = [
    { host: "https://h", overridePath: false, apiRoot: "https://h/v2" },
    { host: "https://h/v2/", overridePath: false, apiRoot: "https://h/v2" },
    { host: "https://h/mirror", overridePath: false, apiRoot: "https://h/mirror/v2" },
    { host: "https://h/v2/docker.io", overridePath: true, apiRoot: "https://h/v2/docker.io" },
    { host: "https://h/v2//docker.io/", overridePath: true, apiRoot: "https://h/v2/docker.io" },
    { host: "http://127.0.0.1:5000", overridePath: false, apiRoot: "http://127.0.0.1:5000/v2" },
  ];

  it.each(rows)("$host (override_path $overridePath) → $apiRoot", ({ host, overridePath, apiRoot }) => {
    const text = `server = "https://quay.io"\n[host."${host}"]\noverride_path = ${overridePath}\n`;
    const entry = readContainerdHostsDir({ "quay.io": text }).hosts["quay.io"];
    expect(entry.mirrors.map((mirror) => mirror.host.url)).toEqual([apiRoot]);
    expect(entry.default?.host?.url).toBe("https://quay.io/v2");
  });

  it("hosts without pull and resolve are not asked for a tag; a file without server falls back", () => {
    const text = `[host."https://push-only"]\ncapabilities = ["push"]\n[host."https://h"]\n`;
    const result = resolveOnHosts("quay.io/a/b:1", readContainerdHostsDir({ "quay.io": text }));
    expect(result.attempts.map((attempt) => attempt.endpoint)).toEqual([
      "https://h/v2",
      "https://quay.io/v2",
    ]);
  });

  it("a file containerd cannot decode is an error naming it", () => {
    expect(() => readContainerdHostsDir({ "docker.io": 'server = "x' })).toThrow(UndecodableHostsTomlError);
    expect(() => readContainerdHostsDir({ "docker.io": 'server = "x' })).toThrow(
      /^docker\.io\/hosts\.toml: containerd cannot decode it/,
    );
  });
});
