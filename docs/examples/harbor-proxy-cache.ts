import { TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { HarborProvider, HarborProxyCache } from "harbor-mirror";

export class CacheStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const harbor = new HarborProvider(this, "Harbor", { url: "https://harbor.example.com" });
    const hubToken = new TerraformVariable(this, "dockerhub_token", { type: "string", sensitive: true });
    const cache = new HarborProxyCache(this, "Cache", {
      harborUrl: "https://harbor.example.com",
      provider: harbor.provider,
      upstreams: [
        { registry: "docker.io", accessId: "mirror-bot", accessSecret: hubToken.stringValue },
        { registry: "ghcr.io", storageQuotaGiB: 200 },
      ],
      rewrites: { "docker.io": [{ match: "^ksd-test/(.*)$", replace: "production/$1" }] },
      retention: { daysSinceLastPull: 30, schedule: "Weekly" },
    });
    cache.projects["ghcr.io"].vulnerabilityScanning = false; // escape hatch: any harbor_project setting
  }
}
