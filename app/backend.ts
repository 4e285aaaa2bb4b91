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

export function configureBackend(stack: TerraformStack, stackName: string, backend: BackendSettings): void {
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
