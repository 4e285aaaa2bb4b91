/**
 * The POSIX sh scripts that run on a node (under dash and bash alike) to put uploaded files in
 * place: verify the upload, change nothing when the file is unchanged, swap atomically, restart
 * the unit and roll back when it does not come back (prior-art.md, "Combined delivery recipe").
 *
 * The scripts are lists of lines because Terraform's `remote-exec` `inline` joins its lines with
 * "\n" into one script. They never contain `${` or `%{` themselves, so the only template
 * expressions in them are the values a caller passes in (e.g. the expected hash).
 */
import { createHash } from "node:crypto";
import { Diagnostic, throwIfErrors } from "../registries/diagnostics";
import { checkPositiveInteger, checkRemotePath } from "./checks";

/** One uploaded file and where it goes. */
export interface StagedFile {
  /** Where the file was uploaded, inside the staging directory. */
  readonly stagedPath: string;
  /** The live file on the node. */
  readonly targetPath: string;
  /**
   * Expected sha256 of the upload, 64 lowercase hex digits (or an expression that renders to
   * them at apply time). A mismatch means the upload is incomplete; nothing is touched then.
   */
  readonly sha256: string;
  /** Whether a change of this file needs the unit restarted (a CA file does not). */
  readonly restartOnChange: boolean;
}

export interface InstallScriptOptions {
  /** Private directory holding the uploads; removed when the script ends, whatever happens. */
  readonly stagingDir: string;
  /** Installed in this order. */
  readonly files: readonly StagedFile[];
  /** systemd unit restarted when a `restartOnChange` file changed. */
  readonly unit: string;
  /** SSH user; anyone but root runs the privileged part through `sudo -n`. */
  readonly user: string;
  /** How long the unit may take to restart and become active before the rollback. */
  readonly restartTimeoutSeconds: number;
}

/** Lines of the unit's journal shown when the restart fails. */
const JOURNAL_LINES = 30;

/** Suffix of the root-only copy of the previous file. */
export const BACKUP_SUFFIX = ".harbor-mirror.bak";

/** Quotes a value for sh: inside single quotes nothing is special except the quote itself. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Removes our own leftover staging directory (an interrupted upload), then creates it private. */
export function prepareStagingScript(stagingDir: string): string[] {
  throwIfErrors(checkRemotePath(stagingDir, ["stagingDir"]));
  return [
    "set -eu",
    `hm_staging=${shellQuote(stagingDir)}`,
    // Only a real directory we own is ours to remove; anything else makes mkdir fail below.
    'if [ -d "$hm_staging" ] && [ ! -L "$hm_staging" ] && [ -O "$hm_staging" ]; then rm -rf "$hm_staging"; fi',
    'mkdir -m 0700 "$hm_staging" || { echo "harbor-mirror: cannot create the private staging directory $hm_staging (it may exist and belong to someone else)" >&2; exit 1; }',
  ];
}

/** Where the installer is uploaded, inside the staging directory. */
export function installerPath(stagingDir: string): string {
  return `${stagingDir}/install.sh`;
}

/**
 * The per-node `inline` script: checks that the installer arrived whole, then runs it with this
 * node's values as arguments. The installer itself (`INSTALLER_SCRIPT`) is the same for every node,
 * so it is uploaded from one Terraform local instead of being repeated in every node's resource.
 */
export function installScript(options: InstallScriptOptions): string[] {
  throwIfErrors(checkInstallOptions(options));
  const installer = shellQuote(installerPath(options.stagingDir));
  const args = installerArguments(options).map(shellQuote).join(" ");
  const verifyInstaller =
    `[ "$(sha256sum < ${installer} | cut -d " " -f 1)" = ${shellQuote(INSTALLER_SHA256)} ] || ` +
    `{ echo "harbor-mirror: ${installer} is incomplete (interrupted upload); nothing was changed" >&2; exit 1; }`;
  if (options.user === "root") {
    // Sourced, so that it runs in the very shell Terraform started (dash or bash alike).
    return ["set -eu", verifyInstaller, `set -- ${args}`, `. ${installer}`];
  }
  // The staging directory belongs to the SSH user, who removes it even when sudo is refused;
  // `sudo -n` never prompts: a missing NOPASSWD rule fails at once.
  return [
    "set -eu",
    `trap 'rm -rf ${options.stagingDir}' EXIT`,
    verifyInstaller,
    `sudo -n /bin/sh ${installer} ${args}`,
  ];
}

/** Staging directory, unit, timeout, then four words per file: staged, target, sha256, restart|keep. */
function installerArguments(options: InstallScriptOptions): string[] {
  return [
    options.stagingDir,
    options.unit,
    String(options.restartTimeoutSeconds),
    ...options.files.flatMap((file) => [
      file.stagedPath,
      file.targetPath,
      file.sha256,
      file.restartOnChange ? "restart" : "keep",
    ]),
  ];
}

function checkInstallOptions(options: InstallScriptOptions): Diagnostic[] {
  return [
    ...checkRemotePath(options.stagingDir, ["stagingDir"]),
    ...options.files.flatMap((file, index) => [
      ...checkRemotePath(file.stagedPath, ["files", index, "stagedPath"]),
      ...checkRemotePath(file.targetPath, ["files", index, "targetPath"]),
    ]),
    ...checkPositiveInteger(options.restartTimeoutSeconds, ["restartTimeoutSeconds"]),
  ];
}

