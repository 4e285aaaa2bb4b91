/**
 * The POSIX sh scripts that run on a node (under dash and bash alike) to put uploaded files in
 * place as one transaction: verify every upload, change nothing when no file changed, write
 * every changed file next to its target, rename them all, restart the unit and roll every file
 * back when anything fails.
 *
 * The scripts are lists of lines because Terraform's `remote-exec` `inline` joins its lines with
 * "\n" into one script, which Terraform uploads world-readable (mode 777): the inline scripts
 * carry paths, unit names and hashes only, never a secret. They never contain `${` or `%{`
 * themselves, so the only template expressions in them are the values a caller passes in (e.g.
 * the expected hash).
 */
import { createHash } from "node:crypto";
import { Diagnostic, errorAt, KeyPath, throwIfErrors } from "../registries/diagnostics";
import { checkPositiveInteger, checkRemotePath } from "./checks";

/** One uploaded file and where it goes. */
export interface StagedFile {
  /** Where the file was uploaded, inside the staging directory. */
  readonly stagedPath: string;
  /** The live file on the node; a symbolic link there is refused, never followed or replaced. */
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
  /** Installed in this order, as one transaction. */
  readonly files: readonly StagedFile[];
  /**
   * systemd unit restarted when a `restartOnChange` file changed. When the unit is not
   * installed yet (a node before its first start), the files are installed and nothing restarts.
   */
  readonly unit: string;
  /**
   * Units of the same distribution in the other roles. When `unit` is not installed but one of
   * these is, the node's role is wrong: the install fails ("unit not found") and changes nothing.
   * @default - none: a missing unit always means a node before its first start
   */
  readonly siblingUnits?: readonly string[];
  /** SSH user; anyone but root runs the privileged part through `sudo -n`. */
  readonly user: string;
  /** How long the unit may take to restart and become active before the rollback. */
  readonly restartTimeoutSeconds: number;
}

/** Quotes a value for sh: inside single quotes nothing is special except the quote itself. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Removes a leftover staging directory (an interrupted apply), then creates it private. Ours
 * when we own it; root removes any real directory there, since a leftover of an earlier run as
 * another SSH user may still hold credentials.
 */
export function prepareStagingScript(stagingDir: string): string[] {
  throwIfErrors(checkRemotePath(stagingDir, ["stagingDir"]));
  return [
    "set -eu",
    `hm_staging=${shellQuote(stagingDir)}`,
    // A symlink or a stranger's directory is never followed: mkdir then fails below.
    'if [ -d "$hm_staging" ] && [ ! -L "$hm_staging" ] && { [ -O "$hm_staging" ] || [ "$(id -u)" = 0 ]; }; then rm -rf "$hm_staging"; fi',
    'mkdir -m 0700 "$hm_staging" || { echo "harbor-mirror: cannot create the private staging directory $hm_staging (it may exist and belong to someone else)" >&2; exit 1; }',
  ];
}

/** Where the installer is uploaded, inside the staging directory. */
const INSTALLER_NAME = "install.sh";

export function installerPath(stagingDir: string): string {
  return `${stagingDir}/${INSTALLER_NAME}`;
}

/**
 * The per-node `inline` script: checks that the installer arrived whole, then runs it with this
 * node's values as arguments. The installer itself (`INSTALLER_SCRIPT`) is the same for every node,
 * so it is uploaded from one Terraform local instead of being repeated in every node's resource.
 * Its own trap removes the staging directory when the installer never runs (a truncated upload,
 * a refused sudo) or is killed; the installer removes it as root on every other path.
 */
export function installScript(options: InstallScriptOptions): string[] {
  throwIfErrors(checkInstallOptions(options));
  const installer = shellQuote(installerPath(options.stagingDir));
  const args = installerArguments(options).map(shellQuote).join(" ");
  // `sudo -n` never prompts: a missing NOPASSWD rule fails at once.
  const run = options.user === "root" ? "/bin/sh" : "sudo -n /bin/sh";
  return [
    "set -eu",
    `hm_staging=${shellQuote(options.stagingDir)}`,
    `trap 'rm -rf "$hm_staging"' EXIT`,
    "trap 'exit 1' HUP INT TERM",
    `[ "$(sha256sum < ${installer} | cut -d " " -f 1)" = ${shellQuote(INSTALLER_SHA256)} ] || ` +
      `{ echo "harbor-mirror: ${installer} is incomplete (interrupted upload); nothing was changed" >&2; exit 1; }`,
    `${run} ${installer} ${args}`,
  ];
}

