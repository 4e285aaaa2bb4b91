/**
 * The `harbor-mirror` command line (README "Command line"). Each command lives in
 * `cli/commands/<name>.ts` and exports `run(argv): Promise<number>` (the exit code) and `usage`.
 * Exit codes: 0 success, 1 invalid input or failed check, 2 usage error.
 */
import { commands } from "./commands";

const USAGE = `Usage: harbor-mirror <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
  .join("\n")}

Run 'harbor-mirror <command> --help' for a command's options.`;

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`harbor-mirror: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  return command.run(rest);
}
