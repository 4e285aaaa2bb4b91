/**
 * Delivers `registries.yaml` (and optionally a CA file) to RKE2/K3s nodes over SSH: one
 * `null_resource` per node whose provisioners upload into a private staging directory and run
 * the install script of `delivery/remote-script` (verify, change-only, atomic, restart, rollback).
 */
import { Fn, TerraformLocal, Token } from "cdktf";
import { Construct } from "constructs";
import { resource } from "@cdktf/provider-null";
import { Diagnostic, errorAt, KeyPath, throwIfErrors } from "../registries/diagnostics";
import {
  caBundleProblem,
  checkNodeName,
  checkOneOf,
  checkPositiveInteger,
  checkRemotePath,
  hostProblem,
  portProblem,
} from "../delivery/checks";
import { checkExtraDirectories, checkNodeFiles, EXTRA_DIRECTORIES_KEY } from "../delivery/node-paths";
import {
  defaultRegistriesPath,
  Distribution,
  DISTRIBUTIONS,
  NODE_ROLES,
  NodeRole,
  serviceUnit,
  siblingUnits,
  stagingDirectory,
} from "../delivery/nodes";
import {
  INSTALLER_SCRIPT,
  installerPath,
  installScript,
  prepareStagingScript,
  StagedFile,
} from "../delivery/remote-script";
import { planRollout, rolloutDependencies, type RolloutStep } from "../delivery/rollout";
import { RolloutStrategy } from "./rollout-strategy";
import { optionalTerraformString, terraformString } from "./terraform-string";

export interface DeliveryNode {
  /** Stable identity (`[a-z0-9][a-z0-9._-]*`, unique): construct id `Node-<name>`, staging directory name. */
  readonly name: string;
  /** Address the provisioners connect to; may be a token (an instance's IP). */
  readonly host: string;
  readonly role: NodeRole;
  /**
   * SSH user. Anyone but `root` (a token included) runs the install through `sudo -n`.
   * @default "root"
   */
  readonly user?: string;
  /** @default 22 */
  readonly port?: number;
  /**
   * Where the node reads its registries file; known at synth time (not a token).
   * @default - `/etc/rancher/rke2/registries.yaml` for RKE2, `/etc/rancher/k3s/registries.yaml` for K3s
   */
  readonly registriesPath?: string;
}

export interface DeliverySsh {
  /** The private key: a token of a sensitive Terraform variable, never a literal (it would land in cdktf.out). */
  readonly privateKey: string;
  /** @default - no jump host */
  readonly bastionHost?: string;
  /** @default - the node's user */
  readonly bastionUser?: string;
  /** @default - the node's port */
  readonly bastionPort?: number;
  /** Pins the nodes' host key (`ssh-ed25519 AAAA…`). @default - host key not verified */
  readonly hostKey?: string;
}

export interface DeliveryCaCert {
  /** PEM text; installed before the registries file, the same atomic way, without a restart of its own. */
  readonly content: string;
  /** Path on the node, e.g. the `configs.<harbor>.tls.ca_file` of the registries file; not a token. */
  readonly path: string;
}

export interface RegistriesDeliveryProps {
  /** The registries.yaml text; may hold tokens (a robot secret). Stored once, as a Terraform local. */
  readonly content: string;
  readonly nodes: readonly DeliveryNode[];
  /** @default "rke2" */
  readonly distribution?: Distribution;
  readonly ssh: DeliverySsh;
  /** @default RolloutStrategy.rolling() - servers one at a time, then agents one at a time */
  readonly rollout?: RolloutStrategy;
  /** @default - no CA file is delivered */
  readonly caCert?: DeliveryCaCert;
  /** Seconds the unit may take to restart and become active before the previous file is restored. @default 120 */
  readonly restartTimeoutSeconds?: number;
  /**
   * Directories beyond the distribution's configuration directory (`/etc/rancher/<distribution>/`)
   * where `registriesPath` and the CA path may point, e.g. `/opt/rke2/`; never a system directory.
   * @default - none: node files go under the configuration directory only
   */
  readonly extraNodeDirectories?: readonly string[];
}

