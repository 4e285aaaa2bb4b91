/**
 * Mermaid checks for the review report's diagram, with Mermaid's own code rather than a look-alike:
 * - `parseMermaid` runs `mermaid.parse()` in a child Node process. `@mermaid-js/parser` has no flowchart
 *   grammar (it covers info, packet, pie, gitGraph, architecture, … only), and `mermaid` is ESM-only, which
 *   Jest's CommonJS runtime cannot import; a plain `node` child can, in about half a second, with no browser.
 * - `renderMermaidPng` renders in Debian's headless Chromium through playwright-core, with the bundled
 *   `mermaid.min.js` injected from node_modules and every network request refused.
 */
import { runChild } from "./child-process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

export type MermaidParseResult = { ok: true; diagramType: string } | { ok: false; error: string };

/** Debian's package `chromium` installs here; renders are impossible without it. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Why `renderMermaidPng` cannot run on this machine, or `undefined` when it can. */
export function chromiumUnavailableReason(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `${CHROMIUM_PATH} not found (install with: apt-get install -y chromium)`;
}

const REPO_ROOT = path.resolve(__dirname, "..");
const RESULT_MARKER = "MERMAID_PARSE_RESULT ";

/*
 * The child program. Mermaid's flowchart parser sanitizes labels with DOMPurify, which needs a DOM and
 * in plain Node lacks `addHook`/`sanitize`. Parsing decides syntax only (labels are never turned into
 * HTML here), so an identity sanitizer is the smallest shim that lets Mermaid's real grammar run; the
 * Chromium render below exercises the real sanitizer. The result goes on a marked line because Mermaid
 * may log to stdout.
 */
const PARSE_PROGRAM = `
import DOMPurify from "dompurify";
DOMPurify.addHook = () => {};
DOMPurify.sanitize = (text) => text;
const { default: mermaid } = await import("mermaid");
let text = "";
for await (const chunk of process.stdin) text += chunk;
let result;
try {
  const parsed = await mermaid.parse(text);
  result = { ok: true, diagramType: parsed.diagramType };
} catch (error) {
  // A TypeError or ReferenceError is the tool chain breaking (e.g. the shim no longer fits), not bad syntax.
  if (error instanceof TypeError || error instanceof ReferenceError) throw error;
  result = { ok: false, error: String(error?.message ?? error) };
}
process.stdout.write("\\n${RESULT_MARKER}" + JSON.stringify(result) + "\\n");
`;

/** Parses `text` with `mermaid.parse()`; a syntax error is a result, a broken tool chain is a rejection. */
export async function parseMermaid(text: string): Promise<MermaidParseResult> {
  const stdout = await runNodeModule(PARSE_PROGRAM, text);
  const line = stdout.split("\n").find((candidate) => candidate.startsWith(RESULT_MARKER));
  if (line === undefined) {
    throw new Error(`mermaid parse child printed no result; its output was:\n${stdout}`);
  }
  return JSON.parse(line.slice(RESULT_MARKER.length)) as MermaidParseResult;
}

/** Runs an ES module program with `node` from the repository root (so `mermaid` resolves), feeding stdin. */
async function runNodeModule(program: string, input: string): Promise<string> {
  const result = await runChild([process.execPath, "--input-type=module", "-e", program], {
    cwd: REPO_ROOT,
    input,
  });
  if (result.code !== 0) throw new Error(`node exited with ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** No GPU, no sandbox (containers run as root), and nothing that phones home. */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const MERMAID_BUNDLE = require.resolve("mermaid/dist/mermaid.min.js", { paths: [REPO_ROOT] });

/**
 * Renders `text` with the bundled Mermaid in headless Chromium and writes a PNG of the diagram to
 * `outFile`. Rejects with Mermaid's message when the diagram is invalid. Every run gets a fresh profile
 * directory (removed afterwards) so runs cannot influence each other.
 */
export async function renderMermaidPng(text: string, outFile: string): Promise<void> {
  const unavailable = chromiumUnavailableReason();
  if (unavailable) throw new Error(`cannot render Mermaid: ${unavailable}`);
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), "harbor-mirror-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_FLAGS,
      deviceScaleFactor: 2,
    });
    try {
      // The page is built from a string and the bundle is inlined: anything that asks the network is a bug.
      await context.route("**/*", (route) => route.abort());
      const page = await context.newPage();
      await page.setContent('<!doctype html><html><body><div id="diagram"></div></body></html>');
      await page.addScriptTag({ path: MERMAID_BUNDLE });
      await page.evaluate(`(${RENDER_IN_PAGE})(${JSON.stringify(text)})`);
      await page.locator("#diagram svg").screenshot({ path: outFile });
    } finally {
      await context.close();
    }
  } finally {
    await rm(userDataDir, { recursive: true, force: true });
  }
}

/*
 * Runs inside the page, where the bundle defined the global `mermaid`. A string rather than a function:
 * transpilers (tsx, ts-jest) may add helpers to a function body that do not exist in the page.
 */
const RENDER_IN_PAGE = `async (text) => {
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
  const { svg } = await mermaid.render("review-diagram", text);
  document.getElementById("diagram").innerHTML = svg;
}`;

/** What a PNG's header says: enough to tell a real picture from an empty or broken file. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Reads width and height from the IHDR chunk; throws when `data` is not a PNG. */
export function readPngHeader(data: Buffer): PngHeader {
  if (data.length < 24 || !data.subarray(0, 8).equals(PNG_SIGNATURE)) {
    throw new Error("not a PNG: the 8-byte signature is missing");
  }
  if (data.toString("latin1", 12, 16) !== "IHDR") throw new Error("not a PNG: the first chunk is not IHDR");
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}
