/**
 * Checks a synthesized `cdk.tf.json` against provider schemas in the format of
 * `terraform providers schema -json`, so tests catch what `terraform validate` would, without a
 * Terraform binary or provider downloads (neither is available in CI).
 *
 * Deliberately stricter than Terraform in one way: primitive values must have the schema's JSON
 * type (Terraform would silently convert `5` to `"5"`); cdktf bindings always emit the right type,
 * so a mismatch means an override went wrong. Interpolations (`${…}`) are accepted for every type.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const HARBOR_SCHEMA = join(__dirname, "..", "providers", "harbor", "schema.json");
export const NULL_SCHEMA = join(__dirname, "..", "providers", "null", "schema.json");

/** Terraform type expressions: `"string"`, `["list","string"]`, `["object",{…}]`, … */
type TypeExpression = string | readonly unknown[];

interface SchemaAttribute {
  readonly type?: TypeExpression;
  readonly nested_type?: NestedType;
  readonly required?: boolean;
  readonly optional?: boolean;
  readonly computed?: boolean;
}

interface NestedType {
  readonly attributes: Readonly<Record<string, SchemaAttribute>>;
  readonly nesting_mode: "single" | "list" | "set" | "map";
  readonly min_items?: number;
  readonly max_items?: number;
}

interface SchemaBlock {
  readonly attributes?: Readonly<Record<string, SchemaAttribute>>;
  readonly block_types?: Readonly<Record<string, BlockType>>;
}

interface BlockType {
  readonly block: SchemaBlock;
  readonly nesting_mode: "single" | "group" | "list" | "set" | "map";
  readonly min_items?: number;
  readonly max_items?: number;
}

interface ProviderSchemaFile {
  readonly provider_schemas: Readonly<
    Record<
      string,
      {
        readonly provider?: { readonly block: SchemaBlock };
        readonly resource_schemas?: Readonly<Record<string, { readonly block: SchemaBlock }>>;
        readonly data_source_schemas?: Readonly<Record<string, { readonly block: SchemaBlock }>>;
      }
    >
  >;
}

interface SchemaIndex {
  readonly providers: Map<string, SchemaBlock>;
  readonly resources: Map<string, SchemaBlock>;
  readonly dataSources: Map<string, SchemaBlock>;
}

/** Terraform's meta-arguments, valid on every resource / data source / provider block. */
const RESOURCE_META_ARGUMENTS = new Set([
  "depends_on",
  "count",
  "for_each",
  "provider",
  "lifecycle",
  "provisioner",
  "connection",
]);
const DATA_META_ARGUMENTS = new Set(["depends_on", "count", "for_each", "provider", "lifecycle"]);
const PROVIDER_META_ARGUMENTS = new Set(["alias", "version"]);
const LIFECYCLE_KEYS = new Set([
  "create_before_destroy",
  "prevent_destroy",
  "ignore_changes",
  "replace_triggered_by",
  "precondition",
  "postcondition",
]);
/** cdktf writes `"//": {metadata}` comments into every block; Terraform's JSON syntax ignores them. */
const JSON_COMMENT_KEY = "//";

type Problems = string[];

export function checkAgainstProviderSchemas(tfJson: object, schemaFiles: string[]): string[] {
  const schemas = indexSchemas(schemaFiles);
  const document = tfJson as Record<string, unknown>;
  const problems: Problems = [];
  checkProviders(document.provider, schemas, problems);
  checkInstances("resource", document.resource, schemas.resources, RESOURCE_META_ARGUMENTS, problems);
  checkInstances("data", document.data, schemas.dataSources, DATA_META_ARGUMENTS, problems);
  return problems;
}

function indexSchemas(schemaFiles: readonly string[]): SchemaIndex {
  const index: SchemaIndex = { providers: new Map(), resources: new Map(), dataSources: new Map() };
  for (const file of schemaFiles) {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as ProviderSchemaFile;
    for (const [source, schema] of Object.entries(parsed.provider_schemas)) {
      // The local name cdktf uses is the source's last segment (registry.terraform.io/goharbor/harbor → harbor).
      const localName = source.split("/").pop() ?? source;
      if (schema.provider) index.providers.set(localName, schema.provider.block);
      for (const [type, entry] of Object.entries(schema.resource_schemas ?? {})) {
        index.resources.set(type, entry.block);
      }
      for (const [type, entry] of Object.entries(schema.data_source_schemas ?? {})) {
        index.dataSources.set(type, entry.block);
      }
    }
  }
  return index;
}

function checkProviders(section: unknown, schemas: SchemaIndex, problems: Problems): void {
  for (const [name, configs] of Object.entries(asRecord(section))) {
    const schema = schemas.providers.get(name);
    if (!schema) {
      problems.push(`provider.${name}: no schema for provider "${name}" in the given schema files`);
      continue;
    }
    asBlockInstances(configs).forEach((config, position) =>
      checkBlockBody(config, schema, `provider.${name}[${position}]`, PROVIDER_META_ARGUMENTS, problems),
    );
  }
}