/** Reads the arguments of `installerArguments`; the values are validated paths and hex digests. */
const PREAMBLE = [
  "set -eu",
  // Every file this script creates (temp files, backups) starts out readable by root only.
  "umask 077",
  "hm_staging=$1 hm_unit=$2 hm_timeout=$3",
  "shift 3",
  `hm_backup_suffix=${shellQuote(BACKUP_SUFFIX)}`,
  "hm_changed=''",
  "hm_restart_needed=''",
  "hm_tmp=''",
  // Paths are validated ([A-Za-z0-9._/-] only), so the list can be re-split on spaces below.
  'hm_files="$*"',
];

/** Shell functions of the install script; values arrive as arguments, never spliced into code. */
const HELPERS = [
  // The staged files may hold credentials: remove them whatever happens, signals included.
  'hm_cleanup() { rm -rf "$hm_staging"; if [ -n "$hm_tmp" ]; then rm -f "$hm_tmp"; fi; }',
  "trap hm_cleanup EXIT",
  "trap 'exit 1' HUP INT TERM",
  'hm_fail() { echo "harbor-mirror: $*" >&2; exit 1; }',
  '[ "$(id -u)" = 0 ] || hm_fail "must run as root, not as $(id -un)"',
  "hm_verify() {",
  '  hm_actual=$(sha256sum < "$1" | cut -d " " -f 1)',
  '  [ "$hm_actual" = "$2" ] || hm_fail "$1 has sha256 $hm_actual but $2 was uploaded: the upload is incomplete; $3 was left untouched"',
  "}",
  // A temp file in the target's own directory, so the final mv is an atomic rename.
  "hm_write() {",
  '  hm_tmp=$(mktemp "$2.harbor-mirror.XXXXXX")',
  '  cat "$1" > "$hm_tmp"',
  '  chmod 0600 "$hm_tmp"',
  '  chown root:root "$hm_tmp"',
  '  mv -f "$hm_tmp" "$2"',
  "  hm_tmp=''",
  "}",
  "hm_install() {",
  '  if [ -d "$2" ]; then hm_fail "$2 is a directory, expected a file"; fi',
  '  if [ -f "$2" ] && cmp -s "$1" "$2"; then echo "harbor-mirror: $2 unchanged"; return 0; fi',
  // RKE2 creates /etc/rancher/rke2 as 0755; the file itself stays 0600.
  '  if [ ! -d "$(dirname "$2")" ]; then (umask 022 && mkdir -p "$(dirname "$2")"); fi',
  '  if [ -f "$2" ]; then hm_write "$2" "$2$hm_backup_suffix"; else rm -f "$2$hm_backup_suffix"; fi',
  '  hm_write "$1" "$2"',
  '  hm_changed="$hm_changed $2"',
  '  if [ "$3" = restart ]; then hm_restart_needed=yes; fi',
  '  echo "harbor-mirror: installed $2"',
  "}",
  // No backup means the file did not exist before: rolling back removes it.
  "hm_restore() {",
  '  if [ -f "$1$hm_backup_suffix" ]; then hm_write "$1$hm_backup_suffix" "$1"; else rm -f "$1"; fi',
  '  echo "harbor-mirror: restored the previous state of $1" >&2',
  "}",
  "hm_wait_active() {",
  '  until systemctl is-active --quiet "$hm_unit"; do',
  '    [ "$(date +%s)" -lt "$hm_deadline" ] || return 1',
  "    sleep 1",
  "  done",
  "}",
  // One deadline for both: restarting and becoming active share the timeout. `timeout`
  // because a restart of a unit that never gets ready would otherwise block forever.
  "hm_restart_unit() {",
  "  hm_deadline=$(( $(date +%s) + hm_timeout ))",
  '  timeout "$hm_timeout" systemctl restart "$hm_unit" && hm_wait_active',
  "}",
];

/** Verifies every upload before touching anything, then installs them in order. */
const INSTALL_FILES = [
  '[ $(( $# % 4 )) -eq 0 ] || hm_fail "expected four arguments per file, got $#"',
  "set -- $hm_files",
  'while [ $# -gt 0 ]; do hm_verify "$1" "$3" "$2"; shift 4; done',
  "set -- $hm_files",
  'while [ $# -gt 0 ]; do hm_install "$1" "$2" "$4"; shift 4; done',
];

const RESTART_OR_ROLLBACK = [
  'if [ -z "$hm_restart_needed" ]; then echo "harbor-mirror: $hm_unit not restarted (registries file unchanged)"; exit 0; fi',
  'echo "harbor-mirror: restarting $hm_unit"',
  'if hm_restart_unit; then echo "harbor-mirror: $hm_unit is active"; exit 0; fi',
  'echo "harbor-mirror: $hm_unit did not become active within $hm_timeout s; rolling back" >&2',
  'for hm_target in $hm_changed; do hm_restore "$hm_target"; done',
  'hm_restart_unit || echo "harbor-mirror: $hm_unit is not active after the rollback either" >&2',
  `journalctl -u "$hm_unit" -n ${JOURNAL_LINES} --no-pager >&2 || true`,
  "exit 1",
];

/**
 * The installer every node runs as root: verify, change-only, atomic swap, restart, rollback.
 * Arguments: see `installerArguments`. It holds no `${` or `%{`, so Terraform templates keep it as is.
 */
export const INSTALLER_SCRIPT = [...PREAMBLE, ...HELPERS, ...INSTALL_FILES, ...RESTART_OR_ROLLBACK, ""].join(
  "\n",
);

/** Checked on the node before the installer runs: an interrupted upload must not run half a script. */
export const INSTALLER_SHA256 = createHash("sha256").update(INSTALLER_SCRIPT).digest("hex");
