/**
 * The app's stack: a validated `harbor-mirror.yaml` mapped onto the constructs. Secrets enter
 * only here, as sensitive Terraform variables named by the configuration.
 */
import { readFileSync } from "node:fs";
import { TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { provider as nullProvider } from "@cdktf/provider-null";
import type { HarborMirrorConfig, UpstreamConfig } from "../config/schema";
import { HarborMirror, HarborMirrorDeliveryProps } from "../constructs/harbor-mirror";
import { HarborProvider } from "../constructs/harbor-provider";
import type { HarborProxyCacheProps, UpstreamProps } from "../constructs/harbor-proxy-cache";
import { pinProviderSources } from "../constructs/provider-sources";
import type { OrderedRewrite } from "../registries/model";
import { RolloutStrategy } from "../constructs/rollout-strategy";
import { claimVariable } from "../constructs/stack-variables";
import { VARIABLE_ROLES, type VariableUse } from "../delivery/terraform-variables";
import { configureBackend } from "./backend";

export const STACK_NAME = "harbor-mirror";
/** The output holding the new nodes' `#cloud-config` user-data (README, "New nodes"). */
export const CLOUD_CONFIG_OUTPUT = "registries_cloud_config";

export class HarborMirrorStack extends TerraformStack {
  readonly mirror: HarborMirror;
  /** PEM text of Harbor's CA file delivered to the nodes, when `harbor.caCertFile` is set. */
  readonly caCertPem?: string;

  constructor(
    scope: Construct,
    id: string,
    readonly config: HarborMirrorConfig,
  ) {
    super(scope, id);
    configureBackend(this, id, config.backend);
    const harbor = new HarborProvider(this, "Harbor", {
      url: config.harbor.url,
      insecureApi: config.harbor.insecureApi,
      allowInsecureHttp: config.harbor.allowHttp,
    });
    // Without nodes nothing is delivered, and the stack needs no null provider.
    const delivers = config.nodes.length > 0;
    this.caCertPem =
      config.harbor.caCertFile === undefined ? undefined : readFileSync(config.harbor.caCertFile, "utf8");
    if (delivers) new nullProvider.NullProvider(this, "null");
    this.mirror = new HarborMirror(this, "HarborMirror", {
      proxyCache: {
        harborUrl: config.harbor.url,
        allowInsecureHttp: config.harbor.allowHttp,
        upstreams: config.upstreams.map((upstream, index) => this.upstreamProps(upstream, index)),
        rewrites: rewritesOf(config.rewrites),
        projects: config.projects,
        access: config.access,
        ...(config.access === "robot" ? this.robotProps() : {}),
        protectProjects: config.protectProjects,
        retention: config.retention,
        caCertNodePath: config.harbor.caCertFile === undefined ? undefined : config.harbor.caCertNodePath,
        provider: harbor.provider,
      },
      delivery: delivers ? this.deliveryProps() : undefined,
    });
    pinProviderSources(this, delivers ? ["harbor", "null"] : ["harbor"]);
    new TerraformOutput(this, CLOUD_CONFIG_OUTPUT, {
      value: this.mirror.cloudConfig({ distribution: config.distribution }),
      // With robot access it holds the robot's secret (Terraform refuses it unmarked).
      sensitive: this.mirror.registries.holdsSecret,
      description: "#cloud-config user-data for new nodes: registries.yaml (and Harbor's CA), 0600 root:root",
    });
  }

  private upstreamProps(upstream: UpstreamConfig, index: number): UpstreamProps {
    return {
      registry: upstream.registry,
      project: upstream.project,
      provider: upstream.provider,
      endpointUrl: upstream.endpointUrl,
      accessId: upstream.accessId,
      accessSecret:
        upstream.accessSecretVar === undefined
          ? undefined
          : this.sensitiveVariable(upstream.accessSecretVar, `Upstream secret of ${upstream.registry}`, {
              role: VARIABLE_ROLES.upstreamSecret,
              path: ["upstreams", index, "accessSecretVar"],
            }),
      storageQuotaGiB: upstream.storageQuotaGiB,
      proxySpeedKb: upstream.proxySpeedKb,
      localOnNotFound: upstream.localOnNotFound,
    };
  }

  private robotProps(): Pick<HarborProxyCacheProps, "robotName" | "robotSecret" | "robotSecretVersion"> {
    const { name, secretVar, secretVersion } = this.config.robot;
    return {
      robotName: name,
      robotSecret:
        secretVar === undefined
          ? undefined
          : this.sensitiveVariable(secretVar, "Secret of the pull robot (write-only)", {
              role: VARIABLE_ROLES.robotSecret,
              path: ["robot", "secretVar"],
            }),
      robotSecretVersion: secretVersion,
    };
  }

  private deliveryProps(): HarborMirrorDeliveryProps {
    const { config } = this;
    return {
      nodes: config.nodes,
      distribution: config.distribution,
      extraNodeDirectories: config.extraNodeDirectories,
      ssh: {
        privateKey: this.sensitiveVariable(config.ssh.privateKeyVar, "SSH private key for the nodes", {
          role: VARIABLE_ROLES.sshPrivateKey,
          path: ["ssh", "privateKeyVar"],
        }),
        bastionHost: config.ssh.bastionHost,
        bastionUser: config.ssh.bastionUser,
        bastionPort: config.ssh.bastionPort,
        hostKey: config.ssh.hostKey,
      },
      rollout:
        config.rollout.strategy === "parallel"
          ? RolloutStrategy.parallel()
          : RolloutStrategy.rolling({ batchSize: config.rollout.batchSize }),
      caCertPem: this.caCertPem,
    };
  }

  /** One variable per name, even when several upstreams share it; the stack's registry refuses a name of two roles. */
  private sensitiveVariable(name: string, description: string, use: Omit<VariableUse, "name">): string {
    claimVariable(this, { name, ...use });
    const existing = this.node.tryFindChild(name) as TerraformVariable | undefined;
    const variable =
      existing ?? new TerraformVariable(this, name, { type: "string", sensitive: true, description });
    return variable.stringValue;
  }
}

/** The config's rules as the construct takes them: `{ match, replace }` or `{ match, keep: true }`. */
function rewritesOf(rewrites: HarborMirrorConfig["rewrites"]): Record<string, OrderedRewrite[]> {
  return Object.fromEntries(
    Object.entries(rewrites).map(([registry, rules]) => [
      registry,
      rules.map(({ match, replace, keep }): OrderedRewrite =>
        keep === true ? { match, keep } : { match, replace: replace as string },
      ),
    ]),
  );
}
