/**
 * Endpoint normalization exactly as K3s `normalizeEndpointAddress` does it
 * (docs/registries.md#how-an-endpoint-is-written), including the quirks of Go's `net/url.Parse` that decide
 * whether an endpoint is valid at all. Pure: no I/O, no cdktf.
 */
import { posix } from "node:path";

export interface NormalizedEndpoint {
  /** Normalized URL as containerd's hosts.toml key, e.g. `https://registry-1.docker.io/v2`. */
  readonly url: string;
  /** `https` or `http`; an explicit scheme is kept (lower-cased, as Go does). */
  readonly scheme: string;
  /** `host[:port]` exactly as written, except `docker.io` → `registry-1.docker.io`. */
  readonly host: string;
  /** `/v2`, or the verbatim override path. */
  readonly path: string;
  /** True when the path is neither empty, `/` nor `/v2`: containerd uses it as the API root. */
  readonly overridePath: boolean;
}

export type EndpointResult = { ok: true; endpoint: NormalizedEndpoint } | { ok: false; error: string };

/**
 * The parts of a URL as Go's `url.Parse` splits them. The validator needs the parts K3s keeps but
 * containerd drops or misparses (userinfo, query, fragment, opaque) to reject them.
 */
export interface GoUrl {
  readonly scheme: string;
  /** Set for `scheme:text` without `//` (Go's opaque URLs); then host and path are empty. */
  readonly opaque: string;
  readonly userinfo?: string;
  readonly host: string;
  /** The path as written (Go's RawPath when it differs from the decoded Path). */
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly forceQuery: boolean;
  readonly fragment: string;
}

export type GoUrlResult = { ok: true; url: GoUrl } | { ok: false; error: string };

/** containerd's `DefaultHost`: the only host it rewrites. */
const DOCKER_HUB = "docker.io";
const DOCKER_HUB_DEFAULT_HOST = "registry-1.docker.io";
const DEFAULT_API_ROOT = "/v2";

/** K3s `normalizeEndpointAddress` without an embedded-registry address. */
export function normalizeEndpointAddress(address: string): EndpointResult {
  // K3s prefixes `//` so that host-only forms parse as an authority, not as a path.
  const parsed = parseGoUrl(address.includes("://") ? address : `//${address}`);
  if (!parsed.ok) return parsed;
  const scheme = parsed.url.scheme || defaultScheme(parsed.url.host);
  const host = parsed.url.host === DOCKER_HUB ? DOCKER_HUB_DEFAULT_HOST : parsed.url.host;
  const overridePath = !["", "/", DEFAULT_API_ROOT].includes(parsed.url.rawPath);
  const path = overridePath ? parsed.url.rawPath : DEFAULT_API_ROOT;
  const url = goUrlString({ ...parsed.url, scheme, host, rawPath: path });
  return { ok: true, endpoint: { url, scheme, host, path, overridePath } };
}

/**
 * The default endpoint K3s derives from a `mirrors` or `configs` key. The wildcard
 * `"*"` has no default URL (it means "the registry actually pulled"), so it is an error here.
 */
export function defaultEndpointFor(registryKey: string): EndpointResult {
  if (registryKey === "*") return { ok: false, error: `"*" has no default endpoint` };
  return normalizeEndpointAddress(registryKey);
}

/** An endpoint as containerd reads it back from hosts.toml: the API root it really requests under. */
export interface ContainerdHost {
  readonly scheme: string;
  readonly host: string;
  /** The API root: the decoded, cleaned path, `/v2` appended unless it ends so or `override_path` is set. */
  readonly path: string;
  /** `scheme://host` + the cleaned `path`: what every request URL starts with (requests clean-join it). */
  readonly url: string;
}

export type ContainerdHostResult = { ok: true; host: ContainerdHost } | { ok: false; error: string };

/**
 * containerd `parseHostConfig` (`remotes/docker/config/hosts.go`) for a `server` or `[host."…"]`
 * key: `https://` is prefixed when the text does not start with `http`; the decoded URL path is
 * cleaned as Go `path.Clean` does (`/v2/` and `//v2` → `/v2`); then `/v2` is appended unless the path
 * ends in `/v2` or `override_path` is set, and an empty path becomes `/v2` (or stays empty with it).
 */
