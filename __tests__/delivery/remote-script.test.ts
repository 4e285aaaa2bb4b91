/**
 * The install script run FOR REAL under dash (/bin/sh) and bash against a sandbox directory.
 * Only the node's service manager is a test double (`systemctl`/`journalctl` first in PATH):
 * there is no systemd and no RKE2 in a test container. Rules: prior-art.md "Combined delivery
 * recipe", rke2-registries.md §1 (0600 root:root) and §6 (restart on change).
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ValidationError } from "../../registries/diagnostics";
import {
  BACKUP_SUFFIX,
  INSTALLER_SCRIPT,
  installerPath,
  installScript,
  InstallScriptOptions,
  prepareStagingScript,
  restartTimeoutOfInstallScript,
  shellQuote,
} from "../../delivery/remote-script";
import { fullDiskBlocker, mountSmallFilesystem } from "../../testing/full-disk";
import {
  createServiceManagerDouble,
  FAKE_JOURNAL_LINE,
  ServiceManagerDouble,
  withoutServiceManagerPath,
} from "../../testing/service-manager-double";

const SHELLS = ["/bin/sh", "/bin/bash"] as const;
const UNIT = "rke2-server";
const OLD = "mirrors: {}\n";
const NEW = 'mirrors:\n  docker.io:\n    endpoint: ["https://harbor.example"]\n';
/** Everything a shell or a Terraform template could misread, plus non-ASCII. */
const TRICKY = `a: "\${1} %{x} $1 $$ $$\{y}"\nb: 'single' "double" \\back\\slash\\n\nc: grüße ✓ 日本\n\n`;

const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

interface Sandbox {
  readonly root: string;
  readonly staging: string;
  /** The directory of the node's files, as /etc/rancher/rke2. */
  readonly etc: string;
  readonly target: string;
  readonly double: ServiceManagerDouble;
}

function createSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), "hm-script-"));
  const etc = join(root, "etc", "rancher", "rke2");
  return {
    root,
    staging: join(root, "staging"),
    etc,
    target: join(etc, "registries.yaml"),
    double: createServiceManagerDouble(join(root, "double")),
  };
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Like Terraform's remote-exec: the lines joined with "\n" into one script file, run by the shell. */
function runScript(
  shell: string,
  lines: readonly string[],
  double: ServiceManagerDouble,
  options: { runAs?: string; path?: string } = {},
): Run {
  const scriptFile = join(mkdtempSync(join(tmpdir(), "hm-run-")), "script.sh");
  writeFileSync(scriptFile, lines.join("\n"), { mode: 0o755 });
  chmodSync(dirname(scriptFile), 0o755);
  const command = options.runAs
    ? ["runuser", "-u", options.runAs, "--", shell, scriptFile]
    : [shell, scriptFile];
  const result = spawnSync(command[0], command.slice(1), {
    encoding: "utf8",
    env: { ...process.env, PATH: options.path ?? `${double.binDir}:${process.env.PATH}` },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** One file of a node: its name under the sandbox's etc directory and what is uploaded. */
interface NodeFile {
  readonly name: string;
  readonly upload: string;
  /** @default true */
  readonly restartOnChange?: boolean;
  /** @default - the upload's own hash */
  readonly expectedHash?: string;
}

const registries = (upload: string, expectedHash?: string): NodeFile => ({
  name: "registries.yaml",
  upload,
  expectedHash,
});
const caFile = (upload: string): NodeFile => ({ name: "harbor-ca.pem", upload, restartOnChange: false });

/** Stages the files (as if uploaded) and runs the install script over them, in order. */
function install(
  shell: string,
  box: Sandbox,
  files: readonly NodeFile[],
  options: { siblingUnits?: string[]; path?: string } = {},
): Run {
  mkdirSync(box.staging, { mode: 0o700, recursive: true });
  for (const file of files) writeFileSync(join(box.staging, file.name), file.upload);
  writeFileSync(installerPath(box.staging), INSTALLER_SCRIPT);
  const lines = installScript({
    stagingDir: box.staging,
    unit: UNIT,
    siblingUnits: options.siblingUnits,
    user: "root",
    restartTimeoutSeconds: 3,
    files: files.map((file) => ({
      stagedPath: join(box.staging, file.name),
      targetPath: join(box.etc, file.name),
      sha256: file.expectedHash ?? sha256(file.upload),
      restartOnChange: file.restartOnChange ?? true,
    })),
  });
  return runScript(shell, lines, box.double, { path: options.path });
}

function writeLive(box: Sandbox, text: string, name = "registries.yaml"): void {
  mkdirSync(box.etc, { recursive: true });
  writeFileSync(join(box.etc, name), text, { mode: 0o644 });
}

const modeOf = (path: string) => statSync(path).mode & 0o777;
const restarts = (box: Sandbox) => box.double.calls().filter((call) => call.startsWith("systemctl restart"));

/** The one message of each failure class; each fault must show its own and none of the others. */
const FAILURE_CLASSES = {
  unitNotFound: "unit not found",
  systemctlMissing: "systemctl missing",
  diskFull: "disk full",
  notActive: "did not become active",
} as const;

interface Case {
  readonly name: string;
  /** Live files before, by name. */
  readonly live?: Readonly<Record<string, string>>;
  readonly files: readonly NodeFile[];
  readonly prepare?: (box: Sandbox) => void;
  readonly siblingUnits?: string[];
  readonly withoutSystemd?: boolean;
  readonly exitsZero: boolean;
  /** Live files afterwards, by name; `null` = absent. */
  readonly liveAfter: Readonly<Record<string, string | null>>;
  readonly restartCount: number;
  /** Backups afterwards, by name; `null` = none. */
  readonly backups?: Readonly<Record<string, string | null>>;
  readonly outputIncludes?: string[];
  readonly failureClass?: keyof typeof FAILURE_CLASSES;
  readonly journalShown?: boolean;
  /** Further checks of the node afterwards. */
  readonly check?: (box: Sandbox) => void;
}

const CASES: readonly Case[] = [
  {
    name: "first install writes the file and restarts the unit (§6)",
    files: [registries(NEW)],
    prepare: (box) => mkdirSync(box.etc, { recursive: true }),
    exitsZero: true,
    liveAfter: { "registries.yaml": NEW },
    restartCount: 1,
    backups: { "registries.yaml": null },
  },
  {
    name: "missing directory is created 0755 (§1: /etc/rancher/rke2)",
    files: [registries(NEW)],
    exitsZero: true,
    liveAfter: { "registries.yaml": NEW },
    restartCount: 1,
  },
  {
    name: "unchanged file: nothing written, no restart (recipe: restart only on a difference)",
    live: { "registries.yaml": NEW },
    files: [registries(NEW)],
    exitsZero: true,
    liveAfter: { "registries.yaml": NEW },
    restartCount: 0,
    backups: { "registries.yaml": null },
  },
  {
    name: "changed file: replaced, previous kept as a root-only backup, restarted (recipe)",
    live: { "registries.yaml": OLD },
    files: [registries(NEW)],
    exitsZero: true,
    liveAfter: { "registries.yaml": NEW },
    restartCount: 1,
    backups: { "registries.yaml": OLD },
  },
  {
    name: "restart failure: previous file restored as it was, restarted again, journal shown, non-zero (recipe: rollback)",
    live: { "registries.yaml": OLD },
    files: [registries(NEW)],
    prepare: (box) => box.double.failRestarts(UNIT, 1),
    exitsZero: false,
    liveAfter: { "registries.yaml": OLD },
    restartCount: 2,
    backups: { "registries.yaml": null },
    outputIncludes: ["rolling back", "restored the previous state", "Job for rke2-server.service failed."],
    failureClass: "notActive",
    journalShown: true,
  },
  {
    name: "unit never active within the timeout: rolled back like a failed restart (recipe: NRI start.sh)",
    live: { "registries.yaml": OLD },
    files: [registries(NEW)],
    prepare: (box) => box.double.hangRestarts(UNIT, 1),
    exitsZero: false,
    liveAfter: { "registries.yaml": OLD },
    restartCount: 2,
    outputIncludes: ["not active within 3 s", "is active again with the previous files"],
    failureClass: "notActive",
    journalShown: true,
  },
  {
    name: "a restart that blocks past the timeout (Type=notify never ready): stopped, rolled back",
    live: { "registries.yaml": OLD },
    files: [registries(NEW)],
    prepare: (box) => box.double.blockRestarts(UNIT, 1),
    exitsZero: false,
    liveAfter: { "registries.yaml": OLD },
    restartCount: 2,
    outputIncludes: [
      "systemctl restart did not return within 3 s",
      "is active again with the previous files",
    ],
    failureClass: "notActive",
    journalShown: true,
  },
  {
    name: "first-install failure: the new file and the directories created for it are removed again",
    files: [registries(NEW)],
    prepare: (box) => box.double.failRestarts(UNIT, 1),
    exitsZero: false,
    liveAfter: { "registries.yaml": null },
    restartCount: 2,
    failureClass: "notActive",
    journalShown: true,
  },
  {
    name: "staged hash mismatch (interrupted upload): live file untouched, no restart",
    live: { "registries.yaml": OLD },
    files: [registries(NEW.slice(0, 10), sha256(NEW))],
    exitsZero: false,
    liveAfter: { "registries.yaml": OLD },
    restartCount: 0,
    outputIncludes: ["upload is incomplete", "was left untouched"],
  },
  {
    name: "content with ${ %{ $1 $$ quotes backslashes newlines non-ASCII arrives byte-exact",
    live: { "registries.yaml": OLD },
    files: [registries(TRICKY)],
    exitsZero: true,
    liveAfter: { "registries.yaml": TRICKY },
    restartCount: 1,
    backups: { "registries.yaml": OLD },
  },
  {
    name: "transaction: a failed restart restores the changed CA too (both files as before)",
    live: { "registries.yaml": OLD, "harbor-ca.pem": "OLD CA\n" },
    files: [caFile("NEW CA\n"), registries(NEW)],
    prepare: (box) => box.double.failRestarts(UNIT, 1),
    exitsZero: false,
    liveAfter: { "registries.yaml": OLD, "harbor-ca.pem": "OLD CA\n" },
    restartCount: 2,
    backups: { "registries.yaml": null, "harbor-ca.pem": null },
    failureClass: "notActive",
    journalShown: true,
  },
  {
    name: "transaction: a failed restart removes a CA that did not exist before",
    live: { "registries.yaml": OLD },
    files: [caFile("NEW CA\n"), registries(NEW)],
    prepare: (box) => box.double.failRestarts(UNIT, 1),
    exitsZero: false,
    liveAfter: { "registries.yaml": OLD, "harbor-ca.pem": null },
    restartCount: 2,
    failureClass: "notActive",
  },
  {
    name: "transaction: a bad upload of the second file changes neither (all verified before any write)",
    live: { "registries.yaml": OLD, "harbor-ca.pem": "OLD CA\n" },
    files: [caFile("NEW CA\n"), registries(NEW.slice(0, 10), sha256(NEW))],
    exitsZero: false,
    liveAfter: { "registries.yaml": OLD, "harbor-ca.pem": "OLD CA\n" },
    restartCount: 0,
    outputIncludes: ["upload is incomplete"],
  },
  {
    name: "a change to files that need no restart only: installed, nothing restarted",
    live: { "registries.yaml": NEW, "harbor-ca.pem": "OLD CA\n" },
    files: [caFile("NEW CA\n"), registries(NEW)],
    exitsZero: true,
    liveAfter: { "registries.yaml": NEW, "harbor-ca.pem": "NEW CA\n" },
    restartCount: 0,
    backups: { "harbor-ca.pem": "OLD CA\n" },
    outputIncludes: ["not restarted (no changed file needs it)"],
  },
  {
    name: "a symlinked live file is refused, not followed: link and its target unchanged, no restart",
    files: [registries(NEW)],
    prepare: (box) => {
      mkdirSync(box.etc, { recursive: true });
      writeFileSync(join(box.root, "managed.yaml"), OLD);
      symlinkSync(join(box.root, "managed.yaml"), box.target);
    },
    exitsZero: false,
    liveAfter: {},
    check: (box) => {
      expect(readlinkSync(box.target)).toBe(join(box.root, "managed.yaml"));
      expect(readFileSync(join(box.root, "managed.yaml"), "utf8")).toBe(OLD);
    },
    restartCount: 0,
    outputIncludes: ["is a symbolic link (to ", "refusing to replace or follow it", "Nothing was changed"],
  },
  {
    name: "unit not installed yet (first boot): files installed, nothing restarted, success",
    live: { "registries.yaml": OLD },
    files: [caFile("NEW CA\n"), registries(NEW)],
    prepare: (box) => ["rke2-server", "rke2-agent"].forEach((unit) => box.double.uninstallUnit(unit)),
    siblingUnits: ["rke2-agent"],
    exitsZero: true,
    liveAfter: { "registries.yaml": NEW, "harbor-ca.pem": "NEW CA\n" },
    restartCount: 0,
    backups: { "registries.yaml": OLD },
    outputIncludes: ["rke2-server is not installed yet", "reads the files when rke2-server first starts"],
  },
  {
    name: "unit not found while the other role's unit is installed: wrong role, nothing changed",
    live: { "registries.yaml": OLD },
    files: [caFile("NEW CA\n"), registries(NEW)],
    prepare: (box) => box.double.uninstallUnit(UNIT),
    siblingUnits: ["rke2-agent"],
    exitsZero: false,
    liveAfter: { "registries.yaml": OLD, "harbor-ca.pem": null },
    restartCount: 0,
    outputIncludes: ["rke2-server is not installed on this node, but rke2-agent is"],
    failureClass: "unitNotFound",
  },
  {
    name: "systemctl missing: nothing changed, told why",
    live: { "registries.yaml": OLD },
    files: [caFile("NEW CA\n"), registries(NEW)],
    withoutSystemd: true,
    exitsZero: false,
    liveAfter: { "registries.yaml": OLD, "harbor-ca.pem": null },
    restartCount: 0,
    failureClass: "systemctlMissing",
  },
  {
    name: "systemctl missing but no changed file needs a restart: installed",
    live: { "registries.yaml": NEW },
    files: [caFile("NEW CA\n"), registries(NEW)],
    withoutSystemd: true,
    exitsZero: true,
    liveAfter: { "registries.yaml": NEW, "harbor-ca.pem": "NEW CA\n" },
    restartCount: 0,
  },
];

describe.each(SHELLS)("install script under %s", (shell) => {
  let box: Sandbox;
  beforeEach(() => {
    box = createSandbox();
  });
  afterEach(() => rmSync(box.root, { recursive: true, force: true }));

  test.each(CASES)("$name", (testCase) => {
    for (const [name, text] of Object.entries(testCase.live ?? {})) writeLive(box, text, name);
    testCase.prepare?.(box);
    const inodesBefore = inodesOf(box, Object.keys(testCase.live ?? {}));

    const run = install(shell, box, testCase.files, {
      siblingUnits: testCase.siblingUnits,
      path: testCase.withoutSystemd ? withoutServiceManagerPath(box.root) : undefined,
    });

    const output = run.stdout + run.stderr;
    expect({ status: run.status === 0, output }).toEqual({ status: testCase.exitsZero, output });
    for (const [name, after] of Object.entries(testCase.liveAfter)) {
      const path = join(box.etc, name);
      if (after === null) {
        expect(existsSync(path)).toBe(false);
      } else if (after === testCase.live?.[name] && testCase.exitsZero === false) {
        // Rolled back or never touched: the very file that was there, mode and owner included.
        expect({ name, text: readFileSync(path, "utf8"), inode: statSync(path).ino }).toEqual({
          name,
          text: after,
          inode: inodesBefore.get(name) ?? statSync(path).ino,
        });
      } else {
        expect(readFileSync(path)).toEqual(Buffer.from(after));
        if (after !== testCase.live?.[name]) expectRootOnly(path);
      }
    }
    testCase.check?.(box);
    expect(restarts(box)).toHaveLength(testCase.restartCount);
    for (const [name, backup] of Object.entries(testCase.backups ?? {})) {
      const path = join(box.etc, name) + BACKUP_SUFFIX;
      if (backup === null) {
        expect(existsSync(path)).toBe(false);
      } else {
        expect(readFileSync(path, "utf8")).toBe(backup);
        expectRootOnly(path);
      }
    }
    for (const text of testCase.outputIncludes ?? []) expect(output).toContain(text);
    for (const [failureClass, message] of Object.entries(FAILURE_CLASSES)) {
      expect({ failureClass, shown: output.includes(message) }).toEqual({
        failureClass,
        shown: failureClass === testCase.failureClass,
      });
    }
    if (testCase.journalShown) {
      expect(box.double.calls()).toContain(`journalctl -u ${UNIT} -n 30 --no-pager`);
      expect(run.stderr).toContain(FAKE_JOURNAL_LINE);
    }
    // Staged copies may hold credentials: gone whatever happened.
    expect(existsSync(box.staging)).toBe(false);
    expect(leftoverTempFiles(box)).toEqual([]);
  });

  test("a created directory gets 0755 and the file 0600 root:root", () => {
    install(shell, box, [registries(NEW)]);
    expect(modeOf(box.etc)).toBe(0o755);
    expectRootOnly(box.target);
  });

  test("a failed first install removes the directories it created, and only those", () => {
    mkdirSync(join(box.root, "etc"));
    box.double.failRestarts(UNIT, 1);
    expect(install(shell, box, [registries(NEW)]).status).not.toBe(0);
    expect(readdirSync(join(box.root, "etc"))).toEqual([]);
  });

  test("an installer cut short by an interrupted upload is refused before it runs: nothing changes, staging removed", () => {
    writeLive(box, OLD);
    mkdirSync(box.staging, { mode: 0o700 });
    writeFileSync(join(box.staging, "registries.yaml"), NEW);
    writeFileSync(installerPath(box.staging), INSTALLER_SCRIPT.slice(0, INSTALLER_SCRIPT.length / 2));
    const run = runScript(
      shell,
      installScript({
        stagingDir: box.staging,
        unit: UNIT,
        user: "root",
        restartTimeoutSeconds: 3,
        files: [
          {
            stagedPath: join(box.staging, "registries.yaml"),
            targetPath: box.target,
            sha256: sha256(NEW),
            restartOnChange: true,
          },
        ],
      }),
      box.double,
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("is incomplete (interrupted upload); nothing was changed");
    expect(readFileSync(box.target, "utf8")).toBe(OLD);
    expect(restarts(box)).toEqual([]);
    expect(existsSync(box.staging)).toBe(false);
  });

  test("a signal during the restart rolls every file back and removes the staging directory", async () => {
    writeLive(box, OLD);
    writeLive(box, "OLD CA\n", "harbor-ca.pem");
    box.double.hangRestarts(UNIT, 1);
    mkdirSync(box.staging, { mode: 0o700 });
    writeFileSync(join(box.staging, "registries.yaml"), NEW);
    writeFileSync(join(box.staging, "harbor-ca.pem"), "NEW CA\n");
    writeFileSync(installerPath(box.staging), INSTALLER_SCRIPT);
    const lines = installScript({
      stagingDir: box.staging,
      unit: UNIT,
      user: "root",
      restartTimeoutSeconds: 60,
      files: [caFile("NEW CA\n"), registries(NEW)].map((file) => ({
        stagedPath: join(box.staging, file.name),
        targetPath: join(box.etc, file.name),
        sha256: sha256(file.upload),
        restartOnChange: file.restartOnChange ?? true,
      })),
    });
    const scriptFile = join(box.root, "script.sh");
    writeFileSync(scriptFile, lines.join("\n"));
    const child = spawn(shell, [scriptFile], {
      env: { ...process.env, PATH: `${box.double.binDir}:${process.env.PATH}` },
      detached: true,
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    await waitUntil(() => output.includes("restarting"));
    // The installer is the inline script's child: signal the whole group, as a dropped session does.
    process.kill(-child.pid!, "SIGTERM");
    await new Promise((resolve) => child.on("close", resolve));
    expect(readFileSync(box.target, "utf8")).toBe(OLD);
    expect(readFileSync(join(box.etc, "harbor-ca.pem"), "utf8")).toBe("OLD CA\n");
    expect(existsSync(box.staging)).toBe(false);
    expect(leftoverTempFiles(box)).toEqual([]);
  });

  test("the staging script removes our own leftover directory and recreates it private", () => {
    mkdirSync(join(box.staging, "old"), { recursive: true });
    const run = runScript(shell, prepareStagingScript(box.staging), box.double);
    expect(run.status).toBe(0);
    expect(existsSync(join(box.staging, "old"))).toBe(false);
    expect(modeOf(box.staging)).toBe(0o700);
  });
});

const diskFull = fullDiskBlocker();
(diskFull ? describe.skip : describe)(
  diskFull ? `a full disk (SKIPPED: ${diskFull})` : "a full disk (a small tmpfs filled to the last page)",
  () => {
    test.each(SHELLS)(
      "under %s: disk full is named as such, no live file changed, temps removed",
      (shell) => {
        const box = createSandbox();
        const disk = mountSmallFilesystem(box.etc, 64);
        try {
          writeLive(box, OLD);
          writeLive(box, "OLD CA\n", "harbor-ca.pem");
          // One page left: the CA's temp file fits, the registries file's does not.
          disk.fill(1);
          const big = `${NEW}${"# more than one page\n".repeat(1_000)}`;
          const run = install(shell, box, [caFile("NEW CA\n"), registries(big)]);
          expect(run.status).not.toBe(0);
          expect(run.stderr).toContain(`disk full: cannot write ${box.target} (`);
          expect(run.stderr).toContain("No space left on device");
          expect(readFileSync(box.target, "utf8")).toBe(OLD);
          expect(readFileSync(join(box.etc, "harbor-ca.pem"), "utf8")).toBe("OLD CA\n");
          expect(restarts(box)).toEqual([]);
          expect(leftoverTempFiles(box)).toEqual([]);
          expect(existsSync(box.staging)).toBe(false);
        } finally {
          disk.unmount();
          rmSync(box.root, { recursive: true, force: true });
        }
      },
    );
  },
);

function inodesOf(box: Sandbox, names: readonly string[]): Map<string, number> {
  return new Map(names.map((name) => [name, statSync(join(box.etc, name)).ino]));
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("condition not reached within 10 s");
}

function expectRootOnly(path: string): void {
  const stat = statSync(path);
  expect({ mode: (stat.mode & 0o777).toString(8), uid: stat.uid, gid: stat.gid }).toEqual({
    mode: "600",
    uid: 0,
    gid: 0,
  });
}

/** Temp files and previous-file links of the installer left next to the targets. */
function leftoverTempFiles(box: Sandbox): string[] {
  if (!existsSync(box.etc)) return [];
  return readdirSync(box.etc).filter(
    (name) => name.includes(".harbor-mirror.") && !name.endsWith(BACKUP_SUFFIX),
  );
}

describe("values embedded in the script", () => {
  test("shellQuote survives every byte a shell could misread", () => {
    const value = `it's $HOME \`id\` "x" \\ \n ${"${1}"} %{y} ü`;
    const run = spawnSync("/bin/sh", ["-c", `printf '%s' ${shellQuote(value)}`], { encoding: "utf8" });
    expect(run.stdout).toBe(value);
  });

  const file = (stagedPath: string, targetPath: string) => ({
    stagedPath,
    targetPath,
    sha256: "0",
    restartOnChange: true,
  });
  /** The install script of node n1 with `override`; a bad value must throw before any line exists. */
  const buildWith = (override: Partial<InstallScriptOptions>) => () =>
    installScript({
      stagingDir: "/tmp/harbor-mirror-n1",
      unit: UNIT,
      user: "root",
      restartTimeoutSeconds: 120,
      files: [],
      ...override,
    });

  test.each([
    ["relative path", "etc/rancher/rke2/registries.yaml"],
    ["space", "/etc/rancher/my dir/registries.yaml"],
    ["shell metacharacter", "/etc/rancher/$(reboot)/registries.yaml"],
    ["template syntax", "/etc/rancher/${x}/registries.yaml"],
    ["dot-dot segment", "/etc/rancher/../shadow"],
    ["trailing slash", "/etc/rancher/rke2/"],
  ])("fails for a target path with a %s, naming the field and the value", (_rule, badPath) => {
    const build = buildWith({ files: [file("/tmp/harbor-mirror-n1/registries.yaml", badPath)] });
    expect(build).toThrow(ValidationError);
    expect(build).toThrow(
      `files[0].targetPath: ${JSON.stringify(badPath)} is not allowed: expected an absolute file path`,
    );
  });

  test.each([
    ["unit", { unit: "--force" }],
    ["unit", { unit: "rke2\\x2dserver" }],
    ["siblingUnits[0]", { siblingUnits: ["rke2 agent"] }],
  ])("fails for a bad systemd unit name at %s, naming the field and the value", (path, override) => {
    const build = buildWith(override);
    expect(build).toThrow(ValidationError);
    expect(build).toThrow(`${path}: `);
    expect(build).toThrow("expected a systemd unit name");
  });

  test.each([
    [
      "an upload outside the staging directory (the cleanup would leave it behind)",
      [file("/tmp/elsewhere/registries.yaml", "/etc/rancher/rke2/registries.yaml")],
      "files[0].stagedPath: ",
      "uploads go inside the staging directory",
    ],
    [
      "a target inside the staging directory (the cleanup would delete it)",
      [file("/tmp/harbor-mirror-n1/registries.yaml", "/tmp/harbor-mirror-n1/live.yaml")],
      "files[0].targetPath: ",
      "it lies in the staging directory",
    ],
    [
      "two files with one target (the CA path equal to the registries path)",
      [
        file("/tmp/harbor-mirror-n1/ca.crt", "/etc/rancher/rke2/registries.yaml"),
        file("/tmp/harbor-mirror-n1/registries.yaml", "/etc/rancher/rke2/registries.yaml"),
      ],
      "files[1].targetPath: ",
      "files[0] already goes there",
    ],
  ])("fails for %s", (_rule, files, path, message) => {
    const build = buildWith({ files });
    expect(build).toThrow(ValidationError);
    expect(build).toThrow(path);
    expect(build).toThrow(message);
  });

  test("fails for a restart timeout below 1 second", () => {
    expect(buildWith({ restartTimeoutSeconds: 0 })).toThrow(
      "restartTimeoutSeconds: 0 is not allowed: expected a whole number of at least 1",
    );
  });

  test("the script itself never contains Terraform template syntax", () => {
    const lines = installScript({
      stagingDir: "/tmp/harbor-mirror-n1",
      unit: UNIT,
      user: "deploy",
      restartTimeoutSeconds: 120,
      files: [
        {
          stagedPath: "/tmp/harbor-mirror-n1/r.yaml",
          targetPath: "/etc/r.yaml",
          sha256: "ab",
          restartOnChange: true,
        },
      ],
    });
    expect(lines.join("\n")).not.toMatch(/[$%]\{/);
    expect(INSTALLER_SCRIPT).not.toMatch(/[$%]\{/);
  });
});

// Per run, so that concurrent runs of this suite never remove each other's users.
const SUDO_USER = `hm-deploy-${process.pid}`;
const NO_SUDO_USER = `hm-nosudo-${process.pid}`;
const SUDOERS_DROP_IN = `/etc/sudoers.d/harbor-mirror-test-${process.pid}`;
const commandExists = (name: string) => spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
const sudoTestable =
  process.getuid?.() === 0 && ["sudo", "useradd", "userdel", "runuser", "visudo"].every(commandExists);

/** Runs as root in CI (`.ci/run` installs sudo): throwaway users and a sudoers drop-in, removed afterwards. */
(sudoTestable ? describe : describe.skip)(
  sudoTestable
    ? "a non-root SSH user goes through sudo -n"
    : "sudo (SKIPPED: needs root and the sudo package)",
  () => {
    let box: Sandbox;
    const staging = `/tmp/harbor-mirror-sudo-test-${process.pid}`;
    beforeAll(() => {
      box = createSandbox();
      for (const user of [SUDO_USER, NO_SUDO_USER]) {
        if (spawnSync("id", [user]).status !== 0) {
          expect(
            spawnSync("useradd", ["--system", "--no-create-home", "--shell", "/bin/sh", user]).status,
          ).toBe(0);
        }
      }
      // sudo resets PATH to secure_path: the double must come first there too.
      writeFileSync(
        SUDOERS_DROP_IN,
        `Defaults:${SUDO_USER} secure_path="${box.double.binDir}:/usr/sbin:/usr/bin:/sbin:/bin"\n` +
          `${SUDO_USER} ALL=(root) NOPASSWD: ALL\n`,
        { mode: 0o440 },
      );
      expect(spawnSync("visudo", ["-cf", SUDOERS_DROP_IN]).status).toBe(0);
    });
    afterAll(() => {
      rmSync(SUDOERS_DROP_IN, { force: true });
      for (const user of [SUDO_USER, NO_SUDO_USER]) spawnSync("userdel", [user]);
      rmSync(box.root, { recursive: true, force: true });
      rmSync(staging, { recursive: true, force: true });
    });

    function deliverAs(user: string): Run {
      expect(runScript("/bin/sh", prepareStagingScript(staging), box.double, { runAs: user }).status).toBe(0);
      const upload = spawnSync(
        "runuser",
        ["-u", user, "--", "sh", "-c", `cat > ${staging}/registries.yaml`],
        {
          input: NEW,
        },
      );
      expect(upload.status).toBe(0);
      const installer = spawnSync(
        "runuser",
        ["-u", user, "--", "sh", "-c", `cat > ${installerPath(staging)}`],
        {
          input: INSTALLER_SCRIPT,
        },
      );
      expect(installer.status).toBe(0);
      const lines = installScript({
        stagingDir: staging,
        unit: UNIT,
        user,
        restartTimeoutSeconds: 3,
        files: [
          {
            stagedPath: `${staging}/registries.yaml`,
            targetPath: box.target,
            sha256: sha256(NEW),
            restartOnChange: true,
          },
        ],
      });
      return runScript("/bin/sh", lines, box.double, { runAs: user });
    }

    test("installs root-owned 0600 and restarts through sudo -n", () => {
      const run = deliverAs(SUDO_USER);
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
      expect(readFileSync(box.target, "utf8")).toBe(NEW);
      expectRootOnly(box.target);
      expect(restarts(box)).toEqual([`systemctl restart ${UNIT}`]);
      expect(existsSync(staging)).toBe(false);
    });

    test("fails without prompting when the user has no passwordless sudo, live file untouched", () => {
      writeLive(box, OLD);
      const run = deliverAs(NO_SUDO_USER);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/sudo: .*(password is required|not allowed|not in the sudoers)/);
      expect(readFileSync(box.target, "utf8")).toBe(OLD);
      expect(existsSync(staging)).toBe(false);
    });
  },
);

describe("restartTimeoutOfInstallScript: reads back what installScript passes", () => {
  const script = (siblingUnits: string[], restartTimeoutSeconds: number) =>
    installScript({
      stagingDir: "/tmp/harbor-mirror-n1",
      unit: "rke2-agent",
      siblingUnits,
      user: "root",
      restartTimeoutSeconds,
      files: [
        {
          stagedPath: "/tmp/harbor-mirror-n1/registries",
          targetPath: "/etc/rancher/rke2/registries.yaml",
          sha256: "0".repeat(64),
          restartOnChange: true,
        },
      ],
    }).join("\n");

  test.each([
    { siblings: ["rke2-server"], timeout: 120 },
    { siblings: [], timeout: 7 },
  ])("siblings $siblings, timeout $timeout", ({ siblings, timeout }) => {
    expect(restartTimeoutOfInstallScript(script(siblings, timeout))).toBe(timeout);
    expect(restartTimeoutOfInstallScript(JSON.stringify([{ inline: [script(siblings, timeout)] }]))).toBe(
      timeout,
    );
  });

  test("text without an installer call holds no timeout", () => {
    expect(restartTimeoutOfInstallScript("set -eu\nmkdir -m 0700 /tmp/x")).toBeUndefined();
  });
});
