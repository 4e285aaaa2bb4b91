/**
 * `npm run bench`: how harbor-mirror's synth scales with the fleet, next to a bare-cdktf baseline measured
 * in the same run, plus cold start and resolver throughput. Prints a Markdown report on stdout (progress
 * goes to stderr) for the README. Every child runs in a fresh process in a temp dir, removed at the end.
 *
 * Knobs: BENCH_NODES (default "100,1000,5000"), BENCH_RULES (default "100,1000"), BENCH_REPETITIONS (default 3), BENCH_APP_ENTRY (the app
 * to measure; default main.ts).
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchConfigYaml, BENCH_UPSTREAMS } from "./fixtures";
import { ChildRun, nodeWithTsx, REPO_ROOT, runMeasured } from "./child";
import { rulesSection } from "./rules";
import { best, median } from "./stats";

const NODE_COUNTS = positiveIntegers("BENCH_NODES", "100,1000,5000");
const RULE_COUNTS = positiveIntegers("BENCH_RULES", "100,1000");
const [REPETITIONS] = positiveIntegers("BENCH_REPETITIONS", "3");
const COLD_START_REPETITIONS = 3;
const APP_ENTRY = path.resolve(REPO_ROOT, process.env.BENCH_APP_ENTRY ?? "main.ts");
const BASELINE_ENTRY = path.join(__dirname, "baseline-app.ts");
/** config.md: the example configuration; the first that exists is used. */
const EXAMPLE_CONFIGS = ["harbor-mirror.yaml", "examples/harbor-mirror.yaml"].map((file) =>
  path.join(REPO_ROOT, file),
);

/** Reads a comma-separated list of positive integers from the environment, or fails naming the variable. */
function positiveIntegers(variable: string, fallback: string): number[] {
  const text = process.env[variable] ?? fallback;
  const values = text.split(",").map((item) => Number(item.trim()));
  if (!values.every((value) => Number.isInteger(value) && value > 0)) {
    throw new Error(`${variable}=${JSON.stringify(text)}: expected positive integers separated by commas`);
  }
  return values;
}

const workDir = mkdtempSync(path.join(os.tmpdir(), "harbor-mirror-bench-"));

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** One synth: its cost, and what it wrote. */
interface SynthSample {
  readonly wallMs: number;
  readonly maxRssKiB: number;
  readonly bytes: number;
  readonly digest: string;
}

/**
 * Synthesizes `entry` in a fresh process. Every repetition of one (entry, size) pair runs in the same
 * directory, emptied in between, so that absolute paths cdktf writes (the default local state path)
 * are the same and outputs can be compared byte for byte.
 */
