/**
 * The install script run FOR REAL under dash (/bin/sh) and bash against a sandbox directory.
 * Only the node's service manager is a test double (`systemctl`/`journalctl` first in PATH):
 * there is no systemd and no RKE2 in a test container. Rules: prior-art.md "Combined delivery
 * recipe", rke2-registries.md §1 (0600 root:root) and §6 (restart on change).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
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
  shellQuote,
} from "../../delivery/remote-script";
import {
  createServiceManagerDouble,
  FAKE_JOURNAL_LINE,
  ServiceManagerDouble,
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
  readonly target: string;
  readonly double: ServiceManagerDouble;
}

function createSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), "hm-script-"));
  return {
    root,
    staging: join(root, "staging"),
    target: join(root, "etc", "rancher", "rke2", "registries.yaml"),
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
  runAs?: string,
): Run {
  const scriptFile = join(mkdtempSync(join(tmpdir(), "hm-run-")), "script.sh");
  writeFileSync(scriptFile, lines.join("\n"), { mode: 0o755 });
  chmodSync(dirname(scriptFile), 0o755);
  const command = runAs ? ["runuser", "-u", runAs, "--", shell, scriptFile] : [shell, scriptFile];
  const result = spawnSync(command[0], command.slice(1), {
    encoding: "utf8",
    env: { ...process.env, PATH: `${double.binDir}:${process.env.PATH}` },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Stages `upload` (as if uploaded) and runs the install script expecting `expectedHash`. */
function install(
  shell: string,
  box: Sandbox,
  upload: string,
  options: Partial<InstallScriptOptions> & { expectedHash?: string } = {},
): Run {
  mkdirSync(box.staging, { mode: 0o700, recursive: true });
  writeFileSync(join(box.staging, "registries.yaml"), upload);
  writeFileSync(installerPath(box.staging), INSTALLER_SCRIPT);
  const lines = installScript({
    stagingDir: box.staging,
    unit: UNIT,
    user: "root",
    restartTimeoutSeconds: 3,
    files: [
      {
        stagedPath: join(box.staging, "registries.yaml"),
        targetPath: box.target,
        sha256: options.expectedHash ?? sha256(upload),
        restartOnChange: true,
      },
    ],
    ...options,
  });
  return runScript(shell, lines, box.double);
}

function writeLive(box: Sandbox, text: string): void {
  mkdirSync(dirname(box.target), { recursive: true });
  writeFileSync(box.target, text, { mode: 0o644 });
}

const modeOf = (path: string) => statSync(path).mode & 0o777;
const restarts = (box: Sandbox) => box.double.calls().filter((call) => call.startsWith("systemctl restart"));

interface Case {
  readonly name: string;
  readonly live?: string;
  readonly upload: string;
  readonly expectedHash?: (upload: string) => string;
  readonly prepare?: (box: Sandbox) => void;
  readonly exitsZero: boolean;
  /** Live file afterwards; `null` = absent. */
  readonly liveAfter: string | null;
  readonly restartCount: number;
  readonly backup?: string;
  readonly stderrIncludes?: string[];
  readonly journalShown?: boolean;
}

