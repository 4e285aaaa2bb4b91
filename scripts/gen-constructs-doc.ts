/**
 * Writes docs/constructs.md, the construct API reference, from the doc comments of the modules
 * the package's entry point (index.ts) re-exports from constructs/, read with the TypeScript
 * compiler API, plus one example per construct from docs/examples/ (files the consumer test
 * compiles against the packed library). Usage: `npm run docs`. The output goes through the
 * repository's prettier, so `prettier --check .` and the staleness test agree on the same bytes.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { formatWithPrettier } from "./format-doc";

const ROOT = path.join(__dirname, "..");
export const CONSTRUCTS_DOC_PATH = path.join(ROOT, "docs", "constructs.md");
export const EXAMPLES_DIR = path.join(ROOT, "docs", "examples");

const INTRO = [
  "<!-- Generated from the constructs' doc comments by `npm run docs` (scripts/gen-constructs-doc.ts); do not edit. -->",
  "",
  "# Construct API",
  "",
  "harbor-mirror's CDK for Terraform constructs, for use inside your own stacks: install the package",
  'and import from `harbor-mirror` (README, "Use it as a library"). The `harbor-mirror` app builds the',
  "same tree from `harbor-mirror.yaml` ([configuration.md](configuration.md)).",
  "",
  "```",
  "HarborMirror ─┬─ HarborProxyCache   Harbor registries, proxy projects, retention, optional pull robot",
  "              ├─ RegistriesContent  registries.yaml rendered once, as a Terraform local (and as cloud-init)",
  "              └─ RegistriesDelivery one null_resource per node (SSH), ordered by a RolloutStrategy",
  "HarborProvider                      the harbor provider block (TLS verified, credentials from variables)",
  "```",
  "",
  "Each piece is usable on its own; `HarborMirror` only wires what one exposes into the next. Every",
  "construct validates its props when constructed and throws one `ValidationError` listing every",
  "problem. Values that are unresolved tokens are not judged at synth time. Secrets must be tokens",
  "(e.g. a sensitive `TerraformVariable`'s `stringValue`): literals are refused, since they would be",
  "written in plain text into `cdk.tf.json`.",
  "",
];

function docOf(checker: ts.TypeChecker, node: ts.Node & { name?: ts.Node }): string {
  const symbol = node.name ? checker.getSymbolAtLocation(node.name) : undefined;
  return symbol ? paragraphs(ts.displayPartsToString(symbol.getDocumentationComment(checker))) : "";
}

/** `@internal` marks an export the package's modules share but users should not rely on. */
function isInternal(node: ts.Node): boolean {
  return ts.getJSDocTags(node).some((tag) => tag.tagName.text === "internal");
}

function tagOf(node: ts.Node, name: string): string | undefined {
  const tag = ts.getJSDocTags(node).find((candidate) => candidate.tagName.text === name);
  if (!tag) return undefined;
  return (ts.getTextOfJSDocComment(tag.comment) ?? "").trim().replace(/^- /, "");
}

/** The first doc comment of a file, when it stands before the first statement's own. */
function moduleDocOf(source: ts.SourceFile): string {
  const match = /^\/\*\*([\s\S]*?)\*\//.exec(source.getFullText().trimStart());
  if (!match) return "";
  const text = match[1]
    .split("\n")
    .map((line) => line.replace(/^\s*\* ?/, ""))
    .join("\n");
  return paragraphs(text);
}

/** Source line breaks inside a paragraph are layout, not meaning: each paragraph becomes one line. */
function paragraphs(text: string): string {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => oneLine(paragraph))
    .join("\n\n");
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();
const cell = (text: string) => oneLine(text).replace(/\|/g, "\\|") || "—";
const code = (text: string) => `\`${oneLine(text).replace(/\|/g, "\\|")}\``;

function isExported(node: ts.Node): boolean {
  const exported =
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  return exported && !isInternal(node);
}

