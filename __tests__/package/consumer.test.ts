/**
 * The library as a user gets it: `npm pack`, then a fresh consumer project laid out like
 * `cdktf init --template=typescript` installs the tarball and its peers from the npm registry,
 * synthesizes its own stack composing HarborMirror through package-name imports (ts-node, as its
 * cdktf.json says), type-checks and builds with its own tsconfig (`tsc`, then `node main.js`),
 * runs its jest test with cdktf's Testing matchers and the packaged CLI — once on cdktf 0.21 and
 * once on CDK Terrain (cdktn) 0.24. Without the npm registry the consumer part reports itself
 * skipped; the package's contents are checked either way.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  CONSUMER_VARIANTS,
  ConsumerProject,
  consumerRunFolder,
  consumerToolsFolder,
  createConsumer,
  npmRegistryReachable,
  packLibrary,
  PackedLibrary,
  runOrThrow,
} from "../../testing/consumer-project";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const registryReachable = npmRegistryReachable();
if (!registryReachable)
  console.warn("consumer tests skipped: the npm registry is unreachable (npm ping failed)");

let packFolder: string;
let packed: PackedLibrary;

beforeAll(() => {
  packFolder = mkdtempSync(path.join(tmpdir(), "harbor-mirror-pack-"));
  packed = packLibrary(packFolder);
}, 300_000);

afterAll(() => {
  if (packFolder) rmSync(packFolder, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("ships the compiled library with declarations and declaration maps, the CLI and the docs pages", () => {
    console.log(`npm pack: ${packed.files.length} files, ${packed.size} bytes`);
    expect(packed.files).toEqual(
      expect.arrayContaining([
        "package.json",
        "lib/index.js",
        "lib/index.d.ts",
        "lib/index.d.ts.map",
        "lib/cli/main.js",
        "bin/harbor-mirror.js",
        "lib/.gen/providers/harbor/index.js",
        ".gen/providers/harbor/index.ts",
        // messages point to these pages (registries/docs.ts), so they ship with the code
        "docs/registries.md",
        "docs/harbor.md",
        "docs/configuration.md",
      ]),
    );
  });

  it("ships no tests, benches, test support, scripts or build configuration", () => {
    const unwanted = packed.files.filter((file) =>
      /(^|\/)(__tests__|bench|testing|scripts|examples)\/|\.test\.|^tsconfig|^jest|^main\.ts$/.test(file),
    );
    expect(unwanted).toEqual([]);
  });

  it("points main, types and exports at the build", () => {
    const manifest = JSON.parse(
      readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"),
    ) as Json;
    expect(manifest.private).toBeUndefined();
    expect(manifest.exports["."]).toEqual({ types: "./lib/index.d.ts", default: "./lib/index.js" });
    expect([manifest.main, manifest.types]).toEqual(["lib/index.js", "lib/index.d.ts"]);
    for (const file of [manifest.main, manifest.types]) expect(packed.files).toContain(file);
  });

  it("leaves cdktf, constructs and @cdktf/provider-null to the consumer, as peers", () => {
    const manifest = JSON.parse(
      readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"),
    ) as Json;
    for (const name of ["cdktf", "constructs", "@cdktf/provider-null"]) {
      expect(manifest.peerDependencies[name]).toBeDefined();
      expect(manifest.dependencies[name]).toBeUndefined();
    }
  });
});

(registryReachable ? describe : describe.skip)("a consumer project of the packed library", () => {
  const synthesized = new Map<string, Json>();
  let tools: string;
  let runFolder: string;

  beforeAll(() => {
    tools = consumerToolsFolder();
    runFolder = consumerRunFolder(tools);
  }, 600_000);

  afterAll(() => {
    if (runFolder) rmSync(runFolder, { recursive: true, force: true });
  });

  describe.each(CONSUMER_VARIANTS)("on $name", (variant) => {
    let project: ConsumerProject;

    beforeAll(() => {
      project = createConsumer(runFolder, variant, packed.tarball, tools);
    }, 300_000);

    it("synthesizes its stack with ts-node, as its cdktf.json app, and writes its review", () => {
      const { seconds } = runOrThrow([project.tool("ts-node"), "main.ts"], project.dir);
      console.log(`consumer on ${variant.name}: ts-node main.ts synthesized in ${seconds.toFixed(1)} s`);
      const stack = readStack(project);
      synthesized.set(variant.name, stack);
      expect(Object.keys(stack.resource.null_resource)).toEqual(
        expect.arrayContaining(["vm-server-1", "vm-agent-1"]),
      );
      expect(stack.resource.harbor_project).toBeDefined();
      expect(stack.output.node_cloud_config).toMatchObject({ sensitive: true });
      const review = readFileSync(path.join(stackFolder(project), "review.md"), "utf8");
      expect(review).toContain("harbor.example.com");
    });

    it("type-checks and builds with its own tsconfig (docs/constructs.md's examples included), and the built main.js synthesizes", () => {
      runOrThrow([project.tool("tsc")], project.dir);
      expect(existsSync(path.join(project.dir, "examples", "harbor-mirror.js"))).toBe(true);
      rmSync(path.join(project.dir, "cdktf.out"), { recursive: true, force: true });
      runOrThrow([process.execPath, "main.js"], project.dir);
      expect(readStack(project).resource.harbor_project).toBeDefined();
    });

    it("passes its jest test with the core's Testing matchers", () => {
      const { stderr } = runOrThrow([project.tool("jest"), "--ci"], project.dir);
      expect(stderr).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    });

    it("runs the packaged CLI", () => {
      const cli = path.join(project.dir, "node_modules", ".bin", "harbor-mirror");
      const { stdout } = runOrThrow(
        [cli, "resolve", "busybox", "--registries", "/dev/null", "--json"],
        project.dir,
      );
      expect(JSON.parse(stdout)[0].attempts[0].url).toContain("registry-1.docker.io");
    });
  });

  it("synthesizes the same stack on cdktf and on cdktn", () => {
    const [onCdktf, onCdktn] = CONSUMER_VARIANTS.map((variant) => synthesized.get(variant.name));
    expect(onCdktn).toBeDefined();
    expect(normalized(onCdktn!)).toEqual(normalized(onCdktf!));
  });
});

const stackFolder = (project: ConsumerProject) => path.join(project.dir, "cdktf.out", "stacks", "cluster");

function readStack(project: ConsumerProject): Json {
  return JSON.parse(readFileSync(path.join(stackFolder(project), "cdk.tf.json"), "utf8")) as Json;
}

/** The stack without what differs by design: the core's version and the project's folder. */
function normalized(stack: Json): Json {
  const copy = structuredClone(stack);
  delete copy["//"].metadata.version;
  delete copy.terraform.backend;
  return copy;
}
