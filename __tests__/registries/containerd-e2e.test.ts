/**
 * The containerd target end to end, with the real thing (containerd-hosts.md "Seen working"):
 * harbor-mirror renders hosts.toml for a Harbor stand-in (Debian's docker-registry on loopback,
 * serving the proxy project `docker.io` as `/v2/docker.io/<repository>`), Debian's containerd
 * pulls `docker.io/library/<image>:<tag>` through it with `ctr --hosts-dir`, and the registry's
 * access log must show the manifest and every blob fetched from `/v2/docker.io/library/<image>/…`,
 * starting with exactly the URL `harbor-mirror resolve --target containerd` predicted. Once over
 * plain HTTP, once over HTTPS with a test CA named by `ca`. Skipped, with the reason, where the
 * Debian packages or root are missing; no test double anywhere.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { ContainerdHosts } from "../../constructs/containerd-hosts";
import { HarborProxyCache } from "../../constructs/harbor-proxy-cache";
import {
  buildImage,
  containerdE2eBlocker,
  makeTestCa,
  pushImage,
  startContainerd,
  startRegistry,
  versions,
  type BuiltImage,
  type ContainerdSandbox,
  type RegistrySandbox,
  type TestCa,
} from "../../testing/containerd-sandbox";
import { runCli } from "../../testing/run-app";

const IMAGE = "docker.io/library/busybox:1.35";
const PROJECT_REPOSITORY = "docker.io/library/busybox";

const blocker = containerdE2eBlocker();
if (blocker) console.warn(`containerd end-to-end test skipped: ${blocker}`);

/** The hosts directory harbor-mirror renders for Harbor at `harborUrl` (and the CA at `caFile`). */
function renderHostsDir(hostsDir: string, harborUrl: string, caFile?: string): void {
  const stack = new TerraformStack(Testing.app(), "containerd-e2e");
  const cache = new HarborProxyCache(stack, "Cache", {
    harborUrl,
    allowInsecureHttp: harborUrl.startsWith("http:"),
    upstreams: [{ registry: "docker.io" }],
    caCertNodePath: caFile,
  });
  const hosts = new ContainerdHosts(stack, "Hosts", { spec: cache.registriesSpec, hostsDir });
  for (const file of hosts.files) {
    mkdirSync(dirname(file.path), { recursive: true });
    // A literal Harbor URL: the Terraform string is the file's text itself.
    writeFileSync(file.path, file.content, { mode: 0o600 });
  }
}

function predictedAttempts(hostsDir: string): { url: string }[] {
  const { status, stdout, stderr } = runCli([
    "resolve",
    IMAGE,
    "--target",
    "containerd",
    "--hosts-dir",
    hostsDir,
    "--json",
  ]);
  expect(stderr).toBe("");
  expect(status).toBe(0);
  return JSON.parse(stdout)[0].attempts;
}

(blocker ? describe.skip : describe)("plain containerd pulls through the rendered hosts.toml", () => {
  let work: string;
  let image: BuiltImage;
  let ca: TestCa;
  const daemons: { stop(): Promise<void> }[] = [];
  let containerd: ContainerdSandbox;
  const registries: Record<string, RegistrySandbox> = {};

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "containerd-e2e-"));
    image = buildImage(join(work, "image"), "1.35");
    ca = makeTestCa(join(work, "ca"));
    for (const [name, tls] of [
      ["http", undefined],
      ["https", ca.server],
    ] as const) {
      const registry = await startRegistry(join(work, `registry-${name}`), tls);
      daemons.push(registry);
      pushImage(image, registry, `${PROJECT_REPOSITORY}:1.35`);
      registries[name] = registry;
    }
    containerd = await startContainerd(join(work, "containerd"));
    daemons.push(containerd);
    console.log(`containerd end-to-end: ${JSON.stringify(versions())}`);
  });

  afterAll(async () => {
    // Each daemon this suite started, by its own process.
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it.each([
    ["plain HTTP", "http", false],
    ["HTTPS with the test CA in `ca`", "https", true],
  ])(
    "over %s: manifest and blobs come from /v2/docker.io/library/busybox/, as resolve predicted",
    async (_, name, withCa) => {
      const registry = registries[name as string];
      const hostsDir = join(work, `hosts-${name}`);
      renderHostsDir(hostsDir, registry.url, withCa ? ca.caFile : undefined);
      const [first] = predictedAttempts(hostsDir);
      const before = registry.requests().length;

      const pull = await containerd.pull(IMAGE, hostsDir, `e2e-${name}`);
      expect(pull.stderr).toBe("");
      expect(pull.code).toBe(0);

      const requests = registry.requests().slice(before);
      const base = `/v2/${PROJECT_REPOSITORY}`;
      expect(`${registry.url}${requests[0].target}`).toBe(first.url);
      expect(requests[0]).toEqual({ method: "HEAD", target: `${base}/manifests/1.35?ns=docker.io` });
      expect(requests[1]).toEqual({
        method: "GET",
        target: `${base}/manifests/${image.manifest}?ns=docker.io`,
      });
      // containerd fetches the config and the layers concurrently: their order is not fixed.
      const blobs = requests.slice(2).map(({ method, target }) => `${method} ${target}`);
      expect(blobs.sort()).toEqual(
        image.blobs.map((blob) => `GET ${base}/blobs/${blob}?ns=docker.io`).sort(),
      );
    },
  );
  it("over HTTPS without `ca`, the same pull fails: the rendered CA entry is what makes TLS work", async () => {
    const registry = registries.https;
    const hostsDir = join(work, "hosts-https-without-ca");
    renderHostsDir(hostsDir, registry.url);
    const pull = await containerd.pull(IMAGE, hostsDir, "e2e-without-ca");
    expect(pull.code).not.toBe(0);
    expect(pull.stderr).toMatch(/certificate signed by unknown authority/);
  });
});
