/**
 * Robot permissions follow the rules (issue 12): with `access: robot`, every Harbor project a rewrite
 * rule can reach — a declared plain project (`projects:`) or a proxy project — is in the synthesized
 * robot's pull permissions, and nothing else is; a target harbor-mirror does not manage draws
 * `rewrite-target-unmanaged` naming it, and a target that depends on the repository draws
 * `rewrite-target-unbounded`. Checked on the synthesized `harbor_robot_account`.
 */
import { TerraformStack, Testing } from "cdktf";
import { HarborProvider } from "../../constructs/harbor-provider";
import { HarborProxyCache, type HarborProxyCacheProps } from "../../constructs/harbor-proxy-cache";
import { warningsIn } from "../../constructs/warnings";
import type { OrderedRewrite } from "../../registries/model";

interface Permission {
  readonly kind: string;
  readonly namespace: string;
  readonly access: readonly { resource: string; action: string }[];
}

const UPSTREAMS = [{ registry: "docker.io" }, { registry: "quay.io" }];
const PROXY_PROJECTS = ["docker.io", "quay.io"];

function synthesize(rules: readonly OrderedRewrite[], projects: readonly string[]) {
  const stack = new TerraformStack(Testing.app(), "test");
  new HarborProvider(stack, "Harbor", { url: "https://harbor.example.com" });
  const props: HarborProxyCacheProps = {
    harborUrl: "https://harbor.example.com",
    upstreams: UPSTREAMS,
    access: "robot",
    rewrites: { "docker.io": rules },
    projects: projects.map((name) => ({ name })),
  };
  new HarborProxyCache(stack, "Cache", props);
  const json = JSON.parse(Testing.synth(stack)) as {
    resource: { harbor_robot_account: Record<string, { permissions: Permission[] }> };
  };
  const robots = Object.values(json.resource.harbor_robot_account);
  expect(robots).toHaveLength(1);
  const warnings = warningsIn(stack).filter((warning) => warning.code.startsWith("rewrite-target-"));
  return { permissions: robots[0].permissions, warnings };
}

const cases: {
  name: string;
  rules: OrderedRewrite[];
  projects: string[];
  /** Namespaces the robot may pull from besides the proxy projects. */
  reachable: string[];
  warnings: { code: string; path: string; names?: string }[];
}[] = [
  {
    name: "a rewrite to a declared plain project",
    rules: [{ match: "^ksd-test/(.*)$", replace: "production/$1" }],
    projects: ["production"],
    reachable: ["production"],
    warnings: [],
  },
  {
    name: "a keep rule: the first path component, as written, is the declared project",
    rules: [{ match: "^team-a/(.*)$", keep: true }],
    projects: ["team-a"],
    reachable: ["team-a"],
    warnings: [],
  },
  {
    name: "an alternation of fixed names reaches each declared project it can produce",
    rules: [{ match: "^(rancher|longhornio)/(.*)$", replace: "$1-cache/$2" }],
    projects: ["longhornio-cache", "rancher-cache"],
    reachable: ["longhornio-cache", "rancher-cache"],
    warnings: [],
  },
  {
    name: "a pin to one image in a declared project",
    rules: [{ match: "^library/nginx$", replace: "approved/nginx" }],
    projects: ["approved"],
    reachable: ["approved"],
    warnings: [],
  },
  {
    name: "a rewrite into another registry's proxy project needs no plain project",
    rules: [{ match: "^mirrored/(.*)$", replace: "quay.io/$1" }],
    projects: [],
    reachable: [],
    warnings: [],
  },
  {
    name: "a declared project no rule reaches gets no permission (pull only where rules send)",
    rules: [{ match: "^ksd-test/(.*)$", replace: "production/$1" }],
    projects: ["production", "staging"],
    reachable: ["production"],
    warnings: [],
  },
  {
    name: "an undeclared target draws rewrite-target-unmanaged naming it, and no permission",
    rules: [{ match: "^ksd-test/(.*)$", replace: "production/$1" }],
    projects: [],
    reachable: [],
    warnings: [
      { code: "rewrite-target-unmanaged", path: 'rewrites."docker.io"[0].match', names: '"production"' },
    ],
  },
  {
    name: "of two reachable targets only the undeclared one is warned about",
    rules: [{ match: "^(rancher|longhornio)/(.*)$", replace: "$1-cache/$2" }],
    projects: ["rancher-cache"],
    reachable: ["rancher-cache"],
    warnings: [
      {
        code: "rewrite-target-unmanaged",
        path: 'rewrites."docker.io"[0].match',
        names: '"longhornio-cache"',
      },
    ],
  },
  {
    name: "a target that depends on the repository draws rewrite-target-unbounded",
    rules: [{ match: "^([a-z]+)-dev/(.*)$", replace: "$1/$2" }],
    projects: ["team"],
    reachable: [],
    warnings: [{ code: "rewrite-target-unbounded", path: 'rewrites."docker.io"[0].match' }],
  },
  {
    name: "each rule is judged at its own key",
    rules: [
      { match: "^ksd-test/(.*)$", replace: "production/$1" },
      { match: "^team-a/(.*)$", keep: true },
    ],
    projects: ["production"],
    reachable: ["production"],
    warnings: [
      { code: "rewrite-target-unmanaged", path: 'rewrites."docker.io"[1].match', names: '"team-a"' },
    ],
  },
];

describe("HarborProxyCache access robot: permissions follow the rewrite rules", () => {
  it.each(cases)("$name", ({ rules, projects, reachable, warnings }) => {
    const synthesized = synthesize(rules, projects);
    expect(synthesized.permissions.map((permission) => permission.namespace)).toEqual([
      ...PROXY_PROJECTS,
      ...reachable,
    ]);
    for (const permission of synthesized.permissions) {
      expect(permission).toEqual({
        kind: "project",
        namespace: permission.namespace,
        access: [{ resource: "repository", action: "pull" }],
      });
    }
    expect(synthesized.warnings).toEqual(
      warnings.map(({ code, path, names }) =>
        expect.objectContaining({
          code,
          path,
          severity: "warning",
          ...(names ? { message: expect.stringContaining(`Harbor project ${names}`) } : {}),
        }),
      ),
    );
  });
});
