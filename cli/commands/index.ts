/** The registry of CLI commands; each command module owns its options and help text. */
import { command as renderCommand } from "./render";
import { command as resolveCommand } from "./resolve";
import { command as reviewCommand } from "./review";
import { command as validateCommand } from "./validate";

export interface Command {
  readonly summary: string;
  run(argv: readonly string[]): Promise<number>;
}

// One line per command, alphabetical; each module exports `command: Command`.
export const commands: Record<string, Command> = {
  render: renderCommand,
  resolve: resolveCommand,
  review: reviewCommand,
  validate: validateCommand,
};
