/**
 * Harbor's naming rules for projects and robot accounts (docs/harbor.md#names-of-projects-and-robots).
 * Pure functions: they return a message naming the value and the rule, or undefined when valid.
 */

/** Harbor's name regex, shared by projects (`src/pkg/project/manager.go`) and robots (`robot.go`). */
const HARBOR_NAME_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const NAME_RULE =
  "lower-case letters, digits and single '.', '_' or '-' separators, not at the start or end " +
  "(regex ^[a-z0-9]+(?:[._-][a-z0-9]+)*$)";
const PROJECT_NAME_MAX_LENGTH = 255;

function patternProblem(kind: string, name: string): string | undefined {
  if (HARBOR_NAME_PATTERN.test(name)) return undefined;
  return `${kind} ${JSON.stringify(name)} is not a valid Harbor name: allowed are ${NAME_RULE}`;
}

/** Harbor: regex above, length 1–255. */
export function projectNameProblem(name: string): string | undefined {
  if (name.length > PROJECT_NAME_MAX_LENGTH) {
    return (
      `project name ${JSON.stringify(name)} is ${name.length} characters long: ` +
      `Harbor allows 1 to ${PROJECT_NAME_MAX_LENGTH} characters`
    );
  }
  return patternProblem("project name", name);
}

/**
 * Harbor: the short robot name (without the `robot$` prefix) follows the project regex.
 * A name carrying the prefix or a `+` is rejected by the same regex, which is what Harbor does.
 */
export function robotNameProblem(name: string): string | undefined {
  return patternProblem("robot name", name);
}

/** The pull robot's short name when none is given. */
export const DEFAULT_ROBOT_NAME = "harbor-mirror-pull";
/** `secret_wo_version` of a given robot secret until it is raised to push a new one. */
export const DEFAULT_ROBOT_SECRET_VERSION = 1;
