/**
 * The layout is the architecture (architecture.md): the pure rooms import nothing of cdktf and
 * nothing of the rooms above them, and constructs never reach into the app, the CLI or config.
 * One table, one row per room, each naming what the room may not import.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");

/** Every module specifier a file imports (static imports, re-exports and require calls). */
function importsOf(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const specifiers = [...source.matchAll(/(?:from\s+|require\(|import\s+)["']([^"']+)["']/g)];
  return specifiers.map((match) => match[1]);
}

/** The room an import lands in: `cdktf`, `constructs`, a provider package, or a top-level folder. */
function targetOf(fromFile: string, specifier: string): string {
  if (!specifier.startsWith(".")) return specifier.startsWith("@cdktf/") ? "@cdktf" : specifier.split("/")[0];
  const resolved = path.relative(ROOT, path.resolve(path.dirname(fromFile), specifier));
  return resolved.split(path.sep)[0];
}

const CDKTF = ["cdktf", "constructs", "@cdktf", ".gen"];
const ABOVE_THE_DOMAIN = ["config", "app", "cli", "review", "main.ts"];

const RULES: readonly { room: string; forbidden: readonly string[]; why: string }[] = [
  {
    room: "registries",
    forbidden: [...CDKTF, ...ABOVE_THE_DOMAIN, "harbor", "delivery"],
    why: "the pure domain",
  },
  { room: "harbor", forbidden: [...CDKTF, ...ABOVE_THE_DOMAIN, "delivery"], why: "pure Harbor rules" },
  { room: "delivery", forbidden: [...CDKTF, ...ABOVE_THE_DOMAIN, "harbor"], why: "pure script and rollout" },
  { room: "review", forbidden: [...CDKTF, "constructs", "config", "app", "cli"], why: "a pure report" },
  { room: "config", forbidden: [...CDKTF, "constructs", "app", "cli", "review"], why: "the file contract" },
  { room: "constructs", forbidden: ["config", "app", "cli", "review"], why: "importable without the app" },
];

describe.each(RULES)("$room/ ($why)", ({ room, forbidden }) => {
  const files = readdirSync(path.join(ROOT, room))
    .filter((file) => file.endsWith(".ts"))
    .map((file) => path.join(ROOT, room, file));

  it("has modules to check", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it(`imports none of ${forbidden.join(", ")}`, () => {
    const violations = files.flatMap((file) =>
      importsOf(file)
        .filter((specifier) => forbidden.includes(targetOf(file, specifier)))
        .map((specifier) => `${path.relative(ROOT, file)} imports ${specifier}`),
    );
    expect(violations).toEqual([]);
  });
});