function checkInstances(
  kind: "resource" | "data",
  section: unknown,
  schemas: ReadonlyMap<string, SchemaBlock>,
  metaArguments: ReadonlySet<string>,
  problems: Problems,
): void {
  for (const [type, instances] of Object.entries(asRecord(section))) {
    const schema = schemas.get(type);
    if (!schema) {
      problems.push(`${kind}.${type}: no schema for ${kind} type "${type}" in the given schema files`);
      continue;
    }
    for (const [name, body] of Object.entries(asRecord(instances))) {
      checkBlockBody(body, schema, `${kind}.${type}.${name}`, metaArguments, problems);
    }
  }
}

function checkBlockBody(
  body: unknown,
  schema: SchemaBlock,
  path: string,
  metaArguments: ReadonlySet<string>,
  problems: Problems,
): void {
  if (!isPlainObject(body)) {
    problems.push(`${path}: expected a block (JSON object), got ${describe(body)}`);
    return;
  }
  const attributes = schema.attributes ?? {};
  const blockTypes = schema.block_types ?? {};
  for (const [key, value] of Object.entries(body)) {
    const keyPath = `${path}.${key}`;
    if (key === JSON_COMMENT_KEY) continue;
    if (key === "lifecycle" && metaArguments.has(key)) checkLifecycle(value, keyPath, problems);
    else if (metaArguments.has(key)) continue;
    else if (key === "dynamic") checkDynamicBlocks(value, blockTypes, keyPath, problems);
    else if (key in attributes) checkAttribute(value, attributes[key], keyPath, problems);
    else if (key in blockTypes) checkNestedBlocks(value, blockTypes[key], keyPath, problems);
    else problems.push(`${keyPath}: unknown attribute or block "${key}" (allowed: ${allowedKeys(schema)})`);
  }
  checkRequiredPresent(body, schema, path, problems);
}

function checkRequiredPresent(
  body: Readonly<Record<string, unknown>>,
  schema: SchemaBlock,
  path: string,
  problems: Problems,
): void {
  const dynamicBlocks = asRecord(body.dynamic);
  for (const [name, attribute] of Object.entries(schema.attributes ?? {})) {
    if (attribute.required && body[name] == null) {
      problems.push(`${path}.${name}: missing required attribute "${name}"`);
    }
  }
  for (const [name, blockType] of Object.entries(schema.block_types ?? {})) {
    const present = body[name] != null || name in dynamicBlocks;
    if ((blockType.min_items ?? 0) > 0 && !present) {
      problems.push(`${path}.${name}: missing required block "${name}" (min_items ${blockType.min_items})`);
    }
  }
}

function checkAttribute(value: unknown, attribute: SchemaAttribute, path: string, problems: Problems): void {
  if (attribute.computed && !attribute.optional && !attribute.required) {
    problems.push(`${path}: attribute is computed-only (set by the provider) and cannot be configured`);
    return;
  }
  if (attribute.nested_type) checkNestedAttribute(value, attribute.nested_type, path, problems);
  else if (attribute.type !== undefined) checkType(value, attribute.type, path, problems);
}

/** Protocol-6 nested attributes: like blocks, but written as attribute values. */
function checkNestedAttribute(value: unknown, nested: NestedType, path: string, problems: Problems): void {
  if (value == null || isInterpolation(value)) return;
  const block: SchemaBlock = { attributes: nested.attributes };
  const checkOne = (item: unknown, itemPath: string) =>
    checkBlockBody(item, block, itemPath, new Set(), problems);
  if (nested.nesting_mode === "single") return checkOne(value, path);
  if (nested.nesting_mode === "map") {
    if (!isPlainObject(value))
      return void problems.push(`${path}: expected a map of objects, got ${describe(value)}`);
    return Object.entries(value).forEach(([key, item]) => checkOne(item, `${path}.${key}`));
  }
  if (!Array.isArray(value))
    return void problems.push(`${path}: expected a ${nested.nesting_mode}, got ${describe(value)}`);
  checkItemCount(value.length, nested, path, problems);
  value.forEach((item, position) => checkOne(item, `${path}[${position}]`));
}

function checkNestedBlocks(value: unknown, blockType: BlockType, path: string, problems: Problems): void {
  if (isInterpolation(value)) return;
  const { nesting_mode: mode } = blockType;
  if (mode === "map") {
    if (!isPlainObject(value))
      return void problems.push(`${path}: expected blocks keyed by label, got ${describe(value)}`);
    return Object.entries(value).forEach(([label, body]) =>
      checkBlockBody(body, blockType.block, `${path}.${label}`, new Set(), problems),
    );
  }
  // Terraform's JSON syntax accepts one block as an object or any number as an array of objects.
  const instances = Array.isArray(value) ? value : [value];
  if ((mode === "single" || mode === "group") && instances.length > 1) {
    problems.push(`${path}: nesting mode ${mode} allows one block, got ${instances.length}`);
  }
  checkItemCount(instances.length, blockType, path, problems);
  instances.forEach((body, position) => {
    const instancePath = Array.isArray(value) ? `${path}[${position}]` : path;
    checkBlockBody(body, blockType.block, instancePath, new Set(), problems);
  });
}

