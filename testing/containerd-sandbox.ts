/**
 * Real daemons for the containerd target's end-to-end test, all on loopback and in a private
 * directory: Debian's `containerd` (own root, state and socket; not the system service) and
 * Debian's `docker-registry` (the CNCF distribution registry) as the stand-in for Harbor, which
 * serves a proxy project as `/v2/<project>/<repository>` exactly like a registry holding
 * repositories named `<project>/<repository>`. Images are built with `umoci` and pushed with
 * `skopeo`; the test CA is made with `openssl`.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify as stringifyToml } from "smol-toml";
import { stringify as stringifyYaml } from "yaml";
import { runChild, type ChildResult } from "./child-process";
import { freePort, stopProcess, waitForListening } from "./ssh-sandbox";

/** The programs the test runs, from the Debian packages `.ci/run` installs. */
export const CONTAINERD_E2E_PROGRAMS = [
  "/usr/bin/containerd",
  "/usr/bin/ctr",
  "/usr/bin/docker-registry",
  "/usr/bin/umoci",
  "/usr/bin/skopeo",
  "/usr/bin/openssl",
] as const;

/** Why the test cannot run here, or `undefined` when it can. */
export function containerdE2eBlocker(): string | undefined {
  const missing = CONTAINERD_E2E_PROGRAMS.filter((program) => !existsSync(program));
  if (missing.length > 0)
    return `missing ${missing.join(", ")} (Debian: containerd docker-registry umoci skopeo openssl)`;
  // containerd mounts snapshots to unpack an image: root only.
  if (process.getuid?.() !== 0) return "containerd needs root";
  return undefined;
}

/** One request of the registry's access log. */
export interface LoggedRequest {
  readonly method: string;
  /** Path and query as requested. */
  readonly target: string;
}

export interface RegistrySandbox {
  /** `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request so far, in order. */
  requests(): LoggedRequest[];
  stop(): Promise<void>;
}

export interface ServerCertificate {
  readonly certificate: string;
  readonly key: string;
}

/** `docker-registry serve` on a free loopback port, storing in `dir`; TLS when a certificate is given. */
export async function startRegistry(dir: string, tls?: ServerCertificate): Promise<RegistrySandbox> {
  mkdirSync(join(dir, "storage"), { recursive: true });
  const port = await freePort();
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    stringifyYaml({
      version: 0.1,
      log: { level: "info", accesslog: { disabled: false } },
      storage: { filesystem: { rootdirectory: join(dir, "storage") } },
      http: { addr: `127.0.0.1:${port}`, ...(tls ? { tls } : {}) },
    }),
  );
  const daemon = spawn("/usr/bin/docker-registry", ["serve", config], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  daemon.stdout!.on("data", (chunk) => (output += chunk));
  daemon.stderr!.on("data", (chunk) => (output += chunk));
  await waitForListening(port, daemon, () => output);
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    requests: () => accessLogRequests(output),
    stop: () => stopProcess(daemon),
  };
}

/** The requests of the access log (combined log format: `… "METHOD target HTTP/1.1" …`). */
function accessLogRequests(log: string): LoggedRequest[] {
  return [...log.matchAll(/"([A-Z]+) (\S+) HTTP\/[0-9.]+"/g)].map(([, method, target]) => ({
    method,
    target,
  }));
}

export interface ContainerdSandbox {
  readonly socket: string;
  /** `ctr images pull --hosts-dir <hostsDir> <image>` in a namespace of its own. */
  pull(image: string, hostsDir: string, namespace: string): Promise<ChildResult>;
  stop(): Promise<void>;
}

