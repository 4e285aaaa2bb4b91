/**
 * Real `terraform` on the delivery layout (null_resource swapped for the built-in terraform_data,
 * so nothing is downloaded; scale.md): adding or removing a node plans exactly that node's
 * instance and touches no other, and neither a plan nor the state holds the plain SHA-256 of a
 * delivered file (issue: the plan must let nobody test guesses of a secret), while the nodes'
 * output stays visible. Reports itself skipped without terraform, and without sshd for the apply.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { provider } from "@cdktf/provider-null";
import {
  DeliveryNode,
  RegistriesDelivery,
  RegistriesDeliveryProps,
} from "../../constructs/registries-delivery";
import { RolloutStrategy } from "../../constructs/rollout-strategy";
import { createServiceManagerDouble } from "../../testing/service-manager-double";
import { SSHD, SshSandbox, startSshd } from "../../testing/ssh-sandbox";
import { findTerraformBinary } from "../../testing/terraform-cli";
import { asTerraformData } from "../../testing/terraform-data";
import type { StackJson } from "../../testing/terraform-replay";

const terraform = findTerraformBinary();
const CONTENT = "mirrors:\n  docker.io:\n    endpoint: [https://harbor.example.com]\n";
const SECRET = "weak-robot-secret-1";

function synth(props: Omit<RegistriesDeliveryProps, "ssh" | "content">, secret = false): StackJson {
  const stack = new TerraformStack(Testing.app(), "plan");
  new provider.NullProvider(stack, "null");
  const key = new TerraformVariable(stack, "ssh_private_key", { type: "string", sensitive: true });
  const robot = secret
    ? new TerraformVariable(stack, "robot_secret", { type: "string", sensitive: true })
    : undefined;
  new RegistriesDelivery(stack, "Delivery", {
    ...props,
    content: robot ? `${CONTENT}password: ${robot.stringValue}\n` : CONTENT,
    ssh: { privateKey: key.stringValue },
  });
  return JSON.parse(Testing.synth(stack));
}

class TerraformDir {
  readonly dir = mkdtempSync(join(tmpdir(), "hm-plan-"));

  constructor(private readonly variables: Record<string, string>) {}

  run(args: string[]): { status: number | null; output: string; stdout: string } {
    const env = {
      ...process.env,
      CHECKPOINT_DISABLE: "1",
      ...Object.fromEntries(Object.entries(this.variables).map(([name, value]) => [`TF_VAR_${name}`, value])),
    };
    const [command, ...rest] = args;
    const flags = command === "show" ? ["-no-color"] : ["-input=false", "-no-color"];
    const result = spawnSync(terraform!, [command, ...flags, ...rest], {
      cwd: this.dir,
      env,
      encoding: "utf8",
      timeout: 180_000,
    });
    return { status: result.status, output: result.stdout + result.stderr, stdout: result.stdout };
  }

  /** Runs a command that must succeed; its output (stdout only for `show`, whose stdout is JSON). */
  ok(args: string[]): string {
    const result = this.run(args);
    if (result.status !== 0) throw new Error(`terraform ${args.join(" ")} failed:\n${result.output}`);
    return args[0] === "show" ? result.stdout : result.output;
  }

  write(config: object): void {
    writeFileSync(join(this.dir, "main.tf.json"), JSON.stringify(config));
  }

  /** Planned actions by instance address. */
  plannedActions(): Record<string, string> {
    this.ok(["plan", "-refresh=false", "-out=plan.bin"]);
    const plan = JSON.parse(this.ok(["show", "-json", "plan.bin"])) as {
      resource_changes?: { address: string; change: { actions: string[] } }[];
    };
    return Object.fromEntries(
      (plan.resource_changes ?? [])
        .filter((change) => change.change.actions.join() !== "no-op")
        .map((change) => [change.address, change.change.actions.join("+")]),
    );
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const agents = (count: number): DeliveryNode[] =>
  Array.from({ length: count }, (_, index) => ({
    name: `agent-${String(index * 2 + 10)}`,
    role: "agent",
    host: `10.0.0.${index + 10}`,
  }));
const FLEET: DeliveryNode[] = [{ name: "server-1", role: "server", host: "10.0.0.1" }, ...agents(24)];
const ADDED: DeliveryNode = { name: "agent-21", role: "agent", host: "10.0.1.21" };

(terraform ? describe : describe.skip)(
  terraform
    ? `real ${terraform} plan of the grouped layout (terraform_data)`
    : "real terraform plan of the grouped layout (SKIPPED: neither terraform nor tofu is on PATH)",
  () => {
    test.each([
      ["rolling, one at a time (the default)", RolloutStrategy.rolling()],
      ["servers-first", RolloutStrategy.serversFirst()],
      ["parallel", RolloutStrategy.parallel()],
    ])("%s: adding or removing a node plans only that node's instance", (_name, rollout) => {
      const workDir = new TerraformDir({ ssh_private_key: "not-a-key" });
      try {
        const applyFleet = (nodes: DeliveryNode[]) => {
          workDir.write(asTerraformData(synth({ nodes, rollout }), { withoutProvisioners: true }));
          return workDir.plannedActions();
        };
        workDir.write(asTerraformData(synth({ nodes: FLEET, rollout }), { withoutProvisioners: true }));
        workDir.ok(["init"]);
        workDir.ok(["apply", "-auto-approve", "-refresh=false"]);

        const added = applyFleet([...FLEET, ADDED]);
        expect(Object.values(added)).toEqual(["create"]);
        expect(Object.keys(added)[0]).toMatch(/\["agent-21"\]$/);

        const removed = applyFleet(FLEET.filter((node) => node.name !== "agent-14"));
        expect(Object.values(removed)).toEqual(["delete"]);
        expect(Object.keys(removed)[0]).toMatch(/\["agent-14"\]$/);
      } finally {
        workDir.remove();
      }
    });

    test("moved blocks carry a stack of the per-node layout over: each node is replaced at its new address, not destroyed and created apart", () => {
      const workDir = new TerraformDir({ ssh_private_key: "not-a-key" });
      try {
        // The per-node layout's addresses, as that layout named them (one resource per node).
        const grouped = synth({ nodes: FLEET, movedFromPerNodeLayout: true }) as StackJson & {
          moved: { from: string; to: string }[];
        };
        const perNode = Object.fromEntries(
          grouped.moved.map(({ from }) => [
            from.replace(/^null_resource\./, ""),
            { triggers_replace: { v: "1" } },
          ]),
        );
        workDir.write({ resource: { terraform_data: perNode } });
        workDir.ok(["init"]);
        workDir.ok(["apply", "-auto-approve"]);
        workDir.write(asTerraformData(grouped, { withoutProvisioners: true }));
        const actions = Object.values(workDir.plannedActions());
        // The triggers changed (keyed digests), so each node is replaced once — at its new address,
        // not destroyed at the old one and created apart.
        expect(new Set(actions)).toEqual(new Set(["delete+create"]));
        expect(actions).toHaveLength(FLEET.length);
      } finally {
        workDir.remove();
      }
    });

    const sshdAvailable = existsSync(SSHD) && process.getuid?.() === 0;
    (sshdAvailable ? test : test.skip)(
      sshdAvailable
        ? "neither the plan nor the state holds the plain SHA-256 of a file; the nodes' output stays visible"
        : "plain SHA-256 absent from plan and state (SKIPPED: needs root and openssh-server)",
      async () => {
        const root = mkdtempSync(join(tmpdir(), "hm-plan-secret-"));
        let sshd: SshSandbox | undefined;
        try {
          const double = createServiceManagerDouble(join(root, "double"));
          sshd = await startSshd(join(root, "sshd"), double.binDir);
          const path = join(root, "node", "registries.yaml");
          const node = {
            name: `secret-${process.pid}`,
            role: "server" as const,
            host: "127.0.0.1",
            port: sshd.port,
          };
          const workDir = new TerraformDir({ ssh_private_key: sshd.clientPrivateKey, robot_secret: SECRET });
          workDir.write(
            asTerraformData(
              // The node is this machine: its file lives in the test's temporary tree, declared here.
              synth(
                { nodes: [{ ...node, registriesPath: path }], extraNodeDirectories: [join(root, "node")] },
                true,
              ),
            ),
          );
          workDir.ok(["init"]);
          const plan = workDir.ok(["plan", "-out=plan.bin"]);
          // A plan file holds every input variable's value, sensitive or not (Terraform's own
          // design): what the stack adds is checked, the planned values and changes.
          const { variables: _variables, ...planJson } = JSON.parse(
            workDir.ok(["show", "-json", "plan.bin"]),
          );
          const apply = workDir.ok(["apply", "-auto-approve", "plan.bin"]);
          const state = readFileSync(join(workDir.dir, "terraform.tfstate"), "utf8");
          const delivered = readFileSync(path, "utf8");
          expect(delivered).toBe(`${CONTENT}password: ${SECRET}\n`);
          const plainHash = createHash("sha256").update(delivered).digest("hex");
          for (const [name, text] of Object.entries({
            plan,
            planJson: JSON.stringify(planJson),
            apply,
            state,
          })) {
            expect([name, text.includes(plainHash), text.includes(SECRET)]).toEqual([name, false, false]);
          }
          // What the trigger shows instead: the keyed digest, which needs the SSH key to reproduce.
          const keyed = createHash("sha256").update(`${sshd.clientPrivateKey}${delivered}`).digest("hex");
          expect(state).toContain(keyed);
          expect(apply).toContain("harbor-mirror: installed");
          expect(apply).not.toContain("output suppressed");
          workDir.remove();
        } finally {
          await sshd?.stop();
          rmSync(root, { recursive: true, force: true });
        }
      },
    );
  },
);
