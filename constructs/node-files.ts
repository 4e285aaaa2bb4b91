/**
 * The files `RegistriesDelivery` installs on every node, as renderers: each renderer says which
 * files one node receives. A file's content is the same on every node (it becomes one Terraform
 * local, hashed once); its path may depend on the node (a per-node registries path).
 * registries.yaml and Harbor's CA certificate are the two built-in renderers; other targets (e.g.
 * containerd's hosts.toml files) plug in their own.
 */
import type { Distribution, NodeRole } from "../delivery/nodes";
import { defaultRegistriesPath } from "../delivery/nodes";

/** One file on a node. */
export interface NodeFile {
  /**
   * Stable identity of the file across nodes, `[a-z][a-z0-9_]*` (at most 40 characters): names
   * its Terraform local, its upload in the staging directory and its triggers (`<id>_path`,
   * `<id>_digest`). Every node that receives a file with this id receives the same content.
   */
  readonly id: string;
  /** Where the file goes on the node: an absolute path known at synth time (not a token). */
  readonly path: string;
  /** The exact bytes; may hold tokens (e.g. a robot secret resolved at apply time). */
  readonly content: string;
  /** Whether a change of this file needs the node's unit restarted (a CA or hosts.toml does not). */
  readonly restartOnChange: boolean;
}

/** What a renderer knows about the node it renders for. */
export interface NodeFileContext {
  readonly name: string;
  readonly role: NodeRole;
  readonly distribution: Distribution;
  /** The node's own registries path, when it sets one. @default - the distribution's default */
  readonly registriesPath?: string;
}

/** Produces the files one node receives, in install order. */
export interface INodeFileRenderer {
  renderFiles(node: NodeFileContext): readonly NodeFile[];
}

/**
 * RKE2/K3s `registries.yaml` at the node's registries path; a change restarts the unit
 * (docs/registries.md#when-changes-take-effect).
 */
export class RegistriesYamlFile implements INodeFileRenderer {
  static readonly ID = "registries";

  constructor(private readonly content: string) {}

  renderFiles(node: NodeFileContext): readonly NodeFile[] {
    return [
      {
        id: RegistriesYamlFile.ID,
        path: node.registriesPath ?? defaultRegistriesPath(node.distribution),
        content: this.content,
        restartOnChange: true,
      },
    ];
  }
}

/** A PEM CA certificate at a fixed path; read by containerd per connection, so no restart of its own. */
export class CaCertFile implements INodeFileRenderer {
  static readonly ID = "ca";

  constructor(
    private readonly content: string,
    private readonly path: string,
  ) {}

  renderFiles(): readonly NodeFile[] {
    return [{ id: CaCertFile.ID, path: this.path, content: this.content, restartOnChange: false }];
  }
}