function checkItemCount(
  count: number,
  limits: { readonly min_items?: number; readonly max_items?: number },
  path: string,
  problems: Problems,
): void {
  if (limits.min_items !== undefined && count < limits.min_items) {
    problems.push(`${path}: needs at least ${limits.min_items} item(s) (min_items), got ${count}`);
  }
  if (limits.max_items !== undefined && limits.max_items > 0 && count > limits.max_items) {
    problems.push(`${path}: allows at most ${limits.max_items} item(s) (max_items), got ${count}`);
  }
}

/** `dynamic.<block>.content` (cdktf iterators): the content must fit the named block type. */
function checkDynamicBlocks(
  value: unknown,
  blockTypes: Readonly<Record<string, BlockType>>,
  path: string,
  problems: Problems,
): void {
  for (const [name, dynamic] of Object.entries(asRecord(value))) {
    const blockType = blockTypes[name];
    if (!blockType) {
      problems.push(`${path}.${name}: dynamic block for unknown block type "${name}"`);
      continue;
    }
    checkBlockBody(
      asRecord(dynamic).content,
      blockType.block,
      `${path}.${name}.content`,
      new Set(),
      problems,
    );
  }
}

function checkLifecycle(value: unknown, path: string, problems: Problems): void {
  for (const key of Object.keys(asRecord(value))) {
    if (!LIFECYCLE_KEYS.has(key)) {
      problems.push(
        `${path}.${key}: unknown lifecycle argument (allowed: ${[...LIFECYCLE_KEYS].join(", ")})`,
      );
    }
  }
}

function checkType(value: unknown, type: TypeExpression, path: string, problems: Problems): void {
  if (value == null || isInterpolation(value) || type === "dynamic") return;
  if (typeof type === "string") return checkPrimitive(value, type, path, problems);
  const [kind, element, optionalKeys] = type as [string, unknown, unknown];
  switch (kind) {
    case "list":
    case "set":
      if (!Array.isArray(value))
        return void problems.push(`${path}: expected ${kind}, got ${describe(value)}`);
      return value.forEach((item, i) =>
        checkType(item, element as TypeExpression, `${path}[${i}]`, problems),
      );
    case "map":
      if (!isPlainObject(value)) return void problems.push(`${path}: expected map, got ${describe(value)}`);
      return Object.entries(value).forEach(([key, item]) =>
        checkType(item, element as TypeExpression, `${path}.${key}`, problems),
      );
    case "object":
      return checkObject(value, element as Record<string, TypeExpression>, optionalKeys, path, problems);
    case "tuple":
      return checkTuple(value, element as TypeExpression[], path, problems);
    default:
      problems.push(`${path}: schema has an unsupported type ${JSON.stringify(type)}`);
  }
}

function checkPrimitive(value: unknown, type: string, path: string, problems: Problems): void {
  const ok =
    (type === "string" && typeof value === "string") ||
    (type === "number" && typeof value === "number" && Number.isFinite(value)) ||
    (type === "bool" && typeof value === "boolean");
  if (!ok) problems.push(`${path}: expected ${type}, got ${describe(value)}`);
}

function checkObject(
  value: unknown,
  attributeTypes: Readonly<Record<string, TypeExpression>>,
  optionalKeys: unknown,
  path: string,
  problems: Problems,
): void {
  if (!isPlainObject(value)) return void problems.push(`${path}: expected object, got ${describe(value)}`);
  const optional = new Set(Array.isArray(optionalKeys) ? (optionalKeys as string[]) : []);
  for (const [key, item] of Object.entries(value)) {
    if (key in attributeTypes) checkType(item, attributeTypes[key], `${path}.${key}`, problems);
    else problems.push(`${path}.${key}: unknown object attribute "${key}"`);
  }
  for (const key of Object.keys(attributeTypes)) {
    if (!(key in value) && !optional.has(key))
      problems.push(`${path}.${key}: missing object attribute "${key}"`);
  }
}

function checkTuple(
  value: unknown,
  elements: readonly TypeExpression[],
  path: string,
  problems: Problems,
): void {
  if (!Array.isArray(value) || value.length !== elements.length) {
    return void problems.push(`${path}: expected tuple of ${elements.length}, got ${describe(value)}`);
  }
  value.forEach((item, i) => checkType(item, elements[i], `${path}[${i}]`, problems));
}

function allowedKeys(schema: SchemaBlock): string {
  const keys = [...Object.keys(schema.attributes ?? {}), ...Object.keys(schema.block_types ?? {})];
  return keys.sort().join(", ") || "none";
}

function isInterpolation(value: unknown): boolean {
  return typeof value === "string" && value.includes("${");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asRecord(value: unknown): Readonly<Record<string, unknown>> {
  return isPlainObject(value) ? value : {};
}

/** cdktf writes `provider.<name>` as an array of configurations (one per alias). */
function asBlockInstances(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (value === null) return "null";
  if (typeof value === "object") return "object";
  return `${typeof value} ${JSON.stringify(value)}`;
}
