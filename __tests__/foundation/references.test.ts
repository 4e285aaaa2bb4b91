/**
 * References people can follow (issue 10): outside the tests, nothing cites the project's internal
 * specification (files such as rke2-registries.md or harbor.md with their `§` sections live outside
 * the repository), and every `docs/<page>.md#anchor` a message, doc comment, doc page, README or
 * example points to names a page that exists and a heading on it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");

/** Not the repository's own text: dependencies, build and synth output, and the tests themselves. */
const SKIPPED_DIRECTORIES = new Set([
  ".git",
  "node_modules",
  "cdktf.out",
  "lib",
  ".terraform",
  "bench-out",
  "__tests__",
]);
const SCANNED_EXTENSIONS = new Set([".ts", ".md", ".yaml", ".yml", ".json", ".mjs", ".js"]);
const SKIPPED_FILES = new Set(["package-lock.json"]);

/** The internal specification's file names; none of them is shipped. */
const SPEC_FILES = [
  "rke2-registries.md",
  "harbor.md",
  "containerd-hosts.md",
  "scale.md",
  "prior-art.md",
  "config.md",
  "cli.md",
  "architecture.md",
];

function sourceFiles(directory: string = ROOT): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRECTORIES.has(entry.name) ? [] : sourceFiles(full);
    const scanned =
      SCANNED_EXTENSIONS.has(path.extname(entry.name)) &&
      !SKIPPED_FILES.has(entry.name) &&
      !entry.name.endsWith(".test.ts");
    return scanned ? [full] : [];
  });
}

