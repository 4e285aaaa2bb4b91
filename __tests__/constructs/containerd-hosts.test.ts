import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
/**
 * The containerd target's construct: one node file per upstream from HarborProxyCache's spec,
 * Terraform values only where Harbor's URL is a token, refusals at the construct; and HarborMirror
 * delivering those files instead of registries.yaml.
 */
import { Testing, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { ContainerdHosts } from "../../constructs/containerd-hosts";
import { HarborMirror, HarborMirrorProps } from "../../constructs/harbor-mirror";
import { HarborProxyCache, HarborProxyCacheProps } from "../../constructs/harbor-proxy-cache";
import { defaultCaCertPath } from "../../delivery/nodes";
import { ValidationError } from "../../registries/diagnostics";

function hostsFor(props: (stack: TerraformStack) => HarborProxyCacheProps) {
  const stack = new TerraformStack(Testing.app(), "test");
  const cache = new HarborProxyCache(stack, "Cache", props(stack));
  const hosts = new ContainerdHosts(stack, "Hosts", {
    spec: cache.registriesSpec,
    applyTimeTokens: cache.applyTimeTokens,
  });
  return { stack, hosts };
}

const upstreams = [{ registry: "quay.io" }, { registry: "docker.io" }, { registry: "registry.local:5000" }];

describe("ContainerdHosts", () => {
  it("one file per upstream, readable stable ids, no restart, the literal text when Harbor's URL is literal", () => {
    const { hosts } = hostsFor(() => ({ harborUrl: "https://harbor.example.com", upstreams }));
    expect(hosts.files.map(({ id, path, restartOnChange }) => ({ id, path, restartOnChange }))).toEqual([
      { id: "hosts_docker_io", path: "/etc/containerd/certs.d/docker.io/hosts.toml", restartOnChange: false },
      { id: "hosts_quay_io", path: "/etc/containerd/certs.d/quay.io/hosts.toml", restartOnChange: false },
      {
        id: "hosts_registry_local_5000",
        path: "/etc/containerd/certs.d/registry.local:5000/hosts.toml",
        restartOnChange: false,
      },
    ]);
    expect(hosts.files[0].content).toBe(hosts.rendered.files[0].text);
    expect(hosts.files[0].content).toContain('[host."https://harbor.example.com/v2/docker.io"]');
  });

  it("a token Harbor URL becomes a Terraform replace of the placeholder by the URL, displayed as a placeholder", () => {
    const { stack, hosts } = hostsFor((scope) => ({
      harborUrl: new TerraformVariable(scope, "harbor_url", { type: "string" }).stringValue,
      upstreams: [{ registry: "docker.io" }],
    }));
    new TerraformOutput(stack, "content", { value: hosts.files[0].content });
    const synthesized = JSON.parse(Testing.synth(stack));
    expect(Object.keys(synthesized.locals)).toEqual([
      expect.stringMatching(/^Hosts_hosts_docker_io_[0-9A-F]+$/),
    ]);
    expect(synthesized.output.content.value).toMatch(
      /^\$\{replace\(local\.Hosts_hosts_docker_io_[0-9A-F]+, "__HARBOR_MIRROR_APPLY_TIME_harbor_url__", var\.harbor_url\)\}$/,
    );
    expect(hosts.files[0].displayText).toContain("/v2/docker.io");
    expect(hosts.files[0].displayText).not.toContain("__HARBOR_MIRROR_APPLY_TIME_");
  });

  it("refuses access robot and a custom rewrite rule, naming the construct", () => {
    let error: unknown;
    try {
      hostsFor(() => ({
        harborUrl: "https://harbor.example.com",
        upstreams: [{ registry: "docker.io" }],
        access: "robot",
        rewrites: { "docker.io": [{ match: "^ksd-test/(.*)$", replace: "production/$1" }] },
      }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const diagnostics = (error as ValidationError).diagnostics;
    expect((error as ValidationError).codes).toEqual([
      "containerd-credentials-unsupported",
      "containerd-rewrite-unsupported",
    ]);
    expect(diagnostics.every((diagnostic) => diagnostic.construct === "test/Hosts")).toBe(true);
  });
});

describe("HarborMirror with distribution containerd", () => {
  /** A PEM file on disk, as HarborMirror reads its CA from a file. */
  function caCertFile(): string {
    const file = join(mkdtempSync(join(tmpdir(), "hm-ca-")), "harbor-ca.pem");
    writeFileSync(file, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    return file;
  }

  function mirrorFor(extra: Partial<HarborMirrorProps> = {}, nodeExtra: Record<string, unknown> = {}) {
    const stack = new TerraformStack(Testing.app(), "test");
    const key = new TerraformVariable(stack, "key", { type: "string", sensitive: true }).stringValue;
    const mirror = new HarborMirror(stack, "Mirror", {
      proxyCache: {
        harborUrl: "https://harbor.example.com",
        upstreams: [{ registry: "docker.io" }, { registry: "quay.io" }],
        caCertNodePath: defaultCaCertPath("containerd"),
      },
      distribution: "containerd",
      delivery: {
        nodes: [
          { name: "cp-1", host: "192.0.2.10", role: "server", ...nodeExtra },
          { name: "worker-1", host: "192.0.2.21", role: "agent" },
        ],
        ssh: { privateKey: key },
      },
      caCertFile: caCertFile(),
      ...extra,
    });
    return { stack, mirror };
  }

  it("every node receives the CA and one hosts.toml per upstream, no registries.yaml, nothing restarts", () => {
    const { mirror } = mirrorFor();
    for (const name of ["cp-1", "worker-1"]) {
      expect(mirror.delivery!.targets.get(name)!.files).toEqual([
        { id: "ca", path: "/etc/containerd/certs.d/harbor-ca.pem", restartOnChange: false },
        {
          id: "hosts_docker_io",
          path: "/etc/containerd/certs.d/docker.io/hosts.toml",
          restartOnChange: false,
        },
        { id: "hosts_quay_io", path: "/etc/containerd/certs.d/quay.io/hosts.toml", restartOnChange: false },
      ]);
    }
    expect(mirror.containerdHosts!.files[0].content).toContain(
      'ca = "/etc/containerd/certs.d/harbor-ca.pem"',
    );
  });

  it("the synthesized stack holds each hosts.toml once, as a local, and no registries.yaml upload", () => {
    const { stack } = mirrorFor();
    const synthesized = JSON.parse(Testing.synth(stack));
    const locals = Object.keys(synthesized.locals);
    expect(
      locals.filter((name) => /file_hosts_docker_io$|file_hosts_docker_io_[0-9A-F]+$/.test(name)),
    ).toHaveLength(1);
    expect(locals.some((name) => /file_registries/.test(name))).toBe(false);
  });

  it("refuses a node registries path, which containerd nodes would never read", () => {
    expect(() => mirrorFor({}, { registriesPath: "/etc/rancher/rke2/registries.yaml" })).toThrow(
      /delivery\.nodes\[0\]\.registriesPath: "\/etc\/rancher\/rke2\/registries\.yaml" does not apply to distribution containerd/,
    );
  });
});
