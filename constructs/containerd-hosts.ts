/**
 * The containerd target's node files (docs/containerd.md): one `hosts.toml` per upstream,
 * rendered once per stack from the same registries spec as RKE2/K3s's registries.yaml. Each file
 * is the same on every node and needs no restart (containerd reads it on each pull); the only
 * apply-time value a file can hold is Harbor's URL, substituted raw: its apply-time pattern admits
 * no character a TOML basic string would escape.
 */
import { createHash } from "node:crypto";
import { Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { escapeTemplateLiteral } from "../delivery/terraform-template";
import {
  renderContainerdHosts,
  type HostsTomlFile,
  type RenderedContainerdHosts,
} from "../registries/containerd-hosts";
import { errorAt, ValidationError } from "../registries/diagnostics";
import type { RegistriesSpec } from "../registries/model";
import type { INodeFileRenderer } from "./node-files";
import { reportWarnings } from "./warnings";

export interface ContainerdHostsProps {
  /** Mirrors with ordered rules and configs, e.g. `HarborProxyCache.registriesSpec`. */
  readonly spec: RegistriesSpec;
  /**
   * Terraform values of the spec's apply-time values, by id (`HarborProxyCache.applyTimeTokens`).
   * @default - none; the spec must then hold no apply-time value
   */
  readonly applyTimeTokens?: Readonly<Record<string, string>>;
  /**
   * The directory containerd's `config_path` names on the nodes; not a token.
   * @default "/etc/containerd/certs.d"
   */
  readonly hostsDir?: string;
}

/** One hosts.toml as the nodes receive it. */
export interface ContainerdHostsFile {
  /** Stable id, `hosts_<registry>` (`[a-z][a-z0-9_]*`): names the file's Terraform local and upload. */
  readonly id: string;
  readonly path: string;
  /** The exact bytes, as a Terraform string (a reference to a local when Harbor's URL is a token). */
  readonly content: string;
  /** The file as people should read it: apply-time values shown as placeholders. */
  readonly displayText: string;
  /** Always false: containerd reads hosts.toml on every pull. */
  readonly restartOnChange: false;
}

export class ContainerdHosts extends Construct implements INodeFileRenderer {
  readonly rendered: RenderedContainerdHosts;
  /** In directory order. */
  readonly files: readonly ContainerdHostsFile[];

  constructor(scope: Construct, id: string, props: ContainerdHostsProps) {
    super(scope, id);
    try {
      this.rendered = renderContainerdHosts(props.spec, { hostsDir: props.hostsDir });
    } catch (error) {
      if (error instanceof ValidationError)
        throw ValidationError.inConstruct(this.node.path, error.diagnostics);
      throw error;
    }
    const ids = fileIds(this.rendered.files);
    this.files = this.rendered.files.map((file, index) => this.nodeFile(file, ids[index], props));
    reportWarnings(this, this.rendered.warnings);
  }

  /** The same files for every node: RegistriesDelivery installs them in one transaction. */
  renderFiles(): readonly ContainerdHostsFile[] {
    return this.files;
  }

  private nodeFile(file: HostsTomlFile, id: string, props: ContainerdHostsProps): ContainerdHostsFile {
    const values = this.rendered.applyTimeValues.filter(({ placeholder }) => file.text.includes(placeholder));
    const displayText = values.reduce(
      (text, { placeholder, value }) => text.split(placeholder).join(value.display),
      file.text,
    );
    if (values.length === 0)
      return { id, path: file.path, content: file.text, displayText, restartOnChange: false };
    const template = new TerraformLocal(this, id, escapeTemplateLiteral(file.text)).asString;
    const content = values.reduce(
      (text, { placeholder, value }) => Fn.replace(text, placeholder, this.tokenFor(props, value.id)),
      template,
    );
    return { id, path: file.path, content, displayText, restartOnChange: false };
  }

  private tokenFor(props: ContainerdHostsProps, id: string): string {
    const token = props.applyTimeTokens?.[id];
    if (token !== undefined) return token;
    throw ValidationError.inConstruct(this.node.path, [
      errorAt(
        "apply-time-token-missing",
        ["applyTimeTokens", id],
        `the registries spec uses the apply-time value '${id}' but applyTimeTokens has no entry for it ` +
          `(known: ${Object.keys(props.applyTimeTokens ?? {}).join(", ") || "none"})`,
      ),
    ]);
  }
}

const FILE_ID_LENGTH = 40;

/**
 * `hosts_<registry>` with every other character as `_` (readable in plans); a registry whose
 * readable id is taken or too long gets a hash suffix instead, so ids stay unique and stable.
 */
function fileIds(files: readonly HostsTomlFile[]): string[] {
  const readable = files.map((file) => `hosts_${file.directory.toLowerCase().replace(/[^a-z0-9]/g, "_")}`);
  return readable.map((id, index) => {
    const unique = readable.indexOf(id) === readable.lastIndexOf(id);
    if (unique && id.length <= FILE_ID_LENGTH) return id;
    const suffix = createHash("sha256").update(files[index].directory).digest("hex").slice(0, 8);
    return `${id.slice(0, FILE_ID_LENGTH - suffix.length - 1)}_${suffix}`;
  });
}