interface Finding {
  readonly line: number;
  readonly text: string;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

/** Without URLs: a public page may well be called `…/docs/hosts.md`. */
function withoutUrls(text: string): string {
  return text.replace(/https?:\/\/[^\s)>"'`]+/g, (url) => " ".repeat(url.length));
}

/**
 * Citations of the internal specification in `text` (a file at `file`, relative to the root): a
 * `§<number>` section mark, or a spec file name that is not a shipped page — `docs/harbor.md` is
 * a page, and so is `harbor.md` written inside docs/ when docs/harbor.md exists.
 */
export function specCitations(text: string, file: string, pageExists: (page: string) => boolean): Finding[] {
  const plain = withoutUrls(text);
  const findings: Finding[] = [];
  for (const match of plain.matchAll(/§\s?[0-9]/g)) {
    findings.push({ line: lineOf(plain, match.index), text: match[0] });
  }
  const inDocs = path.posix.dirname(file) === "docs";
  for (const name of SPEC_FILES) {
    const mention = new RegExp(
      `(?<![\\w./-])(docs\\(\\s*["'\`]|(?:[\\w.-]+/)*)${name.replace(/[.]/g, "[.]")}`,
      "g",
    );
    for (const match of plain.matchAll(mention)) {
      const shippedPage = match[1] === "docs/" || match[1].startsWith("docs(") || (match[1] === "" && inDocs);
      if (shippedPage && pageExists(name)) continue;
      findings.push({ line: lineOf(plain, match.index), text: match[0] });
    }
  }
  return findings;
}

interface Reference extends Finding {
  /** Path relative to the root, or "" for an anchor on the same page. */
  readonly page: string;
  readonly anchor?: string;
}

/**
 * Page references in `text`: `docs/<page>.md[#anchor]` anywhere, `docs("<page>.md#anchor")` (the
 * helper messages use), and in Markdown files relative links `](<page>.md#anchor)` / `](#anchor)`.
 */
export function pageReferences(text: string, file: string): Reference[] {
  const plain = withoutUrls(text);
  const references: Reference[] = [];
  const add = (index: number, page: string, anchor: string | undefined, raw: string) =>
    references.push({ line: lineOf(plain, index), text: raw, page, anchor: anchor || undefined });
  for (const match of plain.matchAll(/(?<![\w./-])docs\/([\w./-]+?\.md)(?:#([\w-]+))?/g)) {
    add(match.index, `docs/${match[1]}`, match[2], match[0]);
  }
  for (const match of plain.matchAll(/\bdocs\(\s*["'`]([\w./-]+?\.md)(?:#([\w-]+))?["'`]\s*\)/g)) {
    add(match.index, `docs/${match[1]}`, match[2], match[0]);
  }
  if (file.endsWith(".md")) {
    for (const match of plain.matchAll(/\]\(([\w./-]*?\.md)?(?:#([\w-]+))?\)/g)) {
      if (match[1] === undefined && match[2] === undefined) continue;
      const page =
        match[1] === undefined
          ? file
          : path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1]));
      if (match[1]?.startsWith("docs/") && path.posix.dirname(file) === ".") {
        continue; // README's `](docs/x.md#a)` is already found by the first pattern
      }
      add(match.index, page, match[2], match[0]);
    }
  }
  return references;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as `-`, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const seen = counts.get(slug) ?? 0;
    counts.set(slug, seen + 1);
    anchors.add(seen === 0 ? slug : `${slug}-${seen}`);
  }
  return anchors;
}

function relative(file: string): string {
  return path.relative(ROOT, file).split(path.sep).join("/");
}

function docsPageExists(name: string): boolean {
  return existsSync(path.join(ROOT, "docs", name));
}

describe("references people can follow", () => {
  const files = sourceFiles().map((file) => ({ file: relative(file), text: readFileSync(file, "utf8") }));

  test("the scan covers sources, docs, README and examples", () => {
    const scanned = files.map(({ file }) => file);
    for (const expected of [
      "README.md",
      "docs/registries.md",
      "docs/harbor.md",
      "registries/resolve.ts",
      "cli/commands/validate.ts",
    ]) {
      expect(scanned).toContain(expected);
    }
    expect(scanned.some((file) => file.startsWith("examples/"))).toBe(true);
    expect(scanned.some((file) => file.startsWith("__tests__/"))).toBe(false);
  });

  test("no file outside the tests cites the internal specification", () => {
    const citations = files.flatMap(({ file, text }) =>
      specCitations(text, file, docsPageExists).map((finding) => `${file}:${finding.line} ${finding.text}`),
    );
    expect(citations).toEqual([]);
  });

  test("every docs/ page and anchor referred to exists", () => {
    const anchorsOf = new Map<string, Set<string> | undefined>();
    const anchors = (page: string) => {
      if (!anchorsOf.has(page)) {
        const full = path.join(ROOT, page);
        anchorsOf.set(page, existsSync(full) ? headingAnchors(readFileSync(full, "utf8")) : undefined);
      }
      return anchorsOf.get(page);
    };
    const broken = files.flatMap(({ file, text }) =>
      pageReferences(text, file)
        .filter((reference) => {
          const onPage = anchors(reference.page);
          return onPage === undefined || (reference.anchor !== undefined && !onPage.has(reference.anchor));
        })
        .map((reference) => `${file}:${reference.line} ${reference.text}`),
    );
    expect(broken).toEqual([]);
  });

  test("messages that point to the docs are among the references checked", () => {
    const fromMessages = files
      .filter(({ file }) => file.endsWith(".ts"))
      .flatMap(({ file, text }) => pageReferences(text, file))
      .filter((reference) => reference.text.startsWith("docs("));
    expect(fromMessages.map((reference) => reference.page)).toEqual(
      expect.arrayContaining(["docs/harbor.md", "docs/registries.md"]),
    );
  });
});

describe("the reference checks themselves", () => {
  const exists = (page: string) => page === "harbor.md";

  test.each([
    { text: "see harbor.md §3.1 for the types", file: "harbor/upstreams.ts", found: ["§3", "harbor.md"] },
    {
      text: "(rke2-registries.md §10 pitfall 1)",
      file: "constructs/x.ts",
      found: ["§1", "rke2-registries.md"],
    },
    { text: "the cli.md contract", file: "cli/main.ts", found: ["cli.md"] },
    { text: "docs/scale.md is not a page", file: "README.md", found: ["docs/scale.md"] },
    { text: "see docs/harbor.md#retention", file: "harbor/retention.ts", found: [] },
    { text: "[Harbor](harbor.md#retention)", file: "docs/registries.md", found: [] },
    { text: "[Harbor](harbor.md#retention)", file: "README.md", found: ["harbor.md"] },
    {
      text: "https://github.com/containerd/containerd/blob/main/docs/hosts.md",
      file: "docs/containerd.md",
      found: [],
    },
    { text: "docs/configuration.md is generated", file: "README.md", found: [] },
    { text: '(${docs("harbor.md#retention")})', file: "harbor/retention.ts", found: [] },
    { text: '(${docs("scale.md")})', file: "bench/run.ts", found: ['docs("scale.md'] },
  ])("specCitations($text in $file)", ({ text, file, found }) => {
    expect(specCitations(text, file, exists).map((finding) => finding.text)).toEqual(found);
  });

  test("page references: plain paths, the docs() helper and Markdown links, resolved per file", () => {
    const text = [
      "see docs/harbor.md#retention and docs/registries.md",
      '`${docs("harbor.md#schedule-spelling")}`',
      "[r](registries.md#rewrites) [self](#version-notes) [out](https://example.com/x.md#y)",
    ].join("\n");
    expect(
      pageReferences(text, "docs/guide.md").map(({ page, anchor, line }) => ({ page, anchor, line })),
    ).toEqual([
      { page: "docs/harbor.md", anchor: "retention", line: 1 },
      { page: "docs/registries.md", anchor: undefined, line: 1 },
      { page: "docs/harbor.md", anchor: "schedule-spelling", line: 2 },
      { page: "docs/registries.md", anchor: "rewrites", line: 3 },
      { page: "docs/guide.md", anchor: "version-notes", line: 3 },
    ]);
  });

  test("heading anchors follow GitHub: code spans and punctuation dropped, repeats numbered", () => {
    const markdown = [
      "# Top",
      "## Backslashes and quotes break `hosts.toml`",
      "## The provider's TLS default",
      "```yaml",
      "# not a heading",
      "```",
      "## Top",
    ].join("\n");
    expect([...headingAnchors(markdown)]).toEqual([
      "top",
      "backslashes-and-quotes-break-hoststoml",
      "the-providers-tls-default",
      "top-1",
    ]);
  });
});
