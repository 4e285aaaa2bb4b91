import "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";
import { resource } from "@cdktf/provider-null";
import { ClusterStack } from "../cluster-stack";

describe("the consumer's stack with harbor-mirror", () => {
  const synthesized = Testing.synth(new ClusterStack(Testing.app(), "test"));

  it("declares the proxy cache and the pull robot", () => {
    expect(synthesized).toHaveResourceWithProperties(
      { tfResourceType: "harbor_project" },
      { name: "docker.io" },
    );
    expect(synthesized).toHaveResource({ tfResourceType: "harbor_robot_account" });
  });

  it("delivers registries.yaml to the consumer's VMs", () => {
    // Each delivery group takes its nodes (`for_each`) from a local of the stack.
    const stack = JSON.parse(synthesized) as { locals: Record<string, unknown> };
    expect(synthesized).toHaveResourceWithProperties(resource.Resource, {
      for_each: expect.stringMatching(/^\$\{local\..+\}$/),
    });
    expect(Object.values(stack.locals)).toContainEqual({
      "server-1": { host: expect.stringContaining("null_resource.vm-server-1") },
    });
  });
});
