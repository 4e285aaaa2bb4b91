/**
 * The whole product as one construct: Harbor proxy cache → registries.yaml (rendered once) →
 * delivery to nodes. Each piece stays usable on its own; this only wires what one exposes into
 * the next, so nothing is derived twice.
 */
import { Construct } from "constructs";
import { errorAt, ValidationError } from "../registries/diagnostics";
import { HarborProxyCache, HarborProxyCacheProps } from "./harbor-proxy-cache";
import { cloudConfigOf } from "./cloud-init";
import { NodeFileOptions, RegistriesContent } from "./registries-content";
import { DeliveryCaCert, RegistriesDelivery, RegistriesDeliveryProps } from "./registries-delivery";

/** Delivery settings; the content and the CA path come from the proxy cache. */
export interface HarborMirrorDeliveryProps extends Omit<RegistriesDeliveryProps, "content" | "caCert"> {
  /**
   * PEM text of Harbor's CA certificate, written to the proxy cache's `caCertNodePath` on every node.
   * @default - no CA file is delivered; nodes trust Harbor through their system store
   */
  readonly caCertPem?: string;
}

export interface HarborMirrorProps {
  /** The Harbor side: upstreams, access, rewrites, retention (see `HarborProxyCache`). */
  readonly proxyCache: HarborProxyCacheProps;
  /**
   * How registries.yaml reaches the nodes.
   * @default - the file is rendered but not delivered (no nodes)
   */
  readonly delivery?: HarborMirrorDeliveryProps;
}

export class HarborMirror extends Construct {
  /** The Harbor resources and the registries spec. */
  readonly proxyCache: HarborProxyCache;
  /** The rendered file (`content`, `displayText`, `holdsSecret`). */
  readonly registries: RegistriesContent;
  /** The per-node resources, when `delivery` names at least one node. */
  readonly delivery?: RegistriesDelivery;
  /** Harbor's CA file on the nodes (`delivery.caCertPem` at `proxyCache.caCertNodePath`), when set. */
  readonly caCert?: DeliveryCaCert;
  private readonly distribution: NodeFileOptions["distribution"];

  constructor(scope: Construct, id: string, props: HarborMirrorProps) {
    super(scope, id);
    this.caCert = caCertOf(props, this.node.path);
    this.distribution = props.delivery?.distribution;
    this.proxyCache = new HarborProxyCache(this, "Cache", props.proxyCache);
    this.registries = new RegistriesContent(this, "Registries", {
      spec: this.proxyCache.registriesSpec,
      applyTimeTokens: this.proxyCache.applyTimeTokens,
    });
    if (props.delivery && props.delivery.nodes.length > 0) {
      this.delivery = new RegistriesDelivery(this, "Delivery", {
        ...props.delivery,
        content: this.registries.content,
        caCert: this.caCert,
      });
    }
  }

  /**
   * A `#cloud-config` user-data document (a Terraform string) for a new node: Harbor's CA (when
   * `delivery.caCertPem` is set) and registries.yaml, each `0600 root:root`, so RKE2/K3s finds
   * them at first start. The distribution defaults to `delivery.distribution`. Sensitive when
   * `registries.holdsSecret`; later changes reach the node by the SSH delivery.
   */
  cloudConfig(options: NodeFileOptions = {}): string {
    const distribution = options.distribution ?? this.distribution;
    const registries = this.registries.cloudInitWriteFile({ ...options, distribution });
    const files = this.caCert ? [this.caCert] : [];
    return cloudConfigOf(this, [...files, { path: registries.path, content: this.registries.content }]);
  }
}

function caCertOf(props: HarborMirrorProps, construct: string): RegistriesDeliveryProps["caCert"] {
  const pem = props.delivery?.caCertPem;
  const path = props.proxyCache.caCertNodePath;
  if (pem === undefined) return undefined;
  if (path === undefined) {
    throw ValidationError.inConstruct(construct, [
      errorAt(
        "ca-cert-without-node-path",
        ["delivery", "caCertPem"],
        "is set but proxyCache.caCertNodePath is not: set caCertNodePath to the path nodes read the CA from " +
          "(it becomes configs.<harbor host>.tls.ca_file)",
      ),
    ]);
  }
  return { content: pem, path };
}
