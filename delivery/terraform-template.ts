/**
 * Terraform reads every string of the synthesized JSON as a template: `${` starts an
 * interpolation and `%{` a directive. Text that must reach the node byte for byte (a
 * registries.yaml with `${1}` in a rewrite, a password with `%{`) is escaped here. Pure: the
 * construct layer tells literal text from interpolations.
 */

/** A piece of a template: literal text, or an interpolation kept as written (e.g. a cdktf token). */
export type TemplatePart = { readonly literal: string } | { readonly interpolation: string };

/** Joins `parts` into a Terraform template that renders the literals exactly. */
export function toTemplate(parts: readonly TemplatePart[]): string {
  return parts
    .map((part, index) => {
      if ("interpolation" in part) return part.interpolation;
      const next = parts[index + 1];
      return escapeLiteral(part.literal, next !== undefined && "interpolation" in next);
    })
    .join("");
}

/** The template that renders `text` unchanged. */
export function escapeTemplateLiteral(text: string): string {
  return escapeLiteral(text, false);
}

function escapeLiteral(text: string, beforeInterpolation: boolean): string {
  // Function replacements: in a replacement string "$$" would itself mean "$".
  const escaped = text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
  // Dollars right before "${" would read as the escape "$${"; spell them as a string expression.
  return beforeInterpolation ? escaped.replace(/\$+$/, (dollars) => `\${"${dollars}"}`) : escaped;
}
