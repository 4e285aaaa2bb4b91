/**
 * The value rules of issue 11 hold for construct users too, not only for harbor-mirror.yaml: the
 * constructs apply the same pure rules (delivery/node-paths, delivery/checks,
 * delivery/terraform-variables, harbor/limits) to their props. One row per rule.
 */
import { App, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { HarborProvider } from "../../constructs/harbor-provider";
import { RegistriesDelivery, type RegistriesDeliveryProps } from "../../constructs/registries-delivery";
import { claimVariable } from "../../constructs/stack-variables";
import { VARIABLE_ROLES } from "../../delivery/terraform-variables";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const NODE = { name: "n1", host: "192.0.2.11", role: "agent" } as const;

function delivery(props: Partial<RegistriesDeliveryProps>): () => void {
  return () => {
    const stack = new TerraformStack(Testing.app(), "rules");
    const key = new TerraformVariable(stack, "ssh_private_key", { type: "string", sensitive: true });
    new RegistriesDelivery(stack, "Delivery", {
      content: "mirrors: {}\n",
      nodes: [NODE],
      ssh: { privateKey: key.stringValue },
      ...props,
    });
  };
}

// prettier-ignore
const REFUSED: readonly { rule: string; props: Partial<RegistriesDeliveryProps>; message: string }[] = [
  { rule: "registriesPath: not a system file", props: { nodes: [{ ...NODE, registriesPath: "/etc/passwd" }] },
    message: 'nodes[0].registriesPath: "/etc/passwd" is not allowed: node files go under /etc/rancher/rke2/' },
  { rule: "registriesPath: not in the staging directory", props: { nodes: [{ ...NODE, registriesPath: "/tmp/harbor-mirror-n1/x.yaml" }] },
    message: "is inside the node's staging directory" },
  { rule: "registriesPath: not the other distribution's", props: { distribution: "k3s", nodes: [{ ...NODE, registriesPath: "/etc/rancher/rke2/registries.yaml" }] },
    message: "is a path of rke2, but the distribution is k3s" },
  { rule: "CA path: not equal to registriesPath", props: { caCert: { content: CA, path: "/etc/rancher/rke2/registries.yaml" } },
    message: "is also the CA certificate's path" },
  { rule: "CA path: not a system file", props: { caCert: { content: CA, path: "/etc/ssl/cert.pem" } },
    message: 'caCert.path: "/etc/ssl/cert.pem" is not allowed' },
  { rule: "extra directory: not a system directory", props: { extraNodeDirectories: ["/boot/rke2"] },
    message: "extraNodeDirectories[0]: \"/boot/rke2\" is inside the system directory /boot/" },
  { rule: "CA content: certificates only", props: { caCert: { content: `${CA}-----BEGIN EC PRIVATE KEY-----\nKEYDATA\n-----END EC PRIVATE KEY-----\n`, path: "/etc/rancher/rke2/ca.pem" } },
    message: "caCert.content: holds a private key (not shown)" },
  { rule: "node host: a host name", props: { nodes: [{ ...NODE, host: '${file("/etc/shadow")}' }] },
    message: "nodes[0].host: must be a host name" },
  { rule: "node port: not 0", props: { nodes: [{ ...NODE, port: 0 }] },
    message: "nodes[0].port: 0 is not allowed: expected a TCP port from 1 to 65535" },
  { rule: "node name: fits a directory name", props: { nodes: [{ ...NODE, name: "n".repeat(242) }] },
    message: "node name of 242 characters is too long" },
  { rule: "bastion host: a host name", props: { ssh: { privateKey: "", bastionHost: "a_b" } },
    message: "ssh.bastionHost: must be a host name" },
];

describe("RegistriesDelivery applies the value rules to its props", () => {
  it.each(REFUSED)("refuses $rule", ({ props, message }) => {
    expect(delivery(props)).toThrow(message);
  });

  it.each([
    {
      rule: "a file under a declared extra directory",
      props: {
        extraNodeDirectories: ["/opt/rke2"],
        nodes: [{ ...NODE, registriesPath: "/opt/rke2/registries.yaml" }],
      },
    },
    {
      rule: "a fully qualified host name with its trailing dot",
      props: { nodes: [{ ...NODE, host: "node1.example.com." }] },
    },
    {
      rule: "a CA bundle of two certificates",
      props: { caCert: { content: `${CA}${CA}`, path: "/etc/rancher/rke2/ca.pem" } },
    },
  ])("accepts $rule", ({ props }) => {
    expect(delivery(props)).not.toThrow();
  });
});

describe("one registry of Terraform variables per stack", () => {
  const stack = () => new TerraformStack(new App(), "variables");

  it("refuses a built-in name for another role (HarborProvider declares harbor_password)", () => {
    const scope = stack();
    new HarborProvider(scope, "Harbor", { url: "https://harbor.example.com" });
    expect(() =>
      claimVariable(scope, {
        name: "harbor_password",
        role: VARIABLE_ROLES.upstreamSecret,
        path: ["upstreams", 0, "accessSecret"],
      }),
    ).toThrow(/upstreams\[0\]\.accessSecret: "harbor_password" is already harbor-mirror's built-in variable/);
  });

  it("refuses one name for two roles, and lets one role share a name", () => {
    const scope = stack();
    claimVariable(scope, { name: "token", role: VARIABLE_ROLES.upstreamSecret, path: ["a"] });
    expect(() =>
      claimVariable(scope, { name: "token", role: VARIABLE_ROLES.upstreamSecret, path: ["b"] }),
    ).not.toThrow();
    expect(() =>
      claimVariable(scope, { name: "token", role: VARIABLE_ROLES.sshPrivateKey, path: ["c"] }),
    ).toThrow(/c: "token" is already named by a for an upstream registry's secret/);
  });

  it.each(["count", "for_each", "source", "version", "providers", "locals", "lifecycle", "depends_on"])(
    "refuses the reserved word %s",
    (name) => {
      expect(() => claimVariable(stack(), { name, role: VARIABLE_ROLES.robotSecret, path: ["p"] })).toThrow(
        "is reserved by Terraform",
      );
    },
  );

  it("refuses a credential where a name belongs, without echoing it", () => {
    const token = "glpat-Zq81mX0aTokenValue";
    expect(() =>
      claimVariable(stack(), { name: token, role: VARIABLE_ROLES.robotSecret, path: ["p"] }),
    ).toThrow(expect.objectContaining({ message: expect.not.stringContaining(token) }));
  });

  it("keeps each stack's registry apart", () => {
    claimVariable(stack(), { name: "shared", role: VARIABLE_ROLES.robotSecret, path: ["a"] });
    expect(() =>
      claimVariable(stack(), { name: "shared", role: VARIABLE_ROLES.sshPrivateKey, path: ["b"] }),
    ).not.toThrow();
  });
});
