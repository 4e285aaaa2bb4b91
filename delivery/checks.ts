/**
 * Input checks shared by the script generator and the delivery construct. They return
 * diagnostics (rather than throwing) so a caller can report every problem at once.
 */
import { Diagnostic, errorAt, KeyPath } from "../registries/diagnostics";

/** Node names become construct ids, Terraform addresses and staging paths, so they must stay stable and safe. */
export const NODE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/** Characters a remote path may hold: enough for real paths, nothing a shell or Terraform would interpret. */
const REMOTE_PATH_PATTERN = /^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/;

export function checkNodeName(name: string, path: KeyPath): Diagnostic[] {
  if (NODE_NAME_PATTERN.test(name)) return [];
  return [
    errorAt(
      "node-name-invalid",
      path,
      `node name ${JSON.stringify(name)} is not a stable id: use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit`,
    ),
  ];
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
