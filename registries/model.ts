/**
 * The typed model of RKE2/K3s `registries.yaml` (docs/registries.md#keys-rke2-and-k3s-know) and of the
 * ordered mirror description harbor-mirror compiles into it. Pure types: no cdktf, no I/O.
 */

/**
 * A value known only at apply time (a robot account's secret or full name). The domain never
 * sees the value itself: it renders a placeholder, and the construct layer substitutes the
 * Terraform expression. `id` is unique per value and stable (e.g. `robot_secret`).
 */
export interface ApplyTimeValue {
  readonly kind: "apply-time";
  readonly id: string;
  /** Shown instead of the value in `render` output and the review report. */
  readonly display: string;
}

/** A string field of the registries file: a literal, or a value known only at apply time. */
export type RegistryString = string | ApplyTimeValue;

export function isApplyTimeValue(value: unknown): value is ApplyTimeValue {
  return typeof value === "object" && value !== null && (value as ApplyTimeValue).kind === "apply-time";
}

/** `mirrors.<registry>`. `rewrite` is a map: containerd tries its rules in random order. */
export interface Mirror {
  readonly endpoint?: readonly string[];
  readonly rewrite?: Readonly<Record<string, string>>;
}

/** `configs.<host>.auth`. */
export interface RegistryAuth {
  readonly username?: RegistryString;
  readonly password?: RegistryString;
  readonly auth?: RegistryString;
  readonly identity_token?: RegistryString;
}

/** `configs.<host>.tls`. */
export interface RegistryTls {
  readonly ca_file?: string;
  readonly cert_file?: string;
  readonly key_file?: string;
  readonly insecure_skip_verify?: boolean;
}

/** `configs.<host>`: keyed by the host of the server actually contacted. */
export interface RegistryConfig {
  readonly auth?: RegistryAuth;
  readonly tls?: RegistryTls;
}

/** The whole file. Keys are registry hosts (`host[:port]`) or `"*"`. */
export interface RegistriesFile {
  readonly mirrors?: Readonly<Record<string, Mirror | null>>;
  readonly configs?: Readonly<Record<string, RegistryConfig | null>>;
}

/** The auth keys that are credentials (a user name alone is not). */
const SECRET_AUTH_KEYS = ["password", "auth", "identity_token"] as const;

/** Whether the file holds a credential: every copy of it (an output, user-data) is then a secret. */
export function holdsCredentials(file: RegistriesFile): boolean {
  return Object.values(file.configs ?? {}).some((config) =>
    SECRET_AUTH_KEYS.some((key) => config?.auth?.[key] !== undefined),
  );
}

/** One rewrite rule as users write it: rules of one mirror are given in priority order. */
export type OrderedRewrite = RewriteRule | PassThroughRule;

export interface RewriteRule {
  /** RE2 pattern on the repository path (no host, no tag). */
  readonly match: string;
  /** Go template replacement: `$1`, `${1}`, `$name`, `$$`. */
  readonly replace: string;
}

/** Repositories the pattern matches stay as written (no later rule applies to them). */
export interface PassThroughRule {
  /** RE2 pattern on the repository path (no host, no tag). */
  readonly match: string;
  readonly keep: true;
}

export function isPassThrough(rule: OrderedRewrite): rule is PassThroughRule {
  return "keep" in rule && rule.keep === true;
}

/** The rule's target as users read it: the replacement, or `keep` for a pass-through rule. */
export function ruleTarget(rule: OrderedRewrite): string {
  return isPassThrough(rule) ? "keep" : rule.replace;
}

/**
 * A mirror as harbor-mirror describes it before compilation: rules in priority order.
 * The renderer compiles `rewrites` into an order-independent `rewrite` map.
 */
export interface OrderedMirror {
  /** Registry host as it appears in image names (`docker.io`) or `"*"`. */
  readonly registry: string;
  readonly endpoints: readonly string[];
  readonly rewrites: readonly OrderedRewrite[];
}

/**
 * A registry host known only at apply time (Harbor's URL from a Terraform variable). The spec
 * writes the literal `standIn` host in its place, so validation, rule compilation and resolution
 * keep working on literal, valid values; the renderer then writes apply-time placeholders where
 * the stand-in is a whole value: the mirror endpoint `https://<standIn>` becomes `url`, the
 * configs key `<standIn>` becomes `host`. Nothing else is replaced.
 */
export interface ApplyTimeHost {
  /** A literal host that can never be a real one: under `.invalid`, reserved by RFC 2606. */
  readonly standIn: string;
  /** The whole endpoint URL, `https://host[:port]` (or `http://` where allowed). */
  readonly url: ApplyTimeValue;
  /** `host[:port]` of that URL: the configs key (auth and TLS are looked up by it). */
  readonly host: ApplyTimeValue;
}

/** The endpoint a spec writes for an apply-time host. */
export function standInEndpoint(host: ApplyTimeHost): string {
  return `https://${host.standIn}`;
}

/** What harbor-mirror knows about a node's registries file before compilation. */
export interface RegistriesSpec {
  readonly mirrors: readonly OrderedMirror[];
  readonly configs: Readonly<Record<string, RegistryConfig>>;
  /**
   * Hosts that mirrors and configs name through a stand-in, known only at apply time.
   * @default - none: every host is literal
   */
  readonly applyTimeHosts?: readonly ApplyTimeHost[];
}
