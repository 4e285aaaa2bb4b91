/**
 * Harbor as a pull-through cache: one `harbor_registry` (the upstream endpoint), one proxy
 * `harbor_project` and one `harbor_retention_policy` per upstream registry, optionally one pull-only
 * robot account; plus the description of what nodes need (`registriesSpec`), consumed by the
 * registries engine. Terraform addresses derive from registry hosts, never from list positions.
 */
import { Fn, Op, Precondition, TerraformOutput, TerraformProvider, Token } from "cdktf";
import { Construct } from "constructs";
import { project, registry, retentionPolicy, robotAccount } from "../.gen/providers/harbor";
import {
  DEFAULT_ROBOT_NAME,
  DEFAULT_ROBOT_SECRET_VERSION,
  projectNameProblem,
  robotNameProblem,
} from "../harbor/naming";
import {
  proxySpeedProblem,
  retentionWarnings,
  storageQuotaProblem,
  storageQuotaWarnings,
} from "../harbor/limits";
import {
  HARBOR_DEFAULT_PROXY_RETENTION,
  RetentionSettings,
  retentionDaysProblem,
  retentionScheduleProblem,
} from "../harbor/retention";
import {
  defaultProjectName,
  defaultUpstream,
  HARBOR_PROVIDER_TYPES,
  HarborProviderType,
  isHarborProviderType,
  isProxyCacheProviderType,
  PROXY_CACHE_PROVIDER_TYPES,
  registryHostProblem,
  upstreamWarnings,
} from "../harbor/upstreams";
import { endpointUrlProblem, HarborUrl, harborUrlProblem, parseHarborUrl } from "../harbor/url";
import { compileRuleList, targetProjectsOf, type CompiledRule } from "../registries/compile-rules";
import {
  Diagnostic,
  errorAt,
  KeyPath,
  throwIfErrors,
  ValidationError,
  warningAt,
} from "../registries/diagnostics";
import { docs } from "../registries/docs";
import { checkPositiveInteger } from "../delivery/checks";
import { reportWarnings } from "./warnings";
import {
  ApplyTimeHost,
  ApplyTimeValue,
  OrderedMirror,
  OrderedRewrite,
  RegistriesSpec,
  RegistryConfig,
} from "../registries/model";
import { optionalTerraformString, terraformString } from "./terraform-string";

export interface UpstreamProps {
  /** Registry host as it appears in image names, e.g. `docker.io` (lower case, optional `:port`). */
  readonly registry: string;
  /**
   * Harbor proxy project name.
   * @default the registry host
   */
  readonly project?: string;
  /**
   * Harbor provider type of the upstream endpoint.
   * @default by registry host (docs/configuration.md#default-provider-and-endpoint-by-registry-host; `defaultUpstream`)
   */
  readonly provider?: HarborProviderType;
  /**
   * Upstream URL Harbor pulls from.
   * @default by registry host (docs/configuration.md#default-provider-and-endpoint-by-registry-host; `defaultUpstream`)
   */
  readonly endpointUrl?: string;
  /**
   * Upstream user name or key id; give together with `accessSecret`.
   * @default anonymous upstream pulls
   */
  readonly accessId?: string;
  /**
   * Upstream password or token. Must be a Terraform token (e.g. a sensitive `TerraformVariable`'s
   * `stringValue`): a literal would be written in plain text into cdk.tf.json, so it is rejected.
   * @default anonymous upstream pulls
   */
  readonly accessSecret?: string;
  /**
   * Storage quota of the proxy project in GiB.
   * @default -1 (unlimited)
   */
  readonly storageQuotaGiB?: number;
  /**
   * Upstream bandwidth limit in KB/s.
   * @default not set: the provider's -1 (unlimited)
   */
  readonly proxySpeedKb?: number;
  /**
   * Serve cached artifacts the upstream has deleted. Needs Harbor 2.15.1 or later (a warning says so).
   * @default not set: the provider's false
   */
  readonly localOnNotFound?: boolean;
}

export type HarborAccess = "public" | "robot";

