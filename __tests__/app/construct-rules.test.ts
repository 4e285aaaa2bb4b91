/**
 * Every rule a construct applies reaches the user at the YAML key it came from. The errors are
 * the bad-input catalogue (testing/bad-inputs.ts; the proof suite runs each through the app and
 * checks the printed `file:line:col key: message`); this test proves the catalogue covers every
 * rule code the constructs and their helpers can report, and that every construct warning
 * reaches the console, located, exactly once.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../app/build";
import { formatDiagnostic, ValidationError } from "../../registries/diagnostics";
import {
  HEAD,
  INVALID_CONFIG_CASES,
  markedLine,
  NODE,
  UPSTREAMS,
  VALID,
  VALUE_RULE_CASES,
  writeConfigFixtures,
} from "../../testing/bad-inputs";
import { REPO_ROOT, runSynth } from "../../testing/run-app";

/** Where the constructs' rules live: the constructs, the pure checks they call, the app's stack. */
const RULE_SOURCES = [
  "constructs",
  "app",
  "delivery/checks.ts",
  "harbor/url.ts",
  "registries/compile-rules.ts",
];

/** Codes no harbor-mirror.yaml can trigger, because the loader or the app rules them out first. */
const NOT_REACHABLE_FROM_YAML: Readonly<Record<string, string>> = {
  "secret-literal": "the app passes every secret as a Terraform variable token",
  "node-path-token": "the app passes paths from the file, never tokens",
  "upstream-registry-token": "the app passes registries from the file, never tokens",
  "apply-time-token-missing": "HarborMirror wires the proxy cache's tokens itself",
  "value-not-allowed": "the schema's enums refuse such values first (access, role, distribution)",
  "upstream-provider-invalid": "the schema's enum refuses unknown provider types first",
  "rewrite-duplicate-mirror": "the proxy cache describes each registry once",
  "rewrite-rule-conflict": "ordered-rule conflicts are the rewrite compiler's (tested in its room)",
  "node-files-empty": "the app always delivers registries.yaml (the `files` prop is for construct users)",
  "node-file-id-invalid": "the app's node files carry the construct's own ids",
  "node-file-content-differs": "the app's node files come from one content each",
  "node-files-differ": "the app gives every node the same kinds of file",
};

const WARNING_CASES: readonly { code: string; yaml: string; path: string; message: string }[] = [
  {
    code: "upstream-provider-version",
    yaml: HEAD + "upstreams:\n  - registry: quay.io #<\naccess: robot\n",
    path: "upstreams[0].provider",
    message: 'Harbor 2.14+ does not permit provider type "quay"',
  },
  {
    code: "rewrite-target-unmanaged",
    yaml: VALID + "rewrites:\n  docker.io:\n    - match: '^a/(.*)$' #<\n      replace: 'prod/$1'\n",
    path: 'rewrites."docker.io"[0].match',
    message: 'sends repositories to Harbor project "prod", which harbor-mirror does not manage',
  },
  {
    code: "rewrite-target-unbounded",
    yaml:
      VALID + "rewrites:\n  docker.io:\n    - match: '^([a-z]+)/(.*)$' #<\n      replace: '$1-cache/$2'\n",
    path: 'rewrites."docker.io"[0].match',
    message: "depends on the repository",
  },
  {
    code: "upstream-local-on-not-found",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    localOnNotFound: true #<\naccess: robot\n",
    path: "upstreams[0].localOnNotFound",
    message: "needs Harbor 2.15.1 or later",
  },
  {
    code: "harbor-insecure-api",
    yaml: HEAD + "  insecureApi: true #<\n" + UPSTREAMS + "access: robot\n",
    path: "harbor.insecureApi",
    message: "will not verify Harbor's certificate",
  },
  {
    code: "harbor-url-http",
    yaml:
      "version: 1\nharbor:\n  url: http://harbor.example.com #<\n  allowInsecureHttp: true\n" +
      UPSTREAMS +
      "access: robot\n",
    path: "harbor.url",
    message: "registry traffic to Harbor is not encrypted",
  },
  {
    code: "cache-safety",
    yaml: VALID + "retention:\n  daysSinceLastPull: 1 #<\n",
    path: "retention.daysSinceLastPull",
    message: "artifacts not pulled within 1 day(s) are deleted",
  },
  { code: "access-public", yaml: VALID + "access: public #<\n", path: "access", message: "anonymous pulls" },
  {
    code: "robot-rewrite-auth-version",
    yaml: VALID + "access: robot #<\n",
    path: "access",
    message: "authenticated pulls through rewrites need RKE2 v1.29.11",
  },
  {
    code: "robot-pull-secrets-override",
    yaml: VALID + "access: robot #<\n",
    path: "access",
    message: "imagePullSecrets replace the node's registries.yaml credentials",
  },
  {
    code: "ssh-without-nodes",
    yaml: VALID + "access: robot\nssh: #<\n  privateKeyVar: key\n",
    path: "ssh",
    message: "nodes is empty: nothing is delivered",
  },
  {
    code: "rollout-parallel-servers",
    yaml:
      VALID +
      "access: robot\nnodes:\n  - { name: s1, host: 192.0.2.11, role: server }\nrollout:\n  strategy: parallel #<\n",
    path: "rollout.strategy",
    message: "all server nodes (the control plane) restart at the same time",
  },
  {
    code: "rollout-long-chain",
    yaml:
      VALID +
      "access: robot\nnodes:\n" +
      Array.from(
        { length: 101 },
        (_, index) => `  - { name: a${index}, host: 192.0.2.${index + 1}, role: agent }\n`,
      ).join("") +
      "rollout:\n  strategy: rolling #<\n",
    path: "rollout.strategy",
    message: "is rolling in 101 sequential steps (batchSize 1)",
  },
];

