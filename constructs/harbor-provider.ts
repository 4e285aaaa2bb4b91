/**
 * The `harbor` provider block, with the two choices harbor-mirror makes for safety: TLS verification on (the
 * provider defaults to `insecure = true`, docs/harbor.md#the-providers-tls-default), and admin credentials
 * only from sensitive Terraform variables, never literals.
 */
import { TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { provider } from "../.gen/providers/harbor";
import { harborUrlProblem, parseHarborUrl } from "../harbor/url";
import { errorAt, ValidationError, warningAt } from "../registries/diagnostics";
import { BUILT_IN_VARIABLES } from "../delivery/terraform-variables";
import { claimVariable } from "./stack-variables";
import { terraformString } from "./terraform-string";
import { reportWarnings } from "./warnings";

export interface HarborProviderProps {
  /**
   * Harbor's external URL, e.g. `https://harbor.example.com`. A Terraform token is passed through
   * unchecked (the provider and `HarborProxyCache` check it at plan/apply time).
   */
  readonly url: string;
  /**
   * Skip TLS verification of the Harbor API.
   * @default false — the provider's own default is true, so it is always written explicitly.
   */
  readonly insecureApi?: boolean;
  /**
   * Accept an `http://` URL.
   * @default false
   */
  readonly allowInsecureHttp?: boolean;
}

/** Names of the Terraform variables (set them with `TF_VAR_harbor_username` / `TF_VAR_harbor_password`). */
export const HARBOR_USERNAME_VARIABLE = "harbor_username";
export const HARBOR_PASSWORD_VARIABLE = "harbor_password";

export class HarborProvider extends Construct {
  /** The provider block: pass it as `HarborProxyCacheProps.provider`. */
  readonly provider: provider.HarborProvider;
  /** The sensitive variable `harbor_username` (null: the provider reads `HARBOR_USERNAME`). */
  readonly username: TerraformVariable;
  /** The sensitive variable `harbor_password` (null: the provider reads `HARBOR_PASSWORD`). */
  readonly password: TerraformVariable;

  constructor(scope: Construct, id: string, props: HarborProviderProps) {
    super(scope, id);
    const url = Token.isUnresolved(props.url) ? props.url : literalUrl(props, this.node.path);
    if (props.insecureApi) {
      const message =
        "is true: Terraform will not verify Harbor's certificate (admin credentials exposed to a man in the middle)";
      reportWarnings(this, [warningAt("harbor-insecure-api", ["insecureApi"], message)]);
    }
    this.username = optionalSecretVariable(this, HARBOR_USERNAME_VARIABLE, "Harbor admin user name");
    this.password = optionalSecretVariable(this, HARBOR_PASSWORD_VARIABLE, "Harbor admin password");
    this.provider = new provider.HarborProvider(this, "harbor", {
      url: terraformString(url),
      insecure: props.insecureApi ?? false,
      username: this.username.stringValue,
      password: this.password.stringValue,
    });
  }
}

function literalUrl(props: HarborProviderProps, construct: string): string {
  const problem = harborUrlProblem(props.url, props);
  if (problem)
    throw ValidationError.inConstruct(construct, [errorAt("harbor-url-invalid", ["url"], problem)]);
  return parseHarborUrl(props.url, props).root;
}

/**
 * A sensitive string variable that may stay unset: `default = null` makes the provider argument
 * null, so the provider's HARBOR_USERNAME / HARBOR_PASSWORD environment variables apply instead.
 */
function optionalSecretVariable(scope: Construct, name: string, description: string): TerraformVariable {
  claimVariable(scope, { name, role: BUILT_IN_VARIABLES[name], path: [] });
  const variable = new TerraformVariable(scope, name, {
    type: "string",
    sensitive: true,
    nullable: true,
    description: `${description}; when null the provider reads its environment variable instead.`,
  });
  // A fixed name, so TF_VAR_<name> works wherever the construct sits in the tree.
  variable.overrideLogicalId(name);
  // cdktf cannot express `default = null` through props (it crashes on null), only as an override.
  variable.addOverride("default", null);
  return variable;
}
