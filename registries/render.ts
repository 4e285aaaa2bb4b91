/**
 * Serializes a registries file for RKE2/K3s nodes with the
 * `yaml` package's Document API: every key and string double-quoted, booleans `true`/`false`,
 * block sequences, stable order, one document, no line folding. Invalid files are refused, so
 * nothing that would break or silently bypass a node's mirror is ever shipped.
 */
import { Document, Node, Pair, Scalar, ToStringOptions, YAMLMap, YAMLSeq } from "yaml";
import { compileRegistriesSpec, compileRuleList } from "./compile-rules";
import { Diagnostic, errorsOf, ValidationError, warningsOf } from "./diagnostics";
import {
  ApplyTimeHost,
  ApplyTimeValue,
  isApplyTimeValue,
  Mirror,
  RegistriesFile,
  RegistriesSpec,
  RegistryAuth,
  RegistryConfig,
  RegistryString,
  RegistryTls,
  ruleTarget,
  standInEndpoint,
} from "./model";
import { entryPath, fieldPath, indexPath } from "./parse";
import { validateRegistriesFile } from "./validate";

export interface RenderedRegistries {
  /** The exact bytes for the node, with apply-time values as plain placeholders. */
  readonly text: string;
  /** The file that was rendered (ordered rules already compiled): what the resolver reads. */
  readonly file: RegistriesFile;
  /** The validation warnings of `file`; errors make rendering throw instead. */
  readonly warnings: readonly Diagnostic[];
  /** Each placeholder in `text` (in order of first appearance) and the value it stands for. */
  readonly applyTimeValues: readonly { placeholder: string; value: ApplyTimeValue }[];
}

export const RENDER_HEADER =
  "Managed by harbor-mirror. Do not edit: changes are overwritten on the next deploy.";

/** Apply-time ids become part of a plain YAML scalar, so they are limited to this safe alphabet. */
const APPLY_TIME_ID = /^[a-z0-9_]+$/;
const STAND_IN_HOST = /^(?:[a-z0-9-]+[.])+invalid$/;

/**
 * The plain scalar standing for an apply-time value. The construct layer replaces it with
 * `jsonencode(<value>)`: a JSON string is a valid YAML double-quoted scalar whatever it contains.
 */
export function applyTimePlaceholder(id: string): string {
  return `__HARBOR_MIRROR_APPLY_TIME_${id}__`;
}

const AUTH_KEYS = ["username", "password", "auth", "identity_token"] as const;
const TLS_STRING_KEYS = ["ca_file", "cert_file", "key_file"] as const;

const TO_STRING_OPTIONS: ToStringOptions = {
  indent: 2,
  indentSeq: true,
  lineWidth: 0,
  minContentWidth: 0,
  // JSON escapes are a subset of YAML's double-quoted escapes; yaml.v2 reads them back exactly.
  doubleQuotedAsJSON: true,
};

export function renderRegistriesSpec(spec: RegistriesSpec): RenderedRegistries {
  return renderRegistriesFile(compileRegistriesSpec(spec), spec.applyTimeHosts, ruleNotesOf(spec));
}

/** Per registry, per compiled pattern: the rule the user wrote and its priority, shown as a comment. */
export type RuleNotes = Readonly<Record<string, Readonly<Record<string, string>>>>;

function ruleNotesOf(spec: RegistriesSpec): RuleNotes {
  return Object.fromEntries(
    spec.mirrors.map((mirror) => {
      const compiled = compileRuleList(mirror.rewrites, ["mirrors", mirror.registry, "rewrites"]);
      // A lone rule is written as it is: there is no priority to tell.
      const notes = compiled.flatMap(({ priority, rule, pattern }) => {
        if (pattern === undefined || compiled.length === 1) return [];
        const narrowed = pattern === rule.match ? "" : " (narrowed to what earlier rules leave)";
        const note = `rule ${priority + 1} of ${compiled.length}: ${rule.match} → ${ruleTarget(rule)}${narrowed}`;
        return [[pattern, note]];
      });
      return [mirror.registry, Object.fromEntries(notes)];
    }),
  );
}

