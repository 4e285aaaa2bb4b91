/**
 * The one redaction rule of everything harbor-mirror prints: in any URL of a text, the userinfo
 * (`user:password@`) and the value of every query parameter are replaced by `***`, and so is a
 * fragment. Every query value, not those of a list of credential names: signed URLs carry their
 * secret under names no list keeps up with (`sig`, `X-Amz-Signature`, `X-Goog-Credential`, `code`,
 * `key`…). Only containerd's own `ns` parameter, which names the registry pulled, stays readable.
 *
 * A URL is any word (text between spaces and quotes) with `//` before its host — `scheme://host`
 * or the `//host` K3s reads a bare endpoint as — or a bare `host…?key=value`, or a bare
 * `user:password@host` (what K3s reads as `//user:password@host`; an image's `name:tag@digest` is
 * not one). The rule is applied where diagnostics are formatted and thrown
 * (registries/diagnostics.ts), so no message can bypass it.
 */

export const REDACTED = "***";

/** Query parameters that never carry a secret: containerd's registry namespace. */
const READABLE_PARAMETERS = new Set(["ns"]);

/** A word: what a message puts between spaces, quotes, backticks and angle brackets. */
const WORD = /[^\s"'`<>]+/g;
/** `host[:port][/path]?` at the start of a word, after opening brackets. */
const BARE_HOST_QUERY = /^[([{]*[A-Za-z0-9][A-Za-z0-9.-]*(?::\d+)?(?:\/[^?]*)?\?/;
/** `user:password@host…` with no slash before the `@`, after opening brackets. */
const BARE_USERINFO = /^([([{]*)[^/@:]+:[^/@]*@([A-Za-z0-9[].*)$/;
/** What follows the `@` of an image reference: `sha256:<hex>`. */
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}/;

/** `text` with the credentials of every URL in it replaced by `***`. */
export function redactSecrets(text: string): string {
  return text.replace(WORD, redactWord);
}

function redactWord(word: string): string {
  const slashes = word.indexOf("//");
  if (slashes >= 0) return word.slice(0, slashes + 2) + redactAfterSlashes(word.slice(slashes + 2));
  if (BARE_HOST_QUERY.test(word)) return redactQueryAndFragment(word);
  const bare = BARE_USERINFO.exec(word);
  if (bare && !DIGEST.test(bare[2])) return `${bare[1]}${REDACTED}@${bare[2]}`;
  return word;
}

/** `authority/path?query#fragment` with the userinfo, query values and fragment redacted. */
function redactAfterSlashes(rest: string): string {
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf("@");
  const host = at < 0 ? authority : `${REDACTED}@${authority.slice(at + 1)}`;
  return host + redactQueryAndFragment(end < 0 ? "" : rest.slice(end));
}

function redactQueryAndFragment(text: string): string {
  const hash = text.indexOf("#");
  const beforeFragment = hash < 0 ? text : text.slice(0, hash);
  const fragment =
    hash < 0 || hash === text.length - 1 ? text.slice(hash < 0 ? text.length : hash) : `#${REDACTED}`;
  const question = beforeFragment.indexOf("?");
  if (question < 0) return beforeFragment + fragment;
  const query = beforeFragment
    .slice(question + 1)
    .split("&")
    .map(redactParameter)
    .join("&");
  return `${beforeFragment.slice(0, question)}?${query}${fragment}`;
}

function redactParameter(parameter: string): string {
  const equals = parameter.indexOf("=");
  const name = equals < 0 ? parameter : parameter.slice(0, equals);
  if (READABLE_PARAMETERS.has(name.toLowerCase())) return parameter;
  // A parameter without `=` may be a bare token (`?ghp_…`): its name is its value.
  if (equals < 0) return parameter === "" ? "" : REDACTED;
  return `${name}=${REDACTED}`;
}
