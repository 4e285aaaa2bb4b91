/**
 * The Terraform variables of one stack, by name: each name holds one secret for one role. A name
 * given twice for different roles would cross-wire secrets (the SSH key sent to Harbor as an
 * upstream password, Harbor's admin password written into every node's file), and a credential
 * pasted where a variable *name* belongs would land in plain text in cdk.tf.json. Pure: the
 * configuration and the constructs both apply it.
 */
import { Diagnostic, errorAt, formatPath, type KeyPath } from "../registries/diagnostics";

/** Names harbor-mirror itself declares, whatever the configuration says. */
export const BUILT_IN_VARIABLES: Readonly<Record<string, string>> = {
  harbor_username: "the Harbor admin user name",
  harbor_password: "the Harbor admin password",
};

/** The roles harbor-mirror's own variables play; uses of one role may share a variable. */
export const VARIABLE_ROLES = {
  upstreamSecret: "an upstream registry's secret",
  robotSecret: "the pull robot's secret",
  sshPrivateKey: "the nodes' SSH private key",
} as const;

/** Meta-arguments and block names of the Terraform language: a variable may not be called so. */
export const TERRAFORM_RESERVED_NAMES = [
  "count",
  "depends_on",
  "for_each",
  "lifecycle",
  "locals",
  "providers",
  "source",
  "version",
];

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Prefixes of well-known token formats (GitHub, GitLab, Docker Hub, Slack, AWS key ids, npm, Harbor
 * robots' `robot$` cannot pass the name syntax anyway).
 */
const TOKEN_PREFIXES =
  /^(?:ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|glpat-|dckr_pat_|xox[abprs]-|npm_|AKIA|ASIA)/;

/**
 * A value that reads like a secret rather than a name: a known token prefix, or a long run of mixed
 * case and digits without word separators (names are words joined by `_` or `-`).
 */
export function looksLikeCredential(value: string): boolean {
  if (TOKEN_PREFIXES.test(value)) return true;
  return value
    .split(/[_-]/)
    .some((word) => word.length >= 20 && /[a-z]/.test(word) && /[A-Z]/.test(word) && /\d/.test(word));
}

/** undefined when `name` can name a Terraform variable, else why not; a credential-like value is never shown. */
export function variableNameProblem(name: string): string | undefined {
  if (looksLikeCredential(name)) {
    return (
      "looks like a credential (not shown), not a variable name: give the NAME of a sensitive Terraform " +
      "variable here (e.g. dockerhub_token) and its value through TF_VAR_<name>"
    );
  }
  if (!VARIABLE_NAME.test(name)) {
    return `${JSON.stringify(name)} must be a Terraform variable name: a letter or \`_\`, then letters, digits, \`_\` or \`-\``;
  }
  if (TERRAFORM_RESERVED_NAMES.includes(name)) {
    return `${JSON.stringify(name)} is reserved by Terraform (${TERRAFORM_RESERVED_NAMES.join(", ")}): choose another name`;
  }
  return undefined;
}

/** One use of a variable: its name, what it holds, and the key or prop that named it. */
export interface VariableUse {
  readonly name: string;
  /** What the variable holds, e.g. "the SSH private key"; uses of one role may share a name. */
  readonly role: string;
  /** The key (config) or prop (construct) that named it; empty for a built-in variable. */
  readonly path: KeyPath;
}

/**
 * The stack's variables: every name checked, built-in names kept for their role, and each name
 * bound to one role. Reports at the later use of a name.
 */
export function checkVariableUses(uses: readonly VariableUse[]): Diagnostic[] {
  const roles = new Map<string, VariableUse>(
    Object.entries(BUILT_IN_VARIABLES).map(([name, role]) => [name, { name, role, path: [] }]),
  );
  const diagnostics: Diagnostic[] = [];
  for (const use of uses) {
    const problem = variableNameProblem(use.name);
    if (problem) {
      diagnostics.push(errorAt("variable-name-invalid", use.path, problem));
      continue;
    }
    const first = roles.get(use.name);
    if (first && first.role !== use.role) diagnostics.push(roleConflict(use, first));
    if (!first) roles.set(use.name, use);
  }
  return diagnostics;
}

function roleConflict(use: VariableUse, first: VariableUse): Diagnostic {
  const where =
    first.path.length === 0 ? "harbor-mirror's built-in variable" : `named by ${formatPath(first.path)}`;
  return errorAt(
    "variable-name-conflict",
    use.path,
    `${JSON.stringify(use.name)} is already ${where} for ${first.role}; it cannot also hold ${use.role}: ` +
      "each secret needs its own variable",
  );
}
