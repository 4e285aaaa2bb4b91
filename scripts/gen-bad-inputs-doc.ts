/**
 * Writes docs/bad-inputs.md, the catalogue of rejected inputs, from the one table the tests use
 * (testing/bad-inputs.ts). The errors on the page are the ones the app and the registries.yaml
 * validator actually produce, so the page goes stale (and its test fails) when a message changes.
 * Usage: `npx tsx scripts/gen-bad-inputs-doc.ts`. Output goes through the repository's prettier.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildApp } from "../app/build";
import { errorsOf, formatDiagnostic, ValidationError, type Diagnostic } from "../registries/diagnostics";
import { validateRegistriesYaml } from "../registries/validate";
import { readInputFile } from "../cli/command-kit";
import {
  BAD_INPUTS,
  writeBadInput,
  writeConfigFixtures,
  type BadInput,
  type BadInputFile,
} from "../testing/bad-inputs";

export const BAD_INPUTS_DOC_PATH = path.join(__dirname, "..", "docs", "bad-inputs.md");

/** Stands for the temporary directory the cases are checked in, which differs on every run. */
const CONFIG_DIR_PLACEHOLDER = "<config dir>";

/** The errors an input produces, as `file:line:column key: message [code]`. */
export function producedErrors(input: BadInput, configDir: string): string[] {
  const diagnostics =
    input.file === "harbor-mirror.yaml"
      ? configDiagnostics(input, configDir)
      : registriesDiagnostics(input, configDir);
  return errorsOf(diagnostics).map((diagnostic) => {
    const text = `${formatDiagnostic(diagnostic, input.file)} [${diagnostic.code}]`;
    return text.split(configDir).join(CONFIG_DIR_PLACEHOLDER);
  });
}

/** Everything the app reports for the file: the loader's errors and the constructs'. */
function configDiagnostics(input: BadInput, configDir: string): readonly Diagnostic[] {
  const outdir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-bad-input-"));
  try {
    writeBadInput(input, path.join(configDir, "harbor-mirror.yaml"));
    buildApp({ configPath: "harbor-mirror.yaml", cwd: configDir, outdir });
    return [];
  } catch (error) {
    if (error instanceof ValidationError) return error.diagnostics;
    throw error;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** What `harbor-mirror validate` reports for the file, read from disk as the CLI reads it. */
function registriesDiagnostics(input: BadInput, configDir: string): readonly Diagnostic[] {
  const file = path.join(configDir, "registries.yaml");
  writeBadInput(input, file);
  try {
    return validateRegistriesYaml(readInputFile(file));
  } catch (error) {
    if (error instanceof ValidationError) return error.diagnostics;
    throw error;
  }
}

const SECTIONS: readonly { file: BadInputFile; title: string; intro: string }[] = [
  {
    file: "harbor-mirror.yaml",
    title: "`harbor-mirror.yaml`",
    intro:
      "Rejected by the configuration loader (`npm run synth`, `harbor-mirror render`) before anything is " +
      "written; the app exits 1 and prints every error as `file:line:column key: message`; the code of " +
      "each rule is in brackets. Every key: [configuration reference](configuration.md).",
  },
  {
    file: "registries.yaml",
    title: "`registries.yaml`",
    intro:
      "Rejected by `harbor-mirror validate <file>` (exit 1) with the rules RKE2/K3s apply; " +
      "the code of each rule is in brackets.",
  },
];

export function renderBadInputsDoc(): string {
  const configDir = mkdtempSync(path.join(tmpdir(), "harbor-mirror-bad-inputs-"));
  try {
    writeConfigFixtures(configDir);
    const lines = [
      "# Bad inputs and the errors they produce",
      "",
      "<!-- Generated from testing/bad-inputs.ts by `npx tsx scripts/gen-bad-inputs-doc.ts`; do not edit. -->",
      "",
      `${BAD_INPUTS.length} inputs the project rejects, each with the exact error it produces. The same ` +
        "table drives the tests (`__tests__/proof/bad-inputs.test.ts`), so this page cannot drift from " +
        "the code. In the harbor-mirror.yaml inputs, the comment `#<` marks the line the error points at.",
      "",
      ...SECTIONS.flatMap((section) => renderSection(section, configDir)),
    ];
    return lines.join("\n");
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

function renderSection(section: (typeof SECTIONS)[number], configDir: string): string[] {
  const inputs = BAD_INPUTS.filter((input) => input.file === section.file);
  return [
    `## ${section.title} (${inputs.length})`,
    "",
    section.intro,
    "",
    ...inputs.flatMap((input, index) => renderCase(input, index + 1, configDir)),
  ];
}

function renderCase(input: BadInput, number: number, configDir: string): string[] {
  return [
    `### ${number}. ${input.name}`,
    "",
    "```yaml",
    input.text.replace(/\n$/, ""),
    "```",
    "",
    "```text",
    ...producedErrors(input, configDir),
    "```",
    "",
  ];
}

// The prettier CLI, not its API (see scripts/gen-config-docs.ts): the test compares these bytes.
export function generatedBadInputsDoc(): string {
  const prettier = require.resolve("prettier/bin/prettier.cjs");
  const result = spawnSync(process.execPath, [prettier, "--stdin-filepath", BAD_INPUTS_DOC_PATH], {
    input: renderBadInputsDoc(),
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`prettier failed on the bad-input page: ${result.stderr}`);
  return result.stdout;
}

if (require.main === module) {
  writeFileSync(BAD_INPUTS_DOC_PATH, generatedBadInputsDoc());
  console.log(`Bad-input catalogue written to ${BAD_INPUTS_DOC_PATH}`);
}
