/**
 * Builds the app's construct tree from a configuration file, without synthesizing it: `main.ts`
 * synthesizes the result, the CLI's `render` and `review` only read it.
 */
import { existsSync, rmSync } from "node:fs";
import { relative } from "node:path";
import { App } from "cdktf";
import { loadConfig } from "../config/load";
import type { Diagnostic } from "../registries/diagnostics";
import { HarborMirrorStack, STACK_NAME } from "./harbor-mirror-stack";
import { buildReview } from "../review/build";
import type { ReviewFacts } from "../review/facts";
import { defaultReviewPath, mirrorReviewFacts, writeReview } from "./review";

export interface BuiltApp {
  readonly app: App;
  readonly stack: HarborMirrorStack;
  /** The configuration file, relative to the working directory, as messages name it. */
  readonly configFile: string;
  readonly warnings: readonly Diagnostic[];
  /** What the plan review compares: the facts of this build. */
  readonly reviewFacts: ReviewFacts;
}

export interface BuildOptions {
  /** @default - `$HARBOR_MIRROR_CONFIG`, else `./harbor-mirror.yaml` */
  readonly configPath?: string;
  /** @default - `$CDKTF_OUTDIR`, else `cdktf.out` */
  readonly outdir?: string;
}

/** Throws `ValidationError` for an invalid configuration, before anything is written. */
export function buildApp(options: BuildOptions = {}): BuiltApp {
  const loaded = loadConfig({ path: options.configPath });
  // Relative, so nothing written depends on where the repository is checked out.
  const configFile = relative(process.cwd(), loaded.path);
  const outdir = options.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out";
  const outdirExisted = existsSync(outdir);
  // cdktf's App creates its output folder at once; a construct that rejects its props must not
  // leave even an empty folder behind.
  // No stack traces in metadata: manifest.json would hold this checkout's absolute paths.
  const app = new App({ outdir, stackTraces: false });
  try {
    const stack = new HarborMirrorStack(app, STACK_NAME, loaded.config);
    const reviewFacts = mirrorReviewFacts(stack.mirror, { configWarnings: loaded.warnings, configFile });
    return { app, stack, configFile, warnings: loaded.warnings, reviewFacts };
  } catch (error) {
    if (!outdirExisted) rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Synthesizes the stack and writes review.md and review.json (without a base) next to it; returns
 * the build and the report's path.
 */
export function synthesize(options: BuildOptions = {}): BuiltApp & { readonly reviewPath: string } {
  const built = buildApp(options);
  built.app.synth();
  const review = buildReview({ head: built.reviewFacts });
  return { ...built, reviewPath: writeReview(review, defaultReviewPath(built.app.outdir)).markdown };
}