export interface HarborProxyCacheProps {
  /**
   * Harbor's external root URL, e.g. `https://harbor.example.com`: the mirror endpoint on nodes.
   * May be a Terraform token (e.g. a `TerraformVariable`'s `stringValue`): it is then checked at
   * plan/apply time instead (`https://host[:port]`, lower case, nothing after the port; see
   * `applyTimeHarborUrlPattern`), and nodes key their `configs` by the host Terraform derives from it.
   */
  readonly harborUrl: string;
  /**
   * Accept an `http://` harborUrl (registry traffic in plain text).
   * @default false: http:// is an error
   */
  readonly allowInsecureHttp?: boolean;
  /** One proxy cache per upstream registry; order does not matter. At least one. */
  readonly upstreams: readonly UpstreamProps[];
  /**
   * Extra rewrite rules per registry, in priority order, tried before that registry's proxy rule.
   * A rule `{ match, keep: true }` passes what it matches to Harbor unchanged (docs/rewrite-rules.md).
   * @default none
   */
  readonly rewrites?: Readonly<Record<string, readonly OrderedRewrite[]>>;
  /**
   * Plain (non-proxy) Harbor projects to create, e.g. the targets of rewrite rules. With access
   * robot, the robot may pull from each one a rule can reach.
   * @default none
   */
  readonly projects?: readonly PlainProjectProps[];
  /**
   * `public`: proxy projects are public and nodes pull anonymously. `robot`: projects are private and
   * one system robot account that can only pull from them is created; nodes get its credentials.
   * @default "public"
   */
  readonly access?: HarborAccess;
  /**
   * Retention of every proxy project.
   * @default Harbor's hidden default made explicit: 7 days since last pull, Daily
   */
  readonly retention?: RetentionSettings;
  /**
   * Absolute path of Harbor's CA certificate on the nodes, written as `configs.<harbor host>.tls.ca_file`.
   * @default none: nodes use their system trust store
   */
  readonly caCertNodePath?: string;
  /**
   * `lifecycle.prevent_destroy` on proxy projects, so a plan never drops a cache by accident.
   * (`force_destroy` is always false either way.)
   * @default true
   */
  readonly protectProjects?: boolean;
  /**
   * Short name of the pull robot (Harbor adds its prefix, `robot$` by default). Only with access robot.
   * @default "harbor-mirror-pull"
   */
  readonly robotName?: string;
  /**
   * Robot secret as a Terraform token, sent through the write-only `secret_wo` (Terraform 1.11+);
   * it never reaches state. Literals are rejected.
   * @default Harbor generates the secret (kept in state as the robot's sensitive `secret`)
   */
  readonly robotSecret?: string;
  /**
   * `secret_wo_version`: change it to push a new `robotSecret`.
   * @default 1
   */
  readonly robotSecretVersion?: number;
  /**
   * Provider for every Harbor resource.
   * @default the stack's default `harbor` provider
   */
  readonly provider?: TerraformProvider;
}

/** A plain Harbor project (no upstream registry): a place rewrite rules can send repositories to. */
export interface PlainProjectProps {
  /** Harbor project name (lower case, 1–255 characters). */
  readonly name: string;
}

/** Ids of the apply-time values in `configs` (see `applyTimeTokens`). */
export const ROBOT_FULL_NAME_ID = "robot_full_name";
export const ROBOT_SECRET_ID = "robot_secret";
/** Ids of Harbor's URL and host when `harborUrl` is a token (see `applyTimeTokens`). */
export const HARBOR_URL_ID = "harbor_url";
export const HARBOR_HOST_ID = "harbor_host";
/**
 * The host the registries spec names Harbor by when `harborUrl` is a token, so the domain
 * validates and resolves literal values; the rendered file carries the real URL and host instead.
 */
export const HARBOR_STAND_IN_HOST = "harbor.apply-time.invalid";

/** The proxy-cache rule that sends every repository of a registry into its project. */
const PROXY_RULE_MATCH = "^(.*)$";

/** An upstream with every default applied: what Harbor is told. */
export interface ProxiedUpstream {
  readonly registry: string;
  readonly project: string;
  readonly provider: string;
  readonly endpointUrl: string;
}

interface ResolvedUpstream extends ProxiedUpstream {
  /** Position in `props.upstreams`, for messages about the setting. */
  readonly index: number;
  readonly props: UpstreamProps;
}

/**
 * Harbor's URL as the construct uses it. A literal is parsed now; a token is known only at apply
 * time, so the spec names Harbor by the stand-in host and Terraform derives the host.
 */
interface HarborLocation {
  /** Root URL and host written into the registries spec (the stand-in's for a token). */
  readonly spec: HarborUrl;
  /** `host[:port]` as a Terraform string: literal, or an expression over the URL token. */
  readonly host: string;
  readonly applyTime?: {
    readonly host: ApplyTimeHost;
    readonly tokens: Readonly<Record<string, string>>;
    readonly checks: readonly Precondition[];
  };
}

