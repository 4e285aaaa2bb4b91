/**
 * A consumer's own stack: its VMs (null_resource stand-ins with an IP attribute) and a Harbor
 * pull-through cache for them, composed from the harbor-mirror package by its package name.
 */
import { Fn, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { provider as nullProvider, resource } from "@cdktf/provider-null";
import {
  compileRegistriesSpec,
  HarborMirror,
  HarborProvider,
  pinProviderSources,
  resolveImage,
  RolloutStrategy,
  type DeliveryNode,
} from "harbor-mirror";

const VMS: readonly { name: string; role: DeliveryNode["role"]; ip: string }[] = [
  { name: "server-1", role: "server", ip: "192.0.2.11" },
  { name: "agent-1", role: "agent", ip: "192.0.2.21" },
];

export class ClusterStack extends TerraformStack {
  readonly mirror: HarborMirror;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new nullProvider.NullProvider(this, "null");
    const harbor = new HarborProvider(this, "Harbor", { url: "https://harbor.example.com" });
    const sshKey = new TerraformVariable(this, "ssh_private_key", { type: "string", sensitive: true });
    const vms = VMS.map((vm) => ({
      ...vm,
      instance: new resource.Resource(this, `vm-${vm.name}`, { triggers: { private_ip: vm.ip } }),
    }));
    this.mirror = new HarborMirror(this, "Mirror", {
      proxyCache: {
        harborUrl: "https://harbor.example.com",
        provider: harbor.provider,
        upstreams: [{ registry: "docker.io" }, { registry: "quay.io" }],
        access: "robot",
      },
      delivery: {
        nodes: vms.map((vm) => ({
          name: vm.name,
          role: vm.role,
          host: Fn.lookup(vm.instance.triggers, "private_ip"),
        })),
        ssh: { privateKey: sshKey.stringValue },
        rollout: RolloutStrategy.rolling(),
      },
    });
    pinProviderSources(this, ["harbor", "null"]);
    const busybox = resolveImage("busybox", compileRegistriesSpec(this.mirror.proxyCache.registriesSpec));
    new TerraformOutput(this, "busybox_pulled_from", { value: busybox.attempts[0].url });
    // User-data for VMs created later: registries.yaml is in place before RKE2 first starts.
    new TerraformOutput(this, "node_cloud_config", { value: this.mirror.cloudConfig(), sensitive: true });
  }
}
