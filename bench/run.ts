/**
 * `npm run bench`: how harbor-mirror's synth scales with the fleet, next to a bare-cdktf baseline measured
 * in the same run, plus cold start and resolver throughput. Prints a Markdown report on stdout (progress
 * goes to stderr) for the README. Every child runs in a fresh process in a temp dir, removed at the end.
 *
 * Knobs: BENCH_NODES (default "1000,5000,10000"), BENCH_RULES (default "100,1000"), BENCH_REPETITIONS (default 3), BENCH_APP_ENTRY (the app
 * to measure; default main.ts), BENCH_TERRAFORM_NODES (default: BENCH_NODES; "0" skips terraform),
 * BENCH_TERRAFORM_TIMEOUT_S (default 600, per command).
 */
import { createHash } from "node:crypto";
import {
  copyFileSync,
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
import { terraformBinary, TerraformTiming, timeTerraform } from "./terraform";

const RULE_COUNTS = positiveIntegers("BENCH_RULES", "100,1000");
const NODE_COUNTS = positiveIntegers("BENCH_NODES", "1000,5000,10000");
const TERRAFORM_NODES =
  process.env.BENCH_TERRAFORM_NODES === "0"
    ? []
    : positiveIntegers("BENCH_TERRAFORM_NODES", NODE_COUNTS.join(","));
const [TERRAFORM_TIMEOUT_S] = positiveIntegers("BENCH_TERRAFORM_TIMEOUT_S", "600");
const [REPETITIONS] = positiveIntegers("BENCH_REPETITIONS", "3");
const COLD_START_REPETITIONS = 3;
const APP_ENTRY = path.resolve(REPO_ROOT, process.env.BENCH_APP_ENTRY ?? "main.ts");
const BASELINE_ENTRY = path.join(__dirname, "baseline-app.ts");
const FLOOR_ENTRY = path.join(__dirname, "floor-app.ts");
const CONFIG_LOAD_ENTRY = path.join(__dirname, "config-load.ts");
/** The example configuration; the first that exists is used. */
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
async function synthOnce(
  runName: string,
  entry: string,
  env: Record<string, string>,
  keepStackAs?: string,
): Promise<SynthSample> {
  const runDir = path.join(workDir, runName);
  const outDir = path.join(runDir, "cdktf.out");
  mkdirSync(runDir);
  try {
    const run = await runMeasured(nodeWithTsx(entry), { cwd: runDir, env: { ...env, CDKTF_OUTDIR: outDir } });
    const sample = { wallMs: run.wallMs, maxRssKiB: requireRss(run, entry), ...stackFiles(outDir) };
    if (keepStackAs) copyFileSync(stackFilesIn(outDir)[0], keepStackAs);
    return sample;
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

function requireRss(run: ChildRun, entry: string): number {
  if (run.maxRssKiB === undefined) throw new Error(`${entry}: the usage probe reported nothing`);
  return run.maxRssKiB;
}

function stackFilesIn(outDir: string): string[] {
  const stacksDir = path.join(outDir, "stacks");
  const files = existsSync(stacksDir)
    ? readdirSync(stacksDir)
        .sort()
        .map((stack) => path.join(stacksDir, stack, "cdk.tf.json"))
        .filter((file) => existsSync(file))
    : [];
  if (files.length === 0) throw new Error(`no stacks/*/cdk.tf.json under ${outDir}`);
  return files;
}

/** Total size and digest of every `stacks/<stack>/cdk.tf.json`, in stack-name order. */
function stackFiles(outDir: string): { bytes: number; digest: string } {
  const files = stackFilesIn(outDir);
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
  readonly floor: readonly SynthSample[];
  /** loadConfig inside the process, ms. */
  readonly configLoadMs: readonly number[];
  readonly appStack: string;
  readonly baselineStack: string;
}

const appStackOf = (nodes: number) => path.join(workDir, `app-${nodes}.tf.json`);
const baselineStackOf = (nodes: number) => path.join(workDir, `baseline-${nodes}.tf.json`);

/** App, baseline and floor alternate, so that drift in the machine's load hits all alike. */
async function measureScale(nodes: number): Promise<ScaleRow> {
  const configFile = path.join(workDir, `harbor-mirror-${nodes}.yaml`);
  writeFileSync(configFile, benchConfigYaml(nodes));
  const appEnv = { HARBOR_MIRROR_CONFIG: configFile };
  const row = {
    app: [] as SynthSample[],
    baseline: [] as SynthSample[],
    floor: [] as SynthSample[],
    configLoadMs: [] as number[],
  };
  for (let repetition = 1; repetition <= REPETITIONS; repetition++) {
    progress(`${nodes} nodes, repetition ${repetition}/${REPETITIONS}`);
    const keep = repetition === 1;
    row.app.push(await synthOnce(`app-${nodes}`, APP_ENTRY, appEnv, keep ? appStackOf(nodes) : undefined));
    row.baseline.push(
      await synthOnce(
        `baseline-${nodes}`,
        BASELINE_ENTRY,
        { BENCH_NODES: String(nodes) },
        keep ? baselineStackOf(nodes) : undefined,
      ),
    );
    row.floor.push(
      await synthOnce(`floor-${nodes}`, FLOOR_ENTRY, { ...appEnv, BENCH_FLOOR_SOURCE: appStackOf(nodes) }),
    );
    const load = await runMeasured(nodeWithTsx(CONFIG_LOAD_ENTRY), { cwd: workDir, env: appEnv });
    row.configLoadMs.push((JSON.parse(load.stdout.trim()) as { loadMs: number }).loadMs);
  }
  return { nodes, ...row, appStack: appStackOf(nodes), baselineStack: baselineStackOf(nodes) };
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

/** Renders the six-upstream registries.yaml with the CLI (`render`), then resolves IMAGE_MIX. */
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

const medianOf = (samples: readonly SynthSample[], key: "wallMs" | "maxRssKiB") =>
  median(samples.map((sample) => sample[key]));

function scaleTable(rows: readonly ScaleRow[]): string {
  return table(
    [
      "nodes",
      "app synth best / median",
      "baseline best / median",
      "floor best / median",
      "time: app ÷ baseline",
      "time: app ÷ floor",
      "app / baseline / floor max RSS",
      "RSS: app ÷ baseline",
      "RSS: app ÷ floor",
      "config load (share of app synth)",
      "app bytes/node",
      "app output identical across runs (and floor's)",
    ],
    rows.map((row) => {
      const [app, baseline, floor] = [row.app, row.baseline, row.floor].map((samples) =>
        medianOf(samples, "wallMs"),
      );
      const [appRss, baselineRss, floorRss] = [row.app, row.baseline, row.floor].map((samples) =>
        medianOf(samples, "maxRssKiB"),
      );
      const load = median(row.configLoadMs);
      const digests = new Set([...row.app, ...row.floor].map((sample) => sample.digest));
      return [
        integer(row.nodes),
        timeCell(row.app),
        timeCell(row.baseline),
        timeCell(row.floor),
        ratio(app, baseline),
        ratio(app, floor),
        `${mebibytes(appRss)} / ${mebibytes(baselineRss)} / ${mebibytes(floorRss)}`,
        ratio(appRss, baselineRss),
        ratio(appRss, floorRss),
        `${seconds(load)} (${((100 * load) / app).toFixed(0)} %)`,
        integer(row.app[0].bytes / row.nodes),
        digests.size === 1 ? "yes" : "**no**",
      ];
    }),
  );
}

/** From the smallest to the largest fleet measured: linear is the ratio of the node counts. */
function growthTable(rows: readonly ScaleRow[]): string {
  if (rows.length < 2) return "";
  const [first, last] = [rows[0], rows[rows.length - 1]];
  const grow = (samples: (row: ScaleRow) => readonly SynthSample[], key: "wallMs" | "maxRssKiB") =>
    `${(medianOf(samples(last), key) / medianOf(samples(first), key)).toFixed(1)}×`;
  const appRatio = (row: ScaleRow) => medianOf(row.app, "wallMs") / medianOf(row.baseline, "wallMs");
  return table(
    [
      `${integer(first.nodes)} → ${integer(last.nodes)} nodes (linear: ${last.nodes / first.nodes}×)`,
      "app",
      "baseline",
      "floor",
    ],
    [
      [
        "synth time",
        grow((row) => row.app, "wallMs"),
        grow((row) => row.baseline, "wallMs"),
        grow((row) => row.floor, "wallMs"),
      ],
      [
        "max RSS",
        grow((row) => row.app, "maxRssKiB"),
        grow((row) => row.baseline, "maxRssKiB"),
        grow((row) => row.floor, "maxRssKiB"),
      ],
      [
        "time ratio app ÷ baseline",
        `${appRatio(first).toFixed(2)}× → ${appRatio(last).toFixed(2)}× (${(100 * (appRatio(last) / appRatio(first) - 1)).toFixed(0)} %)`,
        "",
        "",
      ],
    ],
  );
}

interface TerraformRow {
  readonly nodes: number;
  /** The synth figures' stack: rolling, batches of 10. */
  readonly rolling: TerraformTiming;
  readonly serversFirst: TerraformTiming;
  readonly baseline: TerraformTiming;
}

/** The app's stack with `rollout.strategy: servers-first`, synthesized once for Terraform. */
async function serversFirstStack(nodes: number): Promise<string> {
  const configFile = path.join(workDir, `harbor-mirror-${nodes}-servers-first.yaml`);
  writeFileSync(configFile, benchConfigYaml(nodes, "servers-first"));
  const stack = path.join(workDir, `app-${nodes}-servers-first.tf.json`);
  await synthOnce(`app-${nodes}-servers-first`, APP_ENTRY, { HARBOR_MIRROR_CONFIG: configFile }, stack);
  return stack;
}

async function measureTerraform(binary: string, rows: readonly ScaleRow[]): Promise<TerraformRow[]> {
  const timeout = TERRAFORM_TIMEOUT_S * 1000;
  const time = (label: string, nodes: number, stack: string) => {
    progress(`terraform: ${nodes} nodes, ${label}`);
    return timeTerraform(binary, stack, path.join(workDir, `tf-${label}-${nodes}`), timeout);
  };
  const measured: TerraformRow[] = [];
  for (const row of rows.filter((candidate) => TERRAFORM_NODES.includes(candidate.nodes))) {
    const serversFirst = time("servers-first", row.nodes, await serversFirstStack(row.nodes));
    measured.push({
      nodes: row.nodes,
      serversFirst,
      rolling: time("rolling", row.nodes, row.appStack),
      baseline: time("baseline", row.nodes, row.baselineStack),
    });
  }
  return measured;
}

const terraformCell = (ms: number | undefined) =>
  ms === undefined ? `> ${TERRAFORM_TIMEOUT_S} s (stopped)` : seconds(ms);

function terraformTable(rows: readonly TerraformRow[]): string {
  const quotient = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? "–" : ratio(a, b);
  const perStrategy = table(
    [
      "nodes",
      "validate: servers-first / rolling / baseline",
      "plan: servers-first",
      "plan: rolling (batches of 10)",
      "plan: baseline",
      "plan ÷ baseline: servers-first",
      "plan ÷ baseline: rolling",
    ],
    rows.map(({ nodes, serversFirst, rolling, baseline }) => [
      integer(nodes),
      [serversFirst, rolling, baseline].map((timing) => terraformCell(timing.validateMs)).join(" / "),
      terraformCell(serversFirst.planMs),
      terraformCell(rolling.planMs),
      terraformCell(baseline.planMs),
      quotient(serversFirst.planMs, baseline.planMs),
      quotient(rolling.planMs, baseline.planMs),
    ]),
  );
  return [perStrategy, planGrowth(rows)].filter(Boolean).join("\n\n");
}

/** Plan time from the smallest to the largest fleet planned: linear is the ratio of the node counts. */
function planGrowth(rows: readonly TerraformRow[]): string {
  if (rows.length < 2) return "";
  const [first, last] = [rows[0], rows[rows.length - 1]];
  const grow = (timing: (row: TerraformRow) => TerraformTiming) => {
    const [from, to] = [timing(first).planMs, timing(last).planMs];
    return from === undefined || to === undefined ? "–" : `${(to / from).toFixed(1)}×`;
  };
  const span = `${integer(first.nodes)} → ${integer(last.nodes)} nodes`;
  return table(
    [`plan, ${span} (linear: ${last.nodes / first.nodes}×)`, "growth"],
    [
      ["servers-first", grow((row) => row.serversFirst)],
      ["rolling (batches of 10)", grow((row) => row.rolling)],
      ["baseline", grow((row) => row.baseline)],
    ],
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
    `Synth: median and best of ${REPETITIONS} fresh processes (\`node --import tsx\`), app, baseline and ` +
      `floor alternating; wall time measured around the process, max RSS inside it at exit. Upstreams: ` +
      `${BENCH_UPSTREAMS.join(", ")}; rollout rolling, batches of 10 (Terraform also plans the fleet with \`servers-first\`). ` +
      `Baseline: a bare cdktf stack with one ` +
      `\`null_resource\` (one trigger) per node. Floor: the app's config load plus its cdk.tf.json written ` +
      `with plain \`JSON.stringify\` (no cdktf). Config load: \`loadConfig\` timed inside a process.`,
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
  const rows: ScaleRow[] = [];
  const sections = [
    await section("Synth at scale: harbor-mirror vs bare cdktf and vs the floor", async () => {
      for (const nodes of NODE_COUNTS) rows.push(await measureScale(nodes));
      return [scaleTable(rows), growthTable(rows)].filter(Boolean).join("\n\n");
    }),
    await section(
      "Terraform (`null_resource` as built-in `terraform_data`, delivery part only)",
      async () => {
        const binary = terraformBinary();
        if (!binary) throw new Error("neither terraform nor tofu is on PATH");
        if (TERRAFORM_NODES.length === 0) throw new Error("BENCH_TERRAFORM_NODES=0");
        return terraformTable(await measureTerraform(binary, rows));
      },
    ),
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