/** Where `installerArguments` puts the restart timeout. */
const TIMEOUT_ARGUMENT = 3;

/**
 * Staging directory, unit, sibling units (comma-separated), timeout (TIMEOUT_ARGUMENT), then four
 * words per file: staged, target, sha256, restart|keep.
 */
function installerArguments(options: InstallScriptOptions): string[] {
  return [
    options.stagingDir,
    options.unit,
    (options.siblingUnits ?? []).join(","),
    String(options.restartTimeoutSeconds),
    ...options.files.flatMap((file) => [
      file.stagedPath,
      file.targetPath,
      file.sha256,
      file.restartOnChange ? "restart" : "keep",
    ]),
  ];
}

/**
 * The restart timeout an install script (`installScript`, as a synthesized stack holds it) passes
 * to the installer, or undefined when the text holds no installer call: the reading side of
 * `installerArguments`, for the review of a cdk.tf.json.
 */
export function restartTimeoutOfInstallScript(script: string): number | undefined {
  const call = new RegExp(`/${INSTALLER_NAME.replace(".", "[.]")}'((?: '[^']*')+)`).exec(script)?.[1];
  const words = [...(call ?? "").matchAll(/'([^']*)'/g)].map((match) => match[1]);
  const timeout = words[TIMEOUT_ARGUMENT];
  return timeout !== undefined && /^[0-9]+$/.test(timeout) ? Number(timeout) : undefined;
}

function checkInstallOptions(options: InstallScriptOptions): Diagnostic[] {
  return [
    ...checkRemotePath(options.stagingDir, ["stagingDir"]),
    ...checkUnitName(options.unit, ["unit"]),
    ...(options.siblingUnits ?? []).flatMap((unit, index) => checkUnitName(unit, ["siblingUnits", index])),
    ...options.files.flatMap((file, index) => [
      ...checkRemotePath(file.stagedPath, ["files", index, "stagedPath"]),
      ...checkRemotePath(file.targetPath, ["files", index, "targetPath"]),
      ...checkFilePlaces(options, index),
    ]),
    ...checkPositiveInteger(options.restartTimeoutSeconds, ["restartTimeoutSeconds"]),
  ];
}

/**
 * What the transaction relies on: every upload lies inside the staging directory (so the
 * cleanup removes it), no target does (the cleanup would delete it), and no two files share a
 * target (the second would replace the first, and the rollback could not restore both).
 */
function checkFilePlaces(options: InstallScriptOptions, index: number): Diagnostic[] {
  const file = options.files[index];
  const inStaging = (path: string) => path.startsWith(`${options.stagingDir}/`);
  const diagnostics: Diagnostic[] = [];
  if (!inStaging(file.stagedPath)) {
    diagnostics.push(
      errorAt(
        "install-upload-outside-staging",
        ["files", index, "stagedPath"],
        `${JSON.stringify(file.stagedPath)} is not allowed: uploads go inside the staging directory ${options.stagingDir}, which is removed after every run`,
      ),
    );
  }
  if (inStaging(file.targetPath) || file.targetPath === options.stagingDir) {
    diagnostics.push(
      errorAt(
        "install-target-in-staging",
        ["files", index, "targetPath"],
        `${JSON.stringify(file.targetPath)} is not allowed: it lies in the staging directory ${options.stagingDir}, which is removed after every run`,
      ),
    );
  }
  const first = options.files.findIndex((other) => other.targetPath === file.targetPath);
  if (first < index) {
    diagnostics.push(
      errorAt(
        "install-target-duplicate",
        ["files", index, "targetPath"],
        `${JSON.stringify(file.targetPath)} is not allowed: files[${first}] already goes there; every file of a node needs its own target`,
      ),
    );
  }
  return diagnostics;
}

/**
 * systemd's unit-name alphabet without its escape character "\" (the installer's echo would
 * read it) and without a leading "-" (it would read as an option).
 */
const UNIT_NAME_PATTERN = /^[A-Za-z0-9:_.@][A-Za-z0-9:_.@-]*$/;

function checkUnitName(value: string, path: KeyPath): Diagnostic[] {
  if (UNIT_NAME_PATTERN.test(value)) return [];
  return [
    errorAt(
      "unit-name-invalid",
      path,
      `${JSON.stringify(value)} is not allowed: expected a systemd unit name such as "rke2-server" (letters, digits, ":", "_", ".", "@", "-"; not starting with "-")`,
    ),
  ];
}

/** Suffix of the root-only copy of the previous file. */
export const BACKUP_SUFFIX = ".harbor-mirror.bak";

/** Lines of the unit's journal shown when the restart fails. */
const JOURNAL_LINES = 30;

