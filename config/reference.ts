/**
 * Renders the `harbor-mirror.yaml` reference (docs/configuration.md) from the schema itself, so
 * the documentation cannot drift from what the loader accepts.
 */
import { defaultUpstream } from "../harbor/upstreams";
import { CREDENTIAL_SOURCES, CREDENTIAL_WORDS, harborMirrorSchema } from "./schema";
import type { Field, Presence, Rule, Spec } from "./schema-kit";

interface Row {
  readonly key: string;
  readonly type: string;
  readonly presence: string;
  readonly doc: string;
  readonly example: string;
}

// Hosts that show every branch of the default-provider table (config.md).
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
  const rules = rulesOf(harborMirrorSchema, "");
  return [
    "# `harbor-mirror.yaml` reference",
    "",
    "<!-- Generated from config/schema.ts by `npx tsx scripts/gen-config-docs.ts`; do not edit. -->",
    "",
    "The file is read from `./harbor-mirror.yaml`, or from the path in `HARBOR_MIRROR_CONFIG`. Every key",
    "that is not required has a default. An unknown key, a wrong type or an invalid value is an error naming",
    "the key path, line, column, value and what is allowed; all errors are reported at once.",
    "",
    "## Keys",
    "",
    table(
      ["key", "type", "default", "description", "example"],
      keyRows(harborMirrorSchema, "").map(rowCells),
    ),
    "",
    "## Rules across keys",
    "",
    ...bullets(rules.filter(({ rule }) => rule.severity === "error")),
    "",
    "## Warnings (legal but risky)",
    "",
    ...bullets(rules.filter(({ rule }) => rule.severity === "warning")),
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

function keyRows(spec: Spec<unknown>, prefix: string): Row[] {
  const shape = spec.shape;
  switch (shape.kind) {
    case "scalar":
      return [];
    case "list":
      return keyRows(shape.item, `${prefix}[]`);
    case "map":
      return keyRows(shape.value, `${prefix}.${shape.keyLabel}`);
    case "object": {
      const rows = Object.entries(shape.fields).flatMap(([name, field]) => {
        const key = prefix ? `${prefix}.${name}` : name;
        return [fieldRow(key, field), ...keyRows(field.spec, key)];
      });
      const passthrough = shape.passthrough;
      const extra = {
        key: `${prefix}.<other keys>`,
        type: "any",
        presence: "—",
        doc: passthrough?.doc ?? "",
        example: "",
      };
      return passthrough ? [...rows, extra] : rows;
    }
  }
}

function fieldRow(key: string, field: Field<unknown, unknown>): Row {
  return {
    key,
    type: field.spec.type,
    presence: presenceText(field.presence, field.spec),
    doc: field.doc,
    example: field.example ?? "",
  };
}

function presenceText(presence: Presence<unknown>, spec: Spec<unknown>): string {
  switch (presence.kind) {
    case "required":
      return "**required**";
    case "optional":
      return "not set";
    case "empty":
      return spec.shape.kind === "list"
        ? "`[]`"
        : spec.shape.kind === "map"
          ? "`{}`"
          : "defaults of its keys";
    case "default":
      return `\`${String(presence.value)}\``;
    case "derived":
      return presence.describe;
  }
}

interface PlacedRule {
  readonly key: string;
  readonly rule: Rule<never>;
}

function rulesOf(spec: Spec<unknown>, key: string): PlacedRule[] {
  const shape = spec.shape;
  const placed = (rules: readonly Rule<never>[]) => rules.map((rule) => ({ key, rule }));
  switch (shape.kind) {
    case "scalar":
      return [];
    case "list":
      return [...placed(shape.rules), ...rulesOf(shape.item, `${key}[]`)];
    case "map":
      return rulesOf(shape.value, `${key}.${shape.keyLabel}`);
    case "object":
      return [
        ...Object.entries(shape.fields).flatMap(([name, field]) =>
          rulesOf(field.spec, key ? `${key}.${name}` : name),
        ),
        ...placed(shape.rules),
      ];
  }
}

function bullets(rules: readonly PlacedRule[]): string[] {
  return rules.map(({ key, rule }) => `- ${key ? `${code(key)}: ` : ""}${rule.doc}`);
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
