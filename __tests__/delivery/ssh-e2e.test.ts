/**
 * End to end over real SSH: a throwaway sshd on 127.0.0.1, a stack synthesized with
 * RegistriesDelivery, and its null_resources applied.
 *
 * No Terraform provider can be downloaded here, so `testing/terraform-replay` REPLAYS Terraform's
 * provisioner semantics (file upload, inline script joined with "\n" and run by /bin/sh, order,
 * stop at the first failure, depends_on, parallelism) and evaluates the few template expressions
 * the construct generates, failing loudly on any other. When `terraform`/`tofu` is on PATH, the
 * same resources are also applied by the real binary, carried by its built-in `terraform_data`
 * (which needs no download); the real `apply` of hashicorp/null itself runs only where `terraform
 * init` can install that provider, and is otherwise reported as skipped with the reason.
 *
 * The node's service manager is the one test double (`systemctl`/`journalctl` first in the SSH
 * session's PATH): there is no systemd and no RKE2 in a test container.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
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
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { provider } from "@cdktf/provider-null";
import {
  DeliveryNode,
  RegistriesDelivery,
  RegistriesDeliveryProps,
} from "../../constructs/registries-delivery";
import { RolloutStrategy } from "../../constructs/rollout-strategy";
import { stagingDirectory } from "../../delivery/nodes";
import { fullDiskBlocker, mountSmallFilesystem } from "../../testing/full-disk";
import {
  createServiceManagerDouble,
  FAKE_JOURNAL_LINE,
  ServiceManagerDouble,
  withoutServiceManagerPath,
} from "../../testing/service-manager-double";
import { freePort, SSHD, SshSandbox, startSshd } from "../../testing/ssh-sandbox";
import {
  nullResourcesOf,
  replayApply,
  ReplayResult,
  SshClient,
  StackJson,
  TemplateEvaluator,
  UnsupportedExpressionError,
} from "../../testing/terraform-replay";
import { findTerraformBinary } from "../../testing/terraform-cli";
import { asTerraformData } from "../../testing/terraform-data";

/** Everything a shell or a Terraform template could misread, plus non-ASCII. */
const TRICKY = `mirrors:\n  docker.io:\n    rewrite:\n      "^(.*)$": "proxy/$1 \${1} $$ $\${x} %{ if } %%{y}"\n# 'quotes' "double" \\backslash\\n grüße ✓\n`;
const OLD = "mirrors: {}\n";
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

const sshdAvailable = existsSync(SSHD) && process.getuid?.() === 0;

type PropsWithoutSsh = Omit<RegistriesDeliveryProps, "ssh"> & {
  ssh?: Partial<RegistriesDeliveryProps["ssh"]>;
};

/** `secretSuffix`: the content ends with a sensitive variable's value, as with the robot's secret. */
function synthDelivery(props: PropsWithoutSsh, secretSuffix = false): StackJson {
  const stack = new TerraformStack(Testing.app(), "e2e");
  new provider.NullProvider(stack, "null");
  const key = new TerraformVariable(stack, "ssh_private_key", { type: "string", sensitive: true });
  const secret = () => new TerraformVariable(stack, "robot_secret", { type: "string", sensitive: true });
  const content = secretSuffix ? `${props.content}${secret().stringValue}` : props.content;
  new RegistriesDelivery(stack, "Delivery", {
    // The "nodes" are this machine: their files live in the test's temporary tree, declared here.
    extraNodeDirectories: [
      ...props.nodes.map((node) => dirname(node.registriesPath!)),
      ...(props.caCert ? [dirname(props.caCert.path)] : []),
    ],
    ...props,
    content,
    ssh: { ...props.ssh, privateKey: key.stringValue },
  });
  return JSON.parse(Testing.synth(stack));
}

/** Stands for the robot's secret: sensitive in Terraform, with characters a shell or template could misread. */
const ROBOT_SECRET = "Rb0t-$${x}%{y}'\"\\-é";

/**
 * Node names carry a per-run suffix: a node's staging directory is named after it, and another
 * run of this suite may use the same sshd host (127.0.0.1) at the same time.
 */
const RUN = `r${process.pid}`;

