/**
 * The schema checker itself: a valid document conforms, and each deliberately broken document
 * produces exactly its problem (rules as in `terraform providers schema -json`, harbor.md §2.0).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkAgainstProviderSchemas, HARBOR_SCHEMA, NULL_SCHEMA } from "../../testing/schema-conformance";

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A small conforming document touching providers, resources, data sources, blocks and meta-arguments. */
function validDocument(): Doc {
  return {
    terraform: { required_providers: { harbor: { source: "goharbor/harbor" } } },
    provider: { harbor: [{ url: "https://harbor.example.com", insecure: false, password: "${var.pw}" }] },
    resource: {
      harbor_registry: {
        hub: {
          "//": { metadata: { path: "x" } },
          name: "docker.io",
          provider_name: "docker-hub",
          endpoint_url: "https://hub.docker.com",
        },
      },
      harbor_project: {
        hub: {
          name: "docker.io",
          registry_id: "${harbor_registry.hub.registry_id}",
          public: true,
          storage_quota: -1,
          cve_allowlist: ["CVE-2024-1"],
          depends_on: ["harbor_registry.hub"],
          lifecycle: { prevent_destroy: true },
          provider: "harbor",
        },
      },
      harbor_robot_account: {
        pull: {
          name: "pull",
          level: "system",
          permissions: [
            { kind: "project", namespace: "docker.io", access: [{ resource: "repository", action: "pull" }] },
          ],
        },
      },
      harbor_retention_policy: {
        hub: { scope: "${harbor_project.hub.id}", schedule: "Daily", rule: [{ n_days_since_last_pull: 7 }] },
      },
      null_resource: {
        node: {
          triggers: { content: "abc" },
          count: 1,
          provisioner: [{ "local-exec": { command: "true" } }],
        },
      },
    },
    data: {
      harbor_project: { existing: { name: "library" } },
      null_data_source: { values: { inputs: { a: "b" } } },
    },
  };
}

const SCHEMAS = [HARBOR_SCHEMA, NULL_SCHEMA];

interface BrokenCase {
  readonly rule: string;
  readonly breakIt: (doc: Doc) => void;
  readonly problem: string;
}

const res = (doc: Doc) => doc.resource;

const BROKEN: readonly BrokenCase[] = [
  {
    rule: "unknown attribute",
    breakIt: (doc) => (res(doc).harbor_project.hub.colour = "red"),
    problem: 'resource.harbor_project.hub.colour: unknown attribute or block "colour"',
  },
  {
    rule: "missing required attribute",
    breakIt: (doc) => delete res(doc).harbor_registry.hub.endpoint_url,
    problem: 'resource.harbor_registry.hub.endpoint_url: missing required attribute "endpoint_url"',
  },
  {
    rule: "required attribute set to null counts as missing",
    breakIt: (doc) => (res(doc).harbor_robot_account.pull.level = null),
    problem: 'resource.harbor_robot_account.pull.level: missing required attribute "level"',
  },
  {
    rule: "wrong type: string for bool",
    breakIt: (doc) => (res(doc).harbor_project.hub.public = "yes"),
    problem: 'resource.harbor_project.hub.public: expected bool, got string "yes"',
  },
  {
    rule: "wrong type: string for number (stricter than Terraform's conversion)",
    breakIt: (doc) => (res(doc).harbor_project.hub.storage_quota = "10"),
    problem: 'resource.harbor_project.hub.storage_quota: expected number, got string "10"',
  },
  {
    rule: "wrong type: list element",
    breakIt: (doc) => (res(doc).harbor_project.hub.cve_allowlist = ["ok", 1]),
    problem: "resource.harbor_project.hub.cve_allowlist[1]: expected string, got number 1",
  },
  {
    rule: "wrong type: map value",
    breakIt: (doc) => (res(doc).null_resource.node.triggers = { content: true }),
    problem: "resource.null_resource.node.triggers.content: expected string, got boolean true",
  },
  {
    rule: "wrong type: object for list",
    breakIt: (doc) => (res(doc).harbor_project.hub.cve_allowlist = { a: "b" }),
    problem: "resource.harbor_project.hub.cve_allowlist: expected list, got object",
  },
  {
    rule: "wrong type in the provider block",
    breakIt: (doc) => (doc.provider.harbor[0].insecure = "false"),
    problem: 'provider.harbor[0].insecure: expected bool, got string "false"',
  },
  {
    rule: "wrong nesting: a string where a block is expected",
    breakIt: (doc) => (res(doc).harbor_robot_account.pull.permissions = ["project"]),
    problem:
      'resource.harbor_robot_account.pull.permissions[0]: expected a block (JSON object), got string "project"',
  },
  {
    rule: "wrong nesting: attributes of the outer block inside the nested one",
    breakIt: (doc) => (res(doc).harbor_robot_account.pull.permissions[0].access[0].namespace = "x"),
    problem:
      'resource.harbor_robot_account.pull.permissions[0].access[0].namespace: unknown attribute or block "namespace"',
  },
  {
    rule: "too many blocks (rule max_items 15, harbor.md §2.5)",
    breakIt: (doc) =>
      (res(doc).harbor_retention_policy.hub.rule = Array.from({ length: 16 }, () => ({
        n_days_since_last_pull: 7,
      }))),
    problem: "resource.harbor_retention_policy.hub.rule: allows at most 15 item(s) (max_items), got 16",
  },
  {
    rule: "too few blocks (access min_items 1, harbor.md §2.4)",
    breakIt: (doc) => (res(doc).harbor_robot_account.pull.permissions[0].access = []),
    problem:
      "resource.harbor_robot_account.pull.permissions[0].access: needs at least 1 item(s) (min_items), got 0",
  },
  {
    rule: "missing required block",
    breakIt: (doc) => delete res(doc).harbor_robot_account.pull.permissions,
    problem:
      'resource.harbor_robot_account.pull.permissions: missing required block "permissions" (min_items 1)',
  },
  {
    rule: "computed-only attribute set",
    breakIt: (doc) => (res(doc).harbor_registry.hub.registry_id = 5),
    problem: "resource.harbor_registry.hub.registry_id: attribute is computed-only",
  },
  {
    rule: "computed-only attribute set in a data source",
    breakIt: (doc) => (doc.data.null_data_source.values.outputs = { a: "b" }),
    problem: "data.null_data_source.values.outputs: attribute is computed-only",
  },
  {
    rule: "missing required attribute in a data source",
    breakIt: (doc) => delete doc.data.harbor_project.existing.name,
    problem: 'data.harbor_project.existing.name: missing required attribute "name"',
  },
  {
    rule: "resource meta-argument not allowed on a data source",
    breakIt: (doc) => (doc.data.harbor_project.existing.provisioner = []),
    problem: 'data.harbor_project.existing.provisioner: unknown attribute or block "provisioner"',
  },
  {
    rule: "unknown lifecycle argument",
    breakIt: (doc) => (res(doc).harbor_project.hub.lifecycle.prevent_destroyy = true),
    problem: "resource.harbor_project.hub.lifecycle.prevent_destroyy: unknown lifecycle argument",
  },
  {
    rule: "unknown resource type",
    breakIt: (doc) => (res(doc).harbor_projects = { a: {} }),
    problem: 'resource.harbor_projects: no schema for resource type "harbor_projects"',
  },
  {
    rule: "unknown provider",
    breakIt: (doc) => (doc.provider.random = [{}]),
    problem: 'provider.random: no schema for provider "random"',
  },
  {
    rule: "dynamic block for an unknown block type",
    breakIt: (doc) => (res(doc).harbor_robot_account.pull.dynamic = { permission: { content: {} } }),
    problem:
      'resource.harbor_robot_account.pull.dynamic.permission: dynamic block for unknown block type "permission"',
  },
];

