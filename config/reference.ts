/**
 * The two documents derived from the zod schema: the editor schema (`harbor-mirror.schema.json`,
 * zod's own JSON Schema output) and the reference (docs/configuration.md), rendered from that same
 * JSON Schema, so neither can drift from what the loader accepts.
 */
import { z } from "zod";
import { defaultUpstream } from "../harbor/upstreams";
import { CREDENTIAL_SOURCES, CREDENTIAL_WORDS } from "./load";
import { harborMirrorSchema } from "./schema";

export const EDITOR_SCHEMA_FILE = "harbor-mirror.schema.json";

/** A JSON Schema node as zod writes it, with the project's own `.meta()` keys. */
interface JsonSchema {
  readonly type?: string;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly description?: string;
  readonly example?: string;
  readonly defaultText?: string;
  readonly keyLabel?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly additionalProperties?: JsonSchema | boolean;
}

/** What an editor validates `harbor-mirror.yaml` against: what may be written (defaults optional). */
export function editorSchema(): Record<string, unknown> {
  return z.toJSONSchema(harborMirrorSchema, { io: "input" }) as Record<string, unknown>;
}

export function renderEditorSchema(): string {
  return `${JSON.stringify(editorSchema(), null, 2)}\n`;
}

// Hosts that show every branch of the default-provider table.
const SAMPLE_REGISTRIES = [
  "docker.io",
  "ghcr.io",
  "quay.io",
  "gcr.io",
  "eu.gcr.io",
  "europe-docker.pkg.dev",
  "registry.k8s.io",
  "k8s.gcr.io",
  "registry.example.com",
];

export function renderConfigReference(): string {
  const root = editorSchema() as JsonSchema;
  return [
    "# `harbor-mirror.yaml` reference",
    "",
    "<!-- Generated from config/schema.ts by `npx tsx scripts/gen-config-docs.ts`; do not edit. -->",
    "",
    "The file is read from `./harbor-mirror.yaml`, or from the path in `HARBOR_MIRROR_CONFIG`. Every key",
    "that is not required has a default. An unknown key, a wrong type or an invalid value is an error naming",
    "the file, line, column, key path, value and what is allowed; nothing is written then. The values are",
    "checked by the constructs they configure; every input they refuse, with its rule code, is listed in",
    "[bad-inputs.md](bad-inputs.md). Editors can check the file as you type: see [editors.md](editors.md).",
    "",
    "## Keys",
    "",
    table(["key", "type", "default", "description", "example"], keyRows(root, "", true).map(rowCells)),
    "",
    "## Default provider and endpoint by registry host",
    "",
    table(["registry", "provider", "endpointUrl"], SAMPLE_REGISTRIES.map(defaultRow)),
    "",
    "## Secrets",
    "",
    `Secrets never appear in this file. A key the schema does not declare that contains ${CREDENTIAL_WORDS.map(
      (word) => `\`${word}\``,
    ).join(", ")} (ignoring case, \`_\` and \`-\`) is an error, anywhere in the file: ${CREDENTIAL_SOURCES}.`,
    "",
  ].join("\n");
}

interface Row {
  readonly key: string;
  readonly type: string;
  readonly presence: string;
  readonly doc: string;
  readonly example: string;
}

function keyRows(schema: JsonSchema, prefix: string, isRequired: boolean): Row[] {
  const own = prefix ? [rowOf(prefix, schema, isRequired)] : [];
  return [...own, ...childRows(schema, prefix)];
}

function childRows(schema: JsonSchema, prefix: string): Row[] {
  if (schema.type === "array" && schema.items) return childRows(schema.items, `${prefix}[]`);
  if (schema.type !== "object") return [];
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0 && typeof schema.additionalProperties === "object") {
    return childRows(schema.additionalProperties, `${prefix}.${schema.keyLabel ?? "<key>"}`);
  }
  const rows = properties.flatMap(([name, child]) =>
    keyRows(child, prefix ? `${prefix}.${name}` : name, schema.required?.includes(name) ?? false),
  );
  return rows;
}

function rowOf(key: string, schema: JsonSchema, isRequired: boolean): Row {
  return {
    key,
    type: typeText(schema),
    presence: presenceText(schema, isRequired),
    doc: schema.description ?? "",
    example: schema.example ?? "",
  };
}

function typeText(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${String(schema.const)}\``;
  if (schema.enum) return schema.enum.map((value) => `\`${String(value)}\``).join(" | ");
  if (schema.type === "array")
    return `list of ${schema.items?.type === "object" ? "mappings" : typeText(schema.items ?? {})}`;
  if (schema.type === "object") {
    const value = schema.additionalProperties;
    if (!schema.properties && typeof value === "object")
      return `mapping \`${schema.keyLabel ?? "<key>"}\` → ${typeText(value)}`;
    return "mapping";
  }
  return schema.type ?? "any";
}

function presenceText(schema: JsonSchema, isRequired: boolean): string {
  if (isRequired) return "**required**";
  if (schema.defaultText) return schema.defaultText;
  if (schema.type === "object" && schema.properties) return "defaults of its keys";
  if (schema.default === undefined) return "not set";
  return `\`${JSON.stringify(schema.default).replace(/^"(.*)"$/, "$1")}\``;
}

function defaultRow(registry: string): string[] {
  const defaults = defaultUpstream(registry);
  return [code(registry), code(defaults.provider), code(defaults.endpointUrl)];
}

function rowCells(row: Row): string[] {
  return [code(row.key), row.type, row.presence, row.doc, row.example ? code(row.example) : ""];
}

function code(value: string): string {
  return `\`${value}\``;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

// A `|` inside a cell would end the cell, even inside backticks.
function escapeCell(cell: string): string {
  return cell.replace(/\|/g, "\\|");
}
