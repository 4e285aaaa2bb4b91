/**
 * Proof: every input of the bad-input catalogue (testing/bad-inputs.ts, the one table) is rejected
 * with the error a user sees — `file:line:column key: message` naming the key path, the line and
 * what is allowed — and a rejected configuration writes nothing.
 *
 * Speed: the real app (`tsx main.ts`, a child process of ~1.5 s) runs for every fifth
 * harbor-mirror.yaml case and the real `harbor-mirror validate` CLI for every fifth
 * registries.yaml case; the rest go through the same code in-process (`buildApp`, which main.ts
 * calls, with the same out dir check; and `validateRegistriesYaml`, which the CLI calls).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp, synthesize } from "../../app/build";
import { main } from "../../cli/main";
import { errorsOf, ValidationError } from "../../registries/diagnostics";
import { parseRegistriesYaml } from "../../registries/parse";
import {
  BAD_INPUTS,
  VALUE_RULE_KINDS,
  writeBadInput,
  writeConfigFixtures,
  type BadInput,
} from "../../testing/bad-inputs";
import { filesUnder } from "../../testing/config-variants";
import { runCli, runSynth } from "../../testing/run-app";
import { BAD_INPUTS_DOC_PATH, generatedBadInputsDoc, producedErrors } from "../../scripts/gen-bad-inputs-doc";

/** Every fifth case of each file kind runs through the real program. */
const CHILD_PROCESS_EVERY = 5;

const numbered = (file: BadInput["file"]) =>
  BAD_INPUTS.filter((input) => input.file === file).map((input, index) => ({
    ...input,
    viaChild: index % CHILD_PROCESS_EVERY === 0,
  }));
const CONFIG_CASES = numbered("harbor-mirror.yaml");
const REGISTRIES_CASES = numbered("registries.yaml");

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "harbor-mirror-proof-bad-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh directory holding the input (and the config fixtures some cases name). */
function caseDirectory(input: BadInput): { dir: string; file: string } {
  const dir = mkdtempSync(join(root, "case-"));
  writeConfigFixtures(dir);
  const file = join(dir, input.file);
  writeBadInput(input, file);
  return { dir, file };
}

/** The line of the output that reports this case's error: its file, line, key path and message. */
function reportedError(output: string, input: BadInput): string | undefined {
  const prefix = new RegExp(`(^|[/ ])${input.file.replace(/\./g, "[.]")}:${input.line}:\\d+ `);
  return output.split("\n").find((line) => {
    const at = prefix.exec(line);
    if (!at) return false;
    const rest = line.slice(at.index + at[0].length);
    return rest.startsWith(`${input.path}: `) && matches(rest, input.message);
  });
}

