/**
 * Delivers a set of node files (registries.yaml, Harbor's CA, any renderer's files) to RKE2/K3s
 * nodes over SSH, one transaction per node (`delivery/remote-script`: verify, change-only, atomic,
 * restart, rollback).
 *
 * Layout: one `null_resource` per group of about GROUP_SIZE nodes of one rollout
 * step, `for_each` over a map of those nodes holding only what differs per node (host and whatever
 * differs inside the group: user, port, paths); scripts, contents and hashes are written once per
 * group or once per stack. Each node keeps one plan address, `null_resource.<group>["<node>"]`,
 * and groups are keyed by stable names (delivery/rollout.ts), so adding or removing a node does
 * not replace other nodes' instances. Stacks synthesized by the per-node layout (one
 * `null_resource.<…>_Node-<name>_<hash>` per node) move with `movedFromPerNodeLayout`.
 */
import { Fn, TerraformLocal, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { resource } from "@cdktf/provider-null";
import { Diagnostic, errorAt, KeyPath, throwIfErrors, warningAt } from "../registries/diagnostics";
import { docs } from "../registries/docs";
import { reportWarnings } from "./warnings";
import {
  caBundleProblem,
  checkHostKey,
  checkLinuxUser,
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
import {
  DeliveryGroup,
  LONG_ROLLOUT_STEPS,
  planDeliveryGroups,
  planKeyedSteps,
  type RolloutPolicy,
  type RolloutStep,
} from "../delivery/rollout";
import { escapeTemplateLiteral } from "../delivery/terraform-template";
import { CaCertFile, INodeFileRenderer, NodeFile, RegistriesYamlFile } from "./node-files";
import { RolloutStrategy } from "./rollout-strategy";
import { optionalTerraformString, terraformString } from "./terraform-string";

export interface DeliveryNode {
  /** Stable identity (`[a-z0-9][a-z0-9._-]*`, unique): its `for_each` key and staging directory name. */
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
  /**
   * The private key: a token of a sensitive Terraform variable, never a literal (it would land in
   * cdktf.out). It is also the key of the triggers' keyed digests (see `keyedDigest`).
   */
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
  /** PEM text; installed with the other files in one transaction, without a restart of its own. */
  readonly content: string;
  /** Path on the node, e.g. the `configs.<harbor>.tls.ca_file` of the registries file; not a token. */
  readonly path: string;
}

export interface RegistriesDeliveryProps {
  /**
   * The registries.yaml text; may hold tokens (a robot secret). Stored once, as a Terraform local.
   * @default - no registries.yaml is delivered (then `files` must deliver something)
   */
  readonly content?: string;
  readonly nodes: readonly DeliveryNode[];
  /** @default "rke2" */
  readonly distribution?: Distribution;
  readonly ssh: DeliverySsh;
  /** @default RolloutStrategy.rolling() - servers one at a time, then agents one at a time */
  readonly rollout?: RolloutStrategy;
  /** @default - no CA file is delivered */
  readonly caCert?: DeliveryCaCert;
  /**
   * More files for every node, installed in the same transaction after the CA and registries.yaml.
   * @default - none
   */
  readonly files?: readonly INodeFileRenderer[];
  /** Seconds the unit may take to restart and become active before the previous files are restored. @default 120 */
  readonly restartTimeoutSeconds?: number;
  /**
   * Directories beyond the distribution's configuration directory (`/etc/rancher/<distribution>/`)
   * where `registriesPath` and the CA path may point, e.g. `/opt/rke2/`; never a system directory.
   * @default - none: node files go under the configuration directory only
   */
  readonly extraNodeDirectories?: readonly string[];
  /**
   * Adds a `moved` block per node from the address of the per-node layout (harbor-mirror before
   * the grouped layout: `null_resource.<path>_Node-<name>_<hash>`) to the node's new address, so
   * that a stack applied with that layout is not re-created.
   * @default false
   */
  readonly movedFromPerNodeLayout?: boolean;
}

const DEFAULT_RESTART_TIMEOUT_SECONDS = 120;
const FILE_ID_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * Stand-ins for per-node values while a group's scripts are generated by `delivery/remote-script`
 * (which checks real values: a valid node name, a valid path). They are swapped for the Terraform
 * expressions (`each.key`, `each.value.<x>`, `local.<x>`) after escaping, and hold no character a
 * template would read; a node name, a path or a unit never contains them.
 */
const SLOT = "hm0slot0";
const NODE_SLOT = `${SLOT}node`;
const pathSlot = (attribute: string) => `/${SLOT}path/${attribute}`;
const digestSlot = (id: string) => `${SLOT}sha256${id}`;

export class RegistriesDelivery extends Construct {
  /** The resource of each group of nodes, by group key (delivery/rollout.ts). */
  readonly groupResources: ReadonlyMap<string, resource.Resource>;
  /** The resource that delivers each node (a `for_each` instance of it), by node name. */
  readonly nodeResources: ReadonlyMap<string, resource.Resource>;
  /** Each node's plan address, `null_resource.<group>["<node>"]`, by node name. */
  readonly nodeAddresses: ReadonlyMap<string, string>;
  /** Node names in rollout order; the nodes of one step restart together. */
  readonly rolloutSteps: readonly RolloutStep[];
  /** What each node receives: where the files go and which unit restarts, by node name. */
  readonly targets: ReadonlyMap<string, NodeTarget>;
  /** Seconds a unit may take to restart and become active (the default resolved). */
  readonly restartTimeoutSeconds: number;

  private readonly distribution: Distribution;
  /** Each file's content and hashes as Terraform values, defined once per stack, by file id. */
  private readonly sharedFiles = new Map<string, SharedFile>();
  private readonly installer: string;
  private readonly nodeFiles: ReadonlyMap<string, readonly NodeFile[]>;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: RegistriesDeliveryProps,
  ) {
    super(scope, id);
    this.distribution = props.distribution ?? "rke2";
    this.restartTimeoutSeconds = props.restartTimeoutSeconds ?? DEFAULT_RESTART_TIMEOUT_SECONDS;
    throwIfErrors(this.validate(), this.node.path);
    this.nodeFiles = this.renderNodeFiles();
    throwIfErrors(this.validateFiles(), this.node.path);
    this.installer = new TerraformLocal(this, "installer", escapeTemplateLiteral(INSTALLER_SCRIPT)).asString;
    const policy = (props.rollout ?? RolloutStrategy.rolling()).policy;
    const steps = planKeyedSteps(props.nodes, policy);
    this.rolloutSteps = steps.map((step) => step.names);
    reportWarnings(this, this.warnings(policy));
    this.targets = new Map(props.nodes.map((node) => [node.name, this.targetOf(node)]));
    const nodesByName = new Map(props.nodes.map((node) => [node.name, node]));
    const groups = planDeliveryGroups(steps, props.nodes, (name) => scriptShapeOf(nodesByName.get(name)!));
    this.groupResources = this.createGroupResources(groups, nodesByName);
    this.nodeResources = new Map(
      groups.flatMap((group) => group.names.map((name) => [name, this.groupResources.get(group.key)!])),
    );
    this.nodeAddresses = new Map(
      [...this.nodeResources].map(([name, group]) => [name, `${addressOf(group)}[${JSON.stringify(name)}]`]),
    );
    if (props.movedFromPerNodeLayout) this.addPerNodeLayoutMoves();
  }

  private renderNodeFiles(): Map<string, readonly NodeFile[]> {
    const renderers: INodeFileRenderer[] = [
      ...(this.props.caCert ? [new CaCertFile(this.props.caCert.content, this.props.caCert.path)] : []),
      ...(this.props.content !== undefined ? [new RegistriesYamlFile(this.props.content)] : []),
      ...(this.props.files ?? []),
    ];
    return new Map(
      this.props.nodes.map((node) => [
        node.name,
        renderers.flatMap((renderer) =>
          renderer.renderFiles({
            name: node.name,
            role: node.role,
            distribution: this.distribution,
            registriesPath: node.registriesPath,
          }),
        ),
      ]),
    );
  }

  /**
   * The content as a Terraform local, byte for byte, and its digests: `sha256` (plain, only for the
   * node's upload check) and `digest` (keyed, for the triggers). Created once per file id: every
   * cdktf token costs a stack trace (npm run bench).
   */
  private sharedFile(file: NodeFile): SharedFile {
    const existing = this.sharedFiles.get(file.id);
    if (existing) return existing;
    const content = new TerraformLocal(this, `file_${file.id}`, terraformString(file.content)).asString;
    const sha256 = new TerraformLocal(this, `file_${file.id}_sha256`, uploadCheckHash(content)).asString;
    const digest = new TerraformLocal(
      this,
      `file_${file.id}_digest`,
      keyedDigest(this.props.ssh.privateKey, content),
    ).asString;
    const shared = { content, sha256, digest };
    this.sharedFiles.set(file.id, shared);
    return shared;
  }

  /** Groups in rollout order, so each one's predecessors already exist when it is created. */
  private createGroupResources(
    groups: readonly DeliveryGroup[],
    nodesByName: ReadonlyMap<string, DeliveryNode>,
  ): Map<string, resource.Resource> {
    const resources = new Map<string, resource.Resource>();
    for (const group of groups) {
      const nodes = group.names.map((name) => nodesByName.get(name)!);
      const created = this.createGroupResource(group, nodes);
      dependOn(
        created,
        group.after.map((key) => resources.get(key)!),
      );
      resources.set(group.key, created);
    }
    return resources;
  }

  private createGroupResource(group: DeliveryGroup, nodes: readonly DeliveryNode[]): resource.Resource {
    const values = new GroupValues(nodes, (node) => this.nodeFiles.get(node.name)!);
    const files = this.nodeFiles.get(nodes[0].name)!;
    const unit = serviceUnit(this.distribution, group.role);
    const staging = stagingDirectory(NODE_SLOT);
    const staged = files.map((file) => ({
      file,
      stagedPath: `${staging}/${file.id}`,
      targetPath: values.isShared(pathAttribute(file.id)) ? file.path : pathSlot(pathAttribute(file.id)),
    }));
    const toTerraform = (text: string) => this.fillSlots(escapeTemplateLiteral(text), values, files);
    const connection = this.connection(values);
    const created = new resource.Resource(this, `Group-${group.key}`, {
      // Keyed digests, never the content or its plain hash: see keyedDigest.
      triggers: {
        host: "${each.value.host}",
        unit,
        ...Object.fromEntries(
          staged.flatMap(({ file, targetPath }) => [
            [`${file.id}_path`, toTerraform(targetPath)],
            [`${file.id}_digest`, this.sharedFile(file).digest],
          ]),
        ),
      },
      connection,
      provisioners: [
        {
          type: "remote-exec",
          inline: [
            toTerraform(
              [...prepareStagingScript(runDirectoryOf(staging)), ...prepareStagingScript(staging)].join("\n"),
            ),
          ],
        },
        ...staged.map(({ file, stagedPath }) => ({
          type: "file" as const,
          content: this.sharedFile(file).content,
          destination: toTerraform(stagedPath),
        })),
        { type: "file", content: this.installer, destination: toTerraform(installerPath(staging)) },
        {
          type: "remote-exec",
          inline: [toTerraform(this.installLines(staging, staged, unit, group.role, values).join("\n"))],
          // Terraform uploads inline scripts mode 777: this one carries the uploads'
          // hashes, so it runs from a private directory, where nobody else can read it.
          connection: {
            ...connection,
            scriptPath: toTerraform(`${runDirectoryOf(staging)}/install-%RAND%.sh`),
          },
        },
      ],
    });
    // From a local, not a literal: Terraform evaluates `for_each` again for every instance, and a
    // literal map costs that in proportion to its size (plan CPU of 1,000 nodes as 20 × 50:
    // 5.5 s literal, 2.8 s from locals; npm run bench).
    const forEach = new TerraformLocal(this, `Group-${group.key}-nodes`, values.forEach());
    created.addOverride("for_each", `\${local.${forEach.friendlyUniqueId}}`);
    return created;
  }

  private installLines(
    staging: string,
    staged: readonly { file: NodeFile; stagedPath: string; targetPath: string }[],
    unit: string,
    role: NodeRole,
    values: GroupValues,
  ): string[] {
    const files: StagedFile[] = staged.map(({ file, stagedPath, targetPath }) => ({
      stagedPath,
      targetPath,
      sha256: digestSlot(file.id),
      restartOnChange: file.restartOnChange,
    }));
    return installScript({
      stagingDir: staging,
      files,
      unit,
      siblingUnits: siblingUnits(this.distribution, role),
      user: values.sudo ? "sudo" : "root",
      restartTimeoutSeconds: this.restartTimeoutSeconds,
    });
  }

  /** Swaps the slots of an escaped template for the Terraform expressions they stand for. */
  private fillSlots(template: string, values: GroupValues, files: readonly NodeFile[]): string {
    let filled = template.split(NODE_SLOT).join("${each.key}");
    for (const attribute of values.perNodeAttributes()) {
      filled = filled.split(pathSlot(attribute)).join(`\${each.value.${attribute}}`);
    }
    for (const file of files) {
      filled = filled.split(digestSlot(file.id)).join(this.sharedFile(file).sha256);
    }
    return filled;
  }

  private connection(values: GroupValues) {
    const ssh = this.props.ssh;
    return {
      type: "ssh" as const,
      host: "${each.value.host}",
      user: values.isShared("user") ? values.shared("user") : "${each.value.user}",
      port: values.isShared("port") ? Number(values.shared("port")) : Token.asNumber("${each.value.port}"),
      privateKey: ssh.privateKey,
      hostKey: optionalTerraformString(ssh.hostKey),
      bastionHost: optionalTerraformString(ssh.bastionHost),
      bastionUser: optionalTerraformString(ssh.bastionUser),
      bastionPort: ssh.bastionPort,
    };
  }

  private targetOf(node: DeliveryNode): NodeTarget {
    return {
      role: node.role,
      unit: serviceUnit(this.distribution, node.role),
      registriesPath: node.registriesPath ?? defaultRegistriesPath(this.distribution),
      files: this.nodeFiles.get(node.name)!.map((file) => ({
        id: file.id,
        path: file.path,
        restartOnChange: file.restartOnChange,
      })),
    };
  }

  /** One `moved` block per node, from its per-node-layout address to its instance address. */
  private addPerNodeLayoutMoves(): void {
    const stack = TerraformStack.of(this);
    const moves = [...this.nodeAddresses].map(([name, to]) => ({
      // The id the per-node layout gave this node's resource: same construct path, same id.
      from: `null_resource.${stack.getLogicalId(new Construct(this, `Node-${name}`).node)}`,
      to,
    }));
    stack.addOverride("moved", moves);
  }

  private warnings(policy: RolloutPolicy): Diagnostic[] {
    return [...this.parallelServersWarning(policy), ...this.longRolloutWarning(policy)];
  }

  private parallelServersWarning(policy: RolloutPolicy): Diagnostic[] {
    if (policy.kind !== "parallel" || !this.props.nodes.some((node) => node.role === "server")) return [];
    const message = "is parallel: all server nodes (the control plane) restart at the same time";
    return [warningAt("rollout-parallel-servers", ["rollout"], message)];
  }

  /**
   * Terraform plans a chain of steps in time growing with the square of the nodes on it (every
   * instance records all it waits for, transitively; docs/rollout.md), whatever the layout.
   */
  private longRolloutWarning(policy: RolloutPolicy): Diagnostic[] {
    if (policy.kind !== "rolling" || this.rolloutSteps.length <= LONG_ROLLOUT_STEPS) return [];
    const message =
      `is rolling in ${this.rolloutSteps.length} sequential steps (batchSize ${policy.batchSize}): ` +
      "Terraform's plan time grows with the square of the fleet on a chain this long; for a large fleet " +
      `use the servers-first strategy or a larger batchSize (${docs("rollout.md#plan-time")})`;
    return [warningAt("rollout-long-chain", ["rollout"], message)];
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
        ...resolvedOnly(node.user, (user) => checkLinuxUser(user, [...path, "user"])),
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
    const { ssh } = this.props;
    const bastionOnly = (["bastionUser", "bastionPort"] as const).filter(
      (key) => ssh[key] !== undefined && ssh.bastionHost === undefined,
    );
    const hosts = [
      ...resolvedOnly(ssh.bastionHost, (host) =>
        problemAt("host-invalid", ["ssh", "bastionHost"], hostProblem(host)),
      ),
      ...resolvedOnly(ssh.bastionPort, (port) =>
        problemAt("port-invalid", ["ssh", "bastionPort"], portProblem(port)),
      ),
      ...resolvedOnly(ssh.bastionUser, (user) => checkLinuxUser(user, ["ssh", "bastionUser"])),
      ...resolvedOnly(ssh.hostKey, (key) => checkHostKey(key, ["ssh", "hostKey"])),
      ...bastionOnly.map((key) =>
        errorAt("ssh-bastion-setting-without-host", ["ssh", key], "needs ssh.bastionHost"),
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

  /** The rendered files: valid ids and paths, one content per id, the same ids on every node. */
  protected validateFiles(): Diagnostic[] {
    const contents = new Map<string, string>();
    let ids: string | undefined;
    return this.props.nodes.flatMap((node, index) => {
      const files = this.nodeFiles.get(node.name)!;
      const problems = files.flatMap((file) => checkNodeFile(file, contents, ["nodes", index]));
      const nodeIds = files.map((file) => file.id).join(",");
      if (files.length === 0) {
        problems.push(
          errorAt("node-files-empty", ["nodes", index], "receives no file: set content, caCert or files"),
        );
      } else if (ids !== undefined && nodeIds !== ids) {
        problems.push(
          errorAt(
            "node-files-differ",
            ["nodes", index],
            `receives the files ${nodeIds} but nodes[0] receives ${ids}: every node receives the same set of files`,
          ),
        );
      }
      ids ??= nodeIds;
      return problems;
    });
  }
}

function checkNodeFile(file: NodeFile, contents: Map<string, string>, node: KeyPath): Diagnostic[] {
  const path = [...node, "files", file.id];
  if (!FILE_ID_PATTERN.test(file.id)) {
    return [
      errorAt(
        "node-file-id-invalid",
        path,
        `${JSON.stringify(file.id)} is not a file id: expected [a-z][a-z0-9_]*, at most 40 characters`,
      ),
    ];
  }
  const problems = checkLiteralPath(file.path, path);
  const known = contents.get(file.id);
  if (known === undefined) contents.set(file.id, file.content);
  else if (known !== file.content) {
    problems.push(
      errorAt(
        "node-file-content-differs",
        path,
        "has a different content than on another node: a file id stands for one content on every node",
      ),
    );
  }
  return problems;
}

/**
 * The values of one group's nodes: the host always per node, every other value (user, port, each
 * file's path) written once when all nodes of the group share it, else per node in the `for_each`
 * map. Adding a node may turn a shared value into a per-node one; the values Terraform compares
 * stay the same, so no instance is replaced by that.
 */
class GroupValues {
  private readonly values: Map<string, string>[];
  private readonly perNode: string[];
  readonly sudo: boolean;

  constructor(
    private readonly nodes: readonly DeliveryNode[],
    filesOf: (node: DeliveryNode) => readonly NodeFile[],
  ) {
    this.values = nodes.map(
      (node) =>
        new Map([
          ["user", node.user ?? "root"],
          ["port", String(node.port ?? 22)],
          ...filesOf(node).map((file) => [pathAttribute(file.id), file.path] as [string, string]),
        ]),
    );
    const attributes = [...this.values[0].keys()];
    this.perNode = attributes.filter(
      (attribute) => new Set(this.values.map((v) => v.get(attribute))).size > 1,
    );
    this.sudo = scriptShapeOf(nodes[0]) === "sudo";
  }

  isShared(attribute: string): boolean {
    return !this.perNode.includes(attribute);
  }

  shared(attribute: string): string {
    return terraformString(this.values[0].get(attribute)!);
  }

  perNodeAttributes(): readonly string[] {
    return this.perNode;
  }

  /** The `for_each` map: node name → the values that differ per node. */
  forEach(): Record<string, Record<string, string>> {
    return Object.fromEntries(
      this.nodes.map((node, index) => [
        node.name,
        {
          host: terraformString(node.host),
          ...Object.fromEntries(
            this.perNode.map((attribute) => [attribute, terraformString(this.values[index].get(attribute)!)]),
          ),
        },
      ]),
    );
  }
}

/** Root runs the installer itself; anyone else (a token included) through `sudo -n`: two script shapes. */
function scriptShapeOf(node: DeliveryNode): "root" | "sudo" {
  return (node.user ?? "root") === "root" ? "root" : "sudo";
}

/**
 * A private directory for the install script, next to the staging directory: the installer removes
 * the staging directory, and Terraform then overwrites the script it ran with an empty file, which
 * outside an existing directory would land at the directory's own path. The next apply's
 * staging step removes it with its empty script.
 */
function runDirectoryOf(staging: string): string {
  return `${staging}.run`;
}

function pathAttribute(fileId: string): string {
  return `path_${fileId}`;
}

function addressOf(resource: resource.Resource): string {
  return `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
}

/**
 * `depends_on` as plain addresses: cdktf's `dependsOn` makes a token (with a stack trace) per
 * edge, which dominated synth time for rolling batches at thousands of nodes (npm run bench).
 */
function dependOn(group: resource.Resource, previous: readonly resource.Resource[]): void {
  if (previous.length === 0) return;
  group.addOverride("depends_on", previous.map(addressOf));
}

/**
 * The plain SHA-256 the node checks its upload against. It is a value of the install script only,
 * which runs from the private staging directory: it never appears in a plan, in state or in a
 * world-readable file. `nonsensitive`, because a sensitive value in a provisioner makes Terraform
 * suppress that provisioner's whole output (rollback messages and journal included); the
 * `sensitive` inside makes `nonsensitive` valid for plain files too on Terraform before 1.7.
 */
function uploadCheckHash(content: string): string {
  return Fn.nonsensitive(Fn.sensitive(Fn.sha256(content)));
}

/**
 * What the triggers show, in plans and state: SHA-256 over the SSH private key followed by the
 * content. A plain hash would let anyone who reads a plan or the state test guesses of a secret in
 * the file (a weak robot secret; the rest of the file is public) offline; keyed, a guess can only
 * be tested by someone holding the SSH key, who could read the file on the nodes anyway. The key
 * is already a secret every delivery needs, so no new input is asked for. Terraform has no HMAC;
 * key-then-content is enough here, since nobody but Terraform makes these digests (length
 * extension forges nothing of use). Tradeoff: rotating the SSH key changes every digest, so the
 * next apply re-runs every node's install, which is change-only (no restart when the files are
 * unchanged).
 */
function keyedDigest(privateKey: string, content: string): string {
  return Fn.nonsensitive(Fn.sensitive(Fn.sha256(Fn.join("", [privateKey, content]))));
}

/** Where a node's files go and which unit restarts when one of them changes. */
export interface NodeTarget {
  readonly role: NodeRole;
  readonly unit: string;
  readonly registriesPath: string;
  /** Every file the node receives, in install order. */
  readonly files: readonly {
    readonly id: string;
    readonly path: string;
    readonly restartOnChange: boolean;
  }[];
}

interface SharedFile {
  readonly content: string;
  /** Plain SHA-256, for the node's upload check only. */
  readonly sha256: string;
  /** Keyed digest, for the triggers. */
  readonly digest: string;
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