/**
 * Throws ValidationError when the file has any validation error or a malformed apply-time value. The file
 * is validated with the stand-ins of `applyTimeHosts`; the text carries their placeholders.
 */
export function renderRegistriesFile(
  file: RegistriesFile,
  applyTimeHosts: readonly ApplyTimeHost[] = [],
  ruleNotes: RuleNotes = {},
): RenderedRegistries {
  const applyTime = new ApplyTimeValues(applyTimeHosts);
  const document = new Document();
  document.commentBefore = ` ${RENDER_HEADER}`;
  document.contents = fileNode(file, applyTime, ruleNotes);
  const diagnostics = [...validateRegistriesFile(file), ...applyTime.problems];
  if (errorsOf(diagnostics).length > 0) throw new ValidationError(diagnostics);
  return {
    text: escapeYaml11Breaks(document.toString(TO_STRING_OPTIONS)),
    file,
    warnings: warningsOf(diagnostics),
    applyTimeValues: applyTime.entries,
  };
}

/** The rendered text with placeholders replaced by the values' JSON-quoted display text (CLI, review). */
export function displayRendered(rendered: RenderedRegistries): string {
  return rendered.applyTimeValues.reduce(
    (text, { placeholder, value }) => text.split(placeholder).join(JSON.stringify(value.display)),
    rendered.text,
  );
}

/**
 * JSON leaves DEL, C1 controls, U+2028/2029 and non-characters raw, but yaml.v2 (YAML 1.1) rejects
 * them or reads NEL/LS/PS as line breaks inside a quoted scalar. Every such character in the output
 * is inside a double-quoted scalar (all strings are quoted, the header is ASCII), so a `\u` escape
 * there is exact.
 */
