/**
 * The two parsers of config/yaml-source.ts give one answer (issue 16 "Fast config load"): whatever
 * the fast path (js-yaml) accepts, the positioned parse (`yaml`) accepts with the same value; what
 * the fast path declines goes to the positioned parse, so every error carries its line and column;
 * and `locate` on the fast path finds what the positioned parse finds.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { benchConfigYaml } from "../../bench/fixtures";
import { fastParse, readPositionedSource, readYamlSource } from "../../config/yaml-source";
import type { KeyPath } from "../../registries/diagnostics";

const nested = (levels: number) => `x: ${"[".repeat(levels)}${"]".repeat(levels)}\n`;
const EXAMPLE = readFileSync(join(__dirname, "..", "..", "harbor-mirror.yaml"), "utf8");

/**
 * `same`: both parsers take it, with one value. `positioned`: the fast path declines it, the
 * positioned parse takes it. `refused`: the fast path declines it, the positioned parse refuses it.
 */
type Outcome = "same" | "positioned" | "refused";

// prettier-ignore
const TRICKY: readonly (readonly [string, string, Outcome])[] = [
  // YAML 1.2 core scalars, as the positioned parse resolves them (not YAML 1.1: yes/on stay strings)
  ["YAML 1.1 booleans stay strings", "a: yes\nb: on\nc: No\nd: y\n", "same"],
  ["core booleans", "a: true\nb: True\nc: FALSE\nd: tRUE\n", "same"],
  ["nulls", "a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: nULL\n", "same"],
  ["integers", "a: 0o17\nb: 0x1F\nc: +1\nd: -0\ne: 0123\nf: 00\n", "same"],
  ["not integers", "a: 0b1\nb: 1_000\nc: 0x_1\nd: 1__0\n", "same"],
  ["floats", "a: .5\nb: 1.\nc: 1e3\nd: 1E+3\ne: -.5e-3\nf: 0.1e2\n", "same"],
  ["infinities and NaN", "a: .inf\nb: -.Inf\nc: .NaN\n", "same"],
  ["beyond the safe integers", "a: 9007199254740993\n", "same"],
  ["timestamps stay strings", "a: 2001-12-14\nb: 12:30:00\nc: 1:20\n", "same"],
  ["explicit core tags", "a: !!str 5\nb: !!int '5'\nc: !!bool true\nd: !!map {e: 1}\n", "positioned"],
  ["an explicit tag the value does not fit", "a: !!float 1\n", "positioned"],
  // strings that must arrive byte-exact
  ["quotes and escapes", "a: 'it''s'\nb: \"\\u00e9\\t\\\\\"\nc: \"${x} %{y} $$\"\n", "same"],
  ["block scalars", "a: |\n  x\n  y\nb: >-\n  x\n  y\nc: |+\n  z\n\n", "same"],
  ["comments and #", "a: x #c\nb: x#c\nc: \"x\" # c\n", "same"],
  ["non-ASCII and emoji", "a: héllo\nb: 日本\nc: \"\\U0001F600\"\n", "same"],
  ["a leading BOM", "\uFEFFa: 1\n", "same"],
  ["CRLF line ends", "a: 1\r\nb:\r\n  - x\r\n", "same"],
  ["flow collections with trailing commas", "a: [1, 2, ]\nb: {c: 1, }\n", "same"],
  ["explicit keys", "? a\n: b\n", "same"],
  ["document markers", "---\na: 1\n...\n", "same"],
  // keys
  ["numeric and boolean keys", "1: a\n1.5: b\ntrue: c\n", "same"],
  ["a __proto__ key stays a key", "__proto__: {x: 1}\n", "same"],
  ["a merge key is a plain key (YAML 1.2)", "<<: {b: 1}\n", "same"],
  ["a null key", "~: a\n", "positioned"],
  ["a collection key", "[a]: b\n", "positioned"],
  // anchors and aliases: only the positioned parse bounds their expansion
  ["an anchor without an alias", "a: &x 1\n", "same"],
  ["an alias", "a: &x 1\nb: *x\n", "positioned"],
  ["an alias of a mapping", "a: &x {k: v}\nb: *x\n", "positioned"],
  ["a recursive alias", "a: &x [*x]\n", "refused"],
  ["an undefined alias", "a: *nowhere\n", "refused"],
  ["an alias fan-out", "a: &a [k,k,k,k,k,k,k,k,k,k]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n", "refused"],
  // tags, directives, documents
  ["an unknown tag", "a: !env X\n", "refused"],
  ["a non-core tag", "a: !!binary aGk=\n", "refused"],
  ["a YAML 1.1 directive", "%YAML 1.1\n---\na: yes\n", "positioned"],
  ["a YAML 1.2 directive", "%YAML 1.2\n---\na: 1\n", "positioned"],
  ["two documents", "a: 1\n---\nb: 2\n", "refused"],
  ["an empty file", "", "positioned"],
  ["only a comment", "# nothing\n", "positioned"],
  // limits and syntax
  ["nesting at the bound", nested(31), "same"],
  ["nesting beyond the bound", nested(32), "refused"],
  ["duplicate keys", "a: 1\na: 2\n", "refused"],
  ["an implicit key beyond 1,024 characters", `${"k".repeat(1100)}: v\n`, "refused"],
  ["a long value is fine", `a: ${"v".repeat(1100)}\n`, "positioned"],
  ["control characters", "a: \u0007\n", "positioned"],
  ["duplicate keys in a flow mapping", "a: {b: 1, b: 2}\n", "refused"],
  ["a compact nested mapping", "a: b: c\n", "refused"],
  ["tab indentation", "a:\n\tb: 1\n", "refused"],
  ["a reserved indicator", "a: @x\n", "refused"],
  ["an unclosed quote", "a: \"x\n", "refused"],
  ["an unclosed flow sequence", "a: [1, 2\n", "refused"],
];

