/**
 * The state backend of the stack: local by default (a relative path, so synthesized files do not
 * depend on the clone's location), or one of cdktf's own backends for pipelines with locking.
 */
import {
  LocalBackend,
  NamedRemoteWorkspace,
  PgBackend,
  PgBackendConfig,
  PrefixedRemoteWorkspaces,
  RemoteBackend,
  S3Backend,
  S3BackendConfig,
  TerraformStack,
} from "cdktf";
import { backendProblems } from "../delivery/terraform-backend";
import { errorAt, throwIfErrors, type Diagnostic } from "../registries/diagnostics";

export type BackendType = "local" | "s3" | "pg" | "remote";

export interface BackendSettings {
  readonly type: BackendType;
  /** The remaining keys of the `backend:` section, passed to that backend as they are. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** Next to the project, seen from `cdktf.out/stacks/<stack>` where Terraform runs. */
function localStatePath(stackName: string): string {
  return `../../../terraform.${stackName}.tfstate`;
}

function remoteWorkspaces(options: Readonly<Record<string, unknown>>) {
  const workspaces = (options.workspaces ?? {}) as { name?: string; prefix?: string };
  return workspaces.prefix !== undefined
    ? new PrefixedRemoteWorkspaces(workspaces.prefix)
    : new NamedRemoteWorkspace(workspaces.name ?? "harbor-mirror");
}

/** Throws `ValidationError` (at `backend.<key>`) for an unknown key or an option that would put credentials in cdk.tf.json. */
export function configureBackend(stack: TerraformStack, stackName: string, backend: BackendSettings): void {
  throwIfErrors(credentialProblems(backend), stack.node.path);
  switch (backend.type) {
    case "local":
      new LocalBackend(stack, { path: localStatePath(stackName), ...backend.options });
      return;
    case "s3":
      new S3Backend(stack, backend.options as unknown as S3BackendConfig);
      return;
    case "pg":
      new PgBackend(stack, backend.options as unknown as PgBackendConfig);
      return;
    case "remote":
      new RemoteBackend(stack, {
        ...(backend.options as { organization: string }),
        workspaces: remoteWorkspaces(backend.options),
      });
      return;
  }
}

/** The cdktf backend's rules: known keys only, no credential anywhere in the options. */
function credentialProblems(backend: BackendSettings): Diagnostic[] {
  return backendProblems(backend.type, backend.options).map((problem) =>
    errorAt(problem.code, ["backend", ...problem.at], problem.message),
  );
}