/** Reads the arguments of `installerArguments`; the values are validated paths, unit names and hex digests. */
const PREAMBLE = [
  "set -eu",
  // Every file this script creates (temp files, hard links) starts out readable by root only.
  "umask 077",
  // Error texts are matched below ("No space left on device"), so they must not be translated.
  "LC_ALL=C",
  "export LC_ALL",
  "hm_staging=$1 hm_unit=$2 hm_siblings=$3 hm_timeout=$4",
  "shift 4",
  `hm_backup_suffix=${shellQuote(BACKUP_SUFFIX)}`,
  // Paths are validated ([A-Za-z0-9._/-] only), so these lists can be re-split on spaces below.
  'hm_files="$*"',
  // The transaction: "target temp old|new" per changed file, the targets renamed so far (with
  // old|new), the directories created (deepest first).
  "hm_plan='' hm_touched='' hm_dirs=''",
  "hm_restart_needed='' hm_first_boot='' hm_restarted='' hm_committed=''",
];

/**
 * One exit path: whatever ends the script before the commit (a failed check, a full disk, a
 * failed restart, a signal, a dropped connection) rolls every touched file back, and the
 * staging directory, which may hold credentials, is removed in every case.
 */
const EXIT_HANDLING = [
  'hm_fail() { echo "harbor-mirror: $*" >&2; exit 1; }',
  "hm_on_exit() {",
  "  hm_status=$?",
  "  set +e",
  // The cleanup must finish even when the SSH connection is gone (writes then fail, not kill).
  "  trap '' HUP INT TERM PIPE",
  '  if [ "$hm_status" -ne 0 ] && [ -z "$hm_committed" ]; then hm_rollback; fi',
  '  rm -rf "$hm_staging"',
  '  exit "$hm_status"',
  "}",
  "trap hm_on_exit EXIT",
  "trap 'exit 1' HUP INT TERM PIPE",
  '[ "$(id -u)" = 0 ] || hm_fail "must run as root, not as $(id -un)"',
];

/** Where the previous file is kept while the transaction is open: a hard link, so it costs no space. */
const PREVIOUS = ['hm_previous_of() { echo "$1.harbor-mirror.previous.$$"; }'];

/** Checks every target before anything is written: nothing below may meet a surprise. */
const CHECKS = [
  "hm_verify() {",
  '  hm_actual=$(sha256sum < "$1" | cut -d " " -f 1)',
  '  [ "$hm_actual" = "$2" ] || hm_fail "$1 has sha256 $hm_actual but $2 was uploaded: the upload is incomplete; $3 was left untouched"',
  "}",
  // A symlink is refused rather than followed: its target may lie outside the directories the
  // configuration allows, and replacing the link would silently cut whatever maintains it.
  "hm_check_target() {",
  '  if [ -L "$1" ]; then hm_fail "$1 is a symbolic link (to $(readlink "$1" || true)): refusing to replace or follow it; point the path at the real file or remove the link. Nothing was changed"; fi',
  '  if [ -e "$1" ] && [ ! -f "$1" ]; then hm_fail "$1 exists and is not a regular file (a directory?); nothing was changed"; fi',
  "}",
  // Changed files only, in order; an unchanged one is neither written nor a reason to restart.
  "hm_plan_file() {",
  '  if [ -f "$2" ] && cmp -s "$1" "$2"; then echo "harbor-mirror: $2 unchanged"; return 0; fi',
  '  if [ "$3" = restart ]; then hm_restart_needed=yes; fi',
  '  hm_changes="$hm_changes $1 $2 $4"',
  "}",
];

/**
 * Before the first write: is there a service manager to restart the unit with, and is the unit
 * installed? No unit at all is a node whose RKE2/K3s is not installed yet (first boot): the
 * files go in place and are read at its first start. No unit while the other role's unit is
 * installed means the node's role is wrong: nothing is changed then.
 */
const SERVICE_MANAGER = [
  "hm_check_service_manager() {",
  '  command -v systemctl > /dev/null 2>&1 || hm_fail "systemctl missing: $hm_unit is restarted through systemd, and this node has no systemctl on its PATH; nothing was changed"',
  '  hm_load=$(systemctl show -p LoadState --value "$hm_unit" 2>&1) || hm_fail "systemctl cannot query $hm_unit: $hm_load; nothing was changed"',
  '  [ "$hm_load" = not-found ] || return 0',
  "  for hm_sibling in $(echo \"$hm_siblings\" | tr , ' '); do",
  '    if [ "$(systemctl show -p LoadState --value "$hm_sibling" 2>/dev/null)" = loaded ]; then',
  '      hm_fail "unit not found: $hm_unit is not installed on this node, but $hm_sibling is: check the node\'s role; nothing was changed"',
  "    fi",
  "  done",
  "  hm_first_boot=yes",
  "}",
];

