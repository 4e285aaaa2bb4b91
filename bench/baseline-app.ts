/**
 * The yardstick for the app: a bare cdktf App/TerraformStack with BENCH_NODES `null_resource`s, one
 * trigger each, and nothing else. Whatever the app costs beyond this is harbor-mirror's own overhead.
 * The outdir comes from CDKTF_OUTDIR, which cdktf's App honours.
 */
import { App, TerraformStack } from "cdktf";
import { provider, resource } from "@cdktf/provider-null";

const nodes = Number(process.env.BENCH_NODES);
if (!Number.isInteger(nodes) || nodes < 1) {
  throw new Error(`BENCH_NODES must be a positive integer, got ${JSON.stringify(process.env.BENCH_NODES)}`);
}

const app = new App();
const stack = new TerraformStack(app, "baseline");
new provider.NullProvider(stack, "null");
for (let index = 1; index <= nodes; index++) {
  const name = `node-${String(index).padStart(5, "0")}`;
  new resource.Resource(stack, name, { triggers: { content: `${name}-registries-content` } });
}
app.synth();
