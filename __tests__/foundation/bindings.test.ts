/**
 * The committed Harbor bindings are exactly what the generator produces from the committed
 * schema (issue #2): regenerating into a temporary folder must be byte-identical.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { generateHarborBindings, HARBOR_BINDINGS_DIR } from "../../scripts/gen-harbor";

function listFiles(root: string, dir = root): string[] {
  return readdirSync(dir)
    .flatMap((entry) => {
      const full = path.join(dir, entry);
      return statSync(full).isDirectory() ? listFiles(root, full) : [path.relative(root, full)];
    })
    .sort();
}

describe("generated Harbor bindings", () => {
  let outDir: string;
  beforeAll(async () => {
    outDir = mkdtempSync(path.join(tmpdir(), "harbor-bindings-"));
    await generateHarborBindings(outDir);
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it("regenerate to the same set of files", () => {
    expect(listFiles(outDir)).toEqual(listFiles(HARBOR_BINDINGS_DIR));
  });

  it("regenerate byte-identical, file by file", () => {
    const differing = listFiles(outDir).filter(
      (file) =>
        !readFileSync(path.join(outDir, file)).equals(readFileSync(path.join(HARBOR_BINDINGS_DIR, file))),
    );
    expect(differing).toEqual([]);
  });

  it("carry the pinned provider version from the schema", () => {
    const providerSource = readFileSync(
      path.join(HARBOR_BINDINGS_DIR, "providers/harbor/provider/index.ts"),
      "utf8",
    );
    expect(providerSource).toContain("providerVersion: '3.12.4'");
    expect(providerSource).toContain("terraformProviderSource: 'registry.terraform.io/goharbor/harbor'");
  });
});