const DEFAULT_RESTART_TIMEOUT_SECONDS = 120;

export class RegistriesDelivery extends Construct {
  /** The `null_resource` of each node, by node name. */
  readonly nodeResources: ReadonlyMap<string, resource.Resource>;
  /** Node names in rollout order; the nodes of one step restart together. */
  readonly rolloutSteps: readonly RolloutStep[];
  /** What each node receives: where the file goes and which unit restarts, by node name. */
  readonly targets: ReadonlyMap<string, NodeTarget>;
  /** Seconds a node's unit may take to restart and become active before its previous file is restored. */
  readonly restartTimeoutSeconds: number;

  /** Each file every node receives, defined once: its content and its hash as Terraform values. */
  private readonly registriesFile: SharedFile;
  private readonly caFile?: SharedFile;
  private readonly installerFile: SharedFile;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: RegistriesDeliveryProps,
  ) {
    super(scope, id);
    throwIfErrors(this.validate(), this.node.path);
    this.registriesFile = this.sharedFile("content", props.content);
    if (props.caCert) this.caFile = this.sharedFile("ca_cert", props.caCert.content);
    this.installerFile = this.sharedFile("installer", INSTALLER_SCRIPT);
    this.rolloutSteps = planRollout(props.nodes, (props.rollout ?? RolloutStrategy.rolling()).policy);
    const distribution = props.distribution ?? "rke2";
    this.targets = new Map(props.nodes.map((node) => [node.name, targetOf(node, distribution)]));
    this.restartTimeoutSeconds = props.restartTimeoutSeconds ?? DEFAULT_RESTART_TIMEOUT_SECONDS;
    this.nodeResources = this.createNodeResources(this.rolloutSteps);
  }

  /**
   * A Terraform local holding `content` byte for byte, referenced by every node. Its references
   * are created once here: every cdktf token costs a stack trace (npm run bench).
   */
  private sharedFile(id: string, content: string): SharedFile {
    const local = new TerraformLocal(this, id, terraformString(content));
    return { content: local.asString, sha256: revealableHash(local.asString) };
  }

  /** Nodes in rollout order, so each one's predecessors already exist when it is created. */
  private createNodeResources(steps: readonly RolloutStep[]): Map<string, resource.Resource> {
    const dependencies = rolloutDependencies(steps);
    const nodesByName = new Map(this.props.nodes.map((node) => [node.name, node]));
    const resources = new Map<string, resource.Resource>();
    for (const name of steps.flat()) {
      const node = this.createNodeResource(nodesByName.get(name)!);
      dependOn(
        node,
        (dependencies.get(name) ?? []).map((previous) => resources.get(previous)!),
      );
      resources.set(name, node);
    }
    return resources;
  }

  private createNodeResource(node: DeliveryNode): resource.Resource {
    const { unit, registriesPath } = this.targets.get(node.name)!;
    const staging = stagingDirectory(node.name);
    const files = this.stagedFiles(staging, registriesPath);
    return new resource.Resource(this, `Node-${node.name}`, {
      // Hashes, never the content: the file may hold the robot secret (null provider #38).
      triggers: {
        content_sha256: this.registriesFile.sha256,
        path: terraformString(registriesPath),
        unit,
        host: terraformString(node.host),
        ...(this.caFile && this.props.caCert
          ? { ca_sha256: this.caFile.sha256, ca_path: terraformString(this.props.caCert.path) }
          : {}),
      },
      connection: this.connectionTo(node),
      provisioners: [
        { type: "remote-exec", inline: inlineScript(prepareStagingScript(staging)) },
        ...[...files, { content: this.installerFile.content, stagedPath: installerPath(staging) }].map(
          (file) => ({
            type: "file" as const,
            content: file.content,
            destination: file.stagedPath,
          }),
        ),
        {
          type: "remote-exec",
          inline: inlineScript(
            installScript({
              stagingDir: staging,
              files,
              unit,
              siblingUnits: siblingUnits(this.props.distribution ?? "rke2", node.role),
              user: node.user ?? "root",
              restartTimeoutSeconds: this.restartTimeoutSeconds,
            }),
          ),
        },
      ],
    });
  }

  /** The CA file first: the registries file may refer to it, and the restart must find it in place. */
  private stagedFiles(staging: string, registriesPath: string): (StagedFile & { content: string })[] {
    const files = [];
    if (this.caFile && this.props.caCert) {
      files.push(stagedFile(this.caFile, `${staging}/ca.crt`, this.props.caCert.path, false));
    }
    files.push(stagedFile(this.registriesFile, `${staging}/registries.yaml`, registriesPath, true));
    return files;
  }

  private connectionTo(node: DeliveryNode) {
    const ssh = this.props.ssh;
    return {
      type: "ssh" as const,
      host: terraformString(node.host),
      user: terraformString(node.user ?? "root"),
      port: node.port ?? 22,
      privateKey: ssh.privateKey,
      hostKey: optionalTerraformString(ssh.hostKey),
      bastionHost: optionalTerraformString(ssh.bastionHost),
      bastionUser: optionalTerraformString(ssh.bastionUser),
      bastionPort: ssh.bastionPort,
    };
  }

  private validate(): Diagnostic[] {
    return [
      ...this.validateNodes(),
      ...this.validateDistribution(),
      ...this.validateSsh(),
      ...this.validateCaCert(),
      ...this.validateRestartTimeout(),
      ...this.validateNodeFiles(),
    ];
  }

  /** Where each node's files go: the node-path rule (`delivery/node-paths`), once the paths' shape is valid. */
  protected validateNodeFiles(): Diagnostic[] {
    const extra = this.props.extraNodeDirectories ?? [];
    const distribution = this.props.distribution ?? "rke2";
    const directoryErrors = checkExtraDirectories(extra, [EXTRA_DIRECTORIES_KEY]);
    if (directoryErrors.length > 0 || !DISTRIBUTIONS.includes(distribution)) return directoryErrors;
    const caPath = this.props.caCert?.path;
    return this.props.nodes.flatMap((node, index) =>
      Token.isUnresolved(node.name) || Token.isUnresolved(node.registriesPath) || Token.isUnresolved(caPath)
        ? []
        : checkNodeFiles(
            { registriesPath: node.registriesPath ?? defaultRegistriesPath(distribution), caPath },
            { distribution, extraDirectories: extra, nodeName: node.name },
            { registriesPath: ["nodes", index, "registriesPath"], caPath: ["caCert", "path"] },
          ),
    );
  }

  protected validateNodes(): Diagnostic[] {
    const firstIndex = new Map<string, number>();
    return this.props.nodes.flatMap((node, index) => {
      const path = ["nodes", index];
      const errors = [
        ...resolvedOnly(node.name, (name) => checkNodeName(name, [...path, "name"])),
        ...resolvedOnly(node.role, (role) => checkOneOf(role, NODE_ROLES, [...path, "role"])),
        ...checkLiteralPath(node.registriesPath, [...path, "registriesPath"]),
        ...resolvedOnly(node.port, (port) => problemAt("port-invalid", [...path, "port"], portProblem(port))),
        ...resolvedOnly(node.host, (host) => problemAt("host-invalid", [...path, "host"], hostProblem(host))),
      ];
      const first = firstIndex.get(node.name);
      if (first !== undefined) {
        errors.push(
          errorAt(
            "node-duplicate-name",
            [...path, "name"],
            `${JSON.stringify(node.name)} is already the name of nodes[${first}]: node names are identities and must be unique`,
          ),
        );
      } else firstIndex.set(node.name, index);
      return errors;
    });
  }

  protected validateDistribution(): Diagnostic[] {
    return resolvedOnly(this.props.distribution, (value) =>
      checkOneOf(value, DISTRIBUTIONS, ["distribution"]),
    );
  }

  protected validateSsh(): Diagnostic[] {
    const { bastionHost, bastionPort } = this.props.ssh;
    const hosts = [
      ...resolvedOnly(bastionHost, (host) =>
        problemAt("host-invalid", ["ssh", "bastionHost"], hostProblem(host)),
      ),
      ...resolvedOnly(bastionPort, (port) =>
        problemAt("port-invalid", ["ssh", "bastionPort"], portProblem(port)),
      ),
    ];
    if (Token.isUnresolved(this.props.ssh.privateKey)) return hosts;
    return [
      ...hosts,
      errorAt(
        "secret-literal",
        ["ssh", "privateKey"],
        "is a literal string, which would be written in plaintext to cdktf.out: pass the token of a sensitive TerraformVariable instead",
      ),
    ];
  }

  protected validateCaCert(): Diagnostic[] {
    const content = this.props.caCert?.content;
    return [
      ...checkLiteralPath(this.props.caCert?.path, ["caCert", "path"]),
      ...resolvedOnly(content, (pem) =>
        problemAt("ca-not-certificates", ["caCert", "content"], caBundleProblem(pem)),
      ),
    ];
  }

  protected validateRestartTimeout(): Diagnostic[] {
    return resolvedOnly(this.props.restartTimeoutSeconds, (value) =>
      checkPositiveInteger(value, ["restartTimeoutSeconds"]),
    );
  }
}

