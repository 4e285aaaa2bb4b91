/**
 * The state backend's settings as the configuration passes them to cdktf: only the keys cdktf's
 * backend accepts (a typo would otherwise be dropped or fail late in `terraform init`), and no
 * credential anywhere in them, however deep — in a nested mapping, a list, a URL's user info or
 * query, or a `key=value` connection string — since the backend block is written in plain text to
 * cdk.tf.json. Backend values are not Terraform templates (Terraform reads them literally), so they
 * are written as they are.
 */
import { nearestWord } from "../registries/diagnostics";

/** A key's value: any scalar or list (`value`), a free mapping (`map`, e.g. tags), or known nested keys. */
type KeyTree = { readonly [key: string]: "value" | "map" | KeyTree };

const S3_ENDPOINTS: KeyTree = { dynamodb: "value", iam: "value", s3: "value", sso: "value", sts: "value" };
const S3_ASSUME_ROLE: KeyTree = {
  roleArn: "value",
  duration: "value",
  externalId: "value",
  policy: "value",
  policyArns: "value",
  sessionName: "value",
  sourceIdentity: "value",
  tags: "map",
  transitiveTagKeys: "value",
};
const S3_WEB_IDENTITY: KeyTree = {
  roleArn: "value",
  duration: "value",
  policy: "value",
  policyArns: "value",
  sessionName: "value",
  webIdentityToken: "value",
  webIdentityTokenFile: "value",
};

const values = (...keys: string[]): KeyTree => Object.fromEntries(keys.map((key) => [key, "value"]));

/** cdktf 0.21's `LocalBackendConfig`, `S3BackendConfig`, `PgBackendConfig` and `RemoteBackendConfig`. */
export const BACKEND_KEYS: Readonly<Record<string, KeyTree>> = {
  local: values("path", "workspaceDir"),
  pg: values("connStr", "schemaName", "skipSchemaCreation", "skipTableCreation", "skipIndexCreation"),
  remote: { ...values("hostname", "organization", "token"), workspaces: values("name", "prefix") },
  s3: {
    ...values(
      "bucket",
      "key",
      "region",
      "endpoint",
      "encrypt",
      "acl",
      "accessKey",
      "secretKey",
      "kmsKeyId",
      "dynamodbTable",
      "profile",
      "sharedCredentialsFile",
      "sharedCredentialsFiles",
      "sharedConfigFiles",
      "token",
      "roleArn",
      "assumeRolePolicy",
      "assumeRolePolicyArns",
      "assumeRoleTransitiveTagKeys",
      "externalId",
      "sessionName",
      "workspaceKeyPrefix",
      "dynamodbEndpoint",
      "iamEndpoint",
      "stsEndpoint",
      "stsRegion",
      "forcePathStyle",
      "usePathStyle",
      "skipCredentialsValidation",
      "skipRegionValidation",
      "skipRequestingAccountId",
      "skipMetadataApiCheck",
      "sseCustomerKey",
      "maxRetries",
      "useLegacyWorkflow",
      "allowedAccountIds",
      "forbiddenAccountIds",
      "customCaBundle",
      "httpProxy",
      "httpsProxy",
      "noProxy",
      "insecure",
      "retryMode",
    ),
    assumeRoleTags: "map",
    endpoints: S3_ENDPOINTS,
    assumeRole: S3_ASSUME_ROLE,
    assumeRoleWithWebIdentity: S3_WEB_IDENTITY,
  },
};

export type BackendKeyPath = readonly (string | number)[];

export interface BackendProblem {
  readonly code: "backend-unknown-key" | "backend-credentials";
  /** Key path below `backend`. */
  readonly at: BackendKeyPath;
  readonly message: string;
}

/** Every unknown key and every value holding a credential in `options` of a backend of `type`. */
export function backendProblems(type: string, options: Readonly<Record<string, unknown>>): BackendProblem[] {
  const keys = BACKEND_KEYS[type];
  return keys === undefined ? [] : walk(options, keys, []);
}

function walk(value: unknown, keys: KeyTree | "value" | "map", at: BackendKeyPath): BackendProblem[] {
  if (typeof value === "string") {
    const credential = credentialInValue(value);
    return credential ? [{ code: "backend-credentials", at, message: credential }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => walk(item, keys, [...at, index]));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    if (keys === "value" || keys === "map") return walk(inner, keys, [...at, key]);
    const known = keys[key];
    if (known === undefined) {
      return [{ code: "backend-unknown-key", at: [...at, key], message: unknownKey(key, Object.keys(keys)) }];
    }
    return walk(inner, known, [...at, key]);
  });
}

function unknownKey(key: string, known: readonly string[]): string {
  const near = nearestWord(key, known);
  const hint = near ? `did you mean \`${near}\`? ` : "";
  return `unknown key \`${key}\` for this backend; ${hint}allowed: ${[...known].sort().join(", ")}`;
}

/** Parameter names that carry a secret in URLs and `key=value` connection strings. */
const SECRET_PARAMETER = /^(?:password|passwd|pwd|sslpassword|token|secret|access_?token|api_?key)$/i;

/**
 * Why `value` holds a credential, or undefined. Checks a URL's `user:password@` and its query, and
 * the `password=…` of a libpq `key=value` connection string; the value itself is never shown.
 */
export function credentialInValue(value: string): string | undefined {
  const advice =
    "(not shown), which would be written in plain text to cdk.tf.json; give them to the backend through its " +
    "environment variables instead (e.g. PG_CONN_STR, PGPASSWORD, AWS_*)";
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#@]*:[^/?#@]*@/i.test(value))
    return `holds credentials in its URL ${advice}`;
  const query = /^[a-z][a-z0-9+.-]*:\/\/[^?#]*\?([^#]*)/i.exec(value)?.[1];
  const parameters = query?.split("&").map((pair) => decodeURIComponentSafe(pair.split("=")[0])) ?? [];
  if (parameters.some((name) => SECRET_PARAMETER.test(name)))
    return `holds a credential in its URL's query ${advice}`;
  const pairs = [...value.matchAll(/(?:^|\s)([A-Za-z_]+)\s*=/g)].map((pair) => pair[1]);
  if (pairs.some((name) => SECRET_PARAMETER.test(name)))
    return `holds a credential in its connection string ${advice}`;
  return undefined;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
