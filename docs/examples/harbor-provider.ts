import { TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { HarborProvider } from "harbor-mirror";

export class ProviderStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const url = new TerraformVariable(this, "harbor_url", { type: "string" });
    const harbor = new HarborProvider(this, "Harbor", { url: url.stringValue });
    harbor.provider.alias = "mirror"; // e.g. when the stack talks to several Harbor instances
  }
}
