/**
 * Harbor's external URL as nodes use it: the mirror endpoint must be the Harbor root, because a
 * path in an endpoint sets the registry API root, not a repository prefix (rke2-registries.md §10
 * pitfall 4); auth and TLS are keyed by its host (§5).
 */

export interface HarborUrl {
  /** `https://host[:port]`, without path: the mirror endpoint written to nodes. */
  readonly root: string;
  /** `host[:port]`, lower case, default port dropped: the `configs` key on nodes. */
  readonly host: string;
}

export interface HarborUrlOptions {
  /** Accept `http://` (plain-text registry traffic). */
  readonly allowInsecureHttp?: boolean;
}

/** Parses and checks Harbor's URL; throws an Error naming the value and what is allowed. */
export function parseHarborUrl(url: string, options: HarborUrlOptions = {}): HarborUrl {
  const problem = harborUrlProblem(url, options);
  if (problem) throw new Error(problem);
  const parsed = new URL(url);
  return { root: `${parsed.protocol}//${parsed.host}`, host: parsed.host };
}

/** undefined when `url` is usable as Harbor's root URL, else the reason. */
export function harborUrlProblem(url: string, options: HarborUrlOptions = {}): string | undefined {
  const parsed = parseUrl(url);
  if (typeof parsed === "string") return parsed;
  const shown = JSON.stringify(url);
  if (parsed.protocol === "http:" && !options.allowInsecureHttp) {
    return `${shown} uses http://: Harbor must be reached over https:// (set allowInsecureHttp to accept http)`;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return `${shown} has scheme ${parsed.protocol}: expected https://`;
  }
  if (parsed.pathname !== "/" || parsed.search || parsed.hash) {
    return (
      `${shown} has a path, query or fragment: give Harbor's root URL only, since a path in a mirror ` +
      `endpoint becomes the registry API root and breaks authenticated pulls (rke2-registries.md §10)`
    );
  }
  return undefined;
}

/** undefined when `url` is an http(s) URL, as Harbor requires for registry endpoints (harbor.md §2.2). */
export function endpointUrlProblem(url: string): string | undefined {
  const parsed = parseUrl(url);
  if (typeof parsed === "string") return parsed;
  if (parsed.protocol === "https:" || parsed.protocol === "http:") return undefined;
  return `${JSON.stringify(url)} has scheme ${parsed.protocol}: Harbor accepts only http:// or https:// URLs`;
}

/** The parsed URL, or the problem. A URL with user info is refused without echoing it (it may hold a password). */
function parseUrl(url: string): URL | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not a URL: expected e.g. https://registry.example.com`;
  }
  if (parsed.username || parsed.password) {
    return "the URL contains credentials (not shown): give only https://<host>[:port]; credentials go elsewhere";
  }
  return parsed;
}
