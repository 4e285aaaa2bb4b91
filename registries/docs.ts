/**
 * Where messages send people: the pages in the repository's docs/ folder (shipped with the
 * package), written for users — never internal notes.
 */
export const DOCS_FOLDER = "docs";

/** `docs/<page>` with an optional `#anchor`, as messages cite it. */
export function docs(page: string): string {
  return `${DOCS_FOLDER}/${page}`;
}
