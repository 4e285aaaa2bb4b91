/**
 * The review of plain containerd nodes: they receive one hosts.toml per upstream (no
 * registries.yaml) and never restart, since containerd reads hosts.toml on every pull.
 */
import { App, TerraformStack, TerraformVariable } from "cdktf";
import { HarborMirror } from "../../constructs/harbor-mirror";
import { reviewFactsOf } from "../../app/review-facts";
import { buildReview } from "../../review/build";

function mirror(distribution: "containerd" | "rke2"): HarborMirror {
  const stack = new TerraformStack(new App(), "containerd-review");
  const key = new TerraformVariable(stack, "key", { type: "string", sensitive: true }).stringValue;
  return new HarborMirror(stack, "Mirror", {
    proxyCache: { harborUrl: "https://harbor.example.com", upstreams: [{ registry: "docker.io" }] },
    distribution,
    delivery: {
      nodes: [
        { name: "cp-1", host: "192.0.2.10", role: "server" },
        { name: "worker-1", host: "192.0.2.21", role: "agent" },
      ],
      ssh: { privateKey: key },
    },
  });
}

describe("review of containerd nodes", () => {
  const { json, markdown } = buildReview({ head: reviewFactsOf(mirror("containerd")) });

  it("lists each node kind's hosts.toml files, which do not restart, and no registries.yaml", () => {
    const files = json.head.nodeKinds.flatMap((kind) => kind.files);
    expect(files.map((file) => file.path)).toEqual([
      "/etc/containerd/certs.d/docker.io/hosts.toml",
      "/etc/containerd/certs.d/docker.io/hosts.toml",
    ]);
    expect(files.every((file) => !file.restartOnChange)).toBe(true);
    expect(markdown).not.toContain("/etc/containerd/registries.yaml");
  });

  it("restarts no node, where the same RKE2 nodes would all restart", () => {
    expect(json.restarts.restarting).toEqual([]);
    expect(json.restarts.redelivered).toEqual(["cp-1", "worker-1"]);
    const rke2 = buildReview({ head: reviewFactsOf(mirror("rke2")) }).json;
    expect(rke2.restarts.restarting).toEqual(["cp-1", "worker-1"]);
  });
});
