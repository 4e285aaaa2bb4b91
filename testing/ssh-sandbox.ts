/**
 * A throwaway OpenSSH server on 127.0.0.1 for delivery tests: random free port, fresh host and
 * client keys, root login by key only, and a PATH that starts with the service-manager double.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { join } from "node:path";
import { SYSTEM_PATH } from "./service-manager-double";

export const SSHD = "/usr/sbin/sshd";

export interface SshSandbox {
  readonly port: number;
  /** A second port of the same server whose sessions get `options.otherPath` as their PATH. */
  readonly otherPathPort?: number;
  /** `ssh-ed25519 AAAA…` of the server, for `host_key` pinning. */
  readonly hostPublicKey: string;
  /** OpenSSH private key accepted for root. */
  readonly clientPrivateKey: string;
  stop(): Promise<void>;
}

/** A TCP port that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function generateKey(path: string): void {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "harbor-mirror-test", "-f", path]);
}

function publicKeyOf(path: string): string {
  return readFileSync(`${path}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
}

/**
 * Starts `sshd -D` with a private config in `dir`; `pathPrefix` goes first in sessions' PATH.
 * With `otherPath`, sessions on a second port get that PATH instead: another kind of node
 * (e.g. one without systemd) on the same server.
 */
export async function startSshd(
  dir: string,
  pathPrefix: string,
  options: { otherPath?: string } = {},
): Promise<SshSandbox> {
  mkdirSync(dir, { recursive: true });
  // sshd refuses to start as root without its privilege-separation directory.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const hostKey = join(dir, "host_key");
  const clientKey = join(dir, "client_key");
  generateKey(hostKey);
  generateKey(clientKey);
  writeFileSync(join(dir, "authorized_keys"), readFileSync(`${clientKey}.pub`));
  const port = await freePort();
  const otherPathPort = options.otherPath ? await freePort() : undefined;
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      "ListenAddress 127.0.0.1",
      `Port ${port}`,
      ...(otherPathPort ? [`Port ${otherPathPort}`] : []),
      `HostKey ${hostKey}`,
      "PidFile none",
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "StrictModes no",
      "UsePAM no",
      "AllowTcpForwarding yes",
      `SetEnv PATH=${pathPrefix}:${SYSTEM_PATH}`,
      "LogLevel ERROR",
      ...(otherPathPort ? [`Match LocalPort ${otherPathPort}`, `  SetEnv PATH=${options.otherPath}`] : []),
      "",
    ].join("\n"),
  );
  const daemon = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  daemon.stderr!.on("data", (chunk) => (errors += chunk));
  for (const listening of [port, otherPathPort]) {
    if (listening) await waitForListening(listening, daemon, () => errors);
  }
  return {
    port,
    otherPathPort,
    hostPublicKey: publicKeyOf(hostKey),
    clientPrivateKey: readFileSync(clientKey, "utf8"),
    stop: () => stopProcess(daemon),
  };
}

/** Waits until the daemon accepts TCP connections on 127.0.0.1:`port`; fails with its output when it exits. */
export async function waitForListening(
  port: number,
  daemon: ChildProcess,
  errors: () => string,
): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (daemon.exitCode !== null)
      throw new Error(`${daemon.spawnfile} exited with ${daemon.exitCode}: ${errors()}`);
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${daemon.spawnfile} did not listen on port ${port}: ${errors()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

/** SIGTERM to this one child (by its PID), resolved when it has exited. */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
