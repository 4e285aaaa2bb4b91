/**
 * Full provider source addresses and pinned versions in `required_providers`.
 *
 * The prebuilt null binding writes `"source": "null"`, which OpenTofu resolves ambiguously
 * (opentofu/opentofu#2402); pinning exact versions keeps plans reproducible.
 */
import { TerraformStack } from "cdktf";

export const PROVIDER_REQUIREMENTS = {
  harbor: { source: "registry.terraform.io/goharbor/harbor", version: "3.12.4" },
  null: { source: "registry.terraform.io/hashicorp/null", version: "3.2.4" },
} as const;

/** Rewrites the stack's `required_providers` entries of the providers it uses. */
export function pinProviderSources(
  stack: TerraformStack,
  providers: readonly (keyof typeof PROVIDER_REQUIREMENTS)[],
): void {
  for (const name of providers) {
    stack.addOverride(`terraform.required_providers.${name}`, PROVIDER_REQUIREMENTS[name]);
  }
}
