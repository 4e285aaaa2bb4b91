import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { provider as nullProvider } from "@cdktf/provider-null";
import { RegistriesContent, RegistriesDelivery, RolloutStrategy } from "harbor-mirror";

/** `scope`: a construct in the stack of `registries`. */
export function deliverToCluster(scope: Construct, registries: RegistriesContent): RegistriesDelivery {
  new nullProvider.NullProvider(scope, "null");
  const sshKey = new TerraformVariable(scope, "ssh_private_key", { type: "string", sensitive: true });
  return new RegistriesDelivery(scope, "Delivery", {
    content: registries.content,
    distribution: "k3s",
    nodes: [
      { name: "server-1", host: "192.0.2.11", role: "server" },
      { name: "agent-1", host: "192.0.2.21", role: "agent", user: "ubuntu" },
    ],
    ssh: { privateKey: sshKey.stringValue, bastionHost: "bastion.example.com" },
    rollout: RolloutStrategy.parallel(),
  });
}
