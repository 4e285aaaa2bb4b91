/**
 * The images a review resolves: one built for each rule of each mirror (so every rule, the proxy
 * rule included, is exercised), plus the team's own list — one reference a line, or the JSON of
 * `kubectl get pods -A -o json`. Pure.
 */
import { parseImageReference, InvalidImageReferenceError } from "../registries/image-reference";
import type { RegistriesFile } from "../registries/model";
import { commonMatch } from "../registries/regex-intersection";
import { resolveImage } from "../registries/resolve";

/** A repository path as distribution/reference allows it (lower-case components joined by `/`). */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const REPOSITORY = `^${COMPONENT}(?:/${COMPONENT})*$`;
/** docker.io prefixes one-component names with `library/`, so a witness there needs two components. */
const DOCKER_HUB_REPOSITORY = `^${COMPONENT}(?:/${COMPONENT})+$`;

export interface RuleImage {
  readonly image: string;
  readonly registry: string;
  /** The rule (as written in the file: compiled) the image is resolved by. */
  readonly rule: string;
}

/**
 * For every rewrite rule of every mirror of `file`, a shortest image whose repository that rule
 * rewrites on a node. The compiled rules of one mirror never overlap, so each image exercises
 * exactly its rule. A rule no valid repository can reach yields no image.
 */
export function ruleImages(file: RegistriesFile): RuleImage[] {
  return Object.entries(file.mirrors ?? {}).flatMap(([registry, mirror]) =>
    registry === "*"
      ? []
      : Object.keys(mirror?.rewrite ?? {}).flatMap((rule) => {
          const image = witnessImage(registry, rule);
          return image !== undefined && resolveImage(image, file).attempts[0]?.rule === rule
            ? [{ image, registry, rule }]
            : [];
        }),
  );
}

function witnessImage(registry: string, rule: string): string | undefined {
  const grammar = registry === "docker.io" ? DOCKER_HUB_REPOSITORY : REPOSITORY;
  const intersection = commonMatch(rule, grammar);
  return intersection.kind === "overlap" ? `${registry}/${intersection.witness}` : undefined;
}

export class ImageListError extends Error {}

/**
 * Image references from `text`: `kubectl get pods -A -o json` (every container, init and ephemeral
 * container of every pod), or one reference a line (blank lines and `#` comments skipped). Sorted,
 * without duplicates; an invalid reference is an error naming `source` and its line.
 */
export function parseImageList(text: string, source: string): string[] {
  const entries = text.trimStart().startsWith("{") ? podImages(text, source) : lineImages(text);
  const problems = entries.flatMap(({ image, where }) => {
    try {
      parseImageReference(image);
      return [];
    } catch (error) {
      if (!(error instanceof InvalidImageReferenceError)) throw error;
      return [`${source}:${where}: ${error.message}`];
    }
  });
  if (problems.length > 0) throw new ImageListError(problems.join("\n"));
  return uniqueSorted(entries.map((entry) => entry.image));
}

export function uniqueSorted(images: Iterable<string>): string[] {
  return [...new Set(images)].sort();
}

interface ListedImage {
  readonly image: string;
  /** A line number, or the pod and container the image came from. */
  readonly where: string;
}

function lineImages(text: string): ListedImage[] {
  return text.split(/\r?\n/).flatMap((line, index) => {
    const image = line.replace(/#.*$/, "").trim();
    return image ? [{ image, where: String(index + 1) }] : [];
  });
}

interface Container {
  readonly name?: string;
  readonly image?: unknown;
}

interface Pod {
  readonly metadata?: { readonly namespace?: string; readonly name?: string };
  readonly spec?: Readonly<Record<string, readonly Container[] | undefined>>;
}

const CONTAINER_LISTS = ["initContainers", "containers", "ephemeralContainers"] as const;

function podImages(text: string, source: string): ListedImage[] {
  let document: { items?: readonly Pod[] };
  try {
    document = JSON.parse(text) as { items?: readonly Pod[] };
  } catch (error) {
    throw new ImageListError(`${source}: not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(document.items)) {
    throw new ImageListError(
      `${source}: a JSON image list must be the output of \`kubectl get pods -A -o json\` (an object with "items")`,
    );
  }
  return document.items.flatMap((pod) =>
    CONTAINER_LISTS.flatMap((list) =>
      (pod.spec?.[list] ?? []).flatMap((container: Container) =>
        typeof container.image === "string"
          ? [
              {
                image: container.image,
                where: `pod ${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""} container ${container.name ?? ""}`,
              },
            ]
          : [],
      ),
    ),
  );
}