export function containerdHost(server: string, overridePath: boolean): ContainerdHostResult {
  const parsed = parseGoUrl(server.startsWith("http") ? server : `https://${server}`);
  if (!parsed.ok) return parsed;
  const { scheme, host, rawPath } = parsed.url;
  const path = containerdApiRoot(decodedPath(rawPath), overridePath);
  const prefix = goPathClean(`/${path}`);
  return {
    ok: true,
    host: { scheme, host, path, url: `${scheme}://${host}${prefix === "/" ? "" : prefix}` },
  };
}

/**
 * containerd's reading of an endpoint K3s wrote into hosts.toml (`[host."<url>"]`, with its
 * `override_path`; the `server` line has none). Go printed the URL, so it always parses back.
 */
export function containerdHostOf(
  endpoint: NormalizedEndpoint,
  overridePath = endpoint.overridePath,
): ContainerdHost {
  const read = containerdHost(endpoint.url, overridePath);
  if (!read.ok) throw new Error(`internal: ${endpoint.url} does not parse back: ${read.error}`);
  return read.host;
}

function containerdApiRoot(path: string, overridePath: boolean): string {
  if (path === "") return overridePath ? "" : DEFAULT_API_ROOT;
  const cleaned = goPathClean(path);
  return cleaned.endsWith(DEFAULT_API_ROOT) || overridePath ? cleaned : cleaned + DEFAULT_API_ROOT;
}

/** Go `path.Clean`: Node's normalize, without the trailing slash Go drops (`"/"` stays). */
function goPathClean(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

/** Go's `URL.Path`: the raw path with its %-escapes decoded (they were checked when parsing). */
function decodedPath(rawPath: string): string {
  return Buffer.from(percentDecode(rawPath)).toString("utf8");
}

const HOST_NAME = String.raw`[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?`;
const BRACKETED_IPV6 = String.raw`\[[0-9A-Fa-f:.]+\]`;
const BARE_HOST_PORT = new RegExp(`^(?:${HOST_NAME}|${BRACKETED_IPV6})(?::[0-9]{1,5})?$`);

/** True for `host`, `host:port`, `1.2.3.4:5000`, `[::1]:5000`: no scheme, path, userinfo or query. */
export function isBareHostPort(key: string): boolean {
  return BARE_HOST_PORT.test(key);
}

/** Go `url.URL.Port()`: the digits after the last colon, `""` when absent or not a port. */
function portOf(host: string): string {
  const colon = host.lastIndexOf(":");
  if (colon < 0 || !isValidOptionalPort(host.slice(colon))) return "";
  return host.slice(colon + 1);
}

/** The host without its port and IPv6 brackets, as Go `url.URL.Hostname()` returns it. */
export function hostnameOf(host: string): string {
  const colon = host.lastIndexOf(":");
  const withoutPort = colon >= 0 && isValidOptionalPort(host.slice(colon)) ? host.slice(0, colon) : host;
  return withoutPort.startsWith("[") && withoutPort.endsWith("]") ? withoutPort.slice(1, -1) : withoutPort;
}

/** containerd rule: localhost or loopback with a port other than 443 → plain HTTP. */
function defaultScheme(host: string): string {
  const port = portOf(host);
  return isLocalhost(host) && port !== "" && port !== "443" ? "http" : "https";
}

/** containerd `docker.IsLocalhost`: `net.SplitHostPort`, then `localhost` or a loopback IP. */
export function isLocalhost(host: string): boolean {
  const name = splitHostPortHost(host) ?? host;
  return name === "localhost" || isLoopbackIp(name);
}

/** Go `net.SplitHostPort`'s host part, or undefined when Go would return an error. */
function splitHostPortHost(hostPort: string): string | undefined {
  if (hostPort.startsWith("[")) {
    const end = hostPort.indexOf("]");
    if (end < 0 || hostPort[end + 1] !== ":") return undefined;
    return hostPort.slice(1, end);
  }
  const colon = hostPort.lastIndexOf(":");
  if (colon < 0) return undefined;
  const host = hostPort.slice(0, colon);
  return host.includes(":") ? undefined : host;
}

/** Go `net.ParseIP(h).IsLoopback()`: 127.0.0.0/8, `::1`, and IPv4-mapped 127.x. */
function isLoopbackIp(name: string): boolean {
  const ipv4 = parseIpv4(name);
  if (ipv4) return ipv4[0] === 127;
  const ipv6 = parseIpv6(name);
  if (!ipv6) return false;
  const isV4Mapped = ipv6.slice(0, 10).every((byte) => byte === 0) && ipv6[10] === 0xff && ipv6[11] === 0xff;
  if (isV4Mapped) return ipv6[12] === 127;
  return ipv6.slice(0, 15).every((byte) => byte === 0) && ipv6[15] === 1;
}

/** Go rejects leading zeros in dotted-decimal (since Go 1.17). */
function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part))) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((byte) => byte <= 255) ? bytes : undefined;
}

