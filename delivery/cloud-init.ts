/**
 * First boot: the node files as cloud-init `write_files` entries of a `#cloud-config` document,
 * so a node created by the stack has its registries.yaml before RKE2/K3s first starts (an SSH
 * delivery needs a running node). Contents travel base64-encoded (`encoding: b64`): the bytes
 * arrive exactly, whatever they hold, and a content known only at apply time stays a plain
 * placeholder here, which the construct layer replaces with Terraform's `base64encode(...)`.
 * Pure: serialized with the `yaml` package's Document API, never by string templates.
 */
import { Document, ToStringOptions } from "yaml";

/** Node files are root's alone (they may hold the robot's secret), as with the SSH delivery. */
export const NODE_FILE_PERMISSIONS = "0600";
export const NODE_FILE_OWNER = "root:root";

/** One `write_files` entry; `content` is base64 (or a placeholder standing for it). */
export interface CloudInitWriteFile {
  readonly path: string;
  readonly permissions: typeof NODE_FILE_PERMISSIONS;
  readonly owner: typeof NODE_FILE_OWNER;
  readonly encoding: "b64";
  readonly content: string;
}

/** The first line cloud-init requires of a cloud-config user-data part. */
export const CLOUD_CONFIG_HEADER = "#cloud-config";

const TO_STRING_OPTIONS: ToStringOptions = { indent: 2, indentSeq: true, lineWidth: 0, minContentWidth: 0 };

/** The `write_files` entry installing `base64Content` at `path` as a node file (0600 root:root). */
export function writeFileEntry(path: string, base64Content: string): CloudInitWriteFile {
  return {
    path,
    permissions: NODE_FILE_PERMISSIONS,
    owner: NODE_FILE_OWNER,
    encoding: "b64",
    content: base64Content,
  };
}

/** A `#cloud-config` document writing `files`, in order (the CA before the file that names it). */
export function cloudConfigDocument(files: readonly CloudInitWriteFile[]): string {
  const document = new Document({ write_files: files });
  return `${CLOUD_CONFIG_HEADER}\n${document.toString(TO_STRING_OPTIONS)}`;
}

/** The placeholder a content known only at apply time stands in for: a plain base64-alphabet-free scalar. */
export function cloudInitContentPlaceholder(index: number): string {
  return `__HARBOR_MIRROR_CLOUD_INIT_CONTENT_${index}__`;
}
