/**
 * Proof of the cache-safety rules (harbor.md §6.2): containerd pulls by digest, so cached artifacts
 * are mostly untagged; every synthesized retention rule covers untagged artifacts explicitly, and a
 * retention or quota setting that would empty or block the cache draws a warning at its key and
 * line (legal settings: the build still succeeds).
 */
import { buildApp } from "../../app/build";
import { formatDiagnostic, type Diagnostic } from "../../registries/diagnostics";
import { HEAD, VALID } from "../../testing/bad-inputs";
import { exampleConfig, stackJsonIn, synthInProcess, writeConfig } from "../../testing/config-variants";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// prettier-ignore
const WARNED: readonly { rule: string; yaml: string; warning: string }[] = [
  { rule: "a retention shorter than Harbor's 7-day default empties the cache of weekly images",
    yaml: VALID + "retention:\n  daysSinceLastPull: 1\n",
    warning: "harbor-mirror.yaml:7:22 retention.daysSinceLastPull: daysSinceLastPull 1: artifacts not pulled within 1 day(s) are deleted" },
  { rule: "a storage quota blocks pulls once full (no eviction)",
    yaml: HEAD + "upstreams:\n  - registry: docker.io\n    storageQuotaGiB: 50\n",
    warning: "harbor-mirror.yaml:6:22 upstreams[0].storageQuotaGiB: upstream docker.io: storageQuotaGiB 50: once the cache holds 50 GiB Harbor rejects further pulls" },
];

/** The warnings the app prints for the file, located (the constructs find them). */
function appWarnings(yaml: string): readonly Diagnostic[] {
  const dir = mkdtempSync(join(tmpdir(), "hm-cache-safety-warn-"));
  try {
    writeFileSync(join(dir, "harbor-mirror.yaml"), yaml);
    return buildApp({ configPath: "harbor-mirror.yaml", cwd: dir, outdir: join(dir, "out") }).warnings;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("cache safety warnings (harbor.md §6.2)", () => {
  it.each(WARNED)("warns: $rule", ({ yaml, warning }) => {
    const warnings = appWarnings(yaml);
    expect(warnings.map((item) => formatDiagnostic(item, "harbor-mirror.yaml"))).toContainEqual(
      expect.stringContaining(warning),
    );
  });

  it("stays quiet on Harbor's defaults (7 days, no quota)", () => {
    const warnings = appWarnings(VALID);
    expect(warnings.filter((item) => /retention|storageQuota/.test(item.path))).toEqual([]);
  });
});

describe("retention in the synthesized stack", () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "hm-cache-safety-"))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("every retention rule states untagged_artifacts: true, so recently pulled digests are kept", () => {
    const outdir = join(dir, "out");
    synthInProcess(writeConfig(dir, exampleConfig()), outdir);
    const policies = Object.values(
      (stackJsonIn(outdir).resource as Record<string, Record<string, { rule: object[] }>>)
        .harbor_retention_policy,
    );
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies)
      expect(policy.rule).toEqual([
        expect.objectContaining({ untagged_artifacts: true, n_days_since_last_pull: 7 }),
      ]);
  });
});