/** 16 bytes of an IPv6 address (with `::` and a trailing dotted IPv4 allowed), or undefined. */
function parseIpv6(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = halves.map((half) => (half === "" ? [] : half.split(":")));
  const bytes = groups.map(ipv6GroupBytes);
  if (bytes.some((part) => part === undefined)) return undefined;
  const [head, tail = []] = bytes as number[][];
  if (halves.length === 1) return head.length === 16 ? head : undefined;
  const missing = 16 - head.length - tail.length;
  return missing >= 2 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : undefined;
}

function ipv6GroupBytes(groups: string[]): number[] | undefined {
  const bytes: number[] = [];
  for (const [index, group] of groups.entries()) {
    const ipv4 = index === groups.length - 1 ? parseIpv4(group) : undefined;
    if (ipv4) bytes.push(...ipv4);
    else if (/^[0-9A-Fa-f]{1,4}$/.test(group))
      bytes.push(parseInt(group, 16) >> 8, parseInt(group, 16) & 0xff);
    else return undefined;
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// A port of the parts of Go's net/url that decide validity and the printed form of an endpoint.
// ---------------------------------------------------------------------------------------------

/** Go `url.Parse` (not `ParseRequestURI`): returns Go's error text on failure. */
export function parseGoUrl(rawUrl: string): GoUrlResult {
  const hashAt = rawUrl.indexOf("#");
  const beforeFragment = hashAt < 0 ? rawUrl : rawUrl.slice(0, hashAt);
  const fragment = hashAt < 0 ? "" : rawUrl.slice(hashAt + 1);
  try {
    const url = parseWithoutFragment(beforeFragment);
    unescape(fragment, "fragment");
    return { ok: true, url: { ...url, fragment } };
  } catch (error) {
    return { ok: false, error: `parse ${JSON.stringify(beforeFragment)}: ${(error as Error).message}` };
  }
}

type EscapeMode = "host" | "path" | "userinfo" | "fragment";

function parseWithoutFragment(raw: string): Omit<GoUrl, "fragment"> {
  // Go rejects ASCII control bytes anywhere in a URL.
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new Error("net/url: invalid control character in URL");
  const { scheme, rest: afterScheme } = splitScheme(raw);
  const { rest, rawQuery, forceQuery } = splitQuery(afterScheme);
  const base = { scheme, rawQuery, forceQuery, host: "", rawPath: "", opaque: "" };
  if (!rest.startsWith("/")) {
    if (scheme !== "") return { ...base, opaque: rest };
    if (rest.split("/")[0].includes(":")) throw new Error("first path segment in URL cannot contain colon");
  }
  if (!rest.startsWith("//") || (scheme === "" && rest.startsWith("///"))) {
    unescape(rest, "path");
    return { ...base, rawPath: rest };
  }
  const slashAt = rest.indexOf("/", 2);
  const authority = slashAt < 0 ? rest.slice(2) : rest.slice(2, slashAt);
  const rawPath = slashAt < 0 ? "" : rest.slice(slashAt);
  unescape(rawPath, "path");
  return { ...base, ...parseAuthority(authority), rawPath };
}

function splitScheme(raw: string): { scheme: string; rest: string } {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+.-]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ":") {
      if (i === 0) throw new Error("missing protocol scheme");
      return { scheme: raw.slice(0, i).toLowerCase(), rest: raw.slice(i + 1) };
    }
    break;
  }
  return { scheme: "", rest: raw };
}

function splitQuery(rest: string): { rest: string; rawQuery: string; forceQuery: boolean } {
  const questionAt = rest.indexOf("?");
  if (questionAt < 0) return { rest, rawQuery: "", forceQuery: false };
  const forceQuery = questionAt === rest.length - 1;
  return { rest: rest.slice(0, questionAt), rawQuery: rest.slice(questionAt + 1), forceQuery };
}

