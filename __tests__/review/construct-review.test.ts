/**
 * The review of a construct user's stack (no app, no configuration): facts read from a
 * `HarborMirror` whose Harbor URL is a Terraform variable, known only at apply time. Images must
 * still resolve through Harbor (on the stand-in host), not be reported as bypassing it.
 */
import { App, TerraformStack, TerraformVariable } from "cdktf";
import { HarborMirror } from "../../constructs/harbor-mirror";
import { reviewFactsOf } from "../../app/review-facts";
import { buildReview } from "../../review/build";

function tokenUrlMirror(): HarborMirror {
  const stack = new TerraformStack(new App(), "construct-review");
  const url = new TerraformVariable(stack, "harbor_url", { type: "string" });
  return new HarborMirror(stack, "Mirror", {
    proxyCache: {
      harborUrl: url.stringValue,
      upstreams: [{ registry: "docker.io" }, { registry: "ghcr.io" }],
      rewrites: { "docker.io": [{ match: "^acme/(.*)$", replace: "acme-approved/$1" }] },
    },
  });
}

describe("reviewFactsOf a HarborMirror with an apply-time Harbor URL", () => {
  const { json, markdown } = buildReview({ head: reviewFactsOf(tokenUrlMirror()), images: ["nginx:1.27"] });

  it("resolves every image through Harbor's stand-in, each rule exercised", () => {
    expect(json.summary.bypassesHarbor).toEqual([]);
    const byImage = Object.fromEntries(json.images.map((image) => [image.image, image.after]));
    expect(byImage["docker.io/acme/a"]).toMatchObject({
      endpoint: "https://harbor.apply-time.invalid/v2",
      repository: "acme-approved/a",
      userRule: { index: 1, match: "^acme/(.*)$" },
    });
    expect(byImage["nginx:1.27"]).toMatchObject({
      repository: "docker.io/library/nginx",
      bypassesHarbor: false,
    });
  });

  it("shows the file with its placeholders and says no nodes are configured", () => {
    expect(json.head.registries.text).toContain("__HARBOR_MIRROR_APPLY_TIME_harbor_url__");
    expect(markdown).toContain("No nodes are configured: the file is rendered but not delivered.");
  });
});
