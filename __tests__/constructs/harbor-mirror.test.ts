/**
 * The composite wires what each piece exposes into the next (architecture.md), checked with
 * cdktf's own jest matchers on a synthesized stack.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing, TerraformStack, TerraformVariable } from "cdktf";
import { resource } from "@cdktf/provider-null";
import { project, provider, registry } from "../../.gen/providers/harbor";
import { HarborMirror, HarborMirrorProps } from "../../constructs/harbor-mirror";
import { HarborProvider } from "../../constructs/harbor-provider";
import { forEachMapOf } from "../../review/terraform-json";

function synthesize(props: (stack: TerraformStack) => HarborMirrorProps): string {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  new HarborProvider(stack, "Harbor", { url: "https://harbor.example.com" });
  new HarborMirror(stack, "Mirror", props(stack));
  return Testing.synth(stack);
}

const proxyCache = { harborUrl: "https://harbor.example.com", upstreams: [{ registry: "docker.io" }] };

function nodes(stack: TerraformStack) {
  return {
    nodes: [{ name: "server-1", host: "192.0.2.11", role: "server" as const }],
    ssh: { privateKey: new TerraformVariable(stack, "key", { sensitive: true }).stringValue },
  };
}

describe("HarborMirror", () => {
  it("declares the upstream and its proxy project, and a provider that verifies TLS", () => {
    const synthesized = synthesize(() => ({ proxyCache }));
    expect(synthesized).toHaveResourceWithProperties(registry.Registry, {
      provider_name: "docker-hub",
      endpoint_url: "https://hub.docker.com",
    });
    expect(synthesized).toHaveResourceWithProperties(project.Project, { name: "docker.io", public: true });
    expect(synthesized).toHaveProviderWithProperties(provider.HarborProvider, { insecure: false });
  });

  it("renders but delivers nothing without nodes", () => {
    expect(synthesize(() => ({ proxyCache }))).not.toHaveResource(resource.Resource);
  });

  it("delivers to each node with keyed-digest triggers, never the content or its plain hash", () => {
    const synthesized = synthesize((stack) => ({ proxyCache, delivery: nodes(stack) }));
    const stack = JSON.parse(synthesized) as {
      resource: { null_resource: object };
      locals: Record<string, unknown>;
    };
    const [group] = Object.values(stack.resource.null_resource) as Record<string, unknown>[];
    expect(forEachMapOf(group, stack.locals)).toEqual({ "server-1": { host: "192.0.2.11" } });
    expect(synthesized).toHaveResourceWithProperties(resource.Resource, {
      triggers: {
        registries_digest: expect.stringMatching(/^\$\{local\.[A-Za-z0-9_]+_digest_[0-9A-F]+\}$/),
        host: "${each.value.host}",
        registries_path: "/etc/rancher/rke2/registries.yaml",
        unit: "rke2-server",
      },
    });
  });

  it("delivers the CA file next to registries.yaml of the distribution, and points the file at it", () => {
    const dir = mkdtempSync(join(tmpdir(), "harbor-mirror-ca-"));
    const caCertFile = join(dir, "ca.pem");
    writeFileSync(caCertFile, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    try {
      const synthesized = synthesize((stack) => ({
        proxyCache,
        distribution: "k3s",
        caCertFile,
        delivery: nodes(stack),
      }));
      expect(synthesized).toHaveResourceWithProperties(resource.Resource, {
        triggers: expect.objectContaining({ ca_path: "/etc/rancher/k3s/harbor-ca.pem", unit: "k3s" }),
      });
      const locals = Object.values(JSON.parse(synthesized).locals as Record<string, string>);
      expect(locals).toContainEqual(expect.stringContaining('"ca_file": "/etc/rancher/k3s/harbor-ca.pem"'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a CA file that is not a PEM certificate", () => {
    expect(() =>
      synthesize(() => ({ proxyCache, caCertFile: join(__dirname, "..", "..", "package.json") })),
    ).toThrow(/caCertFile: must be a PEM certificate file/);
  });
});
