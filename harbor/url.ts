/**
 * URLs Harbor deals in: its own external URL, which nodes use as the mirror endpoint (it must be
 * the Harbor root, because a path in an endpoint sets the registry API root, not a repository
 * prefix; auth and TLS are keyed by its host), and the upstream endpoint URLs of registry
 * endpoints (HTTP(S) only): docs/registries.md#a-path-in-an-endpoint-is-the-api-root,
 * docs/harbor.md#registry-endpoint-urls.
 *
 * Problems are phrased without the value ("must be …"), so each caller shows the value its own
 * way; the credentials of a URL in any message are redacted where diagnostics are formatted
 * (registries/redact.ts).
 */

import { errorAt, KeyPath, ValidationError } from "../registries/diagnostics";
import { docs } from "../registries/docs";

export interface HarborUrl {
  /** `scheme://host[:port]`, without path: the mirror endpoint written to nodes. */
  readonly root: string;
  /** `host[:port]`, lower case, default port dropped: the `configs` key on nodes. */
  readonly host: string;
}

export interface HarborUrlOptions {
  /** Accept `http://` (plain-text registry traffic). */
  readonly allowInsecureHttp?: boolean;
}

const HTTP_URL = "must be an absolute https or http URL";

/**
 * undefined when `url` is an absolute http(s) URL without credentials, query or fragment (and,
 * with `root`, without a path), else what it must be.
 */
export function urlShapeProblem(url: string, options: { readonly root: boolean }): string | undefined {
  if (!URL.canParse(url)) return HTTP_URL;
  // WHATWG URL parsing drops tabs and newlines silently and accepts `}` or `'` in a host: what
  // Terraform and the nodes would receive would not be what was written.
  if (/[\s\u0000-\u001f\u007f]/.test(url)) return `${HTTP_URL} without spaces or control characters`;
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return HTTP_URL;
  if (!/^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])$/.test(parsed.hostname)) {
    return `${HTTP_URL} whose host is a DNS name or an IP address`;
  }
  if (parsed.username || parsed.password) {
    return `${HTTP_URL} without user:password (credentials come from sensitive Terraform variables, never from a URL)`;
  }
  if (parsed.search || parsed.hash) return `${HTTP_URL} without query or fragment`;
  // WHATWG URL keeps an explicit `:0`, which no server listens on.
  if (parsed.port === "0") return `${HTTP_URL} with a port from 1 to 65535 (or none)`;
  if (options.root && parsed.pathname !== "/") {
    return (
      `${HTTP_URL} without a path (Harbor's root, e.g. https://harbor.example.com): a path in a mirror ` +
      `endpoint becomes the registry API root and breaks authenticated pulls (${docs("registries.md#a-path-in-an-endpoint-is-the-api-root")})`
    );
  }
  return undefined;
}

/** undefined when `url` is usable as Harbor's root URL, else the reason (naming the value). */
export function harborUrlProblem(url: string, options: HarborUrlOptions = {}): string | undefined {
  const problem = urlShapeProblem(url, { root: true });
  if (problem) return `${JSON.stringify(url)} ${problem}`;
  if (new URL(url).protocol === "http:" && !options.allowInsecureHttp) {
    return `${JSON.stringify(url)} uses http://: Harbor must be reached over https:// (set allowInsecureHttp to accept http)`;
  }
  return undefined;
}

/**
 * Parses and checks Harbor's URL; throws a `ValidationError` (at `keyPath`) naming the value and
 * what is allowed.
 */
export function parseHarborUrl(
  url: string,
  options: HarborUrlOptions = {},
  keyPath: KeyPath = ["url"],
): HarborUrl {
  const problem = harborUrlProblem(url, options);
  if (problem) throw new ValidationError([errorAt("harbor-url-invalid", keyPath, problem)]);
  const parsed = new URL(url);
  return { root: `${parsed.protocol}//${parsed.host}`, host: parsed.host };
}

/** undefined when `url` can be a registry endpoint's upstream URL, else the reason. */
export function endpointUrlProblem(url: string): string | undefined {
  const problem = urlShapeProblem(url, { root: false });
  return problem && `${JSON.stringify(url)} ${problem}`;
}