/**
 * `depends_on` as plain addresses: cdktf's `dependsOn` makes a token (with a stack trace) per
 * edge, which dominated synth time for rolling batches at thousands of nodes (npm run bench).
 */
function dependOn(node: resource.Resource, previous: readonly resource.Resource[]): void {
  if (previous.length === 0) return;
  node.addOverride(
    "depends_on",
    previous.map((resource) => `${resource.terraformResourceType}.${resource.friendlyUniqueId}`),
  );
}

/**
 * Terraform joins `inline` elements with "\n" into one script, so a single element holding the
 * lines is the same script; cdktf resolves one string instead of one per line, which is most of
 * synth time at thousands of nodes (npm run bench).
 */
function inlineScript(lines: readonly string[]): string[] {
  return [terraformString(lines.join("\n"))];
}

/**
 * The file's SHA-256, not marked sensitive even when the file holds a secret (the robot's): a
 * hash does not reveal it, and a sensitive value anywhere in a provisioner makes Terraform
 * suppress that provisioner's whole output, rollback messages and journal lines included. The
 * `sensitive` inside makes `nonsensitive` valid for plain files too on Terraform before 1.7.
 */
function revealableHash(content: string): string {
  return Fn.nonsensitive(Fn.sensitive(Fn.sha256(content)));
}