const CASES: readonly Case[] = [
  {
    name: "first install writes the file and restarts the unit (§6)",
    upload: NEW,
    prepare: (box) => mkdirSync(dirname(box.target), { recursive: true }),
    exitsZero: true,
    liveAfter: NEW,
    restartCount: 1,
  },
  {
    name: "missing directory is created 0755 (§1: /etc/rancher/rke2)",
    upload: NEW,
    exitsZero: true,
    liveAfter: NEW,
    restartCount: 1,
  },
  {
    name: "unchanged file: nothing written, no restart (recipe: restart only on a difference)",
    live: NEW,
    upload: NEW,
    exitsZero: true,
    liveAfter: NEW,
    restartCount: 0,
  },
  {
    name: "changed file: replaced, previous kept as a root-only backup, restarted (recipe)",
    live: OLD,
    upload: NEW,
    exitsZero: true,
    liveAfter: NEW,
    restartCount: 1,
    backup: OLD,
  },
  {
    name: "restart failure: previous file restored, restarted again, journal shown, non-zero (recipe: rollback)",
    live: OLD,
    upload: NEW,
    prepare: (box) => box.double.failRestarts(UNIT, 1),
    exitsZero: false,
    liveAfter: OLD,
    restartCount: 2,
    backup: OLD,
    stderrIncludes: ["rolling back", "restored the previous state"],
    journalShown: true,
  },
  {
    name: "unit never active within the timeout: rolled back like a failed restart (recipe: NRI start.sh)",
    live: OLD,
    upload: NEW,
    prepare: (box) => box.double.hangRestarts(UNIT, 1),
    exitsZero: false,
    liveAfter: OLD,
    restartCount: 2,
    stderrIncludes: ["did not become active within 3 s"],
    journalShown: true,
  },
  {
    name: "first-install failure: the new file is removed again",
    upload: NEW,
    prepare: (box) => box.double.failRestarts(UNIT, 1),
    exitsZero: false,
    liveAfter: null,
    restartCount: 2,
    journalShown: true,
  },
  {
    name: "staged hash mismatch (interrupted upload): live file untouched, no restart",
    live: OLD,
    upload: NEW.slice(0, 10),
    expectedHash: () => sha256(NEW),
    exitsZero: false,
    liveAfter: OLD,
    restartCount: 0,
    stderrIncludes: ["upload is incomplete", "was left untouched"],
  },
  {
    name: "content with ${ %{ $1 $$ quotes backslashes newlines non-ASCII arrives byte-exact",
    live: OLD,
    upload: TRICKY,
    exitsZero: true,
    liveAfter: TRICKY,
    restartCount: 1,
    backup: OLD,
  },
];

