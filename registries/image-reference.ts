/**
 * Image-name normalization as the CRI does it before any mirror lookup (docs/registries.md#rewrites):
 * distribution/reference `ParseDockerRef` (v0.5.0+). The repository path computed here is the subject of
 * every rewrite rule.
 */

/** A normalized image reference. */
export interface ImageReference {
  /** Registry host as used for the `certs.d` directory lookup: `docker.io`, `quay.io`, `host:5000`. */
  readonly registry: string;
  /** Repository path without host, tag or digest: the rewrite subject. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  /** The fully qualified reference: `docker.io/library/busybox:latest`. */
  readonly reference: string;
  /** What follows `/manifests/` in the request URL: the digest when there is one, else the tag. */
  readonly object: string;
}

export class InvalidImageReferenceError extends Error {
  constructor(
    readonly image: string,
    reason: string,
  ) {
    super(
      `invalid image reference ${JSON.stringify(image)}: ${reason} ` +
        "(allowed: [registry[:port]/]repository[:tag][@algorithm:hex], repository in lower case)",
    );
    this.name = "InvalidImageReferenceError";
  }
}

const DEFAULT_DOMAIN = "docker.io";
const LEGACY_DEFAULT_DOMAIN = "index.docker.io";
const OFFICIAL_REPO_PREFIX = "library/";
const DEFAULT_TAG = "latest";
const NAME_TOTAL_LENGTH_MAX = 255;

// The grammar of distribution/reference `regexp.go`.
const ALPHA_NUMERIC = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const PATH_COMPONENT = `${ALPHA_NUMERIC}(?:${SEPARATOR}${ALPHA_NUMERIC})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:[.]${DOMAIN_COMPONENT})*`;
const IPV6_ADDRESS = "\\[[a-fA-F0-9:]+\\]";
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(`^(${DOMAIN})/(${REMOTE_NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const IDENTIFIER = /^[a-f0-9]{64}$/;
const REPOSITORY_PATH = new RegExp(`^${REMOTE_NAME}$`);

/** True for a repository path as the reference grammar allows it (`library/busybox`, `docker.io`). */
export function isRepositoryPath(text: string): boolean {
  return REPOSITORY_PATH.test(text);
}

// go-digest's registered algorithms and the length of their lower-case hex encoding.
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** `ParseDockerRef`: normalizes `busybox` to `docker.io/library/busybox:latest`; throws on invalid input. */
export function parseImageReference(image: string): ImageReference {
  if (IDENTIFIER.test(image)) {
    throw new InvalidImageReferenceError(
      image,
      "a 64-character hexadecimal string is an image ID, not a name",
    );
  }
  const { domain, remainder } = splitDockerDomain(image);
  const remoteName = remainder.split(":")[0];
  if (remoteName.toLowerCase() !== remoteName) {
    throw new InvalidImageReferenceError(
      image,
      `repository name ${JSON.stringify(remoteName)} must be lowercase`,
    );
  }
  const match = REFERENCE.exec(`${domain}/${remainder}`);
  if (!match) throw new InvalidImageReferenceError(image, "it does not match the reference grammar");
  const [, registry, repository, parsedTag, digest] = match;
  checkNameLength(image, registry, repository);
  if (digest !== undefined) checkDigest(image, digest);
  // A digest pins the content, so ParseDockerRef drops a tag given alongside it.
  const tag = digest === undefined ? (parsedTag ?? DEFAULT_TAG) : undefined;
  const object = digest ?? (tag as string);
  const separator = digest === undefined ? ":" : "@";
  return {
    registry,
    repository,
    tag,
    digest,
    reference: `${registry}/${repository}${separator}${object}`,
    object,
  };
}

/** The first component is a registry only if it contains `.` or `:`, is `localhost`, or has upper case. */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf("/");
  const first = name.slice(0, slash);
  const isDomain =
    slash >= 0 && (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first);
  let domain = isDomain ? first : DEFAULT_DOMAIN;
  const remainder = isDomain ? name.slice(slash + 1) : name;
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  const official = domain === DEFAULT_DOMAIN && !remainder.includes("/");
  return { domain, remainder: official ? OFFICIAL_REPO_PREFIX + remainder : remainder };
}

function checkNameLength(image: string, registry: string, repository: string): void {
  const length = registry.length + 1 + repository.length;
  if (length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidImageReferenceError(
      image,
      `the name is ${length} characters long, at most ${NAME_TOTAL_LENGTH_MAX} are allowed`,
    );
  }
}

function checkDigest(image: string, digest: string): void {
  const [algorithm, hex] = digest.split(":");
  const expectedLength = DIGEST_HEX_LENGTH[algorithm];
  if (expectedLength === undefined) {
    throw new InvalidImageReferenceError(
      image,
      `digest algorithm ${JSON.stringify(algorithm)} is not supported (sha256, sha384, sha512)`,
    );
  }
  if (hex.length !== expectedLength || !/^[a-f0-9]+$/.test(hex)) {
    throw new InvalidImageReferenceError(
      image,
      `a ${algorithm} digest must be ${expectedLength} lower-case hexadecimal characters`,
    );
  }
}
