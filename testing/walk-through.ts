import type { RegistriesSpec } from "../registries/model";

/**
 * The original walk-through's docker.io mirror: Harbor at harbor.kingsd.top, the `ksd-test/` rule
 * before the proxy-cache rule, as an ordered list (compile it to get what nodes receive).
 */
export const WALK_THROUGH_SPEC: RegistriesSpec = {
  mirrors: [
    {
      registry: "docker.io",
      endpoints: ["https://harbor.kingsd.top"],
      rewrites: [
        { match: "^ksd-test/(.*)", replace: "production/$1" },
        { match: "^(.*)$", replace: "docker.io/$1" },
      ],
    },
  ],
  configs: {},
};

/**
 * The `resolve --json` object of the walk-through's `ksd-test/busybox:1.35`
 * (Harbor at harbor.kingsd.top, rule `^ksd-test/(.*)` → `production/$1` before the proxy rule):
 * the library and the CLI must both produce exactly this.
 */
export const CLI_MD_RESOLVE_EXAMPLE = {
  image: "ksd-test/busybox:1.35",
  reference: "docker.io/ksd-test/busybox:1.35",
  registry: "docker.io",
  repository: "ksd-test/busybox",
  deterministic: true,
  attempts: [
    {
      endpoint: "https://harbor.kingsd.top/v2",
      repository: "production/busybox",
      url: "https://harbor.kingsd.top/v2/production/busybox/manifests/1.35?ns=docker.io",
      rule: "^ksd-test/(.*)",
      auth: null,
    },
    {
      endpoint: "https://registry-1.docker.io/v2",
      repository: "ksd-test/busybox",
      url: "https://registry-1.docker.io/v2/ksd-test/busybox/manifests/1.35",
      rule: null,
      auth: null,
    },
  ],
  warnings: [],
} as const;
