/**
 * The app's stack: a decoded `harbor-mirror.yaml` mapped onto the constructs, key for key (the
 * config's keys are named like the props). Secrets enter only here, as sensitive Terraform
 * variables named by the configuration. The constructs check every value; the stack collects the
 * errors of all of them before throwing, so one run reports every problem of the file.
 */
import { Lazy, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { provider as nullProvider } from "@cdktf/provider-null";
import {
  DEFAULT_SSH_KEY_VARIABLE,
  type HarborMirrorConfig,
  ROLLOUT_STRATEGIES,
  type UpstreamConfig,
} from "../config/schema";
import { HarborMirror, HarborMirrorDeliveryProps } from "../constructs/harbor-mirror";
import { HarborProvider } from "../constructs/harbor-provider";
import type { HarborProxyCacheProps, UpstreamProps } from "../constructs/harbor-proxy-cache";
import type { HarborProviderType } from "../harbor/upstreams";
import { pinProviderSources } from "../constructs/provider-sources";
import { RolloutStrategy } from "../constructs/rollout-strategy";
import { claimVariable } from "../constructs/stack-variables";
import { reportWarnings } from "../constructs/warnings";
import { VARIABLE_ROLES } from "../delivery/terraform-variables";
import {
  throwIfErrors,
  ValidationError,
  warningAt,
  type Diagnostic,
  type KeyPath,
} from "../registries/diagnostics";
import { configureBackend } from "./backend";

/** The construct strategy of each `rollout.strategy` value. */
const ROLLOUT_STRATEGY: Record<(typeof ROLLOUT_STRATEGIES)[number], (batchSize: number) => RolloutStrategy> =
  {
    rolling: (batchSize) => RolloutStrategy.rolling({ batchSize }),
    "servers-first": () => RolloutStrategy.serversFirst(),
    parallel: () => RolloutStrategy.parallel(),
  };

export const STACK_NAME = "harbor-mirror";
/** The output holding the new nodes' `#cloud-config` user-data (README, "New nodes"). */
export const CLOUD_CONFIG_OUTPUT = "registries_cloud_config";

export class HarborMirrorStack extends TerraformStack {
  readonly mirror: HarborMirror;
  private readonly problems: Diagnostic[] = [];

  constructor(
    scope: Construct,
    id: string,
    readonly config: HarborMirrorConfig,
  ) {
    super(scope, id);
    this.attempt(() => configureBackend(this, id, config.backend));
    const harbor = this.attempt(
      () =>
        new HarborProvider(this, "Harbor", {
          url: config.harbor.url,
          insecureApi: config.harbor.insecureApi,
          allowInsecureHttp: config.harbor.allowInsecureHttp,
        }),
    );
    // Without nodes nothing is delivered, and the stack needs no null provider.
    const delivers = config.nodes.length > 0;
    if (delivers) new nullProvider.NullProvider(this, "null");
    // The SSH key's variable is claimed first: a later name that clashes with it is the one reported.
    const delivery = delivers ? this.deliveryProps() : undefined;
    const proxyCache = this.proxyCacheProps(harbor);
    const mirror = this.attempt(
      () =>
        new HarborMirror(this, "HarborMirror", {
          proxyCache,
          delivery,
          distribution: config.distribution,
          caCertFile: config.harbor.caCertFile,
        }),
    );
    throwIfErrors(this.problems);
    this.mirror = mirror!;
    if (!delivers) this.warnAboutUnusedSsh();
    pinProviderSources(this, delivers ? ["harbor", "null"] : ["harbor"]);
    new TerraformOutput(this, CLOUD_CONFIG_OUTPUT, {
      value: this.mirror.cloudConfig({ distribution: config.distribution }),
      // With robot access it holds the robot's secret (Terraform refuses it unmarked).
      sensitive: this.mirror.registries.holdsSecret,
      description: "#cloud-config user-data for new nodes: registries.yaml (and Harbor's CA), 0600 root:root",
    });
  }

  /** Runs one construct's setup; its ValidationError is kept for the end, so later ones still run. */
  private attempt<T>(build: () => T): T | undefined {
    try {
      return build();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.problems.push(...error.diagnostics);
      return undefined;
    }
  }

  private proxyCacheProps(harbor: HarborProvider | undefined): HarborProxyCacheProps {
    const { config } = this;
    return {
      harborUrl: config.harbor.url,
      allowInsecureHttp: config.harbor.allowInsecureHttp,
      upstreams: config.upstreams.map((upstream, index) => this.upstreamProps(upstream, index)),
      // As decoded: the construct refuses a rule with both or neither of replace and keep.
      rewrites: config.rewrites as HarborProxyCacheProps["rewrites"],
      projects: config.projects,
      access: config.access,
      ...this.robotProps(),
      protectProjects: config.protectProjects,
      retention: config.retention,
      caCertNodePath: config.harbor.caCertNodePath,
      provider: harbor?.provider,
    };
  }

  private upstreamProps(upstream: UpstreamConfig, index: number): UpstreamProps {
    const { accessSecretVar, ...rest } = upstream;
    return {
      ...rest,
      provider: upstream.provider as HarborProviderType | undefined,
      accessSecret:
        accessSecretVar === undefined
          ? undefined
          : this.sensitiveVariable(
              accessSecretVar,
              VARIABLE_ROLES.upstreamSecret,
              ["upstreams", index, "accessSecretVar"],
              `Upstream secret of ${upstream.registry}`,
            ),
    };
  }

  private robotProps(): Pick<HarborProxyCacheProps, "robotName" | "robotSecret" | "robotSecretVersion"> {
    const { name, secretVar, secretVersion } = this.config.robot;
    return {
      robotName: name,
      robotSecret:
        secretVar === undefined
          ? undefined
          : this.sensitiveVariable(
              secretVar,
              VARIABLE_ROLES.robotSecret,
              ["robot", "secretVar"],
              "Secret of the pull robot (write-only)",
            ),
      robotSecretVersion: secretVersion,
    };
  }

  private deliveryProps(): HarborMirrorDeliveryProps {
    const { config } = this;
    const { privateKeyVar, ...ssh } = config.ssh;
    return {
      nodes: config.nodes,
      extraNodeDirectories: config.extraNodeDirectories,
      ssh: {
        ...ssh,
        privateKey: this.sensitiveVariable(
          privateKeyVar,
          VARIABLE_ROLES.sshPrivateKey,
          ["ssh", "privateKeyVar"],
          "SSH private key for the nodes",
        ),
      },
      rollout: this.attempt(() => ROLLOUT_STRATEGY[config.rollout.strategy](config.rollout.batchSize)),
    };
  }

  /** One variable per name, even when several upstreams share it; the stack's registry refuses a name of two roles. */
  private sensitiveVariable(name: string, role: string, path: KeyPath, description: string): string {
    const claimed = this.attempt(() => {
      claimVariable(this, { name, role, path });
      return true;
    });
    // A stand-in token, so the constructs check the rest; the stack throws before synth.
    if (!claimed) return Lazy.stringValue({ produce: () => "" });
    const existing = this.node.tryFindChild(name) as TerraformVariable | undefined;
    const variable =
      existing ?? new TerraformVariable(this, name, { type: "string", sensitive: true, description });
    return variable.stringValue;
  }

  private warnAboutUnusedSsh(): void {
    const { privateKeyVar, ...connection } = this.config.ssh;
    if (
      privateKeyVar === DEFAULT_SSH_KEY_VARIABLE &&
      Object.values(connection).every((value) => value === undefined)
    )
      return;
    reportWarnings(this, [
      warningAt("ssh-without-nodes", ["ssh"], "is set but nodes is empty: nothing is delivered"),
    ]);
  }
}
