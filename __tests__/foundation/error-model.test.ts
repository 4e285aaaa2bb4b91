/**
 * The one error model: every construct reports bad props as a `ValidationError` whose
 * diagnostics carry a stable code, the prop's key path and the construct's path, so the app can
 * place the error at the YAML key it came from. No construct throws a plain `Error` for input.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { HarborMirror } from "../../constructs/harbor-mirror";
import { HarborProvider } from "../../constructs/harbor-provider";
import { HarborProxyCache } from "../../constructs/harbor-proxy-cache";
import { RegistriesDelivery } from "../../constructs/registries-delivery";
import { RolloutStrategy } from "../../constructs/rollout-strategy";
import { ValidationError, type Diagnostic } from "../../registries/diagnostics";

function thrown(build: (stack: TerraformStack) => unknown): Diagnostic[] {
  const stack = new TerraformStack(Testing.app(), "test");
  try {
    build(stack);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return [...(error as ValidationError).diagnostics];
  }
  throw new Error("expected a ValidationError");
}

const secret = (stack: TerraformStack) =>
  new TerraformVariable(stack, "key", { sensitive: true }).stringValue;

describe("constructs report bad props as ValidationError with code, key path and construct path", () => {
  it.each([
    {
      construct: "HarborProxyCache",
      build: (stack: TerraformStack) =>
        new HarborProxyCache(stack, "Cache", {
          harborUrl: "https://harbor.example.com",
          upstreams: [{ registry: "docker.io" }, { registry: "docker.io" }],
        }),
      expected: {
        code: "upstream-duplicate-registry",
        keyPath: ["upstreams", 1, "registry"],
        construct: "test/Cache",
      },
    },
    {
      construct: "HarborProvider",
      build: (stack: TerraformStack) =>
        new HarborProvider(stack, "Harbor", { url: "http://harbor.example.com" }),
      expected: { code: "harbor-url-invalid", keyPath: ["url"], construct: "test/Harbor" },
    },
    {
      construct: "RegistriesDelivery",
      build: (stack: TerraformStack) =>
        new RegistriesDelivery(stack, "Delivery", {
          content: "mirrors: {}\n",
          nodes: [
            { name: "a", host: "192.0.2.1", role: "server" },
            { name: "a", host: "192.0.2.2", role: "agent" },
          ],
          ssh: { privateKey: secret(stack) },
        }),
      expected: { code: "node-duplicate-name", keyPath: ["nodes", 1, "name"], construct: "test/Delivery" },
    },
    {
      construct: "HarborMirror",
      build: (stack: TerraformStack) =>
        new HarborMirror(stack, "Mirror", {
          proxyCache: { harborUrl: "https://harbor.example.com", upstreams: [{ registry: "docker.io" }] },
          caCertFile: "/nonexistent/harbor-ca.pem",
        }),
      expected: { code: "ca-cert-file-missing", keyPath: ["caCertFile"], construct: "test/Mirror" },
    },
    {
      construct: "RolloutStrategy",
      build: () => RolloutStrategy.rolling({ batchSize: 0 }),
      expected: {
        code: "not-a-positive-integer",
        keyPath: ["batchSize"],
        construct: "RolloutStrategy.rolling",
      },
    },
  ])("$construct", ({ build, expected }) => {
    expect(thrown(build)).toEqual([expect.objectContaining({ severity: "error", ...expected })]);
  });
});

describe("no construct throws a plain Error for bad input", () => {
  const dir = join(__dirname, "..", "..", "constructs");
  it.each(readdirSync(dir).filter((name) => name.endsWith(".ts")))("%s", (name) => {
    const source = readFileSync(join(dir, name), "utf8");
    // The one allowed plain Error is an internal invariant of token splitting, not an input check.
    const plain = source.match(/throw new Error\((?!`cannot find token)/g) ?? [];
    expect(plain).toEqual([]);
  });
});
