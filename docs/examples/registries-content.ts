import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { RegistriesContent } from "harbor-mirror";

export class ContentStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const registries = new RegistriesContent(this, "Registries", {
      spec: {
        mirrors: [
          {
            registry: "docker.io",
            endpoints: ["https://harbor.example.com"],
            rewrites: [{ match: "^(.*)$", replace: "docker.io/$1" }],
          },
        ],
        configs: { "harbor.example.com": { tls: { ca_file: "/etc/rancher/k3s/harbor-ca.pem" } } },
      },
    });
    new TerraformOutput(this, "registries_yaml", { value: registries.content });
    // The same bytes as cloud-init user-data for a new K3s node (0600 root:root).
    new TerraformOutput(this, "cloud_config", {
      value: registries.cloudConfig({ distribution: "k3s" }),
      sensitive: registries.holdsSecret,
    });
  }
}
