/**
 * Terraform's JSON syntax reads every string as a template: `${` starts an interpolation and
 * `%{` a directive. Literal text that must reach a node byte-exact is escaped here, once.
 */

/** Escapes literal text so that Terraform evaluates it back to exactly the same bytes. */
export function terraformLiteral(text: string): string {
  // Replacer functions, because "$$" in a replacement string would itself mean "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}