/** The node an instance address (`null_resource.<group>["<node>"]`) delivers to, without this run's suffix. */
function nodeOf(address: string): string {
  return JSON.parse(/\[("[^"]+")\]$/.exec(address)![1]).replace(`-${RUN}`, "");
}

/** Status by node name. */
function statusesOf(results: Map<string, { status: string }>): Record<string, string> {
  return Object.fromEntries([...results].map(([address, result]) => [nodeOf(address), result.status]));
}

/** Like `expect(statusesOf(results)).toEqual(expected)`, with every node's output on failure. */
function expectStatuses(results: Map<string, ReplayResult>, expected: Record<string, string>): void {
  try {
    expect(statusesOf(results)).toEqual(expected);
  } catch (error) {
    const logs = [...results].map(([address, result]) => `--- ${address} (${result.status})\n${result.log}`);
    throw new Error(`${(error as Error).message}\n${logs.join("\n")}`);
  }
}

/** Like `expectStatuses` for one node, addressed by its name alone; its output is shown on failure. */
function expectStatus(results: Map<string, ReplayResult>, nodeName: string, expected: string): void {
  const { status, log } = resultOf(results, nodeName);
  expect({ status, log }).toEqual({ status: expected, log });
}

function resultOf<T>(results: Map<string, T>, nodeName: string): T {
  return [...results].find(([address]) => nodeOf(address) === nodeName)![1];
}

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

(sshdAvailable ? describe : describe.skip)(
  sshdAvailable
    ? "delivery over SSH (Terraform provisioners replayed)"
    : "delivery over SSH (SKIPPED: needs root and openssh-server)",
  () => {
    let root: string;
    let double: ServiceManagerDouble;
    let sshd: SshSandbox;
    let variables: Record<string, string>;

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), "hm-e2e-"));
      double = createServiceManagerDouble(join(root, "double"));
      // A second port of the same sshd stands for a node without systemd.
      sshd = await startSshd(join(root, "sshd"), double.binDir, {
        otherPath: withoutServiceManagerPath(join(root, "double")),
      });
      variables = { ssh_private_key: sshd.clientPrivateKey };
    });
    afterAll(async () => {
      await sshd?.stop();
      rmSync(root, { recursive: true, force: true });
    });

    /** A node on the local sshd whose registries file lives under `<root>/<scenario>/<name>/`. */
    const localNode = (
      scenario: string,
      name: string,
      role: DeliveryNode["role"],
      port?: number,
    ): DeliveryNode => ({
      name: `${name}-${RUN}`,
      role,
      host: "127.0.0.1",
      port: port ?? sshd.port,
      registriesPath: join(root, scenario, name, "etc/rancher/rke2/registries.yaml"),
    });
    const restartsSince = (before: number) =>
      double
        .calls()
        .slice(before)
        .filter((call) => call.startsWith("systemctl restart"));

    test("rolling delivery: byte-exact file and CA, 0600 root:root, servers first, agents after", async () => {
      const nodes = [
        localNode("rolling", "agent-2", "agent"),
        localNode("rolling", "server-1", "server"),
        localNode("rolling", "agent-1", "agent"),
      ];
      const caPath = join(root, "rolling", "harbor-ca.pem");
      const stack = synthDelivery({
        content: TRICKY,
        nodes,
        caCert: { content: CA, path: caPath },
        ssh: { hostKey: sshd.hostPublicKey },
        restartTimeoutSeconds: 5,
      });
      const before = double.calls().length;

      const results = await replayApply(stack, variables);

      expectStatuses(results, {
        "server-1": "created",
        "agent-1": "created",
        "agent-2": "created",
      });
      for (const node of nodes) {
        expect(readFileSync(node.registriesPath!)).toEqual(Buffer.from(TRICKY, "utf8"));
        expect({ mode: modeOf(node.registriesPath!), uid: statSync(node.registriesPath!).uid }).toEqual({
          mode: "600",
          uid: 0,
        });
        expect(existsSync(stagingDirectory(node.name))).toBe(false);
      }
      expect(readFileSync(caPath, "utf8")).toBe(CA);
      expect(modeOf(caPath)).toBe("600");
      expect(restartsSince(before)).toEqual([
        "systemctl restart rke2-server",
        "systemctl restart rke2-agent",
        "systemctl restart rke2-agent",
      ]);
      const [server, agent1, agent2] = ["server-1", "agent-1", "agent-2"].map((name) =>
        resultOf(results, name),
      );
      expect(agent1.started!).toBeGreaterThan(server.finished!);
      expect(agent2.started!).toBeGreaterThan(agent1.finished!);

      // Applying the same file again (e.g. after a node was replaced): no restart anywhere.
      const again = double.calls().length;
      await replayApply(stack, variables);
      expect(restartsSince(again)).toEqual([]);
    });

    test("a failed restart rolls the node back, fails its resource and stops the rollout", async () => {
      const nodes = [localNode("rollback", "server-1", "server"), localNode("rollback", "agent-1", "agent")];
      mkdirSync(dirname(nodes[0].registriesPath!), { recursive: true });
      writeFileSync(nodes[0].registriesPath!, OLD);
      double.failRestarts("rke2-server", 1);

      const results = await replayApply(
        synthDelivery({ content: TRICKY, nodes, restartTimeoutSeconds: 2 }),
        variables,
      );

      expectStatuses(results, {
        "server-1": "failed",
        "agent-1": "skipped",
      });
      expect(readFileSync(nodes[0].registriesPath!, "utf8")).toBe(OLD);
      expect(existsSync(nodes[1].registriesPath!)).toBe(false);
      const serverLog = resultOf(results, "server-1").log;
      expect(serverLog).toContain("rolling back");
      expect(serverLog).toContain(FAKE_JOURNAL_LINE);
    });

    test("an unreachable node fails only its own resource (parallel)", async () => {
      const closedPort = await freePort();
      const nodes = [
        localNode("unreachable", "agent-a", "agent"),
        localNode("unreachable", "agent-b", "agent", closedPort),
        localNode("unreachable", "agent-c", "agent"),
      ];

      const results = await replayApply(
        synthDelivery({ content: TRICKY, nodes, rollout: RolloutStrategy.parallel() }),
        variables,
      );

      expectStatuses(results, {
        "agent-a": "created",
        "agent-b": "failed",
        "agent-c": "created",
      });
      expect(readFileSync(nodes[0].registriesPath!, "utf8")).toBe(TRICKY);
      expect(existsSync(nodes[1].registriesPath!)).toBe(false);
      expect(readFileSync(nodes[2].registriesPath!, "utf8")).toBe(TRICKY);
    });

    test("an upload interrupted midway leaves the live file untouched; the next apply recovers", async () => {
      const node = localNode("interrupted", "server-1", "server");
      mkdirSync(dirname(node.registriesPath!), { recursive: true });
      writeFileSync(node.registriesPath!, OLD);
      const big = `${TRICKY}${"# padding so the transfer can be cut midway\n".repeat(50_000)}`;
      const stack = synthDelivery({ content: big, nodes: [node] });
      const { prepare, upload, installerUpload, install, client, runInline } = provisionersOf(
        stack,
        variables,
      );

      const interruptUpload = async () => {
        expect((await runInline(prepare.inline)).status).toBe(0);
        const transfer = client.spawn(`cat > '${upload.destination}'`);
        transfer.stdin!.write(Buffer.from(big).subarray(0, 1_000_000));
        await waitFor(async () => Number((await client.run(`wc -c < '${upload.destination}'`)).output) > 0);
        transfer.kill("SIGKILL");
        await new Promise((resolve) => transfer.on("close", resolve));
        const size = Number((await client.run(`wc -c < '${upload.destination}'`)).output);
        expect(size).toBeGreaterThan(0);
        expect(size).toBeLessThan(Buffer.byteLength(big));
      };

      // Terraform would stop here; even if the installer arrived and ran on the partial upload:
      await interruptUpload();
      await client.run(`cat > '${installerUpload.destination}'`, installerUpload.content);
      const run = await runInline(install.inline);
      expect(run.status).not.toBe(0);
      expect(run.output).toContain("upload is incomplete");
      expect(readFileSync(node.registriesPath!, "utf8")).toBe(OLD);
      expect(existsSync(stagingDirectory(node.name))).toBe(false);

      // A leftover partial upload does not block the next apply.
      await interruptUpload();
      client.close();
      const results = await replayApply(stack, variables);
      expect([...results.values()].map((result) => result.status)).toEqual(["created"]);
      expect(readFileSync(node.registriesPath!, "utf8")).toBe(big);
    });

    test("a node whose host key does not match the pinned one is refused before any upload", async () => {
      const node = localNode("hostkey", "agent-1", "agent");
      const otherKey = join(root, "hostkey", "other_host_key");
      mkdirSync(dirname(otherKey), { recursive: true });
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey]);
      const pinned = readFileSync(`${otherKey}.pub`, "utf8").split(" ").slice(0, 2).join(" ");

      const results = await replayApply(
        synthDelivery({ content: TRICKY, nodes: [node], ssh: { hostKey: pinned } }),
        variables,
      );

      expect([...results.values()].map((result) => result.status)).toEqual(["failed"]);
      expect(existsSync(stagingDirectory(node.name))).toBe(false);
      expect(existsSync(node.registriesPath!)).toBe(false);
    });

    test("a node behind a bastion host is reached through it", async () => {
      const node = localNode("bastion", "agent-1", "agent");
      const results = await replayApply(
        synthDelivery({
          content: TRICKY,
          nodes: [node],
          ssh: { bastionHost: "127.0.0.1", bastionPort: sshd.port },
        }),
        variables,
      );
      expect([...results.values()].map((result) => result.status)).toEqual(["created"]);
      expect(readFileSync(node.registriesPath!, "utf8")).toBe(TRICKY);
    });

    /**
     * Node-side faults (issue: node side of the hardening). Each runs the real installer over the
     * real sshd; only systemctl/journalctl are the double. Every fault leaves the node as it was
     * and removes the staging directory, which may hold the robot's secret.
     */
    describe("node-side faults", () => {
      const expectNodeClean = (node: DeliveryNode) => {
        expect(existsSync(stagingDirectory(node.name))).toBe(false);
        const leftovers = readdirSync(dirname(node.registriesPath!)).filter((name) =>
          /\.harbor-mirror\.(?!bak$)/.test(name),
        );
        expect(leftovers).toEqual([]);
      };
      const withLiveFile = (node: DeliveryNode, text = OLD) => {
        mkdirSync(dirname(node.registriesPath!), { recursive: true });
        writeFileSync(node.registriesPath!, text);
      };

      test("a symlinked live file is refused, never followed: link and target unchanged, no restart", async () => {
        const node = localNode("symlink", "server-1", "server");
        const managed = join(root, "symlink", "managed-elsewhere.yaml");
        withLiveFile(node);
        rmSync(node.registriesPath!);
        writeFileSync(managed, OLD);
        symlinkSync(managed, node.registriesPath!);
        const before = double.calls().length;

        const results = await replayApply(synthDelivery({ content: TRICKY, nodes: [node] }), variables);

        expectStatus(results, "server-1", "failed");
        expect(resultOf(results, "server-1").log).toContain(
          `${node.registriesPath} is a symbolic link (to ${managed}): refusing to replace or follow it`,
        );
        expect(readlinkSync(node.registriesPath!)).toBe(managed);
        expect(readFileSync(managed, "utf8")).toBe(OLD);
        expect(restartsSince(before)).toEqual([]);
        expectNodeClean(node);
      });

      // ENOSPC for real: the node's configuration directory is a 64 KiB tmpfs filled to its last page.
      const diskFull = fullDiskBlocker();
      (diskFull ? test.skip : test)(
        diskFull
          ? `disk full with a CA (SKIPPED: ${diskFull})`
          : "disk full with a CA: named as such, neither the CA nor the registries file changed, no restart",
        async () => {
          const node = localNode("diskfull", "server-1", "server");
          const etc = dirname(node.registriesPath!);
          const caPath = join(etc, "harbor-ca.pem");
          const disk = mountSmallFilesystem(etc, 64);
          try {
            writeFileSync(node.registriesPath!, OLD);
            writeFileSync(caPath, "old CA\n");
            // One page left: the CA's temp file fits, the registries file's does not.
            disk.fill(1);
            const big = `${TRICKY}${"# more than one page\n".repeat(1_000)}`;
            const before = double.calls().length;

            const results = await replayApply(
              synthDelivery({ content: big, nodes: [node], caCert: { content: CA, path: caPath } }),
              variables,
            );

            expectStatus(results, "server-1", "failed");
            const log = resultOf(results, "server-1").log;
            expect(log).toContain(`disk full: cannot write ${node.registriesPath} (`);
            expect(log).toContain("No space left on device");
            expect(log).toContain("no live file was changed");
            expect(readFileSync(node.registriesPath!, "utf8")).toBe(OLD);
            expect(readFileSync(caPath, "utf8")).toBe("old CA\n");
            expect(restartsSince(before)).toEqual([]);
            expectNodeClean(node);
          } finally {
            disk.unmount();
          }
        },
      );

      test("a truncated installer upload as root: refused before it runs, staging (with the secret) removed", async () => {
        const node = localNode("truncated", "server-1", "server");
        withLiveFile(node);
        const withSecret = { ...variables, robot_secret: ROBOT_SECRET };
        const stack = synthDelivery({ content: TRICKY, nodes: [node] }, true);
        const { user, prepare, upload, installerUpload, install, client, runInline } = provisionersOf(
          stack,
          withSecret,
        );
        expect(user).toBe("root");
        try {
          expect((await runInline(prepare.inline)).status).toBe(0);
          await client.run(`cat > '${upload.destination}'`, upload.content);
          expect(readFileSync(upload.destination, "utf8")).toContain(ROBOT_SECRET);
          const cut = installerUpload.content.slice(0, installerUpload.content.length / 2);
          await client.run(`cat > '${installerUpload.destination}'`, cut);

          const run = await runInline(install.inline);

          expect(run.status).not.toBe(0);
          expect(run.output).toContain("is incomplete (interrupted upload); nothing was changed");
          expect(readFileSync(node.registriesPath!, "utf8")).toBe(OLD);
          expectNodeClean(node);
        } finally {
          client.close();
        }
      });

      test("unit not installed yet (first boot): files installed 0600, nothing restarted, success", async () => {
        const node = localNode("firstboot", "server-1", "server");
        const caPath = join(root, "firstboot", "server-1", "etc/rancher/rke2/harbor-ca.pem");
        const before = double.calls().length;
        for (const unit of ["rke2-server", "rke2-agent"]) double.uninstallUnit(unit);
        try {
          const results = await replayApply(
            synthDelivery({ content: TRICKY, nodes: [node], caCert: { content: CA, path: caPath } }),
            variables,
          );

          expectStatus(results, "server-1", "created");
          expect(resultOf(results, "server-1").log).toContain(
            "rke2-server is not installed yet: nothing restarted; RKE2/K3s reads the files when rke2-server first starts",
          );
          expect(readFileSync(node.registriesPath!)).toEqual(Buffer.from(TRICKY, "utf8"));
          expect(modeOf(node.registriesPath!)).toBe("600");
          expect(readFileSync(caPath, "utf8")).toBe(CA);
          expect(restartsSince(before)).toEqual([]);
          expectNodeClean(node);
        } finally {
          for (const unit of ["rke2-server", "rke2-agent"]) double.installUnit(unit);
        }
      });

      test("unit not found while the other role's unit is installed: wrong role, nothing changed", async () => {
        const node = localNode("wrongrole", "agent-1", "agent");
        withLiveFile(node);
        const before = double.calls().length;
        double.uninstallUnit("rke2-agent");
        try {
          const results = await replayApply(synthDelivery({ content: TRICKY, nodes: [node] }), variables);

          expectStatus(results, "agent-1", "failed");
          expect(resultOf(results, "agent-1").log).toContain(
            "unit not found: rke2-agent is not installed on this node, but rke2-server is",
          );
          expect(readFileSync(node.registriesPath!, "utf8")).toBe(OLD);
          expect(restartsSince(before)).toEqual([]);
          expectNodeClean(node);
        } finally {
          double.installUnit("rke2-agent");
        }
      });

      test("systemctl missing (a node without systemd): told so, nothing changed", async () => {
        const node = localNode("nosystemd", "server-1", "server", sshd.otherPathPort);
        withLiveFile(node);
        const before = double.calls().length;

        const results = await replayApply(synthDelivery({ content: TRICKY, nodes: [node] }), variables);

        expectStatus(results, "server-1", "failed");
        const log = resultOf(results, "server-1").log;
        expect(log).toContain("systemctl missing: rke2-server is restarted through systemd");
        expect(log).not.toContain("did not become active");
        expect(readFileSync(node.registriesPath!, "utf8")).toBe(OLD);
        expect(double.calls().slice(before)).toEqual([]);
        expectNodeClean(node);
      });
    });

    // The same resources with their provisioners, carried by Terraform's built-in `terraform_data`
    // (no provider to download), applied by the real binary: Terraform itself uploads the files,
    // joins the inline scripts, follows depends_on and reports failures.
    const terraform = findTerraformBinary();
    const withTerraform = terraform ? test : test.skip;
    const viaTerraformData = (name: string) =>
      terraform
        ? `real ${terraform} apply, provisioners carried by terraform_data: ${name}`
        : `real terraform apply via terraform_data: ${name} (SKIPPED: neither terraform nor tofu is on PATH)`;

    function terraformApply(scenario: string, stack: StackJson): { status: number | null; output: string } {
      const workDir = join(root, scenario, "tf");
      mkdirSync(workDir, { recursive: true });
      writeFileSync(join(workDir, "main.tf.json"), JSON.stringify(asTerraformData(stack)));
      const env = {
        ...process.env,
        CHECKPOINT_DISABLE: "1",
        TF_VAR_ssh_private_key: sshd.clientPrivateKey,
        TF_VAR_robot_secret: ROBOT_SECRET,
      };
      const run = (args: string[]) =>
        spawnSync(terraform!, [...args, "-input=false", "-no-color"], {
          cwd: workDir,
          env,
          encoding: "utf8",
          timeout: 120_000,
        });
      const init = run(["init"]);
      expect({ status: init.status, output: init.stdout + init.stderr }).toMatchObject({ status: 0 });
      const apply = run(["apply", "-auto-approve", "-parallelism=4"]);
      return { status: apply.status, output: apply.stdout + apply.stderr };
    }

    withTerraform(
      viaTerraformData("rolling, byte-exact, 0600, the secret delivered but never printed"),
      () => {
        const nodes = [localNode("tfdata", "agent-1", "agent"), localNode("tfdata", "server-1", "server")];
        const before = double.calls().length;
        const apply = terraformApply(
          "tfdata",
          synthDelivery({ content: TRICKY, nodes, ssh: { hostKey: sshd.hostPublicKey } }, true),
        );
        expect(apply).toMatchObject({ status: 0 });
        expect(apply.output).not.toContain(ROBOT_SECRET);
        for (const node of nodes) {
          expect(readFileSync(node.registriesPath!)).toEqual(Buffer.from(`${TRICKY}${ROBOT_SECRET}`, "utf8"));
          expect(modeOf(node.registriesPath!)).toBe("600");
        }
        expect(restartsSince(before)).toEqual([
          "systemctl restart rke2-server",
          "systemctl restart rke2-agent",
        ]);
      },
    );

    withTerraform(viaTerraformData("a failed restart rolls back, stops the rollout and shows why"), () => {
      const nodes = [
        localNode("tfrollback", "server-1", "server"),
        localNode("tfrollback", "agent-1", "agent"),
      ];
      mkdirSync(dirname(nodes[0].registriesPath!), { recursive: true });
      writeFileSync(nodes[0].registriesPath!, OLD);
      double.failRestarts("rke2-server", 1);
      // The file holds a sensitive value, as with access: robot; its hash must not make Terraform
      // suppress the provisioner's output, or the rollback message and journal would be hidden.
      const apply = terraformApply(
        "tfrollback",
        synthDelivery({ content: TRICKY, nodes, restartTimeoutSeconds: 2 }, true),
      );
      expect(apply.status).not.toBe(0);
      expect(apply.output).not.toContain("output suppressed");
      expect(apply.output).toContain("rolling back");
      expect(apply.output).toContain(FAKE_JOURNAL_LINE);
      expect(apply.output).not.toContain(ROBOT_SECRET);
      expect(readFileSync(nodes[0].registriesPath!, "utf8")).toBe(OLD);
      expect(existsSync(nodes[1].registriesPath!)).toBe(false);
    });

    const realApply = realTerraformBlocker();
    (realApply.blocker ? test.skip : test)(
      realApply.blocker
        ? `real terraform apply against the local sshd (SKIPPED: ${realApply.blocker})`
        : `real ${realApply.binary} apply against the local sshd`,
      () => {
        const node = localNode("real", "server-1", "server");
        const workDir = join(root, "real", "tf");
        mkdirSync(workDir, { recursive: true });
        const stack = synthDelivery({ content: TRICKY, nodes: [node], ssh: { hostKey: sshd.hostPublicKey } });
        writeFileSync(join(workDir, "main.tf.json"), JSON.stringify(stack));
        const env = {
          ...process.env,
          CHECKPOINT_DISABLE: "1",
          TF_VAR_ssh_private_key: sshd.clientPrivateKey,
        };
        for (const args of [
          ["init", "-input=false", "-no-color"],
          ["apply", "-auto-approve", "-input=false", "-no-color"],
        ]) {
          const result = spawnSync(realApply.binary!, args, {
            cwd: workDir,
            env,
            encoding: "utf8",
            timeout: 120_000,
          });
          expect({ args, status: result.status, output: result.stdout + result.stderr }).toMatchObject({
            status: 0,
          });
        }
        expect(readFileSync(node.registriesPath!)).toEqual(Buffer.from(TRICKY, "utf8"));
        expect(modeOf(node.registriesPath!)).toBe("600");
      },
    );
  },
);