function parseAuthority(authority: string): { userinfo?: string; host: string } {
  const atAt = authority.lastIndexOf("@");
  const host = parseHost(atAt < 0 ? authority : authority.slice(atAt + 1));
  if (atAt < 0) return { host };
  const userinfo = authority.slice(0, atAt);
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) throw new Error("net/url: invalid userinfo");
  unescape(userinfo, "userinfo");
  return { userinfo, host };
}

function parseHost(host: string): string {
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close < 0) throw new Error("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!isValidOptionalPort(colonPort))
      throw new Error(`invalid port ${JSON.stringify(colonPort)} after host`);
  } else {
    const colon = host.lastIndexOf(":");
    if (colon >= 0 && !isValidOptionalPort(host.slice(colon))) {
      throw new Error(`invalid port ${JSON.stringify(host.slice(colon))} after host`);
    }
  }
  unescape(host, "host");
  return host;
}

function isValidOptionalPort(colonPort: string): boolean {
  return colonPort === "" || /^:[0-9]*$/.test(colonPort);
}

/** Characters Go's `shouldEscape` leaves alone in a host (`encodeHost`). */
const HOST_SAFE = /[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]/;

/** Go `unescape`: only its errors matter here (we keep the raw text). */
function unescape(text: string, mode: EscapeMode): void {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "%") {
      const escape = text.slice(i, i + 3);
      if (!/^%[0-9A-Fa-f]{2}$/.test(escape)) throw new Error(`invalid URL escape ${JSON.stringify(escape)}`);
      // Go allows only %XX >= %80 (UTF-8 bytes) and %25 in a host.
      if (mode === "host" && parseInt(escape.slice(1), 16) < 0x80 && escape !== "%25") {
        throw new Error(`invalid URL escape ${JSON.stringify(escape)}`);
      }
      i += 2;
    } else if (mode === "host" && c.charCodeAt(0) < 0x80 && !HOST_SAFE.test(c)) {
      throw new Error(`invalid character ${JSON.stringify(c)} in host name`);
    }
  }
}

/** Go `URL.String()` for the URLs produced here (path as written, escaped where Go would). */
function goUrlString(url: GoUrl): string {
  let text = url.scheme ? `${url.scheme}:` : "";
  if (url.opaque) {
    text += url.opaque;
  } else {
    if (url.host !== "" || url.rawPath !== "" || url.userinfo !== undefined) text += "//";
    if (url.userinfo !== undefined) text += `${url.userinfo}@`;
    text += escapeNonAscii(url.host);
    text += url.rawPath !== "" && !url.rawPath.startsWith("/") && url.host !== "" ? "/" : "";
    text += escapedPath(url.rawPath);
  }
  if (url.forceQuery || url.rawQuery !== "") text += `?${url.rawQuery}`;
  return url.fragment ? `${text}#${url.fragment}` : text;
}

/** Characters Go accepts as already escaped in a path (`validEncoded` with `encodePath`). */
const PATH_VALID_ENCODED = /^[A-Za-z0-9\-_.~!$&'()*+,;=:@[\]/%]*$/;
/** Bytes Go's `escape(path, encodePath)` leaves alone. */
const PATH_UNESCAPED_BYTE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;

/** Go `EscapedPath`: the raw path when validly encoded, else the decoded path re-escaped. */
function escapedPath(rawPath: string): string {
  if (PATH_VALID_ENCODED.test(rawPath)) return rawPath;
  return percentDecode(rawPath)
    .map((byte) =>
      byte < 0x80 && PATH_UNESCAPED_BYTE.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : hexByte(byte),
    )
    .join("");
}

/** The bytes a %-escaped text stands for (escapes were checked by `unescape`). */
function percentDecode(text: string): number[] {
  return text
    .split(/(%[0-9A-Fa-f]{2})/)
    .flatMap((piece) =>
      /^%[0-9A-Fa-f]{2}$/.test(piece) ? [parseInt(piece.slice(1), 16)] : [...Buffer.from(piece, "utf8")],
    );
}

function escapeNonAscii(text: string): string {
  return [...text].map((c) => (c.charCodeAt(0) < 0x80 ? c : percentEncode(c))).join("");
}

function percentEncode(c: string): string {
  return [...Buffer.from(c, "utf8")].map(hexByte).join("");
}

function hexByte(byte: number): string {
  return `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
}