export class HarborProxyCache extends Construct {
  /** The upstreams with their defaults applied, in registry order. */
  readonly upstreams: readonly ProxiedUpstream[];
  /** Per upstream registry, in registry order: Harbor root endpoint + user rules + proxy rule. */
  readonly mirrors: readonly OrderedMirror[];
  /**
   * Keyed by the Harbor host (auth/TLS are looked up by the endpoint host,
   * docs/registries.md#auth-and-tls-are-looked-up-by-the-endpoint-host);
   * by `HARBOR_STAND_IN_HOST` when `harborUrl` is a token.
   */
  readonly configs: Readonly<Record<string, RegistryConfig>>;
  /**
   * Apply-time value id → Terraform token: the robot's name and secret with access robot, Harbor's
   * URL and host when `harborUrl` is a token; otherwise empty.
   */
  readonly applyTimeTokens: Readonly<Record<string, string>>;
  readonly registriesSpec: RegistriesSpec;
  /** Harbor's `host[:port]`: a literal, or a Terraform expression when `harborUrl` is a token. */
  readonly harborHost: string;
  /** Proxy projects by registry host. */
  readonly projects: Readonly<Record<string, project.Project>>;
  /** Plain projects by name (the `projects` prop). */
  readonly plainProjects: Readonly<Record<string, project.Project>>;
  /** Per registry: the user's rules and the proxy rule as compiled, in priority order. */
  readonly compiledRules: Readonly<Record<string, readonly CompiledRule[]>>;
  readonly robot?: robotAccount.RobotAccount;

  constructor(scope: Construct, id: string, props: HarborProxyCacheProps) {
    super(scope, id);
    const harbor = harborLocation(validateProps(props, this.node.path), props);
    const upstreams = resolveUpstreams(props.upstreams);
    this.upstreams = upstreams.map(({ registry, project, provider, endpointUrl }) => ({
      registry,
      project,
      provider,
      endpointUrl,
    }));
    this.harborHost = harbor.host;
    this.warn(upstreams, props, harbor.spec);
    this.projects = Object.fromEntries(
      upstreams.map((upstream) => [upstream.registry, this.declareUpstream(upstream, props, harbor.host)]),
    );
    if (harbor.applyTime) this.declareHarborHostCheck(harbor.host, harbor.applyTime.checks);
    this.mirrors = upstreams.map((upstream) => mirrorOf(upstream, harbor.spec, props.rewrites));
    this.compiledRules = compileMirrorRules(this.mirrors, upstreams, props, this.node.path);
    this.plainProjects = Object.fromEntries(
      (props.projects ?? []).map((plain) => [plain.name, this.declarePlainProject(plain, props)]),
    );
    const reachable = this.reachablePlainProjects(upstreams, props);
    this.robot = props.access === "robot" ? this.declareRobot(upstreams, reachable, props) : undefined;
    this.applyTimeTokens = {
      ...(this.robot ? robotTokens(this.robot, props.robotSecret) : {}),
      ...harbor.applyTime?.tokens,
    };
    this.configs = harborConfigs(harbor.spec.host, props);
    this.registriesSpec = {
      mirrors: this.mirrors,
      configs: this.configs,
      ...(harbor.applyTime ? { applyTimeHosts: [harbor.applyTime.host] } : {}),
    };
  }

  /**
   * The synth-time URL checks, moved to plan/apply time: an output of the derived host with the
   * checks as preconditions, so a bad URL fails with a clear message (the host expression itself
   * also fails on it, so no node ever receives a bad endpoint).
   */
  private declareHarborHostCheck(host: string, checks: readonly Precondition[]): void {
    const output = new TerraformOutput(this, "HarborHost", {
      description: "Harbor host nodes key their registries configs by (derived from harborUrl)",
      value: host,
    });
    // cdktf 0.21 accepts TerraformOutput's `precondition` prop but never synthesizes it.
    output.addOverride(
      "precondition",
      checks.map(({ condition, errorMessage }) => ({ condition, error_message: errorMessage })),
    );
  }

  private declareUpstream(upstream: ResolvedUpstream, props: HarborProxyCacheProps, harborHost: string) {
    const scope = new Construct(this, `Upstream-${upstream.registry}`);
    const { props: given } = upstream;
    const endpoint = new registry.Registry(scope, "Registry", {
      provider: props.provider,
      name: terraformString(upstream.registry),
      description: terraformString(`harbor-mirror upstream ${upstream.registry}`),
      providerName: terraformString(upstream.provider),
      endpointUrl: terraformString(upstream.endpointUrl),
      accessId: optionalTerraformString(given.accessId),
      accessSecret: given.accessSecret,
    });
    const proxyProject = new project.Project(scope, "Project", {
      provider: props.provider,
      name: terraformString(upstream.project),
      registryId: endpoint.registryId,
      public: (props.access ?? "public") === "public",
      storageQuota: given.storageQuotaGiB ?? -1,
      proxySpeedKb: given.proxySpeedKb,
      proxyCacheLocalOnNotFound: given.localOnNotFound,
      forceDestroy: false,
      lifecycle: { preventDestroy: props.protectProjects ?? true },
    });
    const retention = props.retention ?? HARBOR_DEFAULT_PROXY_RETENTION;
    new retentionPolicy.RetentionPolicy(scope, "Retention", {
      provider: props.provider,
      scope: proxyProject.id,
      schedule: terraformString(retention.schedule),
      rule: [
        {
          nDaysSinceLastPull: retention.daysSinceLastPull,
          repoMatching: "**",
          tagMatching: "**",
          // containerd pulls by digest, so most cached artifacts are untagged in Harbor
          // (docs/harbor.md#untagged-artifacts-and-pull-by-digest): the rule must cover them, or recently
          // pulled images are deleted and the cache empties. True is the provider's default; stated so no
          // default can silently change it.
          untaggedArtifacts: true,
        },
      ],
    });
    new TerraformOutput(scope, "PullPrefix", {
      description: `Image prefix for ${upstream.registry} images cached in Harbor`,
      value: terraformString(`${harborHost}/${upstream.project}`),
    });
    return proxyProject;
  }