describe("the replay's template evaluator", () => {
  const stack: StackJson = { locals: { text: "a$${b}%%{c}", nested: "${local.text}!" } };
  const evaluator = new TemplateEvaluator(stack, { key: "k" });

  test.each([
    ["escapes", "x$${y}%%{z}", "x${y}%{z}"],
    ["locals, nested", "${local.nested}", "a${b}%{c}!"],
    ["variables", "<${var.key}>", "<k>"],
    ["sha256 of a local", "${sha256(local.text)}", createHash("sha256").update("a${b}%{c}").digest("hex")],
    ["a quoted string", '${"$$"}${var.key}', "$$k"],
  ])("evaluates %s", (_rule, template, expected) => {
    expect(evaluator.evaluate(template)).toBe(expected);
  });

  test.each([
    ["an unknown function", "${timestamp()}"],
    ["a directive", "%{ if true }x%{ endif }"],
    ["an unknown variable", "${var.missing}"],
    ["a resource attribute", "${null_resource.x.id}"],
  ])("fails loudly on %s", (_rule, template) => {
    expect(() => evaluator.evaluate(template)).toThrow(UnsupportedExpressionError);
  });
});

/** The one node's provisioners in their order, with an SSH client to it, to run them one by one. */
function provisionersOf(stack: StackJson, variables: Readonly<Record<string, string>>) {
  const [resource] = nullResourcesOf(stack, new TemplateEvaluator(stack, variables));
  const [prepare, upload, installerUpload, install] = resource.provisioners;
  if (
    prepare.type !== "remote-exec" ||
    upload.type !== "file" ||
    installerUpload.type !== "file" ||
    install.type !== "remote-exec"
  ) {
    throw new Error("unexpected provisioner order");
  }
  const client = new SshClient(resource.connection);
  const runInline = (lines: readonly string[]) => client.run("/bin/sh -s", `${lines.join("\n")}\n`);
  return { user: resource.connection.user, prepare, upload, installerUpload, install, client, runInline };
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("condition not reached within 5 s");
}

/** Why the real `apply` cannot run here, or the binary to run it with. */
function realTerraformBlocker(): { binary?: string; blocker?: string } {
  const binary = ["terraform", "tofu"].find(
    (name) => spawnSync("sh", ["-c", `command -v ${name}`]).status === 0,
  );
  if (!binary) return { blocker: "neither terraform nor tofu is on PATH" };
  const probe = mkdtempSync(join(tmpdir(), "hm-tf-probe-"));
  writeFileSync(
    join(probe, "main.tf.json"),
    JSON.stringify({
      terraform: { required_providers: { null: { source: "hashicorp/null", version: "3.2.4" } } },
    }),
  );
  const init = spawnSync(binary, ["init", "-input=false", "-no-color"], {
    cwd: probe,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
  });
  rmSync(probe, { recursive: true, force: true });
  if (init.status === 0) return { binary };
  const reason = `${init.stdout}${init.stderr}`
    .split("\n")
    .find((line) => /error|no such host|could not/i.test(line));
  return {
    binary,
    blocker: `${binary} init cannot install hashicorp/null offline: ${reason?.trim() ?? "failed"}`,
  };
}
