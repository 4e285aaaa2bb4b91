/**
 * Proof: every provider, resource and data-source block of every synthesized stack conforms to
 * the Harbor and null provider schemas (what `terraform validate` would check, without providers).
 * Stacks: the example, the robot variant, the k3s/parallel variant, and the composition example
 * (`examples/composition/main.ts`: the constructs as a library, Harbor's URL a variable).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { buildCompositionStack } from "../../examples/composition/main";
import {
  filesUnder,
  synthInProcess,
  variantConfig,
  writeConfig,
  type TfJson,
  type VariantName,
} from "../../testing/config-variants";
import { checkAgainstProviderSchemas, HARBOR_SCHEMA, NULL_SCHEMA } from "../../testing/schema-conformance";

const VARIANTS: readonly VariantName[] = ["example", "robot", "k3s-parallel", "containerd"];

const root = mkdtempSync(path.join(tmpdir(), "harbor-mirror-proof-schema-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every stack (`stacks/<name>/cdk.tf.json`) under a synth output folder. */
function stacksIn(outdir: string): Map<string, TfJson> {
  const stacks = [...filesUnder(outdir)].filter(([file]) => file.endsWith("cdk.tf.json"));
  return new Map(stacks.map(([file, bytes]) => [file, JSON.parse(bytes.toString("utf8")) as TfJson]));
}

function synthVariant(variant: VariantName): Map<string, TfJson> {
  const dir = path.join(root, variant);
  synthInProcess(writeConfig(dir, variantConfig(variant)), path.join(dir, "out"));
  return stacksIn(path.join(dir, "out"));
}

/** The composition example's stack, synthesized the way its main.ts does. */
function synthComposition(): Map<string, TfJson> {
  const outdir = path.join(root, "composition-out");
  const app = new App({ outdir });
  buildCompositionStack(app);
  app.synth();
  return stacksIn(outdir);
}

/** Provider configurations, resource instances and data-source instances of one stack. */
function blockCount(stack: TfJson): number {
  const providers = Object.values(stack.provider ?? {}).flatMap((configs) => configs as unknown[]);
  const instances = (section: unknown) =>
    Object.values((section ?? {}) as Record<string, object>).flatMap((byName) => Object.keys(byName));
  return providers.length + instances(stack.resource).length + instances(stack.data).length;
}

const stacks = new Map<string, Map<string, TfJson>>([
  ...VARIANTS.map((variant) => [variant, synthVariant(variant)] as const),
  ["examples/composition", synthComposition()],
]);

const cases = [...stacks].flatMap(([source, byFile]) =>
  [...byFile].map(([file, stack]) => ({ source, file, stack, blocks: blockCount(stack) })),
);
const totalBlocks = cases.reduce((sum, item) => sum + item.blocks, 0);

describe(`provider-schema conformance of every synthesized stack (${totalBlocks} blocks in ${cases.length} stacks)`, () => {
  it.each(cases)(
    "$source $file: $blocks blocks conform to the Harbor and null schemas",
    ({ stack, blocks }) => {
      expect(blocks).toBeGreaterThan(0);
      expect(checkAgainstProviderSchemas(stack, [HARBOR_SCHEMA, NULL_SCHEMA])).toEqual([]);
    },
  );

  it("covers every kind of block the app generates (providers, Harbor resources, null_resources)", () => {
    const types = new Set(
      cases.flatMap(({ stack }) => [
        ...Object.keys(stack.resource ?? {}),
        ...Object.keys(stack.provider ?? {}),
      ]),
    );
    expect([...types].sort()).toEqual(
      expect.arrayContaining([
        "harbor",
        "harbor_project",
        "harbor_registry",
        "harbor_retention_policy",
        "harbor_robot_account",
        "null",
        "null_resource",
      ]),
    );
  });

  it("would catch a stack that breaks a schema (an unknown attribute in a synthesized block)", () => {
    const broken = structuredClone(cases[0].stack);
    const registries = broken.resource.harbor_registry as Record<string, Record<string, unknown>>;
    Object.values(registries)[0].endpoint = "https://typo.example.com";
    expect(checkAgainstProviderSchemas(broken, [HARBOR_SCHEMA, NULL_SCHEMA])).toEqual([
      expect.stringContaining('unknown attribute or block "endpoint"'),
    ]);
  });
});