function sourcesOf(entry: string): string[] {
  const full = join(REPO_ROOT, entry);
  if (entry.endsWith(".ts")) return [readFileSync(full, "utf8")];
  return readdirSync(full)
    .filter((name) => name.endsWith(".ts"))
    .map((name) => readFileSync(join(full, name), "utf8"));
}

/** The rule codes the sources report: the first string argument of every reporting call. */
function reportedCodes(): Set<string> {
  const pattern = /(?:errorAt|warningAt|report)\(\s*"([a-z0-9-]+)"|code: "([a-z0-9-]+)"/g;
  const codes = RULE_SOURCES.flatMap(sourcesOf).flatMap((source) =>
    [...source.matchAll(pattern)].map((match) => match[1] ?? match[2]),
  );
  return new Set(codes);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "harbor-mirror-rules-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The codes the app reports for the catalogue's cases that do not declare theirs. */
function producedCodes(): string[] {
  return VALUE_RULE_CASES.filter((item) => item.code === undefined).flatMap((item) => {
    writeConfigFixtures(dir);
    writeFileSync(join(dir, "harbor-mirror.yaml"), item.yaml);
    try {
      buildApp({ configPath: "harbor-mirror.yaml", cwd: dir, outdir: join(dir, "out") });
      return [];
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return error.diagnostics.map((diagnostic) => diagnostic.code);
    }
  });
}

describe("every construct rule is reachable from harbor-mirror.yaml and listed", () => {
  const listed = new Set<string>();
  beforeAll(() => {
    for (const code of [
      ...INVALID_CONFIG_CASES.map((item) => item.code),
      ...WARNING_CASES.map((item) => item.code),
      ...producedCodes(),
    ]) {
      if (code !== undefined) listed.add(code);
    }
  }, 300000);

  it.each([...reportedCodes()].sort())("%s", (code) => {
    if (code in NOT_REACHABLE_FROM_YAML) expect(listed.has(code)).toBe(false);
    else expect(listed.has(code)).toBe(true);
  });

  it("finds the rules it lists (the scan itself works)", () => {
    expect(reportedCodes().size).toBeGreaterThan(30);
  });
});

describe("construct warnings reach the console located, once each", () => {
  it.each(WARNING_CASES)("$code at $path", ({ code, yaml, path, message }) => {
    writeFileSync(join(dir, "harbor-mirror.yaml"), yaml);
    const { warnings, configFile } = buildApp({
      configPath: "harbor-mirror.yaml",
      cwd: dir,
      outdir: join(dir, "out"),
    });
    const printed = warnings.map((warning) => formatDiagnostic(warning, configFile));
    const expected = `harbor-mirror.yaml:${markedLine(yaml)}:`;
    const matching = warnings.filter((warning) => warning.code === code);
    expect(matching).toHaveLength(1);
    expect(printed.filter((line) => line.includes(message))).toEqual([
      expect.stringMatching(new RegExp(`^${expected}\\d+ ${path.replace(/[.[\]]/g, "\\$&")}: `)),
    ]);
  });

  it("the real app prints the robot caveats, each once, with file:line:col", () => {
    const config = join(dir, "robot.yaml");
    writeFileSync(config, VALID + NODE + "access: robot\n");
    const result = runSynth(config, join(dir, "robot-out"));
    expect(result.status).toBe(0);
    const lines = result.stderr.split("\n");
    for (const caveat of ["RKE2 v1.29.11", "imagePullSecrets"]) {
      expect(lines.filter((line) => line.includes(caveat))).toEqual([
        expect.stringMatching(/robot\.yaml:8:9 access: warning: is robot: /),
      ]);
    }
  });
});
