import { App, TerraformStack } from "cdktf";
import { HarborMirror, writeMirrorReview } from "harbor-mirror";

const app = new App();
const stack = new TerraformStack(app, "registry-cache");
const mirror = new HarborMirror(stack, "Mirror", {
  proxyCache: { harborUrl: "https://harbor.example.com", upstreams: [{ registry: "docker.io" }] },
});
app.synth();
// cdktf.out/stacks/registry-cache/review.md and review.json, as `npm run synth` writes them for the app
const { markdown } = writeMirrorReview(mirror, { images: ["acme/api:1.0"] });
console.log(`review: ${markdown}`);
