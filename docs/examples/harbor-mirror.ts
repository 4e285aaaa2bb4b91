import { TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { provider as nullProvider } from "@cdktf/provider-null";
import { HarborMirror, HarborProvider, RolloutStrategy } from "harbor-mirror";

export class MirrorStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new nullProvider.NullProvider(this, "null"); // the delivery's null_resource provider
    const harbor = new HarborProvider(this, "Harbor", { url: "https://harbor.example.com" });
    const sshKey = new TerraformVariable(this, "ssh_private_key", { type: "string", sensitive: true });
    const mirror = new HarborMirror(this, "Mirror", {
      proxyCache: {
        harborUrl: "https://harbor.example.com",
        upstreams: [{ registry: "docker.io" }, { registry: "quay.io" }],
        access: "robot",
        provider: harbor.provider,
      },
      delivery: {
        nodes: [
          { name: "server-1", host: "192.0.2.11", role: "server" },
          { name: "agent-1", host: "192.0.2.21", role: "agent" },
        ],
        ssh: { privateKey: sshKey.stringValue },
        rollout: RolloutStrategy.rolling({ batchSize: 2 }),
      },
    });
    // User-data for nodes created later: registries.yaml is in place before RKE2 first starts.
    new TerraformOutput(this, "node_cloud_config", { value: mirror.cloudConfig(), sensitive: true });
  }
}
