/**
 * Node files as a `#cloud-config` user-data document, as one Terraform string (a reference to a
 * local). `delivery/cloud-init` serializes the document with a placeholder where a content is
 * known only at apply time; here each placeholder becomes `base64encode(<content>)`, whose alphabet
 * is inert in YAML and in Terraform templates. Literal contents are encoded at synth time.
 */
import { createHash } from "node:crypto";
import { Fn, TerraformLocal, Token } from "cdktf";
import { Construct } from "constructs";
import { cloudConfigDocument, cloudInitContentPlaceholder, writeFileEntry } from "../delivery/cloud-init";
import { escapeTemplateLiteral } from "../delivery/terraform-template";

/** A file for a node: its path there (known at synth time) and its exact content (literal or token). */
export interface NodeFile {
  readonly path: string;
  readonly content: string;
}

/** Base64 of the exact bytes: computed now for a literal, by Terraform for a token. */
export function base64Of(content: string): string {
  return Token.isUnresolved(content)
    ? Fn.base64encode(content)
    : Buffer.from(content, "utf8").toString("base64");
}

/**
 * The `#cloud-config` document writing `files` in order, defined once per set of paths in `scope`:
 * a construct's files are fixed, so a second call for the same paths returns the same local.
 */
export function cloudConfigOf(scope: Construct, files: readonly NodeFile[]): string {
  const paths = JSON.stringify(files.map((file) => file.path));
  const id = `cloud_config_${createHash("sha256").update(paths).digest("hex").slice(0, 8)}`;
  const existing = scope.node.tryFindChild(id);
  if (existing instanceof TerraformLocal) return existing.asString;
  const applyTime: { placeholder: string; content: string }[] = [];
  const entries = files.map((file, index) => {
    if (!Token.isUnresolved(file.content)) return writeFileEntry(file.path, base64Of(file.content));
    const placeholder = cloudInitContentPlaceholder(index);
    applyTime.push({ placeholder, content: file.content });
    return writeFileEntry(file.path, placeholder);
  });
  const document = escapeTemplateLiteral(cloudConfigDocument(entries));
  if (applyTime.length === 0) return new TerraformLocal(scope, id, document).asString;
  const template = new TerraformLocal(scope, `${id}_template`, document);
  const value = applyTime.reduce(
    (text, { placeholder, content }) => Fn.replace(text, placeholder, Fn.base64encode(content)),
    template.asString,
  );
  return new TerraformLocal(scope, id, value).asString;
}