/** Every changed file is written and checked next to its target before any target is replaced. */
const STAGE = [
  // Missing parents are created 0755 (RKE2 creates /etc/rancher/rke2 so) and removed on rollback.
  "hm_make_dirs() {",
  "  hm_missing='' hm_dir=$1",
  '  while [ ! -d "$hm_dir" ]; do hm_missing="$hm_dir $hm_missing"; hm_dir=$(dirname "$hm_dir"); done',
  "  for hm_dir in $hm_missing; do",
  '    hm_out=$(mkdir -m 0755 "$hm_dir" 2>&1) || hm_write_failed "$hm_dir" "$hm_out"',
  '    hm_dirs="$hm_dir $hm_dirs"',
  "  done",
  "}",
  "hm_write_failed() {",
  '  case "$2" in',
  '    *"No space left"*|*"Disk quota exceeded"*|*"File too large"*)',
  '      hm_fail "disk full: cannot write $1 ($2; $(df -Pk "$(dirname "$1")" 2>/dev/null | awk \'NR == 2 { print $4 }\') KiB free there); no live file was changed" ;;',
  '    *) hm_fail "write error: cannot write $1 ($2); no live file was changed" ;;',
  "  esac",
  "}",
  // The temp file lies in the target's own directory, so the commit's mv is an atomic rename.
  "hm_stage() {",
  '  hm_make_dirs "$(dirname "$2")"',
  '  hm_out=$(mktemp "$2.harbor-mirror.XXXXXX" 2>&1) || hm_write_failed "$2" "$hm_out"',
  "  hm_tmp=$hm_out",
  '  if [ -f "$2" ]; then hm_plan="$hm_plan $2 $hm_tmp old"; else hm_plan="$hm_plan $2 $hm_tmp new"; fi',
  '  hm_out=$(cat "$1" 2>&1 > "$hm_tmp") || hm_write_failed "$2" "$hm_out"',
  '  hm_out=$(chmod 0600 "$hm_tmp" 2>&1 && chown root:root "$hm_tmp" 2>&1) || hm_write_failed "$2" "$hm_out"',
  '  hm_actual=$(sha256sum < "$hm_tmp" | cut -d " " -f 1)',
  '  [ "$hm_actual" = "$3" ] || hm_fail "write error: $hm_tmp does not hold what was uploaded for $2; no live file was changed"',
  "}",
];

/**
 * The commit renames the temp files over their targets, keeping each previous file as a hard
 * link; the rollback puts those links back (same inode: content, mode and owner as before) and
 * removes what did not exist before.
 */
const COMMIT_AND_ROLLBACK = [
  "hm_commit() {",
  "  set -- $hm_plan",
  "  while [ $# -gt 0 ]; do",
  '    hm_touched="$hm_touched $1 $3"',
  '    if [ "$3" = old ]; then rm -f "$(hm_previous_of "$1")"; ln "$1" "$(hm_previous_of "$1")" || hm_fail "cannot keep the previous $1"; fi',
  '    mv -f "$2" "$1" || hm_fail "cannot rename $2 to $1"',
  '    echo "harbor-mirror: installed $1"',
  "    shift 3",
  "  done",
  "}",
  "hm_rollback() {",
  "  set -- $hm_touched",
  "  while [ $# -gt 0 ]; do",
  // A previous link to the very inode still live (mv never happened) makes mv a no-op: rm it.
  '    if [ "$2" = new ]; then rm -f "$1"; elif [ -f "$(hm_previous_of "$1")" ]; then mv -f "$(hm_previous_of "$1")" "$1"; fi',
  '    rm -f "$(hm_previous_of "$1")"',
  '    echo "harbor-mirror: restored the previous state of $1" >&2',
  "    shift 2",
  "  done",
  "  set -- $hm_plan",
  '  while [ $# -gt 0 ]; do rm -f "$2"; shift 3; done',
  '  for hm_dir in $hm_dirs; do rmdir "$hm_dir" 2>/dev/null; done',
  "  hm_touched='' hm_plan='' hm_dirs=''",
  '  if [ -n "$hm_restarted" ]; then',
  '    if hm_restart_unit; then echo "harbor-mirror: $hm_unit is active again with the previous files" >&2;',
  '    else echo "harbor-mirror: $hm_unit is not active after the rollback either" >&2; fi',
  "  fi",
  "}",
  // After success the previous files become the root-only backups; a failure here changes nothing.
  "hm_keep_backups() {",
  "  set -- $hm_touched",
  "  while [ $# -gt 0 ]; do",
  '    if [ "$2" = new ]; then rm -f "$1$hm_backup_suffix";',
  '    else mv -f "$(hm_previous_of "$1")" "$1$hm_backup_suffix" && chmod 0600 "$1$hm_backup_suffix" || echo "harbor-mirror: warning: no backup of the previous $1" >&2; fi',
  "    shift 2",
  "  done",
  "}",
];

