/**
 * Where harbor-mirror may write on a node. It replaces files as root, so a careless path
 * (`/etc/passwd`, the staging directory, the CA path twice) would replace or delete a file the node
 * needs. The one rule for the registries path and the CA path: under the distribution's
 * configuration directory or under a directory declared in `extraNodeDirectories`, never a file of
 * the distribution itself, never in the staging directory, never two files on one path. The path's
 * shape (alphabet, `..`) is `checks.isRemotePath`'s rule and is checked before this one.
 */
import { Diagnostic, errorAt, type KeyPath } from "../registries/diagnostics";
import { isRemotePath, REMOTE_PATH_RULE } from "./checks";
import { CONFIG_DIRECTORIES, DISTRIBUTIONS, type Distribution, stagingDirectory } from "./nodes";

/** The code of the node-path rule's diagnostics. */
export const NODE_PATH_CODE = "node-path-not-allowed";

/** The key (config) and prop (construct) that declares directories beyond the configuration directory. */
export const EXTRA_DIRECTORIES_KEY = "extraNodeDirectories";

/**
 * Trees of the operating system: an extra directory inside one of them could hold a file the node
 * cannot live without. (The distributions' own directories are under `/etc`, and allowed as such.)
 */
const SYSTEM_TREES = [
  "/bin/",
  "/boot/",
  "/dev/",
  "/etc/",
  "/lib/",
  "/lib32/",
  "/lib64/",
  "/libx32/",
  "/proc/",
  "/root/",
  "/run/",
  "/sbin/",
  "/sys/",
  "/usr/",
  "/var/run/",
];

/** Files the distribution itself reads from its configuration directory: its config and its kubeconfig. */
function ownFiles(distribution: Distribution): string[] {
  const directory = CONFIG_DIRECTORIES[distribution];
  return [`${directory}config.yaml`, `${directory}${distribution}.yaml`];
}

/** `/opt/rke2` and `/opt/rke2/` are one directory; the rule compares with the trailing "/". */
function asDirectory(path: string): string {
  return `${path.replace(/\/+$/, "")}/`;
}

/** undefined when `directory` may hold node files, else why not (the value included). */
export function extraDirectoryProblem(directory: string): string | undefined {
  const shown = JSON.stringify(directory);
  const bare = directory.replace(/\/+$/, "");
  if (!isRemotePath(bare))
    return `${shown} is not allowed: expected ${REMOTE_PATH_RULE.replace("file", "directory")}`;
  const normalized = asDirectory(bare);
  const tree = SYSTEM_TREES.find((system) => normalized.startsWith(system));
  if (tree) {
    return `${shown} is inside the system directory ${tree}: only the distribution's configuration directory (${configDirectoryList()}) is allowed there`;
  }
  if (normalized.split("/").length < 4) {
    return `${shown} is a top-level directory: declare the subdirectory that holds the files, e.g. /opt/rke2/`;
  }
  return undefined;
}

export interface NodeFileContext {
  readonly distribution: Distribution;
  /** Declared extra directories (already checked by `extraDirectoryProblem`). */
  readonly extraDirectories?: readonly string[];
  readonly nodeName: string;
}

/** undefined when harbor-mirror may write `file` on the node, else why not (the value included). */
export function nodeFileProblem(file: string, context: NodeFileContext): string | undefined {
  if (!isRemotePath(file)) return undefined; // the shape rule reports it
  const shown = JSON.stringify(file);
  const staging = asDirectory(stagingDirectory(context.nodeName));
  if (file.startsWith(staging) || file === staging.slice(0, -1)) {
    return `${shown} is inside the node's staging directory ${staging}, which the install removes`;
  }
  if (ownFiles(context.distribution).includes(file)) {
    return `${shown} is ${context.distribution}'s own file: harbor-mirror would replace it`;
  }
  const allowed = [
    CONFIG_DIRECTORIES[context.distribution],
    ...(context.extraDirectories ?? []).map(asDirectory),
  ];
  if (allowed.some((directory) => file.startsWith(directory))) return undefined;
  const other = DISTRIBUTIONS.find((name) => file.startsWith(CONFIG_DIRECTORIES[name]));
  if (other) {
    return `${shown} is a path of ${other}, but the distribution is ${context.distribution}: its files go under ${CONFIG_DIRECTORIES[context.distribution]}`;
  }
  return (
    `${shown} is not allowed: node files go under ${CONFIG_DIRECTORIES[context.distribution]} ` +
    `(${context.distribution}'s configuration directory) or under a directory declared in ${EXTRA_DIRECTORIES_KEY}`
  );
}

export interface NodeFiles {
  readonly registriesPath: string;
  readonly caPath?: string;
}

/** The node-path rule over one node's files: each allowed, and no two on one path. */
export function checkNodeFiles(
  files: NodeFiles,
  context: NodeFileContext,
  paths: { readonly registriesPath: KeyPath; readonly caPath: KeyPath },
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report = (path: KeyPath, message: string | undefined) => {
    if (message) diagnostics.push(errorAt(NODE_PATH_CODE, path, message));
  };
  report(paths.registriesPath, nodeFileProblem(files.registriesPath, context));
  if (files.caPath !== undefined) report(paths.caPath, nodeFileProblem(files.caPath, context));
  if (files.caPath === files.registriesPath) {
    report(
      paths.registriesPath,
      `${JSON.stringify(files.registriesPath)} is also the CA certificate's path: each file needs its own path`,
    );
  }
  return diagnostics;
}

/** The extra directories, each checked; `path` is the key of the list. */
export function checkExtraDirectories(directories: readonly string[], path: KeyPath): Diagnostic[] {
  return directories.flatMap((directory, index) => {
    const message = extraDirectoryProblem(directory);
    return message ? [errorAt("node-directory-not-allowed", [...path, index], message)] : [];
  });
}

function configDirectoryList(): string {
  return DISTRIBUTIONS.map((name) => CONFIG_DIRECTORIES[name]).join(", ");
}
