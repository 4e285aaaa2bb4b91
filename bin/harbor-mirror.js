#!/usr/bin/env node
// In a source tree (a clone: the build's tsconfig is there) the TypeScript CLI runs through tsx,
// so a clone works after `npm ci` without a build step; the published package runs its compiled lib/.
const { existsSync } = require("node:fs");
const path = require("node:path");

function loadCli() {
  if (!existsSync(path.join(__dirname, "..", "tsconfig.build.json"))) return require("../lib/cli/main.js");
  require("tsx/cjs");
  return require("../cli/main.ts");
}

loadCli()
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
