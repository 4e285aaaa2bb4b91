/**
 * The review report's diagram (cli.md `review`, architecture.md: "review.md (tables + Mermaid)") must be
 * valid Mermaid: checked with Mermaid's own parser, and rendered to a PNG in headless Chromium.
 */
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  chromiumUnavailableReason,
  parseMermaid,
  readPngHeader,
  renderMermaidPng,
} from "../../testing/mermaid";
import { compareFacts } from "../../review/compare";
import { flowDiagram } from "../../review/diagram";
import { REPO_ROOT } from "../../testing/run-app";
import { afterConfig, beforeConfig, factsOf } from "../../testing/review-fixtures";

/**
 * The diagram of the review of a change (the walk-through before; after: a rule added, quay.io's
 * provider changed so its project is replaced, a node added, retention changed), as
 * `harbor-mirror review --base` writes it.
 */
function changeReviewDiagram(): string {
  const base = { facts: factsOf(beforeConfig()), source: "main" };
  return flowDiagram(compareFacts({ head: factsOf(afterConfig()), base }));
}

const REVIEW_FLOWCHART = changeReviewDiagram();

/** Where a person finds the rendered diagram after `npm test` (cdktf.out is git-ignored). */
const LOOK_AT_IT = path.join(REPO_ROOT, "cdktf.out", "review-diagram.png");

describe("parseMermaid (Mermaid's own parser)", () => {
  const cases: ReadonlyArray<{ rule: string; text: string; ok: boolean; error?: RegExp }> = [
    { rule: "the diagram of a change's review parses", text: REVIEW_FLOWCHART, ok: true },
    { rule: "graph LR is the same diagram type", text: "graph LR\n  a --> b", ok: true },
    {
      rule: "an unbalanced bracket is a parse error",
      text: 'flowchart LR\n  a["x" --> b',
      ok: false,
      error: /Parse error/,
    },
    {
      rule: "an unknown arrow is a parse error",
      text: "flowchart LR\n  a -=> b",
      ok: false,
      error: /Parse error/,
    },
    {
      rule: "an unclosed decision shape is a parse error",
      text: "flowchart LR\n  a --> b{x",
      ok: false,
      error: /Parse error/,
    },
    {
      rule: "a misspelt diagram type is rejected",
      text: "flowchrt LR\n  a --> b",
      ok: false,
      error: /No diagram type detected/,
    },
  ];

  test.each(cases)("$rule", async ({ text, ok, error }) => {
    const result = await parseMermaid(text);
    expect(result.ok).toBe(ok);
    if (result.ok) expect(result.diagramType).toMatch(/^flowchart/);
    else expect(result.error).toMatch(error ?? /./);
  });
});

describe("renderMermaidPng (headless Chromium)", () => {
  const unavailable = chromiumUnavailableReason();
  // Reported as skipped, with the reason in its name, when Chromium is missing: never a silent pass.
  const renderTest = unavailable ? test.skip : test;
  const suffix = unavailable ? ` [skipped: ${unavailable}]` : "";
  let outDir: string;

  beforeAll(async () => {
    outDir = await mkdtemp(path.join(os.tmpdir(), "harbor-mirror-mermaid-"));
  });
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  renderTest(`the review flowchart renders to a non-trivial PNG${suffix}`, async () => {
    const outFile = LOOK_AT_IT;
    await mkdir(path.dirname(outFile), { recursive: true });
    await renderMermaidPng(REVIEW_FLOWCHART, outFile);
    const png = await readFile(outFile);
    const header = readPngHeader(png);
    // A left-to-right chain of four columns of labelled boxes: wide, and far from a blank image's size.
    expect(header.width).toBeGreaterThan(header.height);
    expect(header.width).toBeGreaterThan(600);
    expect(png.length).toBeGreaterThan(10_000);
  });

  renderTest(`a broken diagram is rejected with Mermaid's message${suffix}`, async () => {
    await expect(
      renderMermaidPng("flowchart LR\n  a -=> b", path.join(outDir, "broken.png")),
    ).rejects.toThrow(/Parse error/);
  });
});

describe("readPngHeader", () => {
  test("rejects data without the PNG signature", () => {
    expect(() => readPngHeader(Buffer.from("GIF89a not a png at all, really"))).toThrow(/signature/);
  });
});
