/**
 * The one rule about text that RKE2/K3s paste into hosts.toml
 * (docs/registries.md#backslashes-and-quotes-break-hoststoml).
 */

/**
 * What breaks a pattern or replacement once RKE2 pastes it unescaped between double quotes in
 * hosts.toml: a backslash becomes a TOML escape, a double quote ends the string, and a
 * control character (a newline, a tab) is not allowed in a TOML basic string at all. `undefined`
 * when the text is safe.
 */
export function hostsTomlHazard(text: string): string | undefined {
  if (text.includes("\\")) return "a backslash";
  if (text.includes('"')) return "a double quote";
  const control = /[\u0000-\u001f\u007f]/.exec(text)?.[0];
  if (control === undefined) return undefined;
  return `a control character (U+${control.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")})`;
}