function isPublic(member: ts.ClassElement): boolean {
  const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
  return (
    !modifiers.some(
      (m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword,
    ) && !(member.name && ts.isPrivateIdentifier(member.name))
  );
}

function isStatic(member: ts.ClassElement): boolean {
  const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
  return modifiers.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
}

function interfaceSection(checker: ts.TypeChecker, node: ts.InterfaceDeclaration): string[] {
  const lines = [`### \`${node.name.text}\``, ""];
  const doc = docOf(checker, node);
  if (doc) lines.push(doc, "");
  for (const clause of node.heritageClauses ?? []) {
    lines.push(`Extends ${clause.types.map((type) => code(type.getText())).join(", ")}.`, "");
  }
  const properties = node.members.filter(ts.isPropertySignature);
  if (properties.length === 0) return lines;
  lines.push("| name | type | default | meaning |", "| --- | --- | --- | --- |");
  for (const property of properties) {
    const fallback = property.questionToken ? "—" : "required";
    const defaultText = tagOf(property, "default") ?? fallback;
    lines.push(
      `| \`${property.name.getText()}\` | ${code(property.type?.getText() ?? "")} | ${cell(defaultText)} | ${cell(docOf(checker, property))} |`,
    );
  }
  return [...lines, ""];
}

function memberSignature(member: ts.MethodDeclaration): string {
  const parameters = member.parameters.map(
    (p) => `${p.name.getText()}${p.questionToken || p.initializer ? "?" : ""}`,
  );
  return `${isStatic(member) ? `${(member.parent as ts.ClassDeclaration).name?.text}.` : ""}${member.name.getText()}(${parameters.join(", ")})`;
}

function classSection(checker: ts.TypeChecker, node: ts.ClassDeclaration): string[] {
  const lines: string[] = [];
  const doc = docOf(checker, node);
  if (doc) lines.push(doc, "");
  const members = node.members.filter((member) => isPublic(member) && !isInternal(member));
  const properties = members.filter(ts.isPropertyDeclaration);
  if (properties.length > 0) {
    lines.push("**Exposes**", "", "| property | type | meaning |", "| --- | --- | --- |");
    for (const property of properties) {
      lines.push(
        `| \`${property.name.getText()}\` | ${code(property.type?.getText() ?? "")} | ${cell(docOf(checker, property))} |`,
      );
    }
    lines.push("");
  }
  const methods = members.filter(ts.isMethodDeclaration);
  if (methods.length > 0) {
    lines.push("**Methods**", "", "| method | meaning |", "| --- | --- |");
    for (const method of methods)
      lines.push(`| \`${memberSignature(method)}\` | ${cell(docOf(checker, method))} |`);
    lines.push("");
  }
  return lines;
}

function otherExports(checker: ts.TypeChecker, source: ts.SourceFile): string[] {
  const items: string[] = [];
  for (const statement of source.statements) {
    if (!isExported(statement)) continue;
    if (ts.isFunctionDeclaration(statement) && statement.name) {
      items.push(`- \`${statement.name.text}()\`: ${oneLine(docOf(checker, statement)) || "—"}`);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const doc = oneLine(docOf(checker, declaration) || docOf(checker, statement as never));
        items.push(`- \`${declaration.name.getText()}\`${doc ? `: ${doc}` : ""}`);
      }
    } else if (ts.isTypeAliasDeclaration(statement)) {
      items.push(`- type \`${statement.name.text}\` = ${code(statement.type.getText())}`);
    }
  }
  return items.length > 0 ? ["**Also exported**", "", ...items, ""] : [];
}

function exampleOf(module: string): string[] {
  const file = path.join(EXAMPLES_DIR, `${module}.ts`);
  if (!existsSync(file)) return [];
  return [
    `**Example** (\`docs/examples/${module}.ts\`)`,
    "",
    "```ts",
    readFileSync(file, "utf8").trimEnd(),
    "```",
    "",
  ];
}

function moduleSection(checker: ts.TypeChecker, source: ts.SourceFile): string[] {
  const module = path.basename(source.fileName, ".ts");
  const classes = source.statements.filter(
    (s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && isExported(s),
  );
  const functions = source.statements.filter(
    (s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && isExported(s),
  );
  const title = classes[0]?.name?.text ?? functions[0]?.name?.text ?? module;
  const file = path.relative(ROOT, source.fileName);
  const lines = [`## ${title}`, "", `\`${file}\`. ${moduleDocOf(source)}`, ""];
  for (const node of classes)
    lines.push(...(classes.length > 1 ? [`### ${node.name?.text}`, ""] : []), ...classSection(checker, node));
  for (const statement of source.statements) {
    if (ts.isInterfaceDeclaration(statement) && isExported(statement))
      lines.push(...interfaceSection(checker, statement));
  }
  return [...lines, ...otherExports(checker, source), ...exampleOf(module)];
}

/** The modules index.ts re-exports whole (`export *`), in its order. */
function constructModules(program: ts.Program): ts.SourceFile[] {
  const index = program.getSourceFile(path.join(ROOT, "index.ts"))!;
  return index.statements
    .filter(
      (statement): statement is ts.ExportDeclaration =>
        ts.isExportDeclaration(statement) && !statement.exportClause,
    )
    .map((statement) =>
      program.getSourceFile(path.join(ROOT, `${(statement.moduleSpecifier as ts.StringLiteral).text}.ts`))!,
    );
}

export function renderConstructsDoc(): string {
  const program = ts.createProgram([path.join(ROOT, "index.ts")], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const sections = constructModules(program).flatMap((source) => moduleSection(checker, source));
  return [...INTRO, ...sections].join("\n");
}

export function generatedConstructsDoc(): string {
  return formatWithPrettier(renderConstructsDoc(), CONSTRUCTS_DOC_PATH);
}

if (require.main === module) {
  writeFileSync(CONSTRUCTS_DOC_PATH, generatedConstructsDoc());
  console.log(`Construct reference written to ${CONSTRUCTS_DOC_PATH}`);
}