/** The ValidationError `build` throws; its message is what main.ts prints. */
function rejectionOf(build: () => unknown): ValidationError {
  try {
    build();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

/** A case holding a credential: no output shows it (the marked line names the key instead). */
function expectRedacted(output: string, input: BadInput): void {
  if (input.secret !== undefined) expect(output).not.toContain(input.secret);
}

function matches(text: string, message: string | RegExp): boolean {
  return typeof message === "string" ? text.includes(message) : message.test(text);
}

/** Files written under `dir`; none when it does not exist. */
function writtenFiles(dir: string): string[] {
  return existsSync(dir) ? [...filesUnder(dir).keys()] : [];
}

describe("the bad-input catalogue", () => {
  it(`holds at least 40 inputs of both kinds (${CONFIG_CASES.length} harbor-mirror.yaml, ${REGISTRIES_CASES.length} registries.yaml)`, () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(40);
    expect(CONFIG_CASES.length).toBeGreaterThan(0);
    expect(REGISTRIES_CASES.length).toBeGreaterThan(0);
    expect(CONFIG_CASES.filter((input) => input.viaChild).length).toBeGreaterThanOrEqual(10);
  });

  it.each(VALUE_RULE_KINDS)("holds cases of the value rule class: %s", (kind) => {
    expect(BAD_INPUTS.filter((input) => input.kind === kind).length).toBeGreaterThanOrEqual(5);
  });

  it("names every case once (the name is the rule it breaks)", () => {
    const names = BAD_INPUTS.map((input) => `${input.file}: ${input.name}`);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("harbor-mirror.yaml: the app rejects it, names the line, writes nothing", () => {
  it.each(CONFIG_CASES.filter((input) => input.viaChild))("real app: $name → line $line $path", (input) => {
    const { dir, file } = caseDirectory(input);
    const outdir = join(dir, "cdktf.out");
    const result = runSynth(file, outdir);
    expect(result.status).toBe(1);
    expect(reportedError(result.stderr, input)).toBeDefined();
    expect(result.stdout).not.toContain("review:");
    expectRedacted(`${result.stdout}${result.stderr}`, input);
    expect(writtenFiles(outdir)).toEqual([]);
  });

  it.each(CONFIG_CASES.filter((input) => !input.viaChild))(
    "in-process: $name → line $line $path",
    (input) => {
      const { dir, file } = caseDirectory(input);
      const outdir = join(dir, "cdktf.out");
      const rejection = rejectionOf(() => buildApp({ configPath: file, outdir }));
      expect(reportedError(rejection.message, input)).toBeDefined();
      expectRedacted(rejection.message, input);
      if (input.code !== undefined) {
        expect(rejection.diagnostics).toContainEqual(
          expect.objectContaining({ path: input.path, code: input.code }),
        );
      }
      expect(writtenFiles(outdir)).toEqual([]);
    },
  );
});

describe("registries.yaml: harbor-mirror validate rejects it with the line", () => {
  it.each(REGISTRIES_CASES.filter((input) => input.viaChild))(
    "real CLI: $name → line $line $path",
    (input) => {
      const { file } = caseDirectory(input);
      const result = runCli(["validate", file]);
      expect(result.status).toBe(1);
      expect(reportedError(result.stderr, input)).toBeDefined();
      expect(result.stdout).not.toContain("ok");
    },
  );

  it.each(REGISTRIES_CASES.filter((input) => !input.viaChild))(
    "in-process: $name → line $line $path [$code]",
    (input) => {
      const errors = producedErrors(input, root);
      const reported = reportedError(errors.join("\n"), input);
      expect(reported).toBeDefined();
      expect(reported).toContain(`[${input.code}]`);
    },
  );
});

/**
 * Issue 11 "Secrets in messages": for each case holding a credential in a URL, every command that
 * reads that kind of file — the app (synth), `render` and `review` for harbor-mirror.yaml;
 * `validate` and, where its parser already refuses the file, `resolve` for registries.yaml — exits
 * 1, prints the located `file:line:col key:` line, never the credential, and writes nothing. In
 * process (`main`, which bin/harbor-mirror.js calls); the first case of each command also through
 * the real program.
 */
describe("secrets in messages: every command that reads the URL redacts it", () => {
  const SECRET_CASES = BAD_INPUTS.filter((input) => input.kind === "secrets in messages");
  type Run = (file: string, dir: string) => Promise<{ status: number | null; output: string }>;
  interface CommandRun {
    readonly command: string;
    readonly reads: BadInput["file"];
    /** Whether the command refuses the input at all (resolve reads registries.yaml with the parser only). */
    readonly refuses?: (input: BadInput) => boolean;
    readonly inProcess: Run;
    readonly child: Run;
  }
  const parserRefuses = (input: BadInput) => errorsOf(parseRegistriesYaml(input.text).diagnostics).length > 0;
  const child =
    (args: (file: string, dir: string) => string[]): Run =>
    async (file, dir) => {
      const result = runCli(args(file, dir), {}, dir);
      return { status: result.status, output: `${result.stdout}${result.stderr}` };
    };
  const inProcess =
    (args: (file: string, dir: string) => string[]): Run =>
    (file, dir) =>
      printed(() => main(args(file, dir)));
  const reviewArgs = (file: string, dir: string) => [
    "review",
    "--config",
    file,
    "--out",
    join(dir, "out", "review.md"),
  ];
  const resolveArgs = (file: string) => ["resolve", "docker.io/library/alpine", "--registries", file];
  const COMMANDS: readonly CommandRun[] = [
    {
      command: "synth",
      reads: "harbor-mirror.yaml",
      inProcess: (file, dir) =>
        printed(async () => {
          try {
            synthesize({ configPath: file, outdir: join(dir, "cdktf.out") });
            return 0;
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            console.error(error.message);
            return 1;
          }
        }),
      child: async (file, dir) => {
        const result = runSynth(file, join(dir, "cdktf.out"));
        return { status: result.status, output: `${result.stdout}${result.stderr}` };
      },
    },
    {
      command: "render",
      reads: "harbor-mirror.yaml",
      inProcess: inProcess((file) => ["render", "--config", file]),
      child: child((file) => ["render", "--config", file]),
    },
    {
      command: "review",
      reads: "harbor-mirror.yaml",
      inProcess: inProcess(reviewArgs),
      child: child(reviewArgs),
    },
    {
      command: "validate",
      reads: "registries.yaml",
      inProcess: inProcess((file) => ["validate", file]),
      child: child((file) => ["validate", file]),
    },
    {
      command: "resolve",
      reads: "registries.yaml",
      refuses: parserRefuses,
      inProcess: inProcess(resolveArgs),
      child: child(resolveArgs),
    },
  ];
  const runs = COMMANDS.flatMap((command) => {
    const inputs = SECRET_CASES.filter(
      (input) => input.file === command.reads && (command.refuses?.(input) ?? true),
    );
    return inputs.map((input, index) => ({
      ...command,
      input,
      via: index === 0 ? "real program" : "in-process",
    }));
  });

  it("covers every command that takes a URL, each with at least one case", () => {
    expect(new Set(runs.map((run) => run.command))).toEqual(
      new Set(COMMANDS.map((command) => command.command)),
    );
    for (const input of SECRET_CASES) expect(input.secret).toBeDefined();
  });

  it.each(runs)("$command ($via): $input.name", async (run) => {
    const { dir, file } = caseDirectory(run.input);
    const before = writtenFiles(dir);
    const result = await (run.via === "real program" ? run.child : run.inProcess)(file, dir);
    expect(result.status).toBe(1);
    expect(reportedError(result.output, run.input)).toBeDefined();
    expect(result.output).not.toContain(run.input.secret);
    expect(writtenFiles(dir)).toEqual(before);
  });
});

/** What `run` prints to the console (log, error and stdout), and the exit code it returns. */
async function printed(run: () => Promise<number>): Promise<{ status: number; output: string }> {
  const lines: string[] = [];
  const capture = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  const spies = [
    jest.spyOn(console, "log").mockImplementation(capture),
    jest.spyOn(console, "error").mockImplementation(capture),
    jest.spyOn(process.stdout, "write").mockImplementation((chunk) => (capture(chunk), true)),
  ];
  try {
    const status = await run();
    return { status, output: lines.join("\n") };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe("docs/bad-inputs.md", () => {
  it("is generated from the catalogue and up to date (regenerate: npx tsx scripts/gen-bad-inputs-doc.ts)", () => {
    expect(readFileSync(BAD_INPUTS_DOC_PATH, "utf8")).toBe(generatedBadInputsDoc());
  });

  it("shows every case with the error it produces", () => {
    const page = readFileSync(BAD_INPUTS_DOC_PATH, "utf8");
    for (const input of BAD_INPUTS) expect(reportedError(page, input)).toBeDefined();
  });

  it("shows no credential in the errors (only in the inputs, where the user wrote them)", () => {
    const errors = BAD_INPUTS.filter((input) => input.secret !== undefined).flatMap((input) =>
      producedErrors(input, root),
    );
    for (const input of BAD_INPUTS.filter((item) => item.secret !== undefined))
      expect(errors.join("\n")).not.toContain(input.secret);
  });
});

// Guards the guard: a directory with a file in it is not "nothing written".
it("filesUnder sees a written file", () => {
  const dir = mkdtempSync(join(root, "guard-"));
  mkdirSync(join(dir, "stacks"));
  writeFileSync(join(dir, "stacks", "x.json"), "{}");
  expect(writtenFiles(dir)).toEqual([join("stacks", "x.json")]);
});
