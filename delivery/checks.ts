/**
 * Input checks shared by the script generator and the delivery construct. They return
 * diagnostics (rather than throwing) so a caller can report every problem at once.
 */
import { isIP } from "node:net";
import { Diagnostic, errorAt, KeyPath } from "../registries/diagnostics";
import { stagingDirectory } from "./nodes";

/** Node names become construct ids, Terraform addresses and staging paths, so they must stay stable and safe. */
export const NODE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/** Characters a remote path may hold: enough for real paths, nothing a shell or Terraform would interpret. */
const REMOTE_PATH_PATTERN = /^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/;

/** The staging directory is named after the node, and one directory entry holds at most 255 bytes (Linux). */
export const NODE_NAME_MAX_LENGTH = 255 - stagingDirectory("").split("/").pop()!.length;

/** undefined when `name` can name a node (construct id, Terraform address, staging directory), else why not. */
export function nodeNameProblem(name: string): string | undefined {
  if (!NODE_NAME_PATTERN.test(name)) {
    return `node name ${JSON.stringify(name)} is not a stable id: use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit`;
  }
  if (name.length > NODE_NAME_MAX_LENGTH) {
    return `node name of ${name.length} characters is too long: at most ${NODE_NAME_MAX_LENGTH}, so that its staging directory fits a directory name`;
  }
  return undefined;
}

export function checkNodeName(name: string, path: KeyPath): Diagnostic[] {
  const problem = nodeNameProblem(name);
  return problem ? [errorAt("node-name-invalid", path, problem)] : [];
}

/** A DNS label (RFC 1123): letters, digits and inner hyphens, 1–63 characters. */
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * undefined when `value` is an IP address or a host name, else what it must be. A fully qualified
 * name with its trailing dot (`node1.example.com.`) is a host name too.
 */
export function hostProblem(value: string): string | undefined {
  if (isIP(value) !== 0) return undefined;
  const name = value.endsWith(".") ? value.slice(0, -1) : value;
  const valid =
    name.length > 0 && name.length <= 253 && name.split(".").every((label) => HOST_LABEL.test(label));
  return valid
    ? undefined
    : "must be a host name (labels of letters, digits and inner hyphens, at most 63 characters each, 253 in all; a trailing dot is allowed) or an IP address";
}

/** undefined for a TCP port 1–65535 (0 would mean "any port" to some tools and no port to SSH). */
export function portProblem(port: number): string | undefined {
  return Number.isInteger(port) && port >= 1 && port <= 65535
    ? undefined
    : `${port} is not allowed: expected a TCP port from 1 to 65535`;
}

/** PEM blocks, each with its type (`CERTIFICATE`, `PRIVATE KEY`, …). */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * undefined when `pem` holds certificates only, else why not. The file is shipped to every node,
 * so a private key pasted into the same file would be too; its content is never shown.
 */
export function caBundleProblem(pem: string): string | undefined {
  if (/PRIVATE KEY/.test(pem)) {
    return "holds a private key (not shown): a CA file must hold certificates only, since it is copied to every node";
  }
  const types = [...pem.matchAll(PEM_BLOCK)].map((block) => block[1]);
  const other = types.find((type) => type !== "CERTIFICATE");
  if (other) return `holds a ${other} block: a CA file must hold certificates only`;
  if (types.length === 0) return "holds no PEM certificate (-----BEGIN CERTIFICATE----- …)";
  return undefined;
}

/** A path on the node: absolute, `[A-Za-z0-9._/-]` only, no `..` segment, not a directory (no trailing slash). */
/** What a path on the node may look like: it is written into shell commands there, so a small alphabet keeps it inert. */
export const REMOTE_PATH_RULE =
  'an absolute file path made of [A-Za-z0-9._/-], without ".." segments or a trailing "/"';

export function isRemotePath(value: string): boolean {
  return REMOTE_PATH_PATTERN.test(value) && !value.split("/").includes("..");
}

export function checkRemotePath(value: string, path: KeyPath): Diagnostic[] {
  if (isRemotePath(value)) return [];
  return [
    errorAt(
      "node-path-invalid",
      path,
      `${JSON.stringify(value)} is not allowed: expected ${REMOTE_PATH_RULE}`,
    ),
  ];
}

export function checkPositiveInteger(value: number, path: KeyPath): Diagnostic[] {
  if (Number.isInteger(value) && value >= 1) return [];
  return [
    errorAt("not-a-positive-integer", path, `${value} is not allowed: expected a whole number of at least 1`),
  ];
}

/** `value` must be one of `allowed`; the message lists them. */
export function checkOneOf(value: string, allowed: readonly string[], path: KeyPath): Diagnostic[] {
  if (allowed.includes(value)) return [];
  return [
    errorAt(
      "value-not-allowed",
      path,
      `${JSON.stringify(value)} is not allowed: expected one of ${allowed.join(", ")}`,
    ),
  ];
}

export function checkLinuxUser(value: string, path: KeyPath): Diagnostic[] {
  if (/^[a-z_][a-z0-9_-]*$/.test(value)) return [];
  return [
    errorAt("user-invalid", path, `${JSON.stringify(value)} must be a Linux user name ([a-z_][a-z0-9_-]*)`),
  ];
}

const SSH_KEY_TYPES = [
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
];

/** A pinned host key as ssh-keyscan prints it, without the host name. */
export function checkHostKey(value: string, path: KeyPath): Diagnostic[] {
  const [type, key, ...rest] = value.split(" ");
  const valid = SSH_KEY_TYPES.includes(type) && /^[A-Za-z0-9+/]+={0,2}$/.test(key ?? "") && rest.length === 0;
  if (valid) return [];
  return [
    errorAt(
      "host-key-invalid",
      path,
      `must be "<type> <base64 key>" as ssh-keyscan prints it (without the host name); types: ${SSH_KEY_TYPES.join(", ")}`,
    ),
  ];
}
