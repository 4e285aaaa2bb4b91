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
import { buildApp } from "../../app/build";
import { ValidationError } from "../../registries/diagnostics";
import { BAD_INPUTS, VALUE_RULE_KINDS, writeConfigFixtures, type BadInput } from "../../testing/bad-inputs";
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
  writeFileSync(file, input.text);
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