describe.each(SHELLS)("install script under %s", (shell) => {
  let box: Sandbox;
  beforeEach(() => {
    box = createSandbox();
  });
  afterEach(() => rmSync(box.root, { recursive: true, force: true }));

  test.each(CASES)("$name", (testCase) => {
    if (testCase.live !== undefined) writeLive(box, testCase.live);
    testCase.prepare?.(box);

    const run = install(shell, box, testCase.upload, {
      expectedHash: testCase.expectedHash?.(testCase.upload),
    });

    expect({ status: run.status === 0, stderr: run.stderr }).toMatchObject({ status: testCase.exitsZero });
    if (testCase.liveAfter === null) {
      expect(existsSync(box.target)).toBe(false);
    } else {
      expect(readFileSync(box.target)).toEqual(Buffer.from(testCase.liveAfter));
      if (testCase.liveAfter !== testCase.live) expectRootOnly(box.target);
    }
    expect(restarts(box)).toHaveLength(testCase.restartCount);
    if (testCase.backup !== undefined) {
      expect(readFileSync(box.target + BACKUP_SUFFIX, "utf8")).toBe(testCase.backup);
      expectRootOnly(box.target + BACKUP_SUFFIX);
    }
    for (const text of testCase.stderrIncludes ?? []) expect(run.stderr).toContain(text);
    if (testCase.journalShown) {
      expect(box.double.calls()).toContain(`journalctl -u ${UNIT} -n 30 --no-pager`);
      expect(run.stderr).toContain(FAKE_JOURNAL_LINE);
    }
    // Staged copies may hold credentials: gone whatever happened.
    expect(existsSync(box.staging)).toBe(false);
    expect(leftoverTempFiles(box)).toEqual([]);
  });

  test("a created directory gets 0755 and the file 0600 root:root", () => {
    install(shell, box, NEW);
    expect(modeOf(dirname(box.target))).toBe(0o755);
    expectRootOnly(box.target);
  });

  test("an installer cut short by an interrupted upload is refused before it runs: nothing changes", () => {
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
  });

  test("a CA file that changed alone is installed without a restart (no restart by itself)", () => {
    const caTarget = join(box.root, "etc", "rancher", "rke2", "harbor-ca.pem");
    writeLive(box, NEW);
    writeFileSync(caTarget, "OLD CA\n");
    mkdirSync(box.staging, { mode: 0o700 });
    writeFileSync(join(box.staging, "ca.crt"), "NEW CA\n");
    writeFileSync(join(box.staging, "registries.yaml"), NEW);
    writeFileSync(installerPath(box.staging), INSTALLER_SCRIPT);
    const run = runScript(
      shell,
      installScript({
        stagingDir: box.staging,
        unit: UNIT,
        user: "root",
        restartTimeoutSeconds: 3,
        files: [
          {
            stagedPath: join(box.staging, "ca.crt"),
            targetPath: caTarget,
            sha256: sha256("NEW CA\n"),
            restartOnChange: false,
          },
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
    expect(run.status).toBe(0);
    expect(readFileSync(caTarget, "utf8")).toBe("NEW CA\n");
    expectRootOnly(caTarget);
    expect(restarts(box)).toEqual([]);
  });

  test("the staging script removes our own leftover directory and recreates it private", () => {
    mkdirSync(join(box.staging, "old"), { recursive: true });
    const run = runScript(shell, prepareStagingScript(box.staging), box.double);
    expect(run.status).toBe(0);
    expect(existsSync(join(box.staging, "old"))).toBe(false);
    expect(modeOf(box.staging)).toBe(0o700);
  });
});

function expectRootOnly(path: string): void {
  const stat = statSync(path);
  expect({ mode: (stat.mode & 0o777).toString(8), uid: stat.uid, gid: stat.gid }).toEqual({
    mode: "600",
    uid: 0,
    gid: 0,
  });
}

function leftoverTempFiles(box: Sandbox): string[] {
  const dir = dirname(box.target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => name.includes(".harbor-mirror.") && !name.endsWith(BACKUP_SUFFIX));
}

describe("values embedded in the script", () => {
  test("shellQuote survives every byte a shell could misread", () => {
    const value = `it's $HOME \`id\` "x" \\ \n ${"${1}"} %{y} ü`;
    const run = spawnSync("/bin/sh", ["-c", `printf '%s' ${shellQuote(value)}`], { encoding: "utf8" });
    expect(run.stdout).toBe(value);
  });

  test.each([
    ["relative path", "etc/rancher/rke2/registries.yaml"],
    ["space", "/etc/rancher/my dir/registries.yaml"],
    ["shell metacharacter", "/etc/rancher/$(reboot)/registries.yaml"],
    ["template syntax", "/etc/rancher/${x}/registries.yaml"],
    ["dot-dot segment", "/etc/rancher/../shadow"],
    ["trailing slash", "/etc/rancher/rke2/"],
  ])("fails for a target path with a %s, naming the field and the value", (_rule, badPath) => {
    const build = () =>
      installScript({
        stagingDir: "/tmp/harbor-mirror-n1",
        unit: UNIT,
        user: "root",
        restartTimeoutSeconds: 120,
        files: [
          {
            stagedPath: "/tmp/harbor-mirror-n1/registries.yaml",
            targetPath: badPath,
            sha256: "0",
            restartOnChange: true,
          },
        ],
      });
    expect(build).toThrow(ValidationError);
    expect(build).toThrow(
      `files[0].targetPath: ${JSON.stringify(badPath)} is not allowed: expected an absolute file path`,
    );
  });

  test("fails for a restart timeout below 1 second", () => {
    expect(() =>
      installScript({ stagingDir: "/tmp/x", unit: UNIT, user: "root", restartTimeoutSeconds: 0, files: [] }),
    ).toThrow("restartTimeoutSeconds: 0 is not allowed: expected a whole number of at least 1");
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
      expect(runScript("/bin/sh", prepareStagingScript(staging), box.double, user).status).toBe(0);
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
      return runScript("/bin/sh", lines, box.double, user);
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
