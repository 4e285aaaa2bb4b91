/**
 * How a change of `registries.yaml` reaches the nodes (cdk8s-plus `DeploymentStrategy` style).
 */
import { Token } from "cdktf";
import { throwIfErrors } from "../registries/diagnostics";
import { checkPositiveInteger } from "../delivery/checks";
import { RolloutPolicy } from "../delivery/rollout";

export interface RollingOptions {
  /**
   * Agents restarted together in one step. Servers are always restarted one at a time.
   * @default 1
   */
  readonly batchSize?: number;
}

export class RolloutStrategy {
  /** Every node at once: fastest, but all nodes restart their unit together. */
  static parallel(): RolloutStrategy {
    return new RolloutStrategy({ kind: "parallel" });
  }

  /**
   * Servers one at a time, then every agent without an order among them: Terraform runs as many at
   * once as `terraform apply -parallelism` allows (10 by default). The servers go first and act as
   * the canaries: a change that breaks a server stops the rollout before any agent. An agent that
   * fails restores its own files and fails the apply, but does not stop the other agents. Plan
   * time grows linearly with the fleet, where `rolling` batches grow it with the square (every
   * batch waits for all before it; see docs/rollout.md): the choice for large fleets.
   */
  static serversFirst(): RolloutStrategy {
    return new RolloutStrategy({ kind: "servers-first" });
  }

  /** Servers one at a time, then agents in batches; each step waits for the previous one to be active. */
  static rolling(options: RollingOptions = {}): RolloutStrategy {
    const batchSize = options.batchSize ?? 1;
    if (!Token.isUnresolved(batchSize)) {
      throwIfErrors(checkPositiveInteger(batchSize, ["batchSize"]), "RolloutStrategy.rolling");
    }
    return new RolloutStrategy({ kind: "rolling", batchSize });
  }

  private constructor(
    /** The plan this strategy stands for, as the pure `delivery/rollout` understands it. */
    readonly policy: RolloutPolicy,
  ) {}
}
