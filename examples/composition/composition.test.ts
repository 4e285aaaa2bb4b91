/**
 * The composition example: the constructs inside a larger stack, Harbor's URL from a Terraform
 * variable, node hosts from other resources. Checks the wiring in the synthesized JSON, provider
 * schema conformance, secrets, and (when `terraform` is on PATH) the registries.yaml that
 * Terraform itself computes from the content expression.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { parse } from "yaml";
import { HARBOR_STAND_IN_HOST } from "../../constructs/harbor-proxy-cache";
import { warningsIn } from "../../constructs/warnings";
import { compileRegistriesSpec } from "../../registries/compile-rules";
import { parseRegistriesYaml } from "../../registries/parse";
import { resolveImage } from "../../registries/resolve";
import { forEachMapOf } from "../../review/terraform-json";
import { checkAgainstProviderSchemas, HARBOR_SCHEMA, NULL_SCHEMA } from "../../testing/schema-conformance";
import { applyOutputs, findTerraformBinary } from "../../testing/terraform-cli";
import { buildCompositionStack, CLUSTER_VMS, CompositionStack } from "./main";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synthesize(): { stack: CompositionStack; json: Json } {
  const stack = buildCompositionStack(Testing.app());
  return { stack, json: JSON.parse(Testing.synth(stack)) };
}

const { stack, json } = synthesize();
const delivery = stack.mirror.delivery!;
const addressOf = (resource: { terraformResourceType: string; friendlyUniqueId: string }) =>
  `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
const nodeBody = (name: string): Json =>
  json.resource.null_resource[delivery.nodeResources.get(name)!.friendlyUniqueId];
/** The local holding the exact bytes nodes receive (the delivery's own copy of the content). */
const deliveredLocal = Object.keys(json.locals).find((name) =>
  /^Mirror_Delivery_file_registries_[0-9A-F]+$/.test(name),
)!;
const registriesLocal = (kind: "template" | "content") =>
  Object.keys(json.locals).find((name) => name.startsWith(`Mirror_Registries_${kind}`))!;

describe("composition example: wiring", () => {
  it.each(CLUSTER_VMS.map((vm) => vm.name))(
    "connects to node %s through its VM's private_ip attribute",
    (name) => {
      const vmAddress = addressOf(stack.vms.get(name)!.instance);
      const expected = `\${${vmAddress}.triggers.private_ip}`;
      expect(forEachMapOf(nodeBody(name), json.locals)?.[name].host).toBe(expected);
      expect(nodeBody(name).connection.host).toBe("${each.value.host}");
      expect(nodeBody(name).triggers.host).toBe("${each.value.host}");
    },
  );

  it.each(CLUSTER_VMS.map((vm) => vm.name))("boots VM %s with the mirror's cloud-config", (name) => {
    const vm = json.resource.null_resource[stack.vms.get(name)!.instance.friendlyUniqueId];
    expect(vm.triggers.user_data).toMatch(/^\$\{local\.Mirror_cloud_config_[0-9a-f]{8}_[A-F0-9]+\}$/);
    expect(vm.lifecycle.ignore_changes).toEqual(['triggers["user_data"]']);
  });

  it("hands the Harbor URL variable to the provider", () => {
    expect(json.provider.harbor[0].url).toBe("${var.harbor_url}");
  });

  it("puts the URL and the host derived from it into the registries content expression", () => {
    const content = json.locals[registriesLocal("content")];
    expect(content).toContain('"__HARBOR_MIRROR_APPLY_TIME_harbor_url__", jsonencode(var.harbor_url)');
    expect(content).toMatch(
      /"__HARBOR_MIRROR_APPLY_TIME_harbor_host__", jsonencode\(element\(regex\(.*var\.harbor_url\), 0\)\)/,
    );
    expect(json.locals[deliveredLocal]).toBe(`\${local.${registriesLocal("content")}}`);
  });

  it("never ships the stand-in host: the file template holds placeholders only", () => {
    const template = json.locals[registriesLocal("template")];
    expect(template).not.toContain(HARBOR_STAND_IN_HOST);
    expect(template).toContain("- __HARBOR_MIRROR_APPLY_TIME_harbor_url__\n");
    expect(template).toContain("  __HARBOR_MIRROR_APPLY_TIME_harbor_host__:\n");
  });

  it("validates harbor_url on the variable and again in the construct's HarborHost output", () => {
    const [validation] = json.variable.harbor_url.validation;
    const [precondition] = Object.values<Json>(json.output).find(
      (output) => output.precondition,
    )!.precondition;
    expect(validation.condition).toBe(precondition.condition);
    expect(validation.condition).toMatch(/^\$\{can\(regex\(".*", var\.harbor_url\)\)\}$/);
  });

  it("rolls out servers one at a time, then agents two at a time", () => {
    const dependsOn = (name: string) => [...(nodeBody(name).depends_on ?? [])].sort();
    const ref = (name: string) => addressOf(delivery.nodeResources.get(name)!);
    const steps = delivery.rolloutSteps;
    expect(steps.slice(0, 2)).toEqual([["server-1"], ["server-2"]]);
    expect(steps.slice(2).flat()).toEqual(["agent-1", "agent-2", "agent-3"]);
    steps.forEach((step, index) => {
      expect(step.length).toBeLessThanOrEqual(index < 2 ? 1 : 2);
      const previous = [...new Set((steps[index - 1] ?? []).map(ref))].sort();
      for (const name of step) expect(dependsOn(name)).toEqual(previous);
    });
  });

  it("tries the extra rewrite rule before the proxy-cache rule (resolved on the compiled file)", () => {
    const compiled = compileRegistriesSpec(stack.mirror.proxyCache.registriesSpec);
    const [team, other] = ["acme/api:1.0", "nginx:1.27"].map(
      (image) => resolveImage(image, compiled).attempts[0],
    );
    // The review resolves against the stand-in: the real URL is known only at apply time.
    expect(team).toMatchObject({
      endpoint: `https://${HARBOR_STAND_IN_HOST}/v2`,
      repository: "acme-approved/api",
    });
    expect(other).toMatchObject({ repository: "docker.io/library/nginx" });
  });

  it("creates the rule's target as a private plain project and lets the robot pull from it", () => {
    const projects = Object.values<Json>(json.resource.harbor_project);
    const approved = projects.filter((body) => body.name === "acme-approved");
    expect(approved).toEqual([expect.objectContaining({ public: false })]);
    expect(approved[0]).not.toHaveProperty("registry_id");
    const [robot] = Object.values<Json>(json.resource.harbor_robot_account);
    expect(robot.permissions.map((permission: Json) => permission.namespace)).toEqual([
      "docker.io",
      "ghcr.io",
      "quay.io",
      "acme-approved",
    ]);
    for (const permission of robot.permissions) {
      expect(permission.access).toEqual([{ resource: "repository", action: "pull" }]);
    }
  });

  it("warns about no rewrite target: every project a rule reaches is managed", () => {
    const codes = warningsIn(stack).map((warning) => warning.code);
    expect(codes.filter((code) => code.startsWith("rewrite-target-"))).toEqual([]);
  });

  it("shows placeholders, never a value, in the display text", () => {
    expect(stack.mirror.registries.displayText).toContain('- "<harbor url>"\n');
    expect(stack.mirror.registries.displayText).toContain('  "<harbor host>":\n');
  });

  it("synthesizes byte-identically twice", () => {
    expect(Testing.synth(buildCompositionStack(Testing.app()))).toBe(Testing.synth(stack));
  });
});

