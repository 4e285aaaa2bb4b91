/**
 * `harbor-mirror render [--config <file>]`: the registries.yaml the configuration delivers to
 * nodes, or with `distribution: containerd` each hosts.toml, headed by its path on the node.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../app/build";
import { defineCommand, EXIT_OK, printDiagnostics } from "../command-kit";

export const command = defineCommand({
  name: "render",
  summary: "Print the registries.yaml (or hosts.toml files) that the configuration delivers to nodes",
  usage: `Usage: harbor-mirror render [--config <harbor-mirror.yaml>]

Prints the registries.yaml every node receives; with distribution: containerd, each hosts.toml,
after a comment line with its path on the node. Values known only at apply time (the robot
account's name and secret) are shown as placeholders, never as values.

Options:
  -c, --config <file>  Configuration file (default: $HARBOR_MIRROR_CONFIG, else ./harbor-mirror.yaml)
  -h, --help           Show this help`,
  options: { config: { type: "string", short: "c" } },
  run(values) {
    // cdktf's App creates its output folder at once; render only prints, so it leaves none behind.
    const scratch = mkdtempSync(join(tmpdir(), "harbor-mirror-render-"));
    try {
      const { stack, warnings, configFile } = buildApp({ configPath: values.config, outdir: scratch });
      const hosts = stack.mirror.containerdHosts;
      printDiagnostics([...warnings, ...(hosts?.rendered.warnings ?? [])], configFile);
      process.stdout.write(
        hosts
          ? hosts.files.map((file) => `# ${file.path}\n${file.displayText}`).join("\n")
          : stack.mirror.registries.displayText,
      );
      return EXIT_OK;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
});