describe("the fast path and the positioned parse agree", () => {
  it.each(TRICKY)("%s", (_name, text, outcome) => {
    const fast = fastParse(text);
    const positioned = readPositionedSource(text);
    expect({ fast: fast.ok, positioned: positioned.ok }).toEqual({
      fast: outcome === "same",
      positioned: outcome !== "refused",
    });
    if (fast.ok && positioned.ok) expect(fast.value).toStrictEqual(positioned.source.value ?? null);
    const read = readYamlSource(text);
    if (!positioned.ok) {
      expect(read).toEqual(positioned);
      for (const diagnostic of positioned.diagnostics) {
        expect(diagnostic).toEqual(
          expect.objectContaining({ line: expect.any(Number), column: expect.any(Number) }),
        );
      }
    } else {
      expect(read.ok && read.source.value).toStrictEqual(positioned.source.value ?? null);
    }
  });

  it.each([
    ["the example configuration", EXAMPLE],
    ["a configuration of 50 nodes", benchConfigYaml(50)],
  ])("%s takes the fast path with the positioned parse's value", (_name, text) => {
    const fast = fastParse(text);
    const positioned = readPositionedSource(text);
    expect(fast.ok).toBe(true);
    expect(positioned.ok && fast.ok && fast.value).toStrictEqual(positioned.ok && positioned.source.value);
  });
});

/** Every key path of a value, collections and scalars alike, plus a missing key under each mapping. */
function pathsOf(value: unknown, prefix: KeyPath = []): KeyPath[] {
  if (Array.isArray(value))
    return [prefix, ...value.flatMap((item, index) => pathsOf(item, [...prefix, index]))];
  if (value !== null && typeof value === "object") {
    return [
      prefix,
      [...prefix, "missing-key"],
      ...Object.entries(value).flatMap(([key, entry]) => pathsOf(entry, [...prefix, key])),
    ];
  }
  return [prefix];
}

// prettier-ignore
const LOCATE_TEXTS: readonly (readonly [string, string])[] = [
  ["the example configuration", EXAMPLE],
  ["a configuration of 20 nodes", benchConfigYaml(20)],
  ["quoted and block scalars", "a: 'x'\nb: \"y\"\nc: |\n  z\nd: 5\ne: >\n  f\n"],
  ["anchored values", "a: &x 1\nb: &y {k: v}\nc: &z\n  - 1\n"],
  ["flow collections", "a: {b: [1, {c: 2}], d: [e, f]}\nn: [{name: a, host: h}]\n"],
  ["block sequences of mappings", "nodes:\n  - name: a\n    host: h\n  -\n    name: b\n  - [x, y]\n"],
  ["explicit keys and empty values", "? a\n: b\nc:\nd: ~\n"],
  ["keys written as numbers and booleans", "1: a\n1.5: b\ntrue: c\n"],
  ["keys written as numbers another way", "0x1F: a\nTrue: b\n1.50: c\nd: e\n"],
  ["CRLF line ends and a BOM", "\uFEFFa: 1\r\nb:\r\n  - x\r\n"],
];

describe("locate on the fast path finds what the positioned parse finds", () => {
  it.each(LOCATE_TEXTS)("%s: every key path", (_name, text) => {
    const fast = readYamlSource(text);
    const positioned = readPositionedSource(text);
    if (!fast.ok || !positioned.ok) throw new Error("the text must parse");
    expect(fastParse(text).ok).toBe(true);
    for (const path of pathsOf(positioned.source.value)) {
      expect({ path, at: fast.source.locate(path) }).toEqual({ path, at: positioned.source.locate(path) });
    }
  });
});