async function synthOnce(runName: string, entry: string, env: Record<string, string>): Promise<SynthSample> {
  const runDir = path.join(workDir, runName);
  const outDir = path.join(runDir, "cdktf.out");
  mkdirSync(runDir);
  try {
    const run = await runMeasured(nodeWithTsx(entry), { cwd: runDir, env: { ...env, CDKTF_OUTDIR: outDir } });
    return { wallMs: run.wallMs, maxRssKiB: requireRss(run, entry), ...stackFiles(outDir) };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

function requireRss(run: ChildRun, entry: string): number {
  if (run.maxRssKiB === undefined) throw new Error(`${entry}: the usage probe reported nothing`);
  return run.maxRssKiB;
}

/** Total size and digest of every `stacks/<stack>/cdk.tf.json`, in stack-name order. */
function stackFiles(outDir: string): { bytes: number; digest: string } {
  const stacksDir = path.join(outDir, "stacks");
  const files = existsSync(stacksDir)
    ? readdirSync(stacksDir)
        .sort()
        .map((stack) => path.join(stacksDir, stack, "cdk.tf.json"))
        .filter((file) => existsSync(file))
    : [];
  if (files.length === 0) throw new Error(`no stacks/*/cdk.tf.json under ${outDir}`);
  const hash = createHash("sha256");
  let bytes = 0;
  for (const file of files) {
    const content = readFileSync(file);
    bytes += content.length;
    hash.update(content);
  }
  return { bytes, digest: hash.digest("hex") };
}

interface ScaleRow {
  readonly nodes: number;
  readonly app: readonly SynthSample[];
  readonly baseline: readonly SynthSample[];
}

/** App and baseline alternate, so that drift in the machine's load hits both alike. */
async function measureScale(nodes: number): Promise<ScaleRow> {
  const configFile = path.join(workDir, `harbor-mirror-${nodes}.yaml`);
  writeFileSync(configFile, benchConfigYaml(nodes));
  const app: SynthSample[] = [];
  const baseline: SynthSample[] = [];
  for (let repetition = 1; repetition <= REPETITIONS; repetition++) {
    progress(`${nodes} nodes, repetition ${repetition}/${REPETITIONS}`);
    app.push(await synthOnce(`app-${nodes}`, APP_ENTRY, { HARBOR_MIRROR_CONFIG: configFile }));
    baseline.push(await synthOnce(`baseline-${nodes}`, BASELINE_ENTRY, { BENCH_NODES: String(nodes) }));
  }
  return { nodes, app, baseline };
}

interface ColdStartRow {
  readonly command: string;
  readonly wallMs: readonly number[];
}

/**
 * Cold start of the synth command on the example config: `npm run synth` as documented, and the same
 * app without npm's and tsx's wrapper processes. All run from the repository (npm needs it) with the
 * outdir in the temp dir.
 */
async function measureColdStart(exampleConfig: string): Promise<ColdStartRow[]> {
  const variants: Array<{ command: string; argv: string[] }> = [
    { command: "npm run synth", argv: ["npm", "run", "--silent", "synth"] },
    { command: "npx tsx main.ts", argv: ["npx", "tsx", APP_ENTRY] },
    { command: "node --import tsx main.ts", argv: nodeWithTsx(APP_ENTRY) },
  ];
  const rows: ColdStartRow[] = [];
  for (const { command, argv } of variants) {
    progress(`cold start: ${command}`);
    const wallMs: number[] = [];
    for (let repetition = 0; repetition < COLD_START_REPETITIONS; repetition++) {
      const outDir = path.join(workDir, "cold-start-out");
      const env = { HARBOR_MIRROR_CONFIG: exampleConfig, CDKTF_OUTDIR: outDir };
      wallMs.push((await runMeasured(argv, { cwd: REPO_ROOT, env })).wallMs);
      rmSync(outDir, { recursive: true, force: true });
    }
    rows.push({ command, wallMs });
  }
  return rows;
}

interface ResolverResult {
  readonly perSecond: number;
  readonly images: number;
  readonly mirrored: number;
}

/** Renders the six-upstream registries.yaml with the CLI (cli.md `render`), then resolves IMAGE_MIX. */
async function measureResolver(): Promise<ResolverResult> {
  const configFile = path.join(workDir, "harbor-mirror-resolver.yaml");
  const registriesFile = path.join(workDir, "registries.yaml");
  writeFileSync(configFile, benchConfigYaml(1));
  progress("resolver: rendering registries.yaml");
  const cli = path.join(REPO_ROOT, "bin", "harbor-mirror.js");
  const rendered = await runMeasured([process.execPath, cli, "render", "--config", configFile], {
    cwd: workDir,
  });
  writeFileSync(registriesFile, rendered.stdout);
  progress("resolver: measuring throughput");
  const run = await runMeasured(nodeWithTsx(path.join(__dirname, "resolver-throughput.ts"), registriesFile), {
    cwd: workDir,
  });
  return JSON.parse(run.stdout.trim().split("\n").pop() ?? "") as ResolverResult;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mebibytes = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
const ratio = (numerator: number, denominator: number) => `${(numerator / denominator).toFixed(2)}×`;
const integer = (value: number) => Math.round(value).toLocaleString("en-US");

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function timeCell(samples: readonly SynthSample[]): string {
  const times = samples.map((sample) => sample.wallMs);
  return `${seconds(best(times))} / ${seconds(median(times))}`;
}

function scaleTable(rows: readonly ScaleRow[]): string {
  return table(
    [
      "nodes",
      "app synth best / median",
      "baseline best / median",
      "time ratio (median)",
      "app max RSS",
      "baseline max RSS",
      "memory ratio",
      "app bytes/node",
      "baseline bytes/node",
      "app output identical across runs",
    ],
    rows.map(({ nodes, app, baseline }) => {
      const appTime = median(app.map((sample) => sample.wallMs));
      const baselineTime = median(baseline.map((sample) => sample.wallMs));
      const appRss = median(app.map((sample) => sample.maxRssKiB));
      const baselineRss = median(baseline.map((sample) => sample.maxRssKiB));
      return [
        integer(nodes),
        timeCell(app),
        timeCell(baseline),
        ratio(appTime, baselineTime),
        mebibytes(appRss),
        mebibytes(baselineRss),
        ratio(appRss, baselineRss),
        integer(app[0].bytes / nodes),
        integer(baseline[0].bytes / nodes),
        new Set(app.map((sample) => sample.digest)).size === 1 ? "yes" : "**no**",
      ];
    }),
  );
}

function coldStartTable(rows: readonly ColdStartRow[]): string {
  return table(
    ["command", "median", "best"],
    rows.map(({ command, wallMs }) => [`\`${command}\``, seconds(median(wallMs)), seconds(best(wallMs))]),
  );
}

function resolverTable(result: ResolverResult): string {
  return table(
    ["workload", "resolutions/s", "per resolution"],
    [
      [
        `${result.images}-image mix (${result.mirrored} mirrored), registries.yaml rendered for ` +
          `${BENCH_UPSTREAMS.length} upstreams`,
        integer(result.perSecond),
        `${(1e6 / result.perSecond).toFixed(1)} µs`,
      ],
    ],
  );
}

function machineHeader(): string {
  const cpus = os.cpus();
  return [
    `Machine: ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.arch()}, ` +
      `${new Date().toISOString().slice(0, 16)}Z.`,
    `Synth: median and best of ${REPETITIONS} fresh processes (\`node --import tsx\`), app and baseline ` +
      `alternating; wall time measured around the process, max RSS inside it at exit. Upstreams: ` +
      `${BENCH_UPSTREAMS.join(", ")}. Baseline: a bare cdktf stack with one \`null_resource\` ` +
      `(one trigger) per node.`,
  ].join("\n");
}

/** A section that could not be measured says why instead of failing the whole report. */
async function section(title: string, body: () => Promise<string>): Promise<string> {
  try {
    return `### ${title}\n\n${await body()}`;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    progress(`${title} failed: ${reason}`);
    return `### ${title}\n\nNot measured: ${reason.split("\n")[0]}`;
  }
}

async function main(): Promise<void> {
  const exampleConfig = EXAMPLE_CONFIGS.find((file) => existsSync(file));
  const sections = [
    await section("Synth at scale: harbor-mirror vs bare cdktf", async () => {
      const rows: ScaleRow[] = [];
      for (const nodes of NODE_COUNTS) rows.push(await measureScale(nodes));
      return scaleTable(rows);
    }),
    await section(`Cold start of synth (example config, median of ${COLD_START_REPETITIONS})`, async () => {
      if (!exampleConfig) throw new Error(`no example config at ${EXAMPLE_CONFIGS.join(" or ")}`);
      return coldStartTable(await measureColdStart(exampleConfig));
    }),
    await section("Resolver throughput (`resolveImage`)", async () => resolverTable(await measureResolver())),
    await section("Rewrite-rule compile", () => rulesSection(RULE_COUNTS, REPETITIONS, progress)),
  ];
  console.log(["## Benchmark", machineHeader(), ...sections].join("\n\n"));
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => rmSync(workDir, { recursive: true, force: true }));
