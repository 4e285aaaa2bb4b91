/** Runs the real CLI (`node bin/harbor-mirror.js resolve …`) in a child process (cli.md). */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { compileRegistriesSpec } from "../../registries/compile-rules";
import { renderContainerdHosts } from "../../registries/containerd-hosts";
import { runCli } from "../../testing/run-app";
import { CLI_MD_RESOLVE_EXAMPLE, WALK_THROUGH_SPEC } from "../../testing/walk-through";

const directory = mkdtempSync(join(tmpdir(), "cli-resolve-"));

function writeFile(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

const cli = (...args: string[]) => runCli(["resolve", ...args]);

/** The walk-through without its custom rule, which containerd cannot express. */
const WALK_THROUGH_PROXY_ONLY = {
  ...WALK_THROUGH_SPEC,
  mirrors: WALK_THROUGH_SPEC.mirrors.map((mirror) => ({ ...mirror, rewrites: mirror.rewrites.slice(-1) })),
};

function brokenHostsDir(): string {
  const hostsDir = join(directory, "broken.d");
  mkdirSync(join(hostsDir, "docker.io"), { recursive: true });
  writeFileSync(join(hostsDir, "docker.io", "hosts.toml"), 'server = "unterminated\n');
  return hostsDir;
}

const handWritten = writeFile(
  "hand-written.yaml",
  `mirrors:
  "docker.io":
    endpoint:
      - "https://harbor.kingsd.top"
    rewrite:
      "^ksd-test/(.*)": "production/$1"
      "^(.*)$": "docker.io/$1"
configs:
  "harbor.kingsd.top":
    auth:
      username: "robot$ksd+puller"
      password: "do-not-print-me"
`,
);

// The same ORDERED rules, compiled, written as YAML the way a node would receive it.
const compiled = writeFile("compiled.yaml", stringify(compileRegistriesSpec(WALK_THROUGH_SPEC)));

describe("harbor-mirror resolve (cli.md)", () => {
  it("--json on a hand-written map reports the random winner (§4.3)", () => {
    const { status, stdout, stderr } = cli("ksd-test/busybox:1.35", "--registries", handWritten, "--json");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const [result] = JSON.parse(stdout);
    expect(result.deterministic).toBe(false);
    expect(result.attempts[0]).toMatchObject({
      repository: null,
      candidates: ["docker.io/ksd-test/busybox", "production/busybox"],
      auth: "harbor.kingsd.top",
    });
    expect(stdout).not.toContain("do-not-print-me");
  });

  it("--json on the compiled rules matches the cli.md example and resolves busybox via the proxy rule", () => {
    const { status, stdout } = cli("ksd-test/busybox:1.35", "busybox", "--registries", compiled, "--json");
    expect(status).toBe(0);
    const [project, official] = JSON.parse(stdout);
    expect(project).toEqual(CLI_MD_RESOLVE_EXAMPLE);
    expect(official.deterministic).toBe(true);
    expect(official.attempts[0].repository).toBe("docker.io/library/busybox");
  });

  it("--disable-default-endpoint drops the upstream attempt", () => {
    const { stdout } = cli("busybox", "--registries", compiled, "--json", "--disable-default-endpoint");
    expect(JSON.parse(stdout)[0].attempts.map((attempt: { endpoint: string }) => attempt.endpoint)).toEqual([
      "https://harbor.kingsd.top/v2",
    ]);
  });

  it("without --json prints a readable table with the URL of each attempt", () => {
    const { status, stdout } = cli("ksd-test/busybox:1.35", "--registries", handWritten);
    expect(status).toBe(0);
    expect(stdout).toContain("ksd-test/busybox:1.35 → docker.io/ksd-test/busybox:1.35  [NON-DETERMINISTIC");
    expect(stdout).toMatch(
      /1 +https:\/\/harbor\.kingsd\.top\/v2 +one of: docker\.io\/ksd-test\/busybox \| production\/busybox/,
    );
    expect(stdout).toContain("https://registry-1.docker.io/v2/ksd-test/busybox/manifests/1.35");
    expect(stdout).not.toContain("do-not-print-me");
  });

  const failures: { name: string; args: () => string[]; status: number; stderr: RegExp }[] = [
    {
      name: "exit 2: --registries is required",
      args: () => ["busybox"],
      status: 2,
      stderr: /--registries <file> is required/,
    },
    {
      name: "exit 2: at least one image",
      args: () => ["--registries", compiled],
      status: 2,
      stderr: /at least one <image>/,
    },
    {
      name: "exit 2: an unknown option",
      args: () => ["busybox", "--registries", compiled, "--bogus"],
      status: 2,
      stderr: /bogus/,
    },
    {
      name: "exit 1: an invalid image names the value",
      args: () => ["Bad/X", "--registries", compiled],
      status: 1,
      stderr: /invalid image reference "Bad\/X": repository name "X" must be lowercase/,
    },
    {
      name: "exit 1: an unreadable file names the path",
      args: () => ["busybox", "--registries", join(directory, "missing.yaml")],
      status: 1,
      stderr: /missing\.yaml: cannot read the file: ENOENT/,
    },
    {
      name: "exit 1: an invalid file is reported as file:line:column key: message",
      args: () => [
        "busybox",
        "--registries",
        writeFile("invalid.yaml", 'mirrors:\n  "docker.io":\n    endpoint: "https://x"\n'),
      ],
      status: 1,
      stderr: /invalid\.yaml:3:\d+ mirrors\."docker\.io"\.endpoint: /,
    },
    {
      name: "exit 2: an unknown target",
      args: () => ["busybox", "--target", "cri-o", "--registries", compiled],
      status: 2,
      stderr: /--target "cri-o" is not allowed: expected one of rke2, k3s, containerd/,
    },
    {
      name: "exit 2: --target containerd needs --hosts-dir",
      args: () => ["busybox", "--target", "containerd"],
      status: 2,
      stderr: /--hosts-dir <dir> is required with --target containerd/,
    },
    {
      name: "exit 2: --registries does not apply to --target containerd",
      args: () => ["busybox", "--target", "containerd", "--hosts-dir", directory, "--registries", compiled],
      status: 2,
      stderr: /--registries does not apply to --target containerd/,
    },
    {
      name: "exit 1: a hosts.toml containerd cannot decode names the file",
      args: () => ["busybox", "--target", "containerd", "--hosts-dir", brokenHostsDir()],
      status: 1,
      stderr: /docker\.io\/hosts\.toml: containerd cannot decode it/,
    },
  ];
  it.each(failures)("$name", ({ args, status, stderr }) => {
    const result = cli(...args());
    expect(result.status).toBe(status);
    expect(result.stderr).toMatch(stderr);
  });

  it("--target containerd predicts the attempts of the hosts directory harbor-mirror renders", () => {
    const hostsDir = join(directory, "certs.d");
    for (const file of renderContainerdHosts(WALK_THROUGH_PROXY_ONLY, { hostsDir }).files) {
      mkdirSync(join(hostsDir, file.directory), { recursive: true });
      writeFileSync(file.path, file.text);
    }
    const { status, stdout, stderr } = cli("busybox:1.35", "--target", "containerd", "--hosts-dir", hostsDir);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout).toMatch(/1 +https:\/\/harbor\.kingsd\.top\/v2\/docker\.io +library\/busybox +- +-/);
    expect(stdout).toContain(
      "https://harbor.kingsd.top/v2/docker.io/library/busybox/manifests/1.35?ns=docker.io",
    );
    expect(stdout).toMatch(/2 +https:\/\/registry-1\.docker\.io\/v2 +library\/busybox/);
  });

  it("--help prints the usage and exits 0", () => {
    const { status, stdout } = cli("--help");
    expect(status).toBe(0);
    expect(stdout).toContain("Usage: harbor-mirror resolve <image>... --registries <file>");
  });
});
