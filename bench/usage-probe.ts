/**
 * Preloaded into every measured child (`node --import <this>`): at exit, writes the process's peak
 * resident set size to the file named by BENCH_USAGE_FILE. Measuring inside the child is the only
 * portable way to get the peak of that process alone (not of npm/npx wrappers or of the bench itself).
 */
import { writeFileSync } from "node:fs";

const usageFile = process.env.BENCH_USAGE_FILE;
if (usageFile) {
  process.on("exit", () => {
    // resourceUsage().maxRSS is in kibibytes (getrusage ru_maxrss on Linux).
    writeFileSync(usageFile, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
  });
}
