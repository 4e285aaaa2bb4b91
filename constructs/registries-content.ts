/**
 * The registries.yaml content as one Terraform value, defined once per stack and referenced by
 * every node. The domain renders the file with placeholders for values known only at apply time
 * (a robot's name and secret; Harbor's URL and host when the URL is a token); here each placeholder
 * becomes `jsonencode(<value>)`: a JSON string is a valid YAML double-quoted scalar (or mapping
 * key) whatever characters the value holds.
 */
import { Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { errorAt, throwIfErrors, ValidationError } from "../registries/diagnostics";
import { holdsCredentials, type RegistriesSpec } from "../registries/model";
import { displayRendered, renderRegistriesSpec, RenderedRegistries } from "../registries/render";
import { writeFileEntry, type CloudInitWriteFile } from "../delivery/cloud-init";
import { checkOneOf } from "../delivery/checks";
import { defaultRegistriesPath, DISTRIBUTIONS, type Distribution } from "../delivery/nodes";
import { escapeTemplateLiteral } from "../delivery/terraform-template";
import { base64Of, cloudConfigOf } from "./cloud-init";
import { checkLiteralPath } from "./registries-delivery";

export type { CloudInitWriteFile } from "../delivery/cloud-init";

export interface RegistriesContentProps {
  /** Mirrors with ordered rules and configs, e.g. `HarborProxyCache.registriesSpec`. */
  readonly spec: RegistriesSpec;
  /**
   * Terraform values of the spec's apply-time values, by id (`HarborProxyCache.applyTimeTokens`).
   * @default - none; the spec must then hold no apply-time value
   */
  readonly applyTimeTokens?: Readonly<Record<string, string>>;
}

/** Where a new node reads the file, for its cloud-init user-data. */
export interface NodeFileOptions {
  /**
   * The node's distribution, which decides the default path.
   * @default "rke2"
   */
  readonly distribution?: Distribution;
  /**
   * Where the node reads its registries file; known at synth time (not a token).
   * @default - `/etc/rancher/rke2/registries.yaml` for RKE2, `/etc/rancher/k3s/registries.yaml` for K3s
   */
  readonly registriesPath?: string;
}

export class RegistriesContent extends Construct {
  /** The file's exact bytes on the node, as a Terraform string (a reference to a local). */
  readonly content: string;
  /** The rendered file with placeholders, for review and the CLI. */
  readonly rendered: RenderedRegistries;
  /** The file as people should read it: apply-time values shown as placeholders, never secrets. */
  readonly displayText: string;
  /**
   * Whether the file holds a credential (the robot's secret): every output of `content` or
   * `cloudConfig()` must then be `sensitive` (Terraform refuses it otherwise).
   */
  readonly holdsSecret: boolean;

  constructor(scope: Construct, id: string, props: RegistriesContentProps) {
    super(scope, id);
    this.rendered = renderedIn(this.node.path, props.spec);
    this.displayText = displayRendered(this.rendered);
    this.holdsSecret = holdsCredentials(this.rendered.file);
    const template = new TerraformLocal(this, "template", escapeTemplateLiteral(this.rendered.text));
    const content = this.rendered.applyTimeValues.reduce(
      (text, { placeholder, value }) =>
        Fn.replace(text, placeholder, Fn.jsonencode(tokenFor(props, value.id, this.node.path))),
      template.asString,
    );
    this.content = this.rendered.applyTimeValues.length
      ? new TerraformLocal(this, "content", content).asString
      : template.asString;
  }

  /**
   * The file as a cloud-init `write_files` entry for a new node: its path, `0600`, owner
   * `root:root`, `encoding: b64` and the base64 of the exact bytes (a Terraform expression), to
   * put into your own cloud-config.
   */
  cloudInitWriteFile(options: NodeFileOptions = {}): CloudInitWriteFile {
    return writeFileEntry(this.nodePath(options), base64Of(this.content));
  }

  /**
   * A `#cloud-config` user-data document (a Terraform string) that writes the file as
   * `cloudInitWriteFile` describes, so RKE2/K3s finds it at first start.
   */
  cloudConfig(options: NodeFileOptions = {}): string {
    return cloudConfigOf(this, [{ path: this.nodePath(options), content: this.content }]);
  }

  private nodePath(options: NodeFileOptions): string {
    const distribution = options.distribution;
    throwIfErrors(
      [
        ...(distribution === undefined ? [] : checkOneOf(distribution, DISTRIBUTIONS, ["distribution"])),
        ...checkLiteralPath(options.registriesPath, ["registriesPath"]),
      ],
      this.node.path,
    );
    return options.registriesPath ?? defaultRegistriesPath(options.distribution ?? "rke2");
  }
}

/** The rendered spec; its problems (e.g. a rewrite rule) marked as found by this construct. */
function renderedIn(construct: string, spec: RegistriesSpec): RenderedRegistries {
  try {
    return renderRegistriesSpec(spec);
  } catch (error) {
    if (error instanceof ValidationError) throw ValidationError.inConstruct(construct, error.diagnostics);
    throw error;
  }
}

function tokenFor(props: RegistriesContentProps, id: string, construct: string): string {
  const token = props.applyTimeTokens?.[id];
  if (token === undefined) {
    throw ValidationError.inConstruct(construct, [
      errorAt(
        "apply-time-token-missing",
        ["applyTimeTokens", id],
        `is missing: the registries spec uses the apply-time value '${id}' ` +
          `(known: ${Object.keys(props.applyTimeTokens ?? {}).join(", ") || "none"})`,
      ),
    ]);
  }
  return token;
}
