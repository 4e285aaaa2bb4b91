/**
 * The registry of Terraform variables of one stack (`delivery/terraform-variables`): every
 * construct or app that declares a variable claims its name and role here first, so a name can
 * never hold two different secrets in one stack, whoever declares them.
 */
import { TerraformStack } from "cdktf";
import { IConstruct } from "constructs";
import { throwIfErrors } from "../registries/diagnostics";
import { checkVariableUses, type VariableUse } from "../delivery/terraform-variables";

const usesByStack = new WeakMap<TerraformStack, VariableUse[]>();

/** Records `use` in the stack of `scope`; throws `ValidationError` when its name is invalid or taken by another role. */
export function claimVariable(scope: IConstruct, use: VariableUse): void {
  const stack = TerraformStack.of(scope);
  const uses = usesByStack.get(stack) ?? [];
  // The uses recorded so far were valid, so every problem found is about this one.
  throwIfErrors(checkVariableUses([...uses, use]), scope.node.path);
  usesByStack.set(stack, [...uses, use]);
}