describe("composition example: provider schemas and secrets", () => {
  const outdir = Testing.fullSynth(buildCompositionStack(Testing.app()));
  const text = readFileSync(path.join(outdir, "stacks", "composition", "cdk.tf.json"), "utf8");
  const document = JSON.parse(text) as Json;

  it("conforms to the harbor and null provider schemas (cdk.tf.json)", () => {
    expect(checkAgainstProviderSchemas(document, [HARBOR_SCHEMA, NULL_SCHEMA])).toEqual([]);
  });

  it("takes every secret from a sensitive variable without a default", () => {
    const robot = Object.values<Json>(document.resource.harbor_robot_account)[0];
    expect(robot.secret_wo).toBe("${var.harbor_robot_secret}");
    const keys = Object.values<Json>(document.resource.null_resource)
      .filter((body) => body.connection)
      .map((body) => body.connection.private_key);
    expect(new Set(keys)).toEqual(new Set(["${var.ssh_private_key}"]));
    for (const name of ["harbor_robot_secret", "ssh_private_key"]) {
      expect(document.variable[name]).toEqual(expect.objectContaining({ sensitive: true }));
      expect(document.variable[name]).not.toHaveProperty("default");
    }
  });

  it("has no secret-bearing attribute holding a literal", () => {
    const secretKeys = /^(secret|secret_wo|password|private_key|access_secret)$/;
    const literals: string[] = [];
    const walk = (value: unknown, at: string) => {
      if (Array.isArray(value)) value.forEach((item, index) => walk(item, `${at}[${index}]`));
      else if (value && typeof value === "object") {
        for (const [key, inner] of Object.entries(value)) {
          if (secretKeys.test(key) && typeof inner === "string" && !inner.startsWith("${")) {
            literals.push(`${at}.${key}`);
          }
          walk(inner, `${at}.${key}`);
        }
      }
    };
    walk(document.resource, "resource");
    walk(document.provider, "provider");
    expect(literals).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Real Terraform: the content expression evaluated for sample values. Only locals, variables and
// outputs: resource attributes the content needs (the robot's full name) become variables.
// ---------------------------------------------------------------------------------------------

const terraform = findTerraformBinary();
const describeWithTerraform = terraform ? describe : describe.skip;

/** `type.name.attribute` references to the stack's resources, as variables `type__name__attribute`. */
function derivedConfig(source: Json, options: { keepVariableValidation: boolean }): Json {
  const addresses = Object.entries<Json>(source.resource).flatMap(([type, instances]) =>
    Object.keys(instances).map((name) => `${type}.${name}`),
  );
  const replaced = new Set<string>();
  // The triggers' keyed digests need the SSH key, and the delivery groups' node maps (for_each)
  // the VMs' addresses, which the file does not: left out.
  const locals = Object.fromEntries(
    Object.entries<string>(source.locals).filter(([name]) => !/_digest_|-nodes_/.test(name)),
  );
  const body = JSON.stringify({ locals, output: outputsToEvaluate(source) }).replace(
    /([a-z_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)/g,
    (reference, type, name, attribute) => {
      if (!addresses.includes(`${type}.${name}`)) return reference;
      const variable = `${type}__${name}__${attribute}`;
      replaced.add(variable);
      return `var.${variable}`;
    },
  );
  const used = new Set([...body.matchAll(/var\.([A-Za-z0-9_-]+)/g)].map((match) => match[1]));
  const variables = Object.fromEntries(
    [...used].map((name) => {
      const declared = replaced.has(name) ? { type: "string" } : { ...source.variable[name] };
      if (!options.keepVariableValidation) delete declared.validation;
      return [name, declared];
    }),
  );
  return { variable: variables, ...JSON.parse(body) };
}

function outputsToEvaluate(source: Json): Json {
  const hostOutput = Object.values<Json>(source.output).find((output) => output.precondition)!;
  return {
    harbor_host: hostOutput,
    registries_yaml: { value: `\${local.${deliveredLocal}}`, sensitive: true },
    user_data: {
      value: source.resource.null_resource[vmAddress("server-1")].triggers.user_data,
      sensitive: true,
    },
  };
}

const vmAddress = (name: string) => stack.vms.get(name)!.instance.friendlyUniqueId;

const robotFullNameVariable = (config: Json) =>
  Object.keys(config.variable).find((name) => name.startsWith("harbor_robot_account__"))!;

describeWithTerraform("composition example: registries.yaml computed by real Terraform", () => {
  const SECRET = 'pa$$ "word" ${not.a.ref} %{x} \\ é';
  const ROBOT = "robot$harbor-mirror-pull";

  function evaluate(harborUrl: string, keepVariableValidation = true): Record<string, unknown> {
    const config = derivedConfig(json, { keepVariableValidation });
    return applyOutputs(terraform!, config, {
      harbor_url: harborUrl,
      harbor_robot_secret: SECRET,
      [robotFullNameVariable(config)]: ROBOT,
    });
  }

  it.each([
    { url: "https://harbor.example.com", host: "harbor.example.com" },
    { url: "https://harbor.example.com:8443", host: "harbor.example.com:8443" },
  ])("for $url: endpoint is the URL, configs are keyed by $host, credentials exact", ({ url, host }) => {
    const outputs = evaluate(url);
    expect(outputs.harbor_host).toBe(host);
    const parsed = parseRegistriesYaml(outputs.registries_yaml as string);
    expect(parsed.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
    for (const registry of ["docker.io", "ghcr.io", "quay.io"]) {
      expect(parsed.file.mirrors?.[registry]?.endpoint).toEqual([url]);
    }
    expect(parsed.file.configs).toEqual({ [host]: { auth: { username: ROBOT, password: SECRET } } });
  });

  it("boots the VMs with user-data that writes exactly that file, 0600 root:root", () => {
    const outputs = evaluate("https://harbor.example.com");
    const userData = outputs.user_data as string;
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    const [file] = (parse(userData) as Json).write_files as Json[];
    expect(file).toMatchObject({
      path: "/etc/rancher/rke2/registries.yaml",
      permissions: "0600",
      owner: "root:root",
      encoding: "b64",
    });
    expect(Buffer.from(file.content, "base64").toString("utf8")).toBe(outputs.registries_yaml);
  });

  it.each([
    {
      rule: "a path, by the variable's validation",
      url: "https://harbor.example.com/v2",
      keep: true,
      message: /harbor_url must be https:\/\/host\[:port\]/,
    },
    {
      rule: "a path, by the construct's precondition alone",
      url: "https://harbor.example.com/v2",
      keep: false,
      message: /harborUrl must be Harbor's root URL/,
    },
    {
      rule: "an upstream's own host (§10 pitfall 1)",
      url: "https://ghcr.io",
      keep: true,
      message:
        /harborUrl's host must not be one of the upstream registries \(docker\.io, ghcr\.io, quay\.io\)/,
    },
  ])("refuses $rule", ({ url, keep, message }) => {
    expect(() => evaluate(url, keep)).toThrow(message);
  });
});
