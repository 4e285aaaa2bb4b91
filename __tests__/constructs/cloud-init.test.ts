/**
 * First boot: RegistriesContent and HarborMirror offer the node files as a `#cloud-config`
 * document (write_files: path, 0600, root:root, base64 of the exact bytes). Checked on the
 * synthesized locals and, where a content is known only at apply time, on the document real
 * Terraform computes from them, with a robot secret full of template and YAML syntax.
 */
import {
  DefaultTokenResolver,
  StringConcat,
  TerraformOutput,
  TerraformStack,
  TerraformVariable,
  Testing,
  Tokenization,
} from "cdktf";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { HarborMirror } from "../../constructs/harbor-mirror";
import { RegistriesContent } from "../../constructs/registries-content";
import { ValidationError } from "../../registries/diagnostics";
import type { RegistriesSpec } from "../../registries/model";
import { applyOutputs, findTerraformBinary } from "../../testing/terraform-cli";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HARBOR = "https://harbor.example.com";
const PUBLIC_SPEC: RegistriesSpec = {
  configs: {},
  mirrors: [
    { registry: "docker.io", endpoints: [HARBOR], rewrites: [{ match: "^(.*)$", replace: "docker.io/$1" }] },
  ],
};
const ROBOT_SPEC: RegistriesSpec = {
  ...PUBLIC_SPEC,
  configs: {
    "harbor.example.com": {
      auth: {
        username: { kind: "apply-time", id: "robot_name", display: "<robot name>" },
        password: { kind: "apply-time", id: "robot_secret", display: "<robot secret>" },
      },
    },
  },
};
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB${not}%{a}"template\\\n-----END CERTIFICATE-----\n';

/** The Terraform expression a token stands for. */
function resolved(stack: TerraformStack, value: string): string {
  const resolver = new DefaultTokenResolver(new StringConcat());
  return Tokenization.resolve(value, { scope: stack, preparing: false, resolver }) as string;
}

/**
 * The document as synthesized: the YAML template (contents known only at apply time are
 * placeholders) and the expression that fills them in.
 */
function synthesizedDocument(stack: TerraformStack, cloudConfig: string): { template: Json; value: string } {
  const json = JSON.parse(Testing.synth(stack)) as Json;
  const local = /^\$\{local\.([A-Za-z0-9_]+)\}$/.exec(resolved(stack, cloudConfig))![1];
  const value = json.locals[local] as string;
  const template = /^\$\{replace\(local\.([A-Za-z0-9_]+),/.exec(value)?.[1];
  const text = (template ? json.locals[template] : value) as string;
  expect(text.startsWith("#cloud-config\n")).toBe(true);
  return { template: parse(text) as Json, value };
}

const decoded = (entry: Json) => Buffer.from(entry.content, "base64").toString("utf8");

describe("RegistriesContent.cloudConfig", () => {
  it("writes the file 0600 root:root at the distribution's path, base64 of the content local", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const registries = new RegistriesContent(stack, "Registries", { spec: PUBLIC_SPEC });
    const { template, value } = synthesizedDocument(stack, registries.cloudConfig({ distribution: "k3s" }));
    expect(template.write_files).toEqual([
      {
        path: "/etc/rancher/k3s/registries.yaml",
        permissions: "0600",
        owner: "root:root",
        encoding: "b64",
        content: "__HARBOR_MIRROR_CLOUD_INIT_CONTENT_0__",
      },
    ]);
    expect(value).toContain(
      `"__HARBOR_MIRROR_CLOUD_INIT_CONTENT_0__", base64encode(${resolved(stack, registries.content).slice(2, -1)}))`,
    );
    expect(registries.holdsSecret).toBe(false);
  });

  it("defaults to RKE2's path, honours registriesPath, and returns one local per path", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const registries = new RegistriesContent(stack, "Registries", { spec: PUBLIC_SPEC });
    expect(synthesizedDocument(stack, registries.cloudConfig()).template.write_files[0].path).toBe(
      "/etc/rancher/rke2/registries.yaml",
    );
    const custom = registries.cloudConfig({ registriesPath: "/opt/rke2/registries.yaml" });
    expect(synthesizedDocument(stack, custom).template.write_files[0].path).toBe("/opt/rke2/registries.yaml");
    const again = registries.cloudConfig({ registriesPath: "/opt/rke2/registries.yaml" });
    expect(resolved(stack, again)).toBe(resolved(stack, custom));
  });

  it("offers the entry for the user's own cloud-config", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const registries = new RegistriesContent(stack, "Registries", {
      spec: ROBOT_SPEC,
      applyTimeTokens: tokens(stack),
    });
    const entry = registries.cloudInitWriteFile();
    expect({ ...entry, content: resolved(stack, entry.content) }).toEqual({
      path: "/etc/rancher/rke2/registries.yaml",
      permissions: "0600",
      owner: "root:root",
      encoding: "b64",
      content: `\${base64encode(${resolved(stack, registries.content).slice(2, -1)})}`,
    });
    expect(registries.holdsSecret).toBe(true);
  });

  it.each([
    { registriesPath: "etc/registries.yaml", code: "node-path-invalid" },
    { registriesPath: "/etc/rancher/rke2/", code: "node-path-invalid" },
    { registriesPath: "/etc/$(reboot)", code: "node-path-invalid" },
  ])("refuses registriesPath $registriesPath ($code)", ({ registriesPath, code }) => {
    const stack = new TerraformStack(Testing.app(), "test");
    const registries = new RegistriesContent(stack, "Registries", { spec: PUBLIC_SPEC });
    expect(codesOf(() => registries.cloudConfig({ registriesPath }))).toEqual([code]);
  });

  it("refuses a token path and an unknown distribution", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const registries = new RegistriesContent(stack, "Registries", { spec: PUBLIC_SPEC });
    const path = new TerraformVariable(stack, "path", { type: "string" }).stringValue;
    expect(codesOf(() => registries.cloudConfig({ registriesPath: path }))).toEqual(["node-path-token"]);
    expect(codesOf(() => registries.cloudConfig({ distribution: "k8s" as never }))).toEqual([
      "value-not-allowed",
    ]);
  });
});