  private declarePlainProject(plain: PlainProjectProps, props: HarborProxyCacheProps) {
    return new project.Project(this, `Project-${plain.name}`, {
      provider: props.provider,
      name: terraformString(plain.name),
      public: (props.access ?? "public") === "public",
      storageQuota: -1,
      forceDestroy: false,
      lifecycle: { preventDestroy: props.protectProjects ?? true },
    });
  }

  /**
   * The plain projects some rule can send repositories to; every other project a rule reaches that
   * harbor-mirror does not manage draws a warning naming it (nodes would be refused there).
   */
  private reachablePlainProjects(
    upstreams: readonly ResolvedUpstream[],
    props: HarborProxyCacheProps,
  ): string[] {
    const proxyProjects = new Set(upstreams.map((upstream) => upstream.project));
    const plain = new Set((props.projects ?? []).map((entry) => entry.name));
    const reachable = new Set<string>();
    const warnings: Diagnostic[] = [];
    for (const upstream of upstreams) {
      const custom = (this.compiledRules[upstream.registry] ?? []).slice(0, -1);
      for (const compiled of custom) {
        const key = ["rewrites", upstream.registry, compiled.priority, "match"];
        const targets = targetProjectsOf(compiled);
        if (targets.kind === "unbounded") {
          warnings.push(
            warningAt(
              "rewrite-target-unbounded",
              key,
              "the Harbor project this rule sends repositories to depends on the repository, so " +
                "harbor-mirror cannot tell which projects nodes need; write the project part of replace literally " +
                "(e.g. `production/$1`) or as a group of fixed names (`(rancher|longhornio)`)",
            ),
          );
          continue;
        }
        for (const name of targets.projects) {
          if (plain.has(name)) reachable.add(name);
          else if (!proxyProjects.has(name))
            warnings.push(warningAt("rewrite-target-unmanaged", key, unmanagedProjectWarning(name, props)));
        }
      }
    }
    reportWarnings(this, warnings);
    return [...reachable].sort();
  }

  private declareRobot(
    upstreams: readonly ResolvedUpstream[],
    plainProjects: readonly string[],
    props: HarborProxyCacheProps,
  ) {
    const robot = new robotAccount.RobotAccount(this, "PullRobot", {
      provider: props.provider,
      name: terraformString(props.robotName ?? DEFAULT_ROBOT_NAME),
      level: "system",
      description:
        "harbor-mirror: pull-only access to the proxy-cache projects and the rules' target projects",
      duration: -1,
      // Exactly the proxy projects, then the plain projects rewrite rules reach, pull only
      // (docs/harbor.md#robot-accounts-and-their-permissions): in registry order, then by name, like
      // everything else.
      permissions: [...upstreams.map((upstream) => upstream.project), ...plainProjects].map((namespace) => ({
        kind: "project",
        namespace: terraformString(namespace),
        access: [{ resource: "repository", action: "pull" }],
      })),
      ...(props.robotSecret === undefined
        ? {}
        : {
            secretWo: props.robotSecret,
            secretWoVersion: props.robotSecretVersion ?? DEFAULT_ROBOT_SECRET_VERSION,
          }),
    });
    new TerraformOutput(this, "RobotFullName", {
      description: "Login name of the pull robot (contains $: quote it in shells)",
      value: robot.fullName,
    });
    return robot;
  }

  private warn(upstreams: readonly ResolvedUpstream[], props: HarborProxyCacheProps, url: HarborUrl): void {
    const warnings = upstreams.flatMap((upstream) => {
      const path = ["upstreams", upstream.index];
      const versioned = isHarborProviderType(upstream.provider)
        ? upstreamWarnings(upstream.registry, upstream.provider).map((warning) =>
            warningAt("upstream-provider-version", [...path, "provider"], warning),
          )
        : [];
      const localOnNotFound = upstream.props.localOnNotFound
        ? [
            warningAt(
              "upstream-local-on-not-found",
              [...path, "localOnNotFound"],
              "needs Harbor 2.15.1 or later",
            ),
          ]
        : [];
      const quota = storageQuotaWarnings(upstream.registry, upstream.props.storageQuotaGiB ?? -1).map(
        (warning) => warningAt("cache-safety", [...path, "storageQuotaGiB"], warning),
      );
      return [...versioned, ...quota, ...localOnNotFound];
    });
    warnings.push(
      ...retentionWarnings(props.retention ?? HARBOR_DEFAULT_PROXY_RETENTION).map((warning) =>
        warningAt("cache-safety", ["retention", "daysSinceLastPull"], warning),
      ),
    );
    if (url.root.startsWith("http:")) {
      warnings.push(
        warningAt(
          "harbor-url-http",
          ["harborUrl"],
          `${url.root} is http://: registry traffic to Harbor is not encrypted`,
        ),
      );
    }
    warnings.push(...accessWarnings(props.access ?? "public"));
    reportWarnings(this, warnings);
  }
}

