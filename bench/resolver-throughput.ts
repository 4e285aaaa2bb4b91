/**
 * Child entry of the bench: resolutions per second of `resolveImage` over IMAGE_MIX against the
 * registries.yaml given as the first argument. Prints one JSON line. Run in its own process so that
 * earlier bench work does not skew the JIT or the heap.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { RegistriesFile } from "../registries/model";
import { resolveImage, ResolveResult } from "../registries/resolve";
import { IMAGE_MIX } from "./fixtures";
import { median } from "./stats";

const ROUND_MS = 500;
const ROUNDS = 5;

/** Keeps results reachable so that no resolution can be optimised away. */
let sink: ResolveResult | undefined;

function resolveMixFor(file: RegistriesFile, durationMs: number): number {
  let resolutions = 0;
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    for (const image of IMAGE_MIX) sink = resolveImage(image, file);
    resolutions += IMAGE_MIX.length;
  }
  return resolutions / ((performance.now() - started) / 1000);
}

const file = parse(readFileSync(process.argv[2], "utf8")) as RegistriesFile;
resolveMixFor(file, ROUND_MS); // warm-up: let the JIT and the compiled-pattern caches settle
const rates = Array.from({ length: ROUNDS }, () => resolveMixFor(file, ROUND_MS));
// With default options a mirrored image has its mirror attempt(s) and then the upstream: a sanity check
// that the file really sends the mix through Harbor rather than measuring an empty file.
const mirrored = IMAGE_MIX.filter((image) => resolveImage(image, file).attempts.length > 1).length;
console.log(
  JSON.stringify({ perSecond: median(rates), images: IMAGE_MIX.length, mirrored, last: sink?.image }),
);
