/**
 * The registries.yaml content as one Terraform value, defined once per stack and referenced by
 * every node. The domain renders the file with placeholders for values known only at apply time
 * (a robot's name and secret; Harbor's URL and host when the URL is a token); here each placeholder
 * becomes `jsonencode(<value>)`: a JSON string is a valid YAML double-quoted scalar (or mapping
 * key) whatever characters the value holds.
 */
import { Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { errorAt, ValidationError } from "../registries/diagnostics";
import type { RegistriesSpec } from "../registries/model";
import { displayRendered, renderRegistriesSpec, RenderedRegistries } from "../registries/render";
import { escapeTemplateLiteral } from "../delivery/terraform-template";

export interface RegistriesContentProps {
  /** Mirrors with ordered rules and configs, e.g. `HarborProxyCache.registriesSpec`. */
  readonly spec: RegistriesSpec;
  /**
   * Terraform values of the spec's apply-time values, by id (`HarborProxyCache.applyTimeTokens`).
   * @default - none; the spec must then hold no apply-time value
   */
  readonly applyTimeTokens?: Readonly<Record<string, string>>;
}

export class RegistriesContent extends Construct {
  /** The file's exact bytes on the node, as a Terraform string (a reference to a local). */
  readonly content: string;
  /** The rendered file with placeholders, for review and the CLI. */
  readonly rendered: RenderedRegistries;
  /** The file as people should read it: apply-time values shown as placeholders, never secrets. */
  readonly displayText: string;

  constructor(scope: Construct, id: string, props: RegistriesContentProps) {
    super(scope, id);
    this.rendered = renderRegistriesSpec(props.spec);
    this.displayText = displayRendered(this.rendered);
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
