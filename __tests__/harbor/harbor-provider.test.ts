/** The harbor provider block (harbor.md §2.1): TLS verification on, credentials only from variables. */
import { Construct } from "constructs";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { HarborProvider } from "../../constructs/harbor-provider";
import { checkAgainstProviderSchemas, HARBOR_SCHEMA } from "../../testing/schema-conformance";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(declare: (scope: Construct) => void): Json {
  const stack = new TerraformStack(Testing.app(), "test");
  declare(stack);
  return JSON.parse(Testing.synth(stack));
}

describe("HarborProvider", () => {
  const json = synth((stack) => new HarborProvider(stack, "Harbor", { url: "https://harbor.kingsd.top/" }));

  it("turns TLS verification on explicitly (the provider's default is insecure = true)", () => {
    expect(json.provider.harbor).toEqual([
      {
        url: "https://harbor.kingsd.top",
        insecure: false,
        username: "${var.harbor_username}",
        password: "${var.harbor_password}",
      },
    ]);
  });

  it.each(["harbor_username", "harbor_password"])(
    "declares %s as a sensitive, nullable string defaulting to null, so HARBOR_* environment variables still work",
    (name) => {
      expect(json.variable[name]).toMatchObject({
        type: "string",
        sensitive: true,
        nullable: true,
        default: null,
      });
    },
  );

  it("keeps the variable names fixed when nested deeper in the tree (TF_VAR_harbor_username)", () => {
    const nested = synth(
      (stack) => new HarborProvider(new Construct(stack, "Deep"), "Harbor", { url: "https://h.example.com" }),
    );
    expect(Object.keys(nested.variable).sort()).toEqual(["harbor_password", "harbor_username"]);
  });

  it("skips TLS verification only when asked", () => {
    const insecure = synth(
      (stack) => new HarborProvider(stack, "Harbor", { url: "https://h.example.com", insecureApi: true }),
    );
    expect(insecure.provider.harbor[0].insecure).toBe(true);
  });

  it("passes a token URL through unchecked (checked at plan time by the proxy cache)", () => {
    const fromVariable = synth((stack) => {
      const url = new TerraformVariable(stack, "harbor_url", { type: "string" }).stringValue;
      new HarborProvider(stack, "Harbor", { url });
    });
    expect(fromVariable.provider.harbor[0].url).toBe("${var.harbor_url}");
  });

  it("conforms to the provider schema", () => {
    expect(checkAgainstProviderSchemas(json, [HARBOR_SCHEMA])).toEqual([]);
  });

  it.each([
    {
      rule: "http needs opt-in",
      url: "http://harbor.kingsd.top",
      message: /uses http:\/\/.*allowInsecureHttp/,
    },
    { rule: "root URL only", url: "https://harbor.kingsd.top/api/v2.0", message: /without a path/ },
  ])("rejects a bad URL: $rule", ({ url, message }) => {
    expect(() => synth((stack) => new HarborProvider(stack, "Harbor", { url }))).toThrow(message);
  });
});
