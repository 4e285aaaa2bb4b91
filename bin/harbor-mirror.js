#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so a clone works after `npm ci` without a build step.
require("tsx/cjs");
require("../cli/main.ts");