/** Restarting and becoming active share one deadline; `timeout`, as a restart can block forever. */
const RESTART = [
  "hm_wait_active() {",
  '  until systemctl is-active --quiet "$hm_unit"; do',
  '    [ "$(date +%s)" -lt "$hm_deadline" ] || { hm_why="not active within $hm_timeout s"; return 1; }',
  "    sleep 1",
  "  done",
  "}",
  "hm_restart_unit() {",
  "  hm_restarted=yes",
  "  hm_deadline=$(( $(date +%s) + hm_timeout ))",
  "  hm_code=0",
  '  hm_out=$(timeout "$hm_timeout" systemctl restart "$hm_unit" 2>&1) || hm_code=$?',
  // 124: `timeout` stopped it (a Type=notify unit such as rke2-server blocks until it is ready).
  '  if [ "$hm_code" -eq 124 ]; then hm_why="systemctl restart did not return within $hm_timeout s"; return 1; fi',
  '  if [ "$hm_code" -ne 0 ]; then hm_why="systemctl restart failed: $hm_out"; return 1; fi',
  "  hm_wait_active",
  "}",
  "hm_show_journal() {",
  `  if command -v journalctl > /dev/null 2>&1; then journalctl -u "$hm_unit" -n ${JOURNAL_LINES} --no-pager >&2 || true; fi`,
  "}",
];

/** Verify all, plan, check the service manager, stage all, commit, restart or roll back. */
const MAIN = [
  '[ $(( $# % 4 )) -eq 0 ] || hm_fail "expected four arguments per file, got $#"',
  "set -- $hm_files",
  'while [ $# -gt 0 ]; do hm_verify "$1" "$3" "$2"; hm_check_target "$2"; shift 4; done',
  "hm_changes=''",
  "set -- $hm_files",
  'while [ $# -gt 0 ]; do hm_plan_file "$1" "$2" "$4" "$3"; shift 4; done',
  'if [ -z "$hm_changes" ]; then echo "harbor-mirror: $hm_unit not restarted (no file changed)"; exit 0; fi',
  'if [ -n "$hm_restart_needed" ]; then hm_check_service_manager; fi',
  "set -- $hm_changes",
  'while [ $# -gt 0 ]; do hm_stage "$1" "$2" "$3"; shift 3; done',
  "hm_commit",
  'if [ -z "$hm_restart_needed" ]; then',
  '  hm_committed=yes; hm_keep_backups; echo "harbor-mirror: $hm_unit not restarted (no changed file needs it)"; exit 0',
  "fi",
  'if [ -n "$hm_first_boot" ]; then',
  "  hm_committed=yes; hm_keep_backups",
  '  echo "harbor-mirror: $hm_unit is not installed yet: nothing restarted; RKE2/K3s reads the files when $hm_unit first starts"',
  "  exit 0",
  "fi",
  'echo "harbor-mirror: restarting $hm_unit"',
  'if hm_restart_unit; then hm_committed=yes; hm_keep_backups; echo "harbor-mirror: $hm_unit is active"; exit 0; fi',
  'echo "harbor-mirror: $hm_unit did not become active ($hm_why); rolling back" >&2',
  "hm_show_journal",
  "exit 1",
];

/**
 * The installer every node runs as root: one transaction over all files of the node.
 * Arguments: see `installerArguments`. It holds no `${` or `%{`, so Terraform templates keep it as is.
 */
export const INSTALLER_SCRIPT = [
  ...PREAMBLE,
  ...EXIT_HANDLING,
  ...PREVIOUS,
  ...CHECKS,
  ...SERVICE_MANAGER,
  ...STAGE,
  ...COMMIT_AND_ROLLBACK,
  ...RESTART,
  ...MAIN,
  "",
].join("\n");

/** Checked on the node before the installer runs: an interrupted upload must not run half a script. */
export const INSTALLER_SHA256 = createHash("sha256").update(INSTALLER_SCRIPT).digest("hex");
