/**
 * Proof: what a shell, a Terraform template, YAML or TOML could misread either is rejected when
 * the configuration is loaded, with a clear error, or reaches the node byte-exact.
 *
 * (a) Rewrite replacements and node paths holding `${`, `%{`, `$$`, quotes, backslashes, newlines
 *     and non-ASCII: one table says, per value, "rejected with <message>" or "delivered".
 * (b) The robot variant's apply-time secret (the pull robot's password, known only when Harbor
 *     creates the robot) holding `${`, `%{`, `"`, `\`, a newline and non-ASCII.
 *
 * Delivery is the stack's own null_resources replayed over a throwaway local sshd
 * (testing/terraform-replay.ts; no Terraform provider can be downloaded here). The Harbor resources
 * cannot run, so the robot's attributes are handed to the replay as Harbor would return them. The
 * node's service manager (systemctl) is the one test double: there is no systemd here. When
 * `terraform` is on PATH, the content local is also evaluated by real Terraform and compared.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { buildApp } from "../../app/build";
import { ValidationError } from "../../registries/diagnostics";
import {
  stackJsonIn,
  synthInProcess,
  variantConfig,
  writeConfig,
  type ConfigObject,
  type TfJson,
} from "../../testing/config-variants";
import { createServiceManagerDouble } from "../../testing/service-manager-double";
import { SSHD, startSshd, type SshSandbox } from "../../testing/ssh-sandbox";
import { applyOutputs, findTerraformBinary } from "../../testing/terraform-cli";
import { replayApply, type StackJson } from "../../testing/terraform-replay";

const sshdAvailable = existsSync(SSHD) && process.getuid?.() === 0;
const terraform = findTerraformBinary();

/** The apply-time secret: everything a template, JSON, YAML or a shell could misread. */
const TRICKY_SECRET = "pa${ss} %{w} $$ \"q\" 's' \\ back\nline grüße ✓ <&>";
const ROBOT_FULL_NAME = "robot$harbor-mirror-pull";

type Outcome = { readonly rejected: string } | { readonly refusedAtSynth: string } | "delivered";

// (a) One row per value; `rejected` is the text the load error must contain.
const TOML_RULE = "which hosts.toml cannot carry";
const REPOSITORY_RULE = "which no repository path may contain";
const SAFE_PATH = "an absolute file path made of [A-Za-z0-9._/-]";
// prettier-ignore
const REPLACEMENTS: readonly { name: string; value: string; outcome: Outcome }[] = [
  { name: "Go template ${1} (a Terraform interpolation if unescaped)", value: "t1/${1}", outcome: "delivered" },
  { name: "${ twice, around a dash", value: "t2/${1}-${1}", outcome: "delivered" },
  // What a replacement produces is a repository path, so its literal text is a-z, 0-9, . _ - / only.
  { name: "%{ (a Terraform directive if unescaped)", value: "t2/%{x}/$1", outcome: { refusedAtSynth: REPOSITORY_RULE } },
  { name: "$$ (Go's literal $; Terraform's escape)", value: "t3/$$/$1", outcome: { refusedAtSynth: REPOSITORY_RULE } },
  { name: "Terraform's escaped forms of ${ and %{ (doubled)", value: "t4/$${1}%%{y}/$1", outcome: { refusedAtSynth: REPOSITORY_RULE } },
  { name: "single quotes (shell quoting)", value: "t5/'q'/$1", outcome: { refusedAtSynth: REPOSITORY_RULE } },
  { name: "non-ASCII", value: "t6/grüße-✓/$1", outcome: { refusedAtSynth: REPOSITORY_RULE } },
  { name: "double quote (breaks hosts.toml)", value: 't7/"q"/$1', outcome: { rejected: TOML_RULE } },
  { name: "backslash (a TOML escape in hosts.toml)", value: "t8\\$1", outcome: { rejected: TOML_RULE } },
];
// prettier-ignore
const NODE_PATHS: readonly { name: string; value: string; outcome: Outcome }[] = [
  ["${", "/etc/${x}/registries.yaml"], ["%{", "/etc/%{x}/registries.yaml"], ["$$", "/etc/$$/registries.yaml"],
  ["single quote", "/etc/'q'/registries.yaml"], ["double quote", '/etc/"q"/registries.yaml'],
  ["backslash", "/etc/a\\b/registries.yaml"], ["newline", "/etc/a\nb/registries.yaml"],
  ["non-ASCII", "/etc/grüße/registries.yaml"],
].map(([name, value]) => ({ name, value, outcome: { rejected: SAFE_PATH } }));

