/**
 * A test double for the node's service manager (`systemctl`, `journalctl`): the one boundary the
 * delivery tests cannot run here, since there is no systemd and no RKE2 in a test container.
 * Placed first in PATH, it records every call and can be told to make restarts fail, to act as
 * if a unit were not installed, or (through `withoutServiceManagerPath`) to be absent entirely.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

export interface ServiceManagerDouble {
  /** Directory holding `systemctl` and `journalctl`; put it first in PATH. */
  readonly binDir: string;
  /** Every call so far, e.g. `systemctl restart rke2-server`, in order. */
  calls(): string[];
  /** The next `count` restarts of `unit` fail: `systemctl restart` exits 1 and the unit stays failed. */
  failRestarts(unit: string, count: number): void;
  /** The next `count` restarts of `unit` succeed but the unit never becomes active (a hang). */
  hangRestarts(unit: string, count: number): void;
  /** The next `count` restarts of `unit` block for a minute, as a Type=notify unit that never gets ready. */
  blockRestarts(unit: string, count: number): void;
  /** `unit` has no unit file from now on (RKE2/K3s not installed yet), as systemd reports it. */
  uninstallUnit(unit: string): void;
  /** Undoes `uninstallUnit`; every unit is installed at first. */
  installUnit(unit: string): void;
}

/** Last lines the fake journal prints, so tests can check the script shows them. */
export const FAKE_JOURNAL_LINE = 'level=fatal msg="fake journal: unit failed to start"';

/** The directories a node's PATH holds, in order. */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * State lives in files (one per unit) because the double runs in separate processes, possibly
 * as another user through sudo or sshd; `dir` is made world-writable for that reason.
 */
export function createServiceManagerDouble(dir: string): ServiceManagerDouble {
  const binDir = join(dir, "bin");
  const stateDir = join(dir, "state");
  mkdirSync(binDir, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  chmodSync(stateDir, 0o777);
  const log = join(stateDir, "calls.log");
  writeFileSync(log, "");
  chmodSync(log, 0o666);
  writeExecutable(join(binDir, "systemctl"), systemctlScript(stateDir, log));
  writeExecutable(join(binDir, "journalctl"), journalctlScript(log));
  const setCounter = (name: string, unit: string, count: number) =>
    writeFileSync(join(stateDir, `${name}-${unit}`), String(count));
  return {
    binDir,
    calls: () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []),
    failRestarts: (unit, count) => setCounter("fail", unit, count),
    hangRestarts: (unit, count) => setCounter("hang", unit, count),
    blockRestarts: (unit, count) => setCounter("block", unit, count),
    uninstallUnit: (unit) => writeFileSync(join(stateDir, `absent-${unit}`), ""),
    installUnit: (unit) => rmSync(join(stateDir, `absent-${unit}`), { force: true }),
  };
}

/**
 * A PATH for a node without systemd: a directory linking every command of `SYSTEM_PATH` except
 * `systemctl` and `journalctl` (this test machine has them, a node without systemd does not).
 */
export function withoutServiceManagerPath(dir: string): string {
  const binDir = join(dir, "no-systemd-bin");
  if (existsSync(binDir)) return binDir;
  mkdirSync(binDir, { recursive: true });
  const linked = new Set(["systemctl", "journalctl"]);
  for (const systemDir of SYSTEM_PATH.split(":").filter(existsSync)) {
    for (const name of readdirSync(systemDir)) {
      if (linked.has(name)) continue;
      linked.add(name);
      symlinkSync(join(systemDir, name), join(binDir, name));
    }
  }
  return binDir;
}

function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/**
 * `restart` consumes a fail/hang/block counter; `is-active` reports the state the last restart left;
 * `show -p LoadState --value` and a restart of an uninstalled unit answer as systemd does.
 */
function systemctlScript(stateDir: string, log: string): string {
  return `#!/bin/sh
echo "systemctl $*" >> '${log}'
verb=$1; shift
for unit; do :; done
state='${stateDir}'/"state-$unit"
installed() { [ ! -e '${stateDir}'/"absent-$unit" ]; }
take() { n=$(cat '${stateDir}'/"$1-$unit" 2>/dev/null || echo 0); [ "$n" -gt 0 ] || return 1; echo $((n - 1)) > '${stateDir}'/"$1-$unit"; }
case "$verb" in
  restart)
    if ! installed; then echo "Failed to restart $unit.service: Unit $unit.service not found." >&2; exit 5; fi
    if take fail; then echo failed > "$state"; echo "Job for $unit.service failed." >&2; exit 1; fi
    if take hang; then echo activating > "$state"; exit 0; fi
    # exec: the process a timeout stops is the one holding the output pipe.
    if take block; then echo activating > "$state"; exec sleep 60; fi
    echo active > "$state"; exit 0 ;;
  is-active)
    installed && [ "$(cat "$state" 2>/dev/null)" = active ] && exit 0; exit 3 ;;
  show)
    [ "$*" = "-p LoadState --value $unit" ] || { echo "systemctl double: unsupported call: show $*" >&2; exit 2; }
    if installed; then echo loaded; else echo not-found; fi ;;
  *) echo "systemctl double: unsupported call: $verb $*" >&2; exit 2 ;;
esac
`;
}

function journalctlScript(log: string): string {
  return `#!/bin/sh
echo "journalctl $*" >> '${log}'
echo '${FAKE_JOURNAL_LINE}'
`;
}