function escapeYaml11Breaks(text: string): string {
  return text.replace(
    /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

class ApplyTimeValues {
  readonly entries: { placeholder: string; value: ApplyTimeValue }[] = [];
  readonly problems: Diagnostic[] = [];

  constructor(private readonly hosts: readonly ApplyTimeHost[]) {
    // A real host as stand-in would have its own endpoints and configs replaced too.
    for (const host of hosts.filter((candidate) => !STAND_IN_HOST.test(candidate.standIn))) {
      this.problem(
        "render-stand-in-host",
        `applyTimeHosts.${JSON.stringify(host.standIn)}`,
        `stand-in host ${JSON.stringify(host.standIn)} must be a lower-case name under .invalid (RFC 2606), e.g. harbor.apply-time.invalid`,
      );
    }
  }

  /** An endpoint, or the placeholder of the apply-time URL it stands in for. */
  endpointNode(path: string, endpoint: string): Scalar {
    const host = this.hosts.find((candidate) => standInEndpoint(candidate) === endpoint);
    return host ? this.placeholderFor(path, host.url) : quoted(endpoint);
  }

  /** A configs key, or the placeholder of the apply-time host it stands in for. */
  configsKeyNode(path: string, key: string): Scalar {
    const host = this.hosts.find((candidate) => candidate.standIn === key);
    return host ? this.placeholderFor(path, host.host) : quoted(key);
  }

  placeholderFor(path: string, value: ApplyTimeValue): Scalar {
    const placeholder = applyTimePlaceholder(value.id);
    const known = this.entries.find((entry) => entry.placeholder === placeholder);
    if (!APPLY_TIME_ID.test(value.id)) {
      this.problem(
        "render-apply-time-id",
        path,
        `apply-time value id ${JSON.stringify(value.id)} must match [a-z0-9_]+`,
      );
    } else if (known && known.value.display !== value.display) {
      this.problem(
        "render-apply-time-id-reused",
        path,
        `apply-time value id ${JSON.stringify(value.id)} is used for two different values`,
      );
    } else if (!known) {
      this.entries.push({ placeholder, value });
    }
    const scalar = new Scalar(placeholder);
    scalar.type = Scalar.PLAIN;
    return scalar;
  }

  private problem(code: string, path: string, message: string): void {
    this.problems.push({ severity: "error", code, path, message });
  }
}

function fileNode(file: RegistriesFile, applyTime: ApplyTimeValues, ruleNotes: RuleNotes): YAMLMap {
  return mapNode([
    [
      "mirrors",
      file.mirrors &&
        recordNode(file.mirrors, (mirror, key) =>
          mirrorNode(mirror, entryPath("mirrors", key), applyTime, ruleNotes[key]),
        ),
    ],
    [
      "configs",
      file.configs &&
        recordNode(
          file.configs,
          (config, key) => configNode(config, entryPath("configs", key), applyTime),
          (key) => applyTime.configsKeyNode(entryPath("configs", key), key),
        ),
    ],
  ]);
}

/** A pattern key with the user's rule as a comment above it (a comment never changes what RKE2 reads). */
function notedKey(pattern: string, notes: Readonly<Record<string, string>>): Scalar {
  const key = quoted(pattern);
  const note = notes[pattern];
  if (note !== undefined) key.commentBefore = ` ${note}`;
  return key;
}

function mirrorNode(
  mirror: Mirror | null,
  path: string,
  applyTime: ApplyTimeValues,
  notes: Readonly<Record<string, string>> = {},
): Node | null {
  if (mirror === null) return null;
  const endpointPath = fieldPath(path, "endpoint");
  return mapNode([
    [
      "endpoint",
      mirror.endpoint &&
        sequenceNode(mirror.endpoint, (endpoint, index) =>
          applyTime.endpointNode(indexPath(endpointPath, index), endpoint),
        ),
    ],
    ["rewrite", mirror.rewrite && recordNode(mirror.rewrite, quoted, (pattern) => notedKey(pattern, notes))],
  ]);
}

function configNode(config: RegistryConfig | null, path: string, applyTime: ApplyTimeValues): Node | null {
  if (config === null) return null;
  return mapNode([
    ["auth", config.auth && authNode(config.auth, fieldPath(path, "auth"), applyTime)],
    ["tls", config.tls && tlsNode(config.tls)],
  ]);
}

function authNode(auth: RegistryAuth, path: string, applyTime: ApplyTimeValues): YAMLMap {
  return mapNode(
    AUTH_KEYS.map((key) => [
      key,
      auth[key] === undefined ? undefined : stringNode(auth[key], fieldPath(path, key), applyTime),
    ]),
  );
}

function tlsNode(tls: RegistryTls): YAMLMap {
  const skipVerify = tls.insecure_skip_verify;
  return mapNode([
    ...TLS_STRING_KEYS.map((key): [string, Node | undefined] => [
      key,
      tls[key] === undefined ? undefined : quoted(tls[key]),
    ]),
    ["insecure_skip_verify", skipVerify === undefined ? undefined : new Scalar(skipVerify)],
  ]);
}

function stringNode(value: RegistryString, path: string, applyTime: ApplyTimeValues): Scalar {
  return isApplyTimeValue(value) ? applyTime.placeholderFor(path, value) : quoted(value);
}

/** A mapping with user-chosen keys, sorted so that input order never changes the output. */
function recordNode<T>(
  record: Readonly<Record<string, T>>,
  valueNode: (value: T, key: string) => Node | null,
  keyNode: (key: string) => Scalar = quoted,
): YAMLMap {
  const keys = Object.keys(record).sort();
  return mapNode(keys.map((key) => [keyNode(key), valueNode(record[key], key)]));
}

/** A mapping in the given key order; `undefined` values are left out, `null` renders as null. */
function mapNode(entries: readonly (readonly [string | Scalar, Node | null | undefined])[]): YAMLMap {
  const map = new YAMLMap();
  for (const [key, value] of entries) {
    const keyScalar = typeof key === "string" ? quoted(key) : key;
    // An explicit null scalar: a bare null pair value can render as a `? key` complex key.
    if (value !== undefined) map.items.push(new Pair(keyScalar, value ?? new Scalar(null)));
  }
  return map;
}

/** Endpoint order is meaningful (containerd tries them in order): kept as given. */
function sequenceNode(items: readonly string[], itemNode: (item: string, index: number) => Scalar): YAMLSeq {
  const sequence = new YAMLSeq();
  sequence.items.push(...items.map(itemNode));
  return sequence;
}

function quoted(text: string): Scalar {
  const scalar = new Scalar(text);
  scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}