function mirrorWithCa(stack: TerraformStack): HarborMirror {
  const caCertFile = join(mkdtempSync(join(tmpdir(), "hm-cloud-init-")), "ca.pem");
  writeFileSync(caCertFile, CA_PEM);
  return new HarborMirror(stack, "Mirror", {
    proxyCache: { harborUrl: HARBOR, upstreams: [{ registry: "docker.io" }] },
    distribution: "k3s",
    caCertFile,
  });
}

describe("HarborMirror.cloudConfig", () => {
  it("writes Harbor's CA (encoded at synth time) before the registries file that names it", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const mirror = mirrorWithCa(stack);
    const files = synthesizedDocument(stack, mirror.cloudConfig()).template.write_files as Json[];
    expect(files.map((file) => [file.path, file.permissions, file.owner, file.encoding])).toEqual([
      ["/etc/rancher/k3s/harbor-ca.pem", "0600", "root:root", "b64"],
      ["/etc/rancher/k3s/registries.yaml", "0600", "root:root", "b64"],
    ]);
    expect(decoded(files[0])).toBe(CA_PEM);
  });
});

function tokens(stack: TerraformStack): Record<string, string> {
  return {
    robot_name: new TerraformVariable(stack, "robot_name", { type: "string" }).stringValue,
    robot_secret: new TerraformVariable(stack, "robot_secret", { type: "string", sensitive: true })
      .stringValue,
  };
}

function codesOf(attempt: () => unknown): string[] {
  try {
    attempt();
  } catch (error) {
    if (error instanceof ValidationError) return error.codes;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

const terraform = findTerraformBinary();

/** Applies the stack's variables, locals and outputs with real Terraform. */
function evaluate(stack: TerraformStack, variables: Record<string, string> = {}): Record<string, unknown> {
  const json = JSON.parse(Testing.synth(stack)) as Json;
  return applyOutputs(
    terraform!,
    { variable: json.variable, locals: json.locals, output: json.output },
    variables,
  );
}

function writeFilesOf(text: string): Json[] {
  expect(text.startsWith("#cloud-config\n")).toBe(true);
  return (parse(text) as Json).write_files as Json[];
}

(terraform ? describe : describe.skip)("the cloud-config document as real Terraform computes it", () => {
  const SECRET = 'pa$$ "word" ${not.a.ref} %{x} \\ é\n: - [x]';
  const ROBOT = "robot$harbor-mirror-pull";

  it("writes the registries file with the robot's credentials byte-exact, as a sensitive output", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const registries = new RegistriesContent(stack, "Registries", {
      spec: ROBOT_SPEC,
      applyTimeTokens: tokens(stack),
    });
    new TerraformOutput(stack, "cloud_config", {
      value: registries.cloudConfig(),
      sensitive: registries.holdsSecret,
    });
    new TerraformOutput(stack, "content", { value: registries.content, sensitive: true });
    const outputs = evaluate(stack, { robot_name: ROBOT, robot_secret: SECRET });
    const [file] = writeFilesOf(outputs.cloud_config as string);
    expect(file).toMatchObject({
      path: "/etc/rancher/rke2/registries.yaml",
      permissions: "0600",
      owner: "root:root",
    });
    expect(decoded(file)).toBe(outputs.content);
    const delivered = parse(decoded(file)) as Json;
    expect(delivered.configs["harbor.example.com"].auth).toEqual({ username: ROBOT, password: SECRET });
  });

  it("writes the CA and the registries file exactly as the SSH delivery would", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const mirror = mirrorWithCa(stack);
    new TerraformOutput(stack, "cloud_config", { value: mirror.cloudConfig() });
    const files = writeFilesOf(evaluate(stack, { key: "unused" }).cloud_config as string);
    expect(files.map(decoded)).toEqual([CA_PEM, mirror.registries.rendered.text]);
  });
});