function accessWarnings(access: HarborAccess): Diagnostic[] {
  if (access === "public") {
    return [
      warningAt(
        "access-public",
        ["access"],
        "is public: the proxy projects allow anonymous pulls by anyone who can reach Harbor",
      ),
    ];
  }
  return [
    warningAt(
      "robot-rewrite-auth-version",
      ["access"],
      "is robot: authenticated pulls through rewrites need RKE2 v1.29.11 / v1.30.7 / v1.31.3 or later; " +
        `older nodes request a token without the project and fail (${docs("registries.md#credentials-and-rewrites")})`,
    ),
    warningAt(
      "robot-pull-secrets-override",
      ["access"],
      "is robot: pods that set imagePullSecrets replace the node's registries.yaml credentials for that pull, " +
        `Harbor mirror included (${docs("registries.md#credentials-and-rewrites")})`,
    ),
  ];
}

/** Upstreams with defaults applied, sorted by registry so that output never depends on input order. */
function resolveUpstreams(upstreams: readonly UpstreamProps[]): ResolvedUpstream[] {
  return upstreams
    .map((props, index) => ({ props, index }))
    .sort((a, b) => (a.props.registry < b.props.registry ? -1 : a.props.registry > b.props.registry ? 1 : 0))
    .map(({ props, index }) => {
      const defaults = defaultUpstream(props.registry);
      return {
        index,
        registry: props.registry,
        project: props.project ?? defaultProjectName(props.registry),
        provider: props.provider ?? defaults.provider,
        endpointUrl: props.endpointUrl ?? defaults.endpointUrl,
        props,
      };
    });
}

function mirrorOf(
  upstream: ResolvedUpstream,
  url: HarborUrl,
  rewrites: HarborProxyCacheProps["rewrites"],
): OrderedMirror {
  return {
    registry: upstream.registry,
    endpoints: [url.root],
    rewrites: [
      ...(rewrites?.[upstream.registry] ?? []),
      { match: PROXY_RULE_MATCH, replace: `${upstream.project}/$1` },
    ],
  };
}

/**
 * Every registry's rules compiled now, so a rule that cannot be compiled exactly is reported at the
 * user's key (`rewrites."docker.io"[0].match`) when the construct is created; the proxy rule's
 * problems (only "can never apply") are reported at the registry's rule list.
 */
function compileMirrorRules(
  mirrors: readonly OrderedMirror[],
  upstreams: readonly ResolvedUpstream[],
  props: HarborProxyCacheProps,
  construct: string,
): Record<string, readonly CompiledRule[]> {
  const diagnostics: Diagnostic[] = [];
  const compiled: Record<string, readonly CompiledRule[]> = {};
  mirrors.forEach((mirror, index) => {
    const keyPath = ["rewrites", mirror.registry];
    try {
      // The proxy rule is harbor-mirror's own (its project may be a token, known at apply time).
      const proxyRule = mirror.rewrites[mirror.rewrites.length - 1];
      compiled[mirror.registry] = compileRuleList(mirror.rewrites, keyPath, {
        trusted: (rule) => rule === proxyRule,
      });
    } catch (caught) {
      if (!(caught instanceof ValidationError)) throw caught;
      const customCount = props.rewrites?.[mirror.registry]?.length ?? 0;
      diagnostics.push(
        ...caught.diagnostics.map((diagnostic) =>
          diagnostic.keyPath?.[2] === customCount && diagnostic.code === "rewrite-rule-conflict"
            ? errorAt(
                diagnostic.code,
                keyPath,
                `the proxy-cache rule (every other repository → ${upstreams[index].project}/…) can never apply: ` +
                  "the rules above take every repository; remove the catch-all rule, or narrow it",
              )
            : diagnostic,
        ),
      );
    }
  });
  throwIfErrors(diagnostics, construct);
  return compiled;
}