describe("checkAgainstProviderSchemas", () => {
  it("accepts a conforming document with meta-arguments, interpolations and cdktf comments", () => {
    expect(checkAgainstProviderSchemas(validDocument(), SCHEMAS)).toEqual([]);
  });

  it.each(BROKEN)("reports $rule", ({ breakIt, problem }) => {
    const doc = validDocument();
    breakIt(doc);
    expect(checkAgainstProviderSchemas(doc, SCHEMAS)).toEqual([expect.stringContaining(problem)]);
  });

  it("accepts an interpolation for any type, including blocks", () => {
    const doc = validDocument();
    res(doc).harbor_project.hub.public = "${var.public}";
    res(doc).harbor_project.hub.cve_allowlist = "${var.allow}";
    res(doc).harbor_robot_account.pull.permissions = "${local.permissions}";
    expect(checkAgainstProviderSchemas(doc, SCHEMAS)).toEqual([]);
  });

  it("needs the schema file of every provider used", () => {
    expect(checkAgainstProviderSchemas(validDocument(), [HARBOR_SCHEMA])).toEqual([
      expect.stringContaining('no schema for resource type "null_resource"'),
      expect.stringContaining('no schema for data type "null_data_source"'),
    ]);
  });

  describe("nesting modes and complex types not used by harbor or null", () => {
    const schemaFile = writeSchema({
      attributes: {
        endpoint: { type: ["object", { host: "string", port: "number" }], optional: true },
        pair: { type: ["tuple", ["string", "bool"]], optional: true },
      },
      block_types: {
        timeouts: {
          nesting_mode: "single",
          block: { attributes: { create: { type: "string", optional: true } } },
        },
      },
    });
    const check = (body: Doc) =>
      checkAgainstProviderSchemas({ resource: { demo_thing: { a: body } } }, [schemaFile]);

    it.each([
      {
        rule: "object: unknown key",
        body: { endpoint: { host: "h", port: 1, user: "u" } },
        problem: "endpoint.user: unknown object attribute",
      },
      {
        rule: "object: missing key",
        body: { endpoint: { host: "h" } },
        problem: "endpoint.port: missing object attribute",
      },
      {
        rule: "object: wrong member type",
        body: { endpoint: { host: "h", port: "1" } },
        problem: "endpoint.port: expected number",
      },
      { rule: "tuple: wrong length", body: { pair: ["a"] }, problem: "pair: expected tuple of 2" },
      { rule: "tuple: wrong element type", body: { pair: ["a", "b"] }, problem: "pair[1]: expected bool" },
      {
        rule: "single nesting: two blocks",
        body: { timeouts: [{}, {}] },
        problem: "timeouts: nesting mode single allows one block, got 2",
      },
    ])("reports $rule", ({ body, problem }) => {
      expect(check(body)).toEqual([expect.stringContaining(problem)]);
    });

    it("accepts well-formed values", () => {
      expect(
        check({ endpoint: { host: "h", port: 1 }, pair: ["a", true], timeouts: { create: "5m" } }),
      ).toEqual([]);
    });
  });
});

function writeSchema(block: object): string {
  const file = join(mkdtempSync(join(tmpdir(), "schema-")), "schema.json");
  const schema = {
    format_version: "1.0",
    provider_schemas: {
      "example.com/test/demo": { provider: { block: {} }, resource_schemas: { demo_thing: { block } } },
    },
  };
  writeFileSync(file, JSON.stringify(schema));
  return file;
}
