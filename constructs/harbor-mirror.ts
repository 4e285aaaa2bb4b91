/**
 * The whole product as one construct: Harbor proxy cache → the nodes' files (RKE2/K3s
 * registries.yaml, or one hosts.toml per upstream for plain containerd; rendered once) → delivery
 * to nodes. Each piece stays usable on its own; this only wires what one exposes into the next, so
 * nothing is derived twice.
 */
import { readFileSync, statSync } from "node:fs";
import { Construct } from "constructs";
import { caBundleProblem } from "../delivery/checks";
import { defaultCaCertPath, Distribution, readsRegistriesYaml } from "../delivery/nodes";
import { errorAt, throwIfErrors, type Diagnostic } from "../registries/diagnostics";
import { ContainerdHosts } from "./containerd-hosts";
import { HarborProxyCache, HarborProxyCacheProps } from "./harbor-proxy-cache";
import { cloudConfigOf } from "./cloud-init";
import { NodeFileOptions, RegistriesContent } from "./registries-content";
import { DeliveryCaCert, RegistriesDelivery, RegistriesDeliveryProps } from "./registries-delivery";

/** Delivery settings; the content, the CA file and the distribution come from the mirror. */
export type HarborMirrorDeliveryProps = Omit<RegistriesDeliveryProps, "content" | "caCert" | "distribution">;

export interface HarborMirrorProps {
  /**
   * The proxy cache. Its `caCertNodePath` defaults to `/etc/rancher/<distribution>/harbor-ca.pem`
   * when `caCertFile` is given.
   */
  readonly proxyCache: HarborProxyCacheProps;
  /**
   * What the nodes run: `rke2`/`k3s` get registries.yaml, `containerd` (kubeadm and other plain
   * containerd nodes) one hosts.toml per upstream under /etc/containerd/certs.d, with no restart.
   * @default "rke2"
   */
  readonly distribution?: Distribution;
  /**
   * Local PEM file with Harbor's CA certificate(s), read at synth time; registries.yaml names it as
   * `configs.<harbor host>.tls.ca_file` (hosts.toml as `ca`), and every delivered node receives it at that path.
   * @default - no CA file; nodes trust Harbor through their system store
   */
  readonly caCertFile?: string;
  /**
   * How the files reach the nodes.
   * @default - the files are rendered but not delivered (no nodes)
   */
  readonly delivery?: HarborMirrorDeliveryProps;
}

export class HarborMirror extends Construct {
  /** The Harbor resources and the registries spec. */
  readonly proxyCache: HarborProxyCache;
  /** The registries.yaml of RKE2/K3s nodes (rendered for every distribution: review and CLI read it). */
  readonly registries: RegistriesContent;
  /** Set for `distribution: "containerd"`: the hosts.toml files the nodes receive instead of registries.yaml. */
  readonly containerdHosts?: ContainerdHosts;
  /** The per-node resources, when `delivery` names at least one node. */
  readonly delivery?: RegistriesDelivery;
  /** Harbor's CA file on the nodes (`caCertFile` at `proxyCache.caCertNodePath`), when set. */
  readonly caCert?: DeliveryCaCert;
  private readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: HarborMirrorProps) {
    super(scope, id);
    this.distribution = props.distribution ?? "rke2";
    this.caCert = caCertOf(props, this.distribution, this.node.path);
    this.proxyCache = new HarborProxyCache(this, "Cache", {
      ...props.proxyCache,
      ...(this.caCert ? { caCertNodePath: this.caCert.path } : {}),
    });
    this.registries = new RegistriesContent(this, "Registries", {
      spec: this.proxyCache.registriesSpec,
      applyTimeTokens: this.proxyCache.applyTimeTokens,
    });
    if (!readsRegistriesYaml(this.distribution)) {
      throwIfErrors(registriesPathsOf(props), this.node.path);
      this.containerdHosts = new ContainerdHosts(this, "ContainerdHosts", {
        spec: this.proxyCache.registriesSpec,
        applyTimeTokens: this.proxyCache.applyTimeTokens,
      });
    }
    if (props.delivery && props.delivery.nodes.length > 0) {
      this.delivery = new RegistriesDelivery(this, "Delivery", {
        ...props.delivery,
        distribution: this.distribution,
        ...(this.containerdHosts ? { files: [this.containerdHosts] } : { content: this.registries.content }),
        caCert: this.caCert,
      });
    }
  }

  /**
   * A `#cloud-config` user-data document (a Terraform string) for a new node: Harbor's CA (when
   * `caCertFile` is set) and registries.yaml, each `0600 root:root`, so RKE2/K3s finds
   * them at first start. The distribution defaults to the mirror's `distribution`. Sensitive when
   * `registries.holdsSecret`; later changes reach the node by the SSH delivery.
   */
  cloudConfig(options: NodeFileOptions = {}): string {
    const distribution = options.distribution ?? this.distribution;
    const files = this.caCert ? [this.caCert] : [];
    // containerd nodes read hosts.toml, not registries.yaml: their first boot gets those files.
    if (!readsRegistriesYaml(distribution) && this.containerdHosts) {
      return cloudConfigOf(this, [...files, ...this.containerdHosts.files]);
    }
    const registries = this.registries.cloudInitWriteFile({ ...options, distribution });
    return cloudConfigOf(this, [...files, { path: registries.path, content: this.registries.content }]);
  }
}

/** The CA file's content and node path, when one is given; its problems as a ValidationError. */
function caCertOf(
  props: HarborMirrorProps,
  distribution: Distribution,
  construct: string,
): RegistriesDeliveryProps["caCert"] {
  if (props.caCertFile === undefined) return undefined;
  const read = readCaCertFile(props.caCertFile);
  throwIfErrors(read.problems, construct);
  return { content: read.content, path: props.proxyCache.caCertNodePath ?? defaultCaCertPath(distribution) };
}

function readCaCertFile(file: string): { content: string; problems: Diagnostic[] } {
  const keyPath = ["caCertFile"];
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
    const message = `must name an existing file (looked for ${file})`;
    return { content: "", problems: [errorAt("ca-cert-file-missing", keyPath, message)] };
  }
  const content = readFileSync(file, "utf8");
  const problem = caBundleProblem(content);
  const problems = problem
    ? [errorAt("ca-not-certificates", keyPath, `must be a PEM certificate file: ${file} ${problem}`)]
    : [];
  return { content, problems };
}

/** containerd nodes receive no registries.yaml: a registries path there is a mistake, not a no-op. */
function registriesPathsOf(props: HarborMirrorProps): Diagnostic[] {
  return (props.delivery?.nodes ?? []).flatMap((node, index) =>
    node.registriesPath === undefined
      ? []
      : [
          errorAt(
            "containerd-registries-path",
            ["delivery", "nodes", index, "registriesPath"],
            `${JSON.stringify(node.registriesPath)} does not apply to distribution containerd: its nodes ` +
              "receive hosts.toml files under /etc/containerd/certs.d, not registries.yaml",
          ),
        ],
  );
}