/** Where a node's file goes and which unit restarts when it changes. */
export interface NodeTarget {
  readonly role: NodeRole;
  readonly unit: string;
  readonly registriesPath: string;
}

function targetOf(node: DeliveryNode, distribution: Distribution): NodeTarget {
  return {
    role: node.role,
    unit: serviceUnit(distribution, node.role),
    registriesPath: node.registriesPath ?? defaultRegistriesPath(distribution),
  };
}

interface SharedFile {
  readonly content: string;
  readonly sha256: string;
}

function stagedFile(file: SharedFile, stagedPath: string, targetPath: string, restartOnChange: boolean) {
  return { content: file.content, stagedPath, targetPath, sha256: file.sha256, restartOnChange };
}

function problemAt(code: string, path: KeyPath, problem: string | undefined): Diagnostic[] {
  return problem ? [errorAt(code, path, problem)] : [];
}

/**
 * Paths are spliced into the node's shell script, so unlike other values they must be known at
 * synth time: only a validated path is safe there.
 * @internal
 */
export function checkLiteralPath(value: string | undefined, path: KeyPath): Diagnostic[] {
  if (value === undefined) return [];
  if (!Token.isUnresolved(value)) return checkRemotePath(value, path);
  return [
    errorAt(
      "node-path-token",
      path,
      "is a token: paths are embedded in the node's install script and must be known at synth time",
    ),
  ];
}

/** Checks a value only when it is present and known at synth time. */
function resolvedOnly<T>(value: T | undefined, check: (value: T) => Diagnostic[]): Diagnostic[] {
  return value === undefined || Token.isUnresolved(value) ? [] : check(value);
}
