/**
 * Child entry of the bench: how long `loadConfig` takes on the file named by HARBOR_MIRROR_CONFIG,
 * measured inside the process after the modules are loaded (what synth spends on it). Prints one
 * JSON line.
 */
import { loadConfig } from "../config/load";

const started = performance.now();
const { config } = loadConfig();
console.log(JSON.stringify({ loadMs: performance.now() - started, nodes: config.nodes.length }));
