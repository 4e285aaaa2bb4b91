/**
 * harbor-mirror's constructs used as a library inside a larger stack: Harbor's URL comes from a
 * Terraform variable, the nodes' addresses from other resources (standing for VMs of a cloud
 * module) that boot with the mirror's cloud-init user-data, and the mirror is customized at
 * construct level with an extra rewrite rule into a plain project the robot may pull from.
 *
 * Synthesize it with `npx tsx examples/composition/main.ts` (writes `cdktf.out/`).
 */
import { App, Fn, TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { provider as nullProvider, resource } from "@cdktf/provider-null";
import { HarborMirror } from "../../constructs/harbor-mirror";
import { HarborProvider } from "../../constructs/harbor-provider";
import { applyTimeHarborUrlPattern } from "../../constructs/harbor-proxy-cache";
import { pinProviderSources } from "../../constructs/provider-sources";
import { RolloutStrategy } from "../../constructs/rollout-strategy";
import type { DeliveryNode } from "../../constructs/registries-delivery";

export const COMPOSITION_STACK_NAME = "composition";

/** The cluster's machines: in a real stack, instances of a cloud module. */
export const CLUSTER_VMS: readonly { name: string; role: DeliveryNode["role"]; privateIp: string }[] = [
  { name: "server-1", role: "server", privateIp: "192.0.2.11" },
  { name: "server-2", role: "server", privateIp: "192.0.2.12" },
  { name: "agent-1", role: "agent", privateIp: "192.0.2.21" },
  { name: "agent-2", role: "agent", privateIp: "192.0.2.22" },
  { name: "agent-3", role: "agent", privateIp: "192.0.2.23" },
];

/**
 * Stands for a VM module: a `null_resource` whose `triggers.private_ip` plays the instance's IP
 * attribute, so nodes are addressed by a reference, exactly as with a real instance, and whose
 * `triggers.user_data` plays the instance's cloud-init user-data.
 */
export class ClusterVm extends Construct {
  readonly instance: resource.Resource;
  /** The address other resources connect to: a reference, known once the instance exists. */
  readonly privateIp: string;

  constructor(
    scope: Construct,
    id: string,
    private readonly ip: string,
  ) {
    super(scope, id);
    this.instance = new resource.Resource(this, "instance", { triggers: { private_ip: ip } });
    this.privateIp = Fn.lookupNested(this.instance.triggers, ["private_ip"]) as string;
  }

  /**
   * Boots the VM with `userData`. cloud-init reads it once, at first boot: later changes of the
   * file reach the node by the SSH delivery, so a change must not replace the VM (a real
   * instance: `lifecycle { ignore_changes = [user_data] }`).
   */
  bootWith(userData: string): void {
    this.instance.triggers = { private_ip: this.ip, user_data: userData };
    this.instance.lifecycle = { ignoreChanges: ['triggers["user_data"]'] };
  }
}

export class CompositionStack extends TerraformStack {
  readonly harborUrl: TerraformVariable;
  readonly mirror: HarborMirror;
  readonly vms: ReadonlyMap<string, ClusterVm>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.harborUrl = new TerraformVariable(this, "harbor_url", {
      type: "string",
      description: "Harbor's root URL, e.g. https://harbor.example.com",
    });
    // Fail at plan time, on the variable itself, with the same rule the construct checks.
    this.harborUrl.addValidation({
      condition: Fn.can(Fn.regex(applyTimeHarborUrlPattern(), this.harborUrl.stringValue)),
      errorMessage: "harbor_url must be https://host[:port] in lower case, with nothing after the port.",
    });
    const harbor = new HarborProvider(this, "Harbor", { url: this.harborUrl.stringValue });
    new nullProvider.NullProvider(this, "null");
    this.vms = new Map(
      CLUSTER_VMS.map((vm) => [vm.name, new ClusterVm(this, `vm-${vm.name}`, vm.privateIp)]),
    );
    this.mirror = new HarborMirror(this, "Mirror", {
      proxyCache: {
        harborUrl: this.harborUrl.stringValue,
        provider: harbor.provider,
        upstreams: [{ registry: "docker.io" }, { registry: "quay.io" }, { registry: "ghcr.io" }],
        access: "robot",
        robotSecret: sensitiveVariable(this, "harbor_robot_secret", "Secret of Harbor's pull robot"),
        // The construct-level customization: team images come from a curated project, not the cache.
        // Declared under `projects`, harbor-mirror creates it (private) and lets the robot pull from it.
        rewrites: { "docker.io": [{ match: "^acme/(.*)$", replace: "acme-approved/$1" }] },
        projects: [{ name: "acme-approved" }],
      },
      distribution: "rke2",
      delivery: {
        nodes: CLUSTER_VMS.map((vm) => ({
          name: vm.name,
          role: vm.role,
          host: this.vms.get(vm.name)!.privateIp,
          user: "ubuntu",
        })),
        ssh: { privateKey: sensitiveVariable(this, "ssh_private_key", "SSH key for the cluster nodes") },
        rollout: RolloutStrategy.rolling({ batchSize: 2 }),
      },
    });
    // New VMs find registries.yaml in place before RKE2 first starts (README, "New nodes").
    const userData = this.mirror.cloudConfig();
    for (const vm of this.vms.values()) vm.bootWith(userData);
    pinProviderSources(this, ["harbor", "null"]);
  }
}

function sensitiveVariable(scope: Construct, name: string, description: string): string {
  return new TerraformVariable(scope, name, { type: "string", sensitive: true, description }).stringValue;
}

export function buildCompositionStack(app: App): CompositionStack {
  return new CompositionStack(app, COMPOSITION_STACK_NAME);
}

if (require.main === module) {
  const app = new App();
  buildCompositionStack(app);
  app.synth();
}
