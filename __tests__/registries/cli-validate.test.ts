/**
 * `harbor-mirror validate <file>` (cli.md), run as users run it: the real bin script in a child
 * process, on real files.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../testing/run-app";

const directory = mkdtempSync(join(tmpdir(), "harbor-mirror-validate-"));

function fileWith(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

const validate = (...args: string[]) => runCli(["validate", ...args]);

const VALID = [
  "mirrors:",
  '  "docker.io":',
  "    endpoint:",
  '      - "https://harbor.example.com"',
  "    rewrite:",
  '      "^(.*)$": "dockerhub-proxy/$1"',
  "",
].join("\n");

describe("harbor-mirror validate", () => {
  it("cli.md: a valid file prints ok and exits 0", () => {
    expect(validate(fileWith("valid.yaml", VALID))).toEqual({ status: 0, stdout: "ok\n", stderr: "" });
  });

  it("cli.md: warnings go to stderr as file:line:column key: message, exit stays 0", () => {
    const file = fileWith("warning.yaml", VALID.replace('"docker.io"', '"Docker.io"'));
    const result = validate(file);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("ok\n");
    expect(result.stderr).toBe(
      `${file}:2:3 mirrors."Docker.io": warning: host "Docker.io" contains upper-case letters; RKE2 and ` +
        'containerd match hosts case-sensitively, so write it as "docker.io"\n',
    );
  });

  it("cli.md: every error is printed as file:line:column key: message and the exit code is 1", () => {
    const file = fileWith(
      "invalid.yaml",
      [
        "mirrors:",
        "  docker.io:",
        "    endpoints:",
        '      - "https://h.io"',
        "configs:",
        '  "*":',
        "    auth: {username: u}",
        "",
      ].join("\n"),
    );
    const result = validate(file);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trim().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(`^${escapeRegExp(file)}:3:5 mirrors\\."docker\\.io"\\.endpoints: unknown key "endpoints"`),
      ),
      expect.stringMatching(
        new RegExp(
          `^${escapeRegExp(file)}:7:5 configs\\."\\*"\\.auth: configs\\."\\*"\\.auth is not supported`,
        ),
      ),
    ]);
  });

  it("cli.md: a file that cannot be read exits 1 and names it", () => {
    const missing = join(directory, "missing.yaml");
    const result = validate(missing);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(missing);
  });

  it("a directory is a one-line error, exit 1", () => {
    const result = validate(directory);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([`${directory}: cannot read the file: EISDIR`]);
  });

  it("cli.md: --help prints the usage and exits 0", () => {
    const result = validate("--help");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: harbor-mirror validate <file>/);
  });

  it.each([
    { name: "no file", args: [] },
    { name: "two files", args: ["a.yaml", "b.yaml"] },
    { name: "an unknown option", args: ["--strict", "a.yaml"] },
  ])("cli.md: usage error ($name) exits 2", ({ args }) => {
    const result = validate(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("Usage: harbor-mirror validate <file>");
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