function unmanagedProjectWarning(name: string, props: HarborProxyCacheProps): string {
  const consequence =
    props.access === "robot"
      ? "the robot gets no pull permission there, so nodes are refused and fall back to the upstream"
      : "it must exist and be public, or nodes are refused and fall back to the upstream";
  return (
    `sends repositories to Harbor project ${JSON.stringify(name)}, which harbor-mirror does not manage: ` +
    `${consequence}; declare it under \`projects\` (harbor-mirror then creates it and grants the robot pull)`
  );
}

function harborConfigs(host: string, props: HarborProxyCacheProps): Record<string, RegistryConfig> {
  const config: RegistryConfig = {
    ...(props.access === "robot"
      ? { auth: { username: applyTime(ROBOT_FULL_NAME_ID), password: applyTime(ROBOT_SECRET_ID) } }
      : {}),
    ...(props.caCertNodePath === undefined ? {} : { tls: { ca_file: props.caCertNodePath } }),
  };
  return Object.keys(config).length === 0 ? {} : { [host]: config };
}

/**
 * What a token `harborUrl` must look like at apply time: the literal checks (https unless allowed,
 * root only, no credentials) as an RE2 pattern without backslashes (none survives hosts.toml or
 * template escaping untouched). Stricter than the literal check, since nothing is normalized at
 * apply time: upper case or a trailing slash are refused. Group 1 is `host[:port]`.
 */
export function applyTimeHarborUrlPattern(allowInsecureHttp = false): string {
  const scheme = allowInsecureHttp ? "https?" : "https";
  return `^${scheme}://([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?)$`;
}

function harborLocation(literal: HarborUrl | undefined, props: HarborProxyCacheProps): HarborLocation {
  if (literal) return { spec: literal, host: literal.host };
  const pattern = applyTimeHarborUrlPattern(props.allowInsecureHttp);
  const host = Fn.element(Fn.regex(pattern, props.harborUrl), 0) as string;
  return {
    spec: { root: `https://${HARBOR_STAND_IN_HOST}`, host: HARBOR_STAND_IN_HOST },
    host,
    applyTime: {
      host: {
        standIn: HARBOR_STAND_IN_HOST,
        url: applyTime(HARBOR_URL_ID),
        host: applyTime(HARBOR_HOST_ID),
      },
      tokens: { [HARBOR_URL_ID]: props.harborUrl, [HARBOR_HOST_ID]: host },
      checks: applyTimeUrlChecks(pattern, host, props),
    },
  };
}

/** The literal URL checks that can be written as Terraform conditions (see `validateProps`). */
function applyTimeUrlChecks(pattern: string, host: string, props: HarborProxyCacheProps): Precondition[] {
  const allowed = props.allowInsecureHttp ? "https:// or http://" : "https://";
  const registries = props.upstreams.map((upstream) => upstream.registry).sort();
  // try(): a bad URL has no host, and the first check already reports it.
  const hostOrEmpty = Fn.try([host, ""]);
  return [
    {
      condition: Fn.can(Fn.regex(pattern, props.harborUrl)),
      errorMessage:
        `harborUrl must be Harbor's root URL ${allowed}host[:port] in lower case, with no path, trailing ` +
        "slash, query or credentials: nodes use it as mirror endpoint and key their configs by its host " +
        `(${docs("registries.md#a-path-in-an-endpoint-is-the-api-root")}).`,
    },
    {
      condition: Op.not(Fn.contains(registries, hostOrEmpty)),
      errorMessage:
        `harborUrl's host must not be one of the upstream registries (${registries.join(", ")}): a mirror ` +
        "whose endpoint is its own registry is folded into the default endpoint and its rewrites are " +
        `dropped (${docs("registries.md#an-endpoint-equal-to-the-default-loses-its-rewrites")}).`,
    },
  ];
}

function applyTime(id: string): ApplyTimeValue {
  return { kind: "apply-time", id, display: `<${id.replace(/_/g, " ")}>` };
}

function robotTokens(
  robot: robotAccount.RobotAccount,
  robotSecret: string | undefined,
): Record<string, string> {
  // A secret given through secret_wo is not in state; nodes get it from the same token instead. Nodes
  // still wait for the robot to exist: the full name next to it in configs references the robot.
  return { [ROBOT_FULL_NAME_ID]: robot.fullName, [ROBOT_SECRET_ID]: robotSecret ?? robot.secret };
}

// ---------------------------------------------------------------------------------------------
// Validation: every problem is collected, then thrown together as one ValidationError.
// Values that are unresolved tokens are known only at apply time and are not checked.

type Report = (code: string, path: KeyPath, message: string) => void;

