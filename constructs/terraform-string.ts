/**
 * The one way a construct writes a user-supplied string into synthesized JSON. Terraform reads the
 * strings of resources, providers, outputs, locals, connections and provisioners as templates
 * (`${` interpolates, `%{` is a directive), so `${file("/root/.ssh/id_ed25519")}` in an upstream's
 * accessId would be evaluated on the deploying machine. cdktf writes plain strings unescaped; here
 * the literal text is escaped (`delivery/terraform-template`) and cdktf tokens (deliberate
 * references) stay interpolations. Variable descriptions and backend settings are not templates
 * (Terraform reads them literally), so they are passed as they are.
 */
import { IResolvable, IResolveContext, Token, Tokenization } from "cdktf";
import { TemplatePart, toTemplate } from "../delivery/terraform-template";

/** `value` as a Terraform template that renders its literal text byte for byte, tokens included as references. */
export function terraformString(value: string): string {
  return Token.isUnresolved(value)
    ? Token.asString(new TemplateText(value))
    : toTemplate([{ literal: value }]);
}

/** `terraformString` of an optional value. */
export function optionalTerraformString(value: string | undefined): string | undefined {
  return value === undefined ? undefined : terraformString(value);
}

/**
 * A string with tokens, assembled at resolve time from its literal fragments and the resolved
 * tokens: cdktf reads `${`…`}` around tokens as its own escape syntax, and `Fn.rawString` turns
 * newlines into a literal `\n`, so neither can carry literal text next to a token.
 */
class TemplateText implements IResolvable {
  readonly creationStack: string[] = [];

  constructor(private readonly value: string) {}

  resolve(context: IResolveContext): string {
    const tokens = Tokenization.reverseString(this.value).tokens;
    return toTemplate(splitAtTokens(this.value, tokens, (token) => String(context.resolve(token))));
  }

  toString(): string {
    return Token.asString(this);
  }
}

function splitAtTokens(
  value: string,
  tokens: readonly IResolvable[],
  render: (token: IResolvable) => string,
): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let rest = value;
  for (const token of tokens) {
    const marker = token.toString();
    const at = rest.indexOf(marker);
    if (at < 0) throw new Error(`cannot find token ${marker} in the string it was reversed from`);
    if (at > 0) parts.push({ literal: rest.slice(0, at) });
    parts.push({ interpolation: render(token) });
    rest = rest.slice(at + marker.length);
  }
  if (rest.length > 0) parts.push({ literal: rest });
  return parts;
}
