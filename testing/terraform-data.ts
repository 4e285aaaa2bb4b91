/**
 * A synthesized stack with each `null_resource` turned into Terraform's built-in `terraform_data`:
 * same `for_each`, triggers (as `triggers_replace`), connection, provisioners and depends_on, no
 * provider to download. This is how real `terraform` runs delivery here (and in the bench).
 */
import type { StackJson } from "./terraform-replay";

export interface TerraformDataOptions {
  /** Drop connections and provisioners: for plans, and for applies that must not reach a node. */
  readonly withoutProvisioners?: boolean;
}

export function asTerraformData(stack: StackJson, options: TerraformDataOptions = {}): object {
  const {
    provider: _provider,
    terraform: _terraform,
    resource,
    moved,
    ...rest
  } = stack as Record<string, unknown> & {
    resource: { null_resource: Record<string, Record<string, unknown>> };
    moved?: { from: string; to: string }[];
  };
  const resources = Object.fromEntries(
    Object.entries(resource.null_resource).map(
      ([name, { triggers, depends_on, connection, provisioner, ...body }]) => [
        name,
        {
          ...body,
          triggers_replace: triggers,
          ...(depends_on ? { depends_on: (depends_on as string[]).map(renamed) } : {}),
          ...(options.withoutProvisioners ? {} : { connection, provisioner }),
        },
      ],
    ),
  );
  return {
    ...rest,
    resource: { terraform_data: resources },
    ...(moved ? { moved: moved.map(({ from, to }) => ({ from: renamed(from), to: renamed(to) })) } : {}),
  };
}

function renamed(address: string): string {
  return address.replace(/^null_resource\./, "terraform_data.");
}