/** Harbor's parsed URL, or undefined when it is a token (checked at apply time). */
function validateProps(props: HarborProxyCacheProps, construct: string): HarborUrl | undefined {
  const diagnostics: Diagnostic[] = [];
  const report: Report = (code, path, message) => diagnostics.push(errorAt(code, path, message));
  const urlProblem = isToken(props.harborUrl)
    ? undefined
    : harborUrlProblem(props.harborUrl, { allowInsecureHttp: props.allowInsecureHttp });
  if (urlProblem) report("harbor-url-invalid", ["harborUrl"], urlProblem);
  const harborUrl =
    urlProblem || isToken(props.harborUrl) ? undefined : parseHarborUrl(props.harborUrl, props);
  validateUpstreams(props.upstreams, harborUrl?.host, report);
  validateRewriteKeys(props, report);
  validatePlainProjects(props, report);
  validateAccess(props, report);
  validateRetention(props.retention, report);
  if (
    props.caCertNodePath !== undefined &&
    !isToken(props.caCertNodePath) &&
    !props.caCertNodePath.startsWith("/")
  ) {
    report(
      "node-path-invalid",
      ["caCertNodePath"],
      `${JSON.stringify(props.caCertNodePath)} is not allowed: expected an absolute path on the nodes`,
    );
  }
  throwIfErrors(diagnostics, construct);
  return harborUrl;
}

function validateUpstreams(
  upstreams: readonly UpstreamProps[],
  harborHost: string | undefined,
  report: Report,
) {
  if (upstreams.length === 0)
    report("upstreams-empty", ["upstreams"], "at least one upstream registry is required");
  const registryOwners = new Map<string, number>();
  const projectOwners = new Map<string, string>();
  upstreams.forEach((upstream, index) => {
    const path = ["upstreams", index] as const;
    const registryProblem = upstreamHostProblem(upstream.registry, harborHost);
    if (registryProblem) report(registryProblem.code, [...path, "registry"], registryProblem.message);
    // A bad registry makes a bad default project: the registry's error says it all.
    if (!registryProblem || upstream.project !== undefined)
      validateProjectName(upstream, path, projectOwners, report);
    const first = registryOwners.get(upstream.registry);
    if (first !== undefined) {
      report(
        "upstream-duplicate-registry",
        [...path, "registry"],
        `${JSON.stringify(upstream.registry)} is already the registry of upstreams[${first}]: each registry is proxied once`,
      );
    } else registryOwners.set(upstream.registry, index);
    validateUpstreamSettings(upstream, path, report);
  });
}

function upstreamHostProblem(
  registryHost: string,
  harborHost: string | undefined,
): { code: string; message: string } | undefined {
  const shown = JSON.stringify(registryHost);
  if (isToken(registryHost)) {
    return {
      code: "upstream-registry-token",
      message: "must be a literal host: Terraform addresses are derived from it",
    };
  }
  const problem = registryHostProblem(registryHost);
  if (problem)
    return { code: "upstream-registry-invalid", message: `${shown} is not a registry host: ${problem}` };
  if (registryHost === harborHost) {
    return {
      code: "upstream-registry-is-harbor",
      message:
        `${shown} is Harbor's own host: a mirror whose endpoint is its own registry is folded into the default ` +
        "endpoint and its rewrites are dropped",
    };
  }
  return undefined;
}

/** Plain projects: valid Harbor names, none twice, none also the project of an upstream. */
function validatePlainProjects(props: HarborProxyCacheProps, report: Report) {
  const taken = new Set(
    props.upstreams.map((upstream) => upstream.project ?? defaultProjectName(upstream.registry)),
  );
  (props.projects ?? []).forEach((plain, index) => {
    const path = ["projects", index, "name"];
    const problem = projectNameProblem(plain.name);
    if (problem) report("project-name-invalid", path, problem);
    if (taken.has(plain.name)) {
      report(
        "project-duplicate",
        path,
        `${JSON.stringify(plain.name)} is already the project of an upstream or listed before: name each project once`,
      );
    }
    taken.add(plain.name);
  });
}

function validateProjectName(
  upstream: UpstreamProps,
  path: KeyPath,
  projectOwners: Map<string, string>,
  report: Report,
) {
  const name = upstream.project ?? defaultProjectName(upstream.registry);
  if (isToken(name)) return;
  const problem = projectNameProblem(name);
  if (problem) report("upstream-project-invalid", [...path, "project"], problem);
  const owner = projectOwners.get(name);
  if (owner !== undefined && owner !== upstream.registry) {
    report(
      "upstream-duplicate-project",
      [...path, "project"],
      `${JSON.stringify(name)} is already the project of upstream ${owner}: each upstream needs its own Harbor project`,
    );
  }
  projectOwners.set(name, upstream.registry);
}

