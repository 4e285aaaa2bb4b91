/**
 * The floor for the app: what the same output costs without cdktf. It loads the configuration with
 * the app's own loader (the part of synth no design avoids) and writes the app's cdk.tf.json
 * (`BENCH_FLOOR_SOURCE`, synthesized before) as plain objects through `JSON.stringify`, formatted
 * the way cdktf formats it, into `$CDKTF_OUTDIR/stacks/<stack>/`. Parsing the finished file stands in for
 * building the same objects by hand (a second copy of the layout would have to be kept in step).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../config/load";
import { STACK_NAME } from "../app/harbor-mirror-stack";

const source = process.env.BENCH_FLOOR_SOURCE;
const outdir = process.env.CDKTF_OUTDIR;
if (!source || !outdir) throw new Error("BENCH_FLOOR_SOURCE and CDKTF_OUTDIR must be set");

loadConfig();
const stack: unknown = JSON.parse(readFileSync(source, "utf8"));
const stackDir = path.join(outdir, "stacks", STACK_NAME);
mkdirSync(stackDir, { recursive: true });
writeFileSync(path.join(stackDir, "cdk.tf.json"), asCdktfWritesIt(JSON.stringify(stack, null, 2)));

/**
 * cdktf's JSON writer differs from `JSON.stringify(…, null, 2)` in one way only: it opens an empty
 * object on one line and closes it on the next (`{` newline `}`), so the floor writes those alike
 * and its output is byte-identical to the app's (checked by the bench's last column). A line that
 * ends in `{}` is always such an object: a string value would end its line with a quote.
 */
function asCdktfWritesIt(json: string): string {
  return json.replace(
    /^( *)(.*)\{\}(,?)$/gm,
    (_, indent: string, head: string, comma: string) => `${indent}${head}{\n${indent}}${comma}`,
  );
}
