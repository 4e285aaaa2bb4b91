#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so a clone works after `npm ci` without a build step.
require("tsx/cjs");
const { main } = require("../cli/main.ts");
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