function validateUpstreamSettings(upstream: UpstreamProps, path: KeyPath, report: Report) {
  const { provider: type, endpointUrl, accessId, accessSecret } = upstream;
  if (type !== undefined && !isToken(type)) {
    const problem = providerTypeProblem(type);
    if (problem) report("upstream-provider-invalid", [...path, "provider"], problem);
  }
  if (endpointUrl !== undefined && !isToken(endpointUrl)) {
    const problem = endpointUrlProblem(endpointUrl);
    if (problem) report("upstream-endpoint-url-invalid", [...path, "endpointUrl"], problem);
  }
  if (accessId !== undefined && accessSecret === undefined) {
    report(
      "upstream-access-pair",
      [...path, "accessSecret"],
      "is required when accessId is set: the upstream's password or token",
    );
  }
  if (accessSecret !== undefined && accessId === undefined) {
    report(
      "upstream-access-pair",
      [...path, "accessId"],
      "is required when the upstream's secret is set: the user name or key ID it belongs to",
    );
  }
  const secretProblem = secretTokenProblem(accessSecret);
  if (secretProblem) report("secret-literal", [...path, "accessSecret"], secretProblem);
  reportLimit(upstream.storageQuotaGiB, [...path, "storageQuotaGiB"], storageQuotaProblem, report);
  reportLimit(upstream.proxySpeedKb, [...path, "proxySpeedKb"], proxySpeedProblem, report);
}

function providerTypeProblem(type: string): string | undefined {
  if (!isHarborProviderType(type)) {
    return `unknown provider type ${JSON.stringify(type)}: allowed are ${HARBOR_PROVIDER_TYPES.join(", ")}`;
  }
  if (!isProxyCacheProviderType(type)) {
    return (
      `provider type ${JSON.stringify(type)} cannot back a Harbor proxy cache: ` +
      `allowed are ${PROXY_CACHE_PROVIDER_TYPES.join(", ")}`
    );
  }
  return undefined;
}

function reportLimit(
  value: number | undefined,
  path: KeyPath,
  problemOf: (value: number) => string | undefined,
  report: Report,
) {
  const problem = value === undefined || isToken(value) ? undefined : problemOf(value);
  if (problem) report("harbor-limit-invalid", path, problem);
}

function validateRewriteKeys(props: HarborProxyCacheProps, report: Report) {
  const registries = new Set(props.upstreams.map((upstream) => upstream.registry));
  for (const key of Object.keys(props.rewrites ?? {})) {
    if (!registries.has(key)) {
      report(
        "rewrites-unknown-registry",
        ["rewrites", key],
        `is not an upstream registry: rewrites apply only to upstream registries (${[...registries].sort().join(", ")})`,
      );
    }
  }
}

function validateAccess(props: HarborProxyCacheProps, report: Report) {
  const access: string = props.access ?? "public";
  if (access !== "public" && access !== "robot") {
    report(
      "value-not-allowed",
      ["access"],
      `${JSON.stringify(access)} is not allowed: expected "public" or "robot"`,
    );
  }
  if (props.robotName !== undefined && !isToken(props.robotName)) {
    const problem = robotNameProblem(props.robotName);
    if (problem) report("robot-name-invalid", ["robotName"], problem);
  }
  const secretProblem = secretTokenProblem(props.robotSecret);
  if (secretProblem) report("secret-literal", ["robotSecret"], secretProblem);
  if (props.robotSecretVersion !== undefined && !isToken(props.robotSecretVersion)) {
    for (const problem of checkPositiveInteger(props.robotSecretVersion, ["robotSecretVersion"])) {
      report(problem.code, ["robotSecretVersion"], problem.message);
    }
  }
  if (access !== "robot") {
    const robotOnly = (["robotName", "robotSecret", "robotSecretVersion"] as const).filter(
      (key) => props[key] !== undefined,
    );
    robotOnly.forEach((key) =>
      report(
        "robot-setting-without-robot-access",
        [key],
        `is set but access is ${JSON.stringify(access)}: it applies only to access "robot"`,
      ),
    );
  }
}

function validateRetention(retention: RetentionSettings | undefined, report: Report) {
  if (retention === undefined) return;
  const daysProblem = isToken(retention.daysSinceLastPull)
    ? undefined
    : retentionDaysProblem(retention.daysSinceLastPull);
  if (daysProblem) report("retention-days-invalid", ["retention", "daysSinceLastPull"], daysProblem);
  const scheduleProblem = isToken(retention.schedule)
    ? undefined
    : retentionScheduleProblem(retention.schedule);
  if (scheduleProblem) {
    report(
      "retention-schedule-invalid",
      ["retention", "schedule"],
      `schedule ${JSON.stringify(retention.schedule)} ${scheduleProblem}`,
    );
  }
}

/** Secrets must arrive as tokens; the literal is never echoed back in the message. */
function secretTokenProblem(secret: string | undefined): string | undefined {
  if (secret === undefined || isToken(secret)) return undefined;
  return (
    "a literal secret is not allowed (value hidden): it would be written in plain text into cdk.tf.json; " +
    "pass a sensitive TerraformVariable's value instead"
  );
}

function isToken(value: unknown): boolean {
  return Token.isUnresolved(value);
}
