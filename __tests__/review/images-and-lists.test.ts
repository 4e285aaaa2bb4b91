/**
 * The review's inputs and folding rules, table-driven: the image list a team gives (`--images`:
 * one reference a line, or `kubectl get pods -A -o json`), the images built to exercise each rule,
 * and node names in natural order folded into ranges.
 */
import { compileRegistriesSpec } from "../../registries/compile-rules";
import { resolveImage } from "../../registries/resolve";
import { ImageListError, parseImageList, ruleImages } from "../../review/images";
import { collapsedNames, nameRanges } from "../../review/node-list";
import { naturalSort } from "../../review/facts";

describe("parseImageList", () => {
  test.each<[string, string, string[]]>([
    [
      "one reference a line, sorted, duplicates dropped",
      "nginx:1.27\nbusybox\nnginx:1.27\n",
      ["busybox", "nginx:1.27"],
    ],
    ["blank lines and # comments are skipped", "# ours\n\n  quay.io/a/b:1  # pinned\n", ["quay.io/a/b:1"]],
    ["CRLF line ends", "busybox\r\nnginx\r\n", ["busybox", "nginx"]],
  ])("%s", (_rule, text, expected) => {
    expect(parseImageList(text, "images.txt")).toEqual(expected);
  });

  it("reads every container, init and ephemeral container of `kubectl get pods -A -o json`", () => {
    const pods = {
      apiVersion: "v1",
      kind: "List",
      items: [
        {
          metadata: { namespace: "kube-system", name: "coredns-1" },
          spec: {
            initContainers: [{ name: "init", image: "busybox:1.36" }],
            containers: [{ name: "coredns", image: "registry.k8s.io/coredns/coredns:v1.11.1" }],
          },
        },
        {
          metadata: { namespace: "apps", name: "web" },
          spec: {
            containers: [{ name: "web", image: "ghcr.io/acme/web:2" }],
            ephemeralContainers: [{ name: "debug", image: "busybox:1.36" }],
          },
        },
      ],
    };
    expect(parseImageList(JSON.stringify(pods), "pods.json")).toEqual([
      "busybox:1.36",
      "ghcr.io/acme/web:2",
      "registry.k8s.io/coredns/coredns:v1.11.1",
    ]);
  });

  test.each<[string, string, RegExp]>([
    [
      "an invalid reference names the file and line",
      "busybox\nNot/Valid\n",
      /^images\.txt:2: invalid image reference "Not\/Valid"/,
    ],
    [
      "an invalid reference in pod JSON names the pod and container",
      JSON.stringify({
        items: [
          { metadata: { namespace: "a", name: "p" }, spec: { containers: [{ name: "c", image: "UPPER" }] } },
        ],
      }),
      /^images\.txt:pod a\/p container c: invalid image reference "UPPER"/,
    ],
    ["JSON that does not parse", "{ nope", /^images\.txt: not valid JSON/],
    [
      "JSON without items",
      '{"kind": "Pod"}',
      /^images\.txt: a JSON image list must be the output of `kubectl get pods -A -o json`/,
    ],
  ])("%s", (_rule, text, error) => {
    expect(() => parseImageList(text, "images.txt")).toThrow(ImageListError);
    expect(() => parseImageList(text, "images.txt")).toThrow(error);
  });
});

describe("ruleImages: one image per rule, resolved through that rule", () => {
  const file = compileRegistriesSpec({
    mirrors: [
      {
        registry: "docker.io",
        endpoints: ["https://harbor.example.com"],
        rewrites: [
          { match: "^ksd-test/(.*)$", replace: "production/$1" },
          { match: "^k(.*)$", replace: "k-cache/$1" },
          { match: "^(.*)$", replace: "docker.io/$1" },
        ],
      },
      {
        registry: "quay.io",
        endpoints: ["https://harbor.example.com"],
        rewrites: [{ match: "^(.*)$", replace: "quay.io/$1" }],
      },
    ],
    configs: {},
  });

  it("exercises each of the ordered rules, even one shadowed in part by an earlier rule", () => {
    const images = ruleImages(file);
    expect(images).toHaveLength(4);
    for (const { image, rule } of images) expect(resolveImage(image, file).attempts[0].rule).toBe(rule);
    const repositories = images.map(({ image }) => resolveImage(image, file).attempts[0].repository);
    expect(repositories.filter((repository) => repository?.startsWith("production/"))).toHaveLength(1);
    expect(repositories.filter((repository) => repository?.startsWith("k-cache/"))).toHaveLength(1);
  });

  it("docker.io images have two path components: one-component names become library/…", () => {
    for (const { image } of ruleImages(file).filter(({ registry }) => registry === "docker.io")) {
      expect(image.split("/").length).toBeGreaterThanOrEqual(3);
    }
  });
});

describe("node names", () => {
  test.each<[string, string[], string[]]>([
    ["numbers in natural order", ["n10", "n3", "n1", "n2"], ["n1", "n2", "n3", "n10"]],
    ["prefixes first, then numbers", ["b-2", "a-10", "a-9"], ["a-9", "a-10", "b-2"]],
    ["leading zeros tie-break in code-unit order", ["n1", "n01"], ["n01", "n1"]],
  ])("%s", (_rule, names, expected) => {
    expect(naturalSort(names)).toEqual(expected);
  });

  test.each<[string, string[], string[]]>([
    ["consecutive numbers fold", ["n1", "n2", "n3", "n5"], ["n1…n3 (3)", "n5…n5 (1)"]],
    ["different prefixes never fold", ["a1", "b2"], ["a1…a1 (1)", "b2…b2 (1)"]],
    ["padded numbers fold at their width", ["n08", "n09", "n10"], ["n08…n10 (3)"]],
    ["a newly padded number starts a new range", ["n8", "n9", "n010"], ["n8…n9 (2)", "n010…n010 (1)"]],
    ["names without numbers stay single", ["alpha", "beta"], ["alpha…alpha (1)", "beta…beta (1)"]],
  ])("%s", (_rule, names, expected) => {
    expect(nameRanges(names).map((range) => `${range.first}…${range.last} (${range.count})`)).toEqual(
      expected,
    );
  });

  it("collapsedNames keeps a short list inline and folds a long one into <details> within its budget", () => {
    expect(collapsedNames([])).toBe("none");
    expect(collapsedNames(["n2", "n1"])).toBe("2 nodes: `n1`, `n2`");
    const scattered = Array.from({ length: 500 }, (_, index) => `n${index * 2}`);
    const text = collapsedNames(scattered, { inlineRanges: 2, detailsBudget: 100 });
    expect(text).toMatch(
      /^500 nodes: `n0`, `n2`, … \(500 ranges\)<details><summary>all 500 nodes<\/summary>/,
    );
    expect(text).toMatch(/… 4\d\d more ranges: the full list is in review\.json<\/details>$/);
    expect(text.length).toBeLessThan(300);
  });
});
