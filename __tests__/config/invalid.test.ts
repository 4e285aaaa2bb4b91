/**
 * Invalid harbor-mirror.yaml files as the loader sees them. One table, one case per rule, in the
 * bad-input catalogue (testing/bad-inputs.ts); each case marks the line the error must point at
 * with a trailing `#<` comment. The loader decodes only; the constructs' rules are proven through
 * the app (__tests__/proof/bad-inputs.test.ts, __tests__/app/construct-rules.test.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { parseConfig } from "../../config/load";
import { ValidationError, type Diagnostic } from "../../registries/diagnostics";
import {
  HEAD,
  INVALID_CONFIG_CASES,
  markedLine,
  UPSTREAMS,
  VALID,
  writeConfigFixtures,
} from "../../testing/bad-inputs";

let baseDir: string;
beforeAll(() => {
  baseDir = mkdtempSync(join(tmpdir(), "harbor-mirror-config-"));
  writeConfigFixtures(baseDir);
});
afterAll(() => rmSync(baseDir, { recursive: true, force: true }));

/** The diagnostics of a file that must be rejected. */
function rejection(text: string): { error: ValidationError; diagnostics: readonly Diagnostic[] } {
  try {
    parseConfig(text, "harbor-mirror.yaml", baseDir);
  } catch (error) {
    if (error instanceof ValidationError) return { error, diagnostics: error.diagnostics };
    throw error;
  }
  throw new Error(`expected the configuration to be rejected:\n${text}`);
}

/** Rules of the file itself: its YAML, its keys and their types. Everything else is a construct's. */
const isLoaderRule = (code: string | undefined) =>
  code !== undefined && ["config-", "yaml-", "file-"].some((prefix) => code.startsWith(prefix));

describe("invalid harbor-mirror.yaml: what the loader itself refuses", () => {
  // Bytes that are not UTF-8 are refused where the file is read (the proof suite reads them from disk).
  it.each(INVALID_CONFIG_CASES.filter((item) => isLoaderRule(item.code) && item.encoding === undefined))(
    "$rule",
    ({ yaml, path, message, code }) => {
      const { diagnostics } = rejection(yaml);
      const atPath = diagnostics.filter(
        (diagnostic) => diagnostic.path === path && diagnostic.severity === "error",
      );
      expect(atPath.map((diagnostic) => diagnostic.message)).toEqual(
        expect.arrayContaining([expect.stringContaining(message)]),
      );
      const diagnostic = atPath.find((candidate) => candidate.message.includes(message));
      expect(diagnostic?.line).toBe(markedLine(yaml));
      expect(diagnostic?.code).toBe(code);
    },
  );

  // config/ holds no domain rule: what a construct refuses decodes fine.
  it.each(INVALID_CONFIG_CASES.filter((item) => !isLoaderRule(item.code)))(
    "decodes, leaving the rule to its construct: $rule",
    ({ yaml }) => {
      expect(() => parseConfig(yaml, "harbor-mirror.yaml", baseDir)).not.toThrow();
    },
  );
});

describe("error reporting", () => {
  it("collects every error of the file before throwing", () => {
    const yaml =
      "version: 1\nharbor:\n  url: 42\naccess: private\n" +
      "upstreams:\n  - registry: docker.io\n    provider: hub\nrollout:\n  batchSize: one\n";
    const paths = rejection(yaml).diagnostics.map((diagnostic) => diagnostic.path);
    expect(paths).toEqual(
      expect.arrayContaining(["harbor.url", "access", "upstreams[0].provider", "rollout.batchSize"]),
    );
  });

  it("formats errors as file:line:column key: message", () => {
    const { error } = rejection(VALID + "access: private\n");
    expect(error.message).toBe(
      'harbor-mirror.yaml:6:9 access: must be one of `public`, `robot`; got "private"',
    );
  });

  it("never repeats the value of a credential-like key", () => {
    const secret = "s3cr3t-Value-42";
    const yaml =
      HEAD + `  password: ${secret}\n` + UPSTREAMS + `backend:\n  type: pg\n  conn_password: ${secret}\n`;
    const { error, diagnostics } = rejection(yaml);
    expect(diagnostics.map((diagnostic) => diagnostic.path)).toEqual(
      expect.arrayContaining(["harbor.password", "backend.conn_password"]),
    );
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(diagnostics)).not.toContain(secret);
  });
});

describe("robustness", () => {
  it("answers any YAML value with a config or a ValidationError, never another exception", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseConfig(stringify(value));
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
        }
      }),
      { numRuns: 200 },
    );
  });

  // Every path to a value in the example file: each is a place a user can get wrong.
  function valuePaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (value === null || typeof value !== "object") return [prefix];
    const entries = Array.isArray(value)
      ? value.map((item, index) => [index, item] as const)
      : Object.entries(value);
    return [prefix, ...entries.flatMap(([key, item]) => valuePaths(item, [...prefix, key]))];
  }

  function replaced(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
    if (path.length === 0) return value;
    const [head, ...rest] = path;
    const copy = (Array.isArray(root) ? [...root] : { ...(root as object) }) as Record<
      string | number,
      unknown
    >;
    copy[head] = replaced(copy[head], rest, value);
    return copy;
  }

  it("gives every error of a damaged example file a line number", () => {
    const example: unknown = parse(readFileSync(join(__dirname, "..", "..", "harbor-mirror.yaml"), "utf8"));
    fc.assert(
      fc.property(fc.constantFrom(...valuePaths(example)), fc.jsonValue(), (path, value) => {
        try {
          parseConfig(stringify(replaced(example, path, value)));
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          for (const diagnostic of (error as ValidationError).diagnostics)
            expect(diagnostic.line).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
