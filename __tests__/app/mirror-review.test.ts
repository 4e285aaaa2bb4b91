/**
 * Construct users get the same plan review as the app: writeMirrorReview on a HarborMirror writes
 * the review.md and review.json that synth writes for the same tree, byte for byte but for the
 * configuration's own warnings, which only the app has.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildApp, synthesize } from "../../app/build";
import { writeMirrorReview } from "../../app/mirror-review";
import { buildCompositionStack, COMPOSITION_STACK_NAME } from "../../examples/composition/main";
import { App } from "cdktf";
import { variantConfig, writeConfig, type VariantName } from "../../testing/config-variants";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-mirror-review-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The text without the lines about the configuration's warnings: the app names their line in
 * harbor-mirror.yaml (or only the configuration knows them, e.g. "rollout: is parallel"), a
 * construct user has no such file and sees the constructs' own warnings with their path.
 */
function withoutConfigWarnings(text: string, messages: readonly string[]): string {
  const escaped = messages.map((message) => JSON.stringify(message).slice(1, -1));
  return text
    .split("\n")
    .filter(
      (line) => !messages.some((message) => line.includes(message)) && !escaped.some((m) => line.includes(m)),
    )
    .join("\n");
}

describe("writeMirrorReview", () => {
  it.each<VariantName>(["robot", "k3s-parallel"])(
    "writes the app's own review of the %s configuration",
    (variant) => {
      const config = writeConfig(dir, variantConfig(variant));
      const app = synthesize({ configPath: config, outdir: path.join(dir, "app") });
      const built = buildApp({ configPath: config, outdir: path.join(dir, "user") });
      const written = writeMirrorReview(built.stack.mirror, { file: path.join(dir, "user-review.md") });
      const messages = app.warnings.map((warning) => warning.message);
      const appJson = path.join(path.dirname(app.reviewPath), "review.json");
      for (const [ours, apps] of [
        [written.markdown, app.reviewPath],
        [written.json, appJson],
      ]) {
        expect(withoutConfigWarnings(readFileSync(ours, "utf8"), messages)).toBe(
          withoutConfigWarnings(readFileSync(apps, "utf8"), messages),
        );
      }
    },
  );

  it("puts the report next to the stack's cdk.tf.json by default, with the user's images", () => {
    const app = new App({ outdir: path.join(dir, "out") });
    const stack = buildCompositionStack(app);
    app.synth();
    const written = writeMirrorReview(stack.mirror, { images: ["acme/api:1.0"] });
    const stackDir = path.join(dir, "out", "stacks", COMPOSITION_STACK_NAME);
    expect(written.markdown).toBe(path.join(stackDir, "review.md"));
    expect(existsSync(path.join(stackDir, "cdk.tf.json"))).toBe(true);
    expect(readFileSync(written.markdown, "utf8")).toContain("acme/api:1.0");
    expect(readFileSync(written.markdown, "utf8")).toContain("acme-approved/api");
  });
});