/** `containerd` with its root, state and socket in `dir`; the CRI plugin is off (ctr needs none). */
export async function startContainerd(dir: string): Promise<ContainerdSandbox> {
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "containerd.sock");
  const config = join(dir, "config.toml");
  writeFileSync(
    config,
    stringifyToml({
      version: 2,
      root: join(dir, "root"),
      state: join(dir, "state"),
      disabled_plugins: ["io.containerd.grpc.v1.cri"],
      grpc: { address: socket },
      // Each namespace fetches its own blobs, so every pull shows in the registry's log.
      plugins: { "io.containerd.metadata.v1.bolt": { content_sharing_policy: "isolated" } },
    }),
  );
  const daemon = spawn("/usr/bin/containerd", ["--config", config], { stdio: ["ignore", "ignore", "pipe"] });
  let output = "";
  daemon.stderr!.on("data", (chunk) => (output += chunk));
  await waitForSocket(socket, daemon, () => output);
  return {
    socket,
    pull: (image, hostsDir, namespace) =>
      runChild([
        "/usr/bin/ctr",
        "-a",
        socket,
        "-n",
        namespace,
        "images",
        "pull",
        "--hosts-dir",
        hostsDir,
        image,
      ]),
    stop: () => stopProcess(daemon),
  };
}

async function waitForSocket(socket: string, daemon: ChildProcess, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (daemon.exitCode !== null) throw new Error(`containerd exited with ${daemon.exitCode}: ${output()}`);
    if (existsSync(socket) && (await runChild(["/usr/bin/ctr", "-a", socket, "version"])).code === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`containerd did not answer on ${socket}: ${output()}`);
}

/** What the built image consists of, by digest, as the registry will serve it. */
export interface BuiltImage {
  /** `oci:<layout>:<tag>`, for skopeo. */
  readonly source: string;
  readonly manifest: string;
  readonly blobs: readonly string[];
}

/** A one-layer image (`/hello.txt`) as an OCI layout in `dir`, made with umoci. */
export function buildImage(dir: string, tag: string): BuiltImage {
  const layout = join(dir, "layout");
  const bundle = join(dir, "bundle");
  const image = `${layout}:${tag}`;
  execFileSync("/usr/bin/umoci", ["init", "--layout", layout]);
  execFileSync("/usr/bin/umoci", ["new", "--image", image]);
  execFileSync("/usr/bin/umoci", ["unpack", "--image", image, bundle]);
  writeFileSync(join(bundle, "rootfs", "hello.txt"), "pulled through harbor-mirror's hosts.toml\n");
  execFileSync("/usr/bin/umoci", ["repack", "--image", image, bundle]);
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  const manifest: string = index.manifests[0].digest;
  const body = JSON.parse(readFileSync(join(layout, "blobs", ...manifest.split(":")), "utf8"));
  const blobs = [body.config.digest, ...body.layers.map((layer: { digest: string }) => layer.digest)];
  return { source: `oci:${image}`, manifest, blobs };
}

/** Pushes the image to `<registry>/<repository>:<tag>` (the test CA is not trusted by skopeo: no verify). */
export function pushImage(image: BuiltImage, registry: RegistrySandbox, repository: string): void {
  const destination = `docker://${new URL(registry.url).host}/${repository}`;
  execFileSync("/usr/bin/skopeo", ["copy", "--quiet", "--dest-tls-verify=false", image.source, destination]);
}

export interface TestCa {
  /** The CA certificate (PEM file): what `ca` in hosts.toml names. */
  readonly caFile: string;
  readonly server: ServerCertificate;
}

/** A throwaway CA and a certificate for 127.0.0.1 signed by it. */
export function makeTestCa(dir: string): TestCa {
  mkdirSync(dir, { recursive: true });
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("/usr/bin/openssl", args, { stdio: "pipe" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=harbor-mirror test CA",
    "-keyout",
    path("ca.key"),
    "-out",
    path("ca.pem"),
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    path("server.key"),
    "-out",
    path("server.csr"),
  );
  writeFileSync(path("server.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-days",
    "1",
    "-in",
    path("server.csr"),
    "-CA",
    path("ca.pem"),
    "-CAkey",
    path("ca.key"),
    "-CAcreateserial",
    "-extfile",
    path("server.ext"),
    "-out",
    path("server.pem"),
  );
  return { caFile: path("ca.pem"), server: { certificate: path("server.pem"), key: path("server.key") } };
}

/** `containerd --version` and `ctr --version`, `docker-registry --version`: the closing figures. */
export function versions(): Record<string, string> {
  const version = (program: string) => execFileSync(program, ["--version"], { encoding: "utf8" }).trim();
  return {
    containerd: version("/usr/bin/containerd"),
    ctr: version("/usr/bin/ctr"),
    "docker-registry": version("/usr/bin/docker-registry"),
  };
}