const BASE: ConfigObject = {
  version: 1,
  harbor: { url: "https://harbor.example.com" },
  upstreams: [{ registry: "docker.io" }],
};

/** One docker.io rule per replacement, each on its own literal prefix so all are disjoint. */
function withReplacements(values: readonly string[]): ConfigObject {
  const rules = values.map((value, index) => ({ match: `^p${index}/(.*)$`, replace: value }));
  return { ...BASE, rewrites: { "docker.io": rules } };
}

/** What the app reports for the configuration before writing anything (undefined: accepted). */
function loadError(config: ConfigObject): string | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-escaping-load-"));
  try {
    buildApp({ configPath: writeConfig(dir, config), outdir: path.join(dir, "out") });
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return error.message;
    throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("(a) load-time verdict on tricky rewrite replacements and node paths", () => {
  it.each(REPLACEMENTS)("rewrite replace with $name: $outcome", ({ value, outcome }) => {
    const error = loadError(withReplacements([value]));
    if (outcome === "delivered") expect(error).toBeUndefined();
    else {
      const rule = "rejected" in outcome ? outcome.rejected : outcome.refusedAtSynth;
      expect(error).toMatch(new RegExp(`rewrites."docker\\.io"\\[0\\]\\.replace: .*${rule}`));
    }
  });

  it.each(NODE_PATHS)("node registriesPath with $name is rejected", ({ value, outcome }) => {
    const error = loadError({
      ...BASE,
      nodes: [{ name: "n1", host: "192.0.2.1", role: "server", registriesPath: value }],
    });
    const rejected = (outcome as { rejected: string }).rejected;
    expect(error).toContain(
      `nodes[0].registriesPath: ${JSON.stringify(value)} is not allowed: expected ${rejected}`,
    );
  });

  // A raw newline cannot stand inside a TOML basic string, so the rule RKE2 writes into hosts.toml
  // would break the file and the mirror would be silently bypassed, as with `"`.
  it("rewrite replace with a newline is rejected (breaks hosts.toml)", () => {
    expect(loadError(withReplacements(["t9/\n$1"]))).toMatch(
      /rewrites."docker\.io"\[0\]\.replace: .*control character/,
    );
  });
});

/** The part of a stack the replay can apply: its null_resources, locals and variables. */
function deliveryPart(stack: TfJson): StackJson {
  const resource = stack.resource as Record<string, Record<string, Record<string, unknown>>>;
  return {
    locals: stack.locals as StackJson["locals"],
    variable: stack.variable as StackJson["variable"],
    resource: { null_resource: resource.null_resource },
  };
}

/** `harbor_robot_account.<name>.<attribute>` → the value Harbor returns for it at apply time. */
function robotAttributes(stack: TfJson): Record<string, string> {
  const [name] = Object.keys((stack.resource as Record<string, object>).harbor_robot_account);
  return {
    [`harbor_robot_account.${name}.full_name`]: ROBOT_FULL_NAME,
    [`harbor_robot_account.${name}.secret`]: TRICKY_SECRET,
  };
}

/** The local the file provisioner uploads (`${local.<name>}`). */
function contentLocalName(stack: TfJson): string {
  const [node] = Object.values(
    (stack.resource as Record<string, Record<string, { provisioner: object[] }>>).null_resource,
  );
  const file = node.provisioner.map((entry) => (entry as { file?: { content: string } }).file).find(Boolean);
  const local = /^\$\{local\.([A-Za-z0-9_-]+)\}$/.exec(file?.content ?? "");
  if (!local) throw new Error(`the file provisioner does not upload a local: ${JSON.stringify(file)}`);
  return local[1];
}

/** Real Terraform evaluates the content local, with the robot's attributes as variables. */
function contentByTerraform(binary: string, stack: TfJson): string {
  const attributes = Object.entries(robotAttributes(stack));
  // The triggers' keyed digests need the SSH key, which this check does not: left out.
  const contentLocals = Object.fromEntries(
    Object.entries(stack.locals as Record<string, unknown>).filter(([name]) => !/_digest_/.test(name)),
  );
  let locals = JSON.stringify(contentLocals);
  attributes.forEach(
    ([reference], index) => (locals = locals.split(reference).join(`var.attribute_${index}`)),
  );
  const outputs = applyOutputs(
    binary,
    {
      variable: Object.fromEntries(attributes.map((_, index) => [`attribute_${index}`, { type: "string" }])),
      locals: JSON.parse(locals),
      output: { content: { value: `\${local.${contentLocalName(stack)}}` } },
    },
    Object.fromEntries(attributes.map(([, value], index) => [`attribute_${index}`, value])),
  );
  return outputs.content as string;
}

(sshdAvailable ? describe : describe.skip)(
  sshdAvailable
    ? "delivery over SSH of tricky values"
    : "delivery over SSH of tricky values (SKIPPED: needs root and openssh-server)",
  () => {
    let root: string;
    let sshd: SshSandbox;
    beforeAll(async () => {
      root = mkdtempSync(path.join(tmpdir(), "hm-proof-escaping-"));
      const double = createServiceManagerDouble(path.join(root, "double"));
      sshd = await startSshd(path.join(root, "sshd"), double.binDir);
    });
    afterAll(async () => {
      await sshd?.stop();
      rmSync(root, { recursive: true, force: true });
    });

    /** The config with one local node (unique name: staging directories are per node name). */
    function onLocalNode(config: ConfigObject, scenario: string): { config: ConfigObject; nodePath: string } {
      const nodePath = path.join(root, scenario, "node", "registries.yaml");
      const node = {
        name: `proof-${process.pid}-${scenario}`,
        host: "127.0.0.1",
        port: sshd.port,
        role: "server",
        registriesPath: nodePath,
      };
      return {
        config: {
          ...config,
          nodes: [node],
          extraNodeDirectories: [path.dirname(nodePath)],
          ssh: { privateKeyVar: "ssh_private_key", hostKey: sshd.hostPublicKey },
        },
        nodePath,
      };
    }

    async function synthAndDeliver(config: ConfigObject, scenario: string): Promise<TfJson> {
      const dir = path.join(root, scenario);
      const outdir = path.join(dir, "out");
      synthInProcess(writeConfig(dir, config), outdir);
      const stack = stackJsonIn(outdir);
      const attributes = config.access === "robot" ? robotAttributes(stack) : {};
      const results = await replayApply(
        deliveryPart(stack),
        { ssh_private_key: sshd.clientPrivateKey },
        attributes,
      );
      expect([...results.values()].map((result) => [result.status, result.log])).toEqual([
        ["created", expect.any(String)],
      ]);
      return stack;
    }

    it("(a) every accepted replacement reaches the node byte-exact, in a file identical to the rendered one", async () => {
      const accepted = REPLACEMENTS.filter((item) => item.outcome === "delivered").map((item) => item.value);
      const { config, nodePath } = onLocalNode(withReplacements(accepted), "replacements");
      await synthAndDeliver(config, "replacements");
      const delivered = readFileSync(nodePath, "utf8");
      const rendered = buildApp({ configPath: path.join(root, "replacements", "harbor-mirror.yaml") }).stack
        .mirror.registries.displayText;
      expect(delivered).toBe(rendered);
      const rewrite = parse(delivered).mirrors["docker.io"].rewrite as Record<string, string>;
      accepted.forEach((value, index) =>
        expect([index, rewrite[`^p${index}/(.*)$`]]).toEqual([index, value]),
      );
    });

    let robotStack: TfJson | undefined;
    let robotDelivered: string | undefined;

    it("(b) the robot secret reaches the node byte-exact", async () => {
      const { config, nodePath } = onLocalNode(variantConfig("robot"), "robot");
      robotStack = await synthAndDeliver(config, "robot");
      robotDelivered = readFileSync(nodePath, "utf8");
      const auth = parse(robotDelivered).configs["harbor.kingsd.top"].auth as Record<string, string>;
      expect(auth).toEqual({ username: ROBOT_FULL_NAME, password: TRICKY_SECRET });
    });

    (terraform ? it : it.skip)(
      terraform
        ? `(b) ${terraform} renders the same bytes`
        : "(b) real Terraform renders the same bytes (SKIPPED: no terraform/tofu on PATH)",
      () => {
        expect(robotDelivered).toBeDefined();
        expect(contentByTerraform(terraform!, robotStack!)).toBe(robotDelivered);
      },
    );
  },
);
