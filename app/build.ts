/**
 * Builds the app's construct tree from a configuration file, without synthesizing it: `main.ts`
 * synthesizes the result, the CLI's `render` and `review` only read it. Every error and warning,
 * whichever construct found it, comes out located in the configuration file.
 */
import { existsSync, rmSync } from "node:fs";
import { relative } from "node:path";
import { App } from "cdktf";
import { loadConfig } from "../config/load";
import { warningsIn } from "../constructs/warnings";
import { ValidationError, type Diagnostic } from "../registries/diagnostics";
import { HarborMirrorStack, STACK_NAME } from "./harbor-mirror-stack";
import { buildReview } from "../review/build";
import type { ReviewFacts } from "../review/facts";
import { defaultReviewPath, mirrorReviewFacts, writeReview } from "./review";
import { locateAll } from "./locate";

export interface BuiltApp {
  readonly app: App;
  readonly stack: HarborMirrorStack;
  /** The configuration file, relative to the working directory, as messages name it. */
  readonly configFile: string;
  /** The constructs' warnings, each once, located in the configuration file. */
  readonly warnings: readonly Diagnostic[];
  /** What the plan review compares: the facts of this build. */
  readonly reviewFacts: ReviewFacts;
}

export interface BuildOptions {
  /** @default - `$HARBOR_MIRROR_CONFIG`, else `./harbor-mirror.yaml` */
  readonly configPath?: string;
  /** @default - `$CDKTF_OUTDIR`, else `cdktf.out` */
  readonly outdir?: string;
  /** Directory the configuration path and the messages naming it are relative to. @default process.cwd() */
  readonly cwd?: string;
}

/** Throws `ValidationError` for an invalid configuration, before anything is written. */
export function buildApp(options: BuildOptions = {}): BuiltApp {
  const cwd = options.cwd ?? process.cwd();
  const loaded = relabeled(cwd, () => loadConfig({ path: options.configPath, cwd }));
  // Relative, so nothing written depends on where the repository is checked out.
  const configFile = relative(cwd, loaded.path);
  const outdir = options.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out";
  const outdirExisted = existsSync(outdir);
  // cdktf's App creates its output folder at once; a construct that rejects its props must not
  // leave even an empty folder behind.
  // No stack traces in metadata: manifest.json would hold this checkout's absolute paths.
  const app = new App({ outdir, stackTraces: false });
  try {
    const stack = new HarborMirrorStack(app, STACK_NAME, loaded.config);
    const warnings = locateAll(warningsIn(stack), loaded.config, loaded.locate);
    const reviewFacts = mirrorReviewFacts(stack.mirror, { warnings, configFile });
    return { app, stack, configFile, warnings, reviewFacts };
  } catch (error) {
    if (!outdirExisted) rmSync(outdir, { recursive: true, force: true });
    if (error instanceof ValidationError) {
      throw new ValidationError(locateAll(error.diagnostics, loaded.config, loaded.locate), configFile);
    }
    throw error;
  }
}

/** Messages name the configuration file as the user does: relative to the working directory. */
function relabeled<T>(cwd: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ValidationError && error.file !== undefined) {
      throw new ValidationError(error.diagnostics, relative(cwd, error.file));
    }
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
