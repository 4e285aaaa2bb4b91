import { InvalidImageReferenceError, parseImageReference } from "../../registries/image-reference";

const sha = `sha256:${"a".repeat(64)}`;

describe("parseImageReference: CRI normalization (§4.1, distribution/reference)", () => {
  const cases: { name: string; image: string; registry: string; repository: string; reference: string }[] = [
    {
      name: "§4.1 a single component under docker.io gets library/ and :latest",
      image: "busybox",
      registry: "docker.io",
      repository: "library/busybox",
      reference: "docker.io/library/busybox:latest",
    },
    {
      name: "§4.1 a first component without . : or localhost is a path, not a registry",
      image: "ksd-test/busybox:1.35",
      registry: "docker.io",
      repository: "ksd-test/busybox",
      reference: "docker.io/ksd-test/busybox:1.35",
    },
    {
      name: "§4.1 index.docker.io is folded into docker.io",
      image: "index.docker.io/busybox",
      registry: "docker.io",
      repository: "library/busybox",
      reference: "docker.io/library/busybox:latest",
    },
    {
      name: "§4.1 explicit docker.io with a single component gets library/",
      image: "docker.io/nginx:1.27",
      registry: "docker.io",
      repository: "library/nginx",
      reference: "docker.io/library/nginx:1.27",
    },
    {
      name: "§4.1 a first component with a dot is a registry",
      image: "quay.io/org/app:v1",
      registry: "quay.io",
      repository: "org/app",
      reference: "quay.io/org/app:v1",
    },
    {
      name: "§4.1 localhost with a port is a registry",
      image: "localhost:5000/x",
      registry: "localhost:5000",
      repository: "x",
      reference: "localhost:5000/x:latest",
    },
    {
      name: "§4.1 localhost without a port is a registry",
      image: "localhost/x",
      registry: "localhost",
      repository: "x",
      reference: "localhost/x:latest",
    },
    {
      name: "§4.1 a first component with upper case is a registry",
      image: "Registry/app",
      registry: "Registry",
      repository: "app",
      reference: "Registry/app:latest",
    },
    {
      name: "§4.1 a digest is kept, no :latest is added",
      image: `quay.io/org/app@${sha}`,
      registry: "quay.io",
      repository: "org/app",
      reference: `quay.io/org/app@${sha}`,
    },
    {
      name: "§4.1 tag plus digest: the tag is dropped",
      image: `busybox:1.36@${sha}`,
      registry: "docker.io",
      repository: "library/busybox",
      reference: `docker.io/library/busybox@${sha}`,
    },
    {
      name: "§4.1 an IPv6 registry with a port",
      image: "[::1]:5000/app:v2",
      registry: "[::1]:5000",
      repository: "app",
      reference: "[::1]:5000/app:v2",
    },
    {
      name: "§4.1 separators . _ __ and - inside path components",
      image: "ghcr.io/a.b/c__d/e--f_g:x.y-z",
      registry: "ghcr.io",
      repository: "a.b/c__d/e--f_g",
      reference: "ghcr.io/a.b/c__d/e--f_g:x.y-z",
    },
  ];
  it.each(cases)("$name", ({ image, registry, repository, reference }) => {
    const parsed = parseImageReference(image);
    expect({ registry: parsed.registry, repository: parsed.repository, reference: parsed.reference }).toEqual(
      {
        registry,
        repository,
        reference,
      },
    );
  });

  it("§4.7 the manifest object is the digest when there is one, else the tag", () => {
    expect(parseImageReference("busybox").object).toBe("latest");
    expect(parseImageReference(`busybox:1@${sha}`).object).toBe(sha);
  });
});

describe("parseImageReference: invalid references are rejected with the value and the reason", () => {
  const cases: { name: string; image: string; reason: RegExp }[] = [
    {
      name: "§4.1 an upper-case repository is an error",
      image: "docker.io/Library/Busybox",
      reason: /repository name "Library\/Busybox" must be lowercase/,
    },
    {
      name: "§4.1 upper case after a path component is an error",
      image: "ksd-test/BusyBox",
      reason: /must be lowercase/,
    },
    { name: "an empty reference", image: "", reason: /does not match the reference grammar/ },
    { name: "a trailing slash", image: "quay.io/org/", reason: /does not match the reference grammar/ },
    {
      name: "a double separator is not allowed",
      image: "a..b",
      reason: /does not match the reference grammar/,
    },
    {
      name: "a tag longer than 128 characters",
      image: `busybox:${"t".repeat(129)}`,
      reason: /does not match/,
    },
    { name: "a 64-hex name is an image ID", image: "a".repeat(64), reason: /image ID/ },
    {
      name: "an unknown digest algorithm",
      image: `busybox@md5:${"a".repeat(32)}`,
      reason: /algorithm "md5" is not supported/,
    },
    {
      name: "a sha256 digest of the wrong length",
      image: `busybox@sha256:${"a".repeat(40)}`,
      reason: /64 lower-case hexadecimal/,
    },
    { name: "a name longer than 255 characters", image: `quay.io/${"a".repeat(250)}`, reason: /at most 255/ },
  ];
  it.each(cases)("$name", ({ image, reason }) => {
    expect(() => parseImageReference(image)).toThrow(InvalidImageReferenceError);
    expect(() => parseImageReference(image)).toThrow(reason);
    expect(() => parseImageReference(image)).toThrow(JSON.stringify(image));
  });
});
