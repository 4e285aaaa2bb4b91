/**
 * Replays what `terraform apply` does with the `null_resource`s of a synthesized stack, because
 * no Terraform provider can be downloaded here: templates are evaluated (only the expressions
 * harbor-mirror generates; anything else fails loudly), resources run in `depends_on` order,
 * in parallel where nothing orders them, and provisioners run in order over real SSH, stopping
 * at the first failure, which fails the resource and skips its dependents.
 *
 * Provisioner semantics replayed (Terraform 1.x):
 * - `file` with `content`: the string is written to `destination` on the node.
 * - `remote-exec` with `inline`: the lines joined with "\n" (plus a final "\n") form one script;
 *   the SSH communicator prepends `#!/bin/sh` when there is no shebang, uploads it to
 *   `/tmp/terraform_<random>.sh`, makes it executable and runs it.
 */
import { ChildProcess, spawn } from "node:child_process";
import { createHash, randomInt } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Json = Record<string, unknown>;

/** The synthesized stack (cdk.tf.json) as parsed JSON. */
export interface StackJson {
  readonly locals?: Record<string, unknown>;
  readonly variable?: Record<string, { default?: unknown }>;
  readonly resource?: Record<string, Record<string, Json>>;
}

export class UnsupportedExpressionError extends Error {}

/**
 * Evaluates Terraform string templates against the stack's locals, the given variables and the
 * given resource attributes (values a provider would return at apply time, e.g.
 * `harbor_robot_account.<name>.secret`, keyed by that reference).
 */
export class TemplateEvaluator {
  constructor(
    private readonly stack: StackJson,
    private readonly variables: Readonly<Record<string, string>>,
    private readonly attributes: Readonly<Record<string, string>> = {},
  ) {}

  evaluate(template: string): string {
    let out = "";
    let at = 0;
    while (at < template.length) {
      if (template.startsWith("$${", at) || template.startsWith("%%{", at)) {
        out += template[at] + "{";
        at += 3;
      } else if (template.startsWith("${", at)) {
        const end = closingBrace(template, at + 2);
        out += this.expression(template.slice(at + 2, end).trim());
        at = end + 1;
      } else if (template.startsWith("%{", at)) {
        throw new UnsupportedExpressionError(
          `template directive at ${JSON.stringify(template.slice(at, at + 30))}`,
        );
      } else {
        out += template[at];
        at += 1;
      }
    }
    return out;
  }

  private expression(expression: string): string {
    const local = /^local\.([A-Za-z0-9_-]+)$/.exec(expression);
    if (local) return this.evaluate(this.stringAt(this.stack.locals, local[1], expression));
    const variable = /^var\.([A-Za-z0-9_-]+)$/.exec(expression);
    if (variable) return this.variable(variable[1]);
    if (expression in this.attributes) return this.attributes[expression];
    const call = /^([a-z0-9]+)\((.*)\)$/s.exec(expression);
    if (call) return this.call(call[1], splitArguments(call[2]));
    // A quoted string is itself a template; escapes inside it are not generated, so not supported.
    const quoted = /^"([^"\\]*)"$/.exec(expression);
    if (quoted) return this.evaluate(quoted[1]);
    throw new UnsupportedExpressionError(
      `the replay does not know the expression ${JSON.stringify(expression)}`,
    );
  }

  /** The functions harbor-mirror generates, with Terraform's semantics for string arguments. */
  private call(name: string, argumentExpressions: readonly string[]): string {
    const args = argumentExpressions.map((argument) => this.expression(argument));
    if (name === "sha256" && args.length === 1)
      return createHash("sha256").update(args[0], "utf8").digest("hex");
    if (name === "jsonencode" && args.length === 1) return terraformJsonEncode(args[0]);
    if (name === "replace" && args.length === 3) return replaceLiteral(args[0], args[1], args[2]);
    // Sensitivity marks change what Terraform prints, never the value.
    if ((name === "sensitive" || name === "nonsensitive") && args.length === 1) return args[0];
    throw new UnsupportedExpressionError(
      `the replay does not know the function call ${name}(${argumentExpressions.join(", ")})`,
    );
  }

  private variable(name: string): string {
    if (name in this.variables) return this.variables[name];
    const fallback = this.stack.variable?.[name]?.default;
    if (typeof fallback === "string") return fallback;
    throw new UnsupportedExpressionError(`variable ${name} has no value (pass it to the replay)`);
  }

  private stringAt(table: Record<string, unknown> | undefined, name: string, expression: string): string {
    const value = table?.[name];
    if (typeof value !== "string")
      throw new UnsupportedExpressionError(`${expression} is not a string in the stack`);
    return value;
  }
}

/** Splits a call's argument list at the commas outside quotes and parentheses. */
function splitArguments(list: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let inQuotes = false;
  let start = 0;
  for (let at = 0; at < list.length; at++) {
    const char = list[at];
    if (char === '"') inQuotes = !inQuotes;
    else if (!inQuotes && char === "(") depth += 1;
    else if (!inQuotes && char === ")") depth -= 1;
    else if (!inQuotes && depth === 0 && char === ",") {
      args.push(list.slice(start, at).trim());
      start = at + 1;
    }
  }
  return [...args, list.slice(start).trim()];
}

/**
 * Terraform's `jsonencode` of a string: JSON with Go's escaping, which (unlike JSON.stringify)
 * also writes `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes.
 */
export function terraformJsonEncode(value: string): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Terraform's `replace` with a literal substring (a `/…/` substring would be a regex: not generated). */
function replaceLiteral(subject: string, search: string, replacement: string): string {
  if (search.length > 1 && search.startsWith("/") && search.endsWith("/"))
    throw new UnsupportedExpressionError(`replace with a regular expression ${search}`);
  return subject.split(search).join(replacement);
}

function closingBrace(template: string, from: number): number {
  let inQuotes = false;
  for (let at = from; at < template.length; at++) {
    if (template[at] === '"') inQuotes = !inQuotes;
    if (template[at] === "}" && !inQuotes) return at;
  }
  throw new UnsupportedExpressionError(
    `unterminated interpolation in ${JSON.stringify(template.slice(from - 2))}`,
  );
}

export type Provisioner =
  | { readonly type: "file"; readonly content: string; readonly destination: string }
  | { readonly type: "remote-exec"; readonly inline: readonly string[] };

/** An SSH connection block, evaluated. */
export interface SshConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly privateKey: string;
  readonly hostKey?: string;
  readonly bastion?: { readonly host: string; readonly port: number; readonly user: string };
}

export interface NullResource {
  readonly address: string;
  readonly dependsOn: readonly string[];
  readonly triggers: Readonly<Record<string, string>>;
  readonly connection: SshConnection;
  readonly provisioners: readonly Provisioner[];
}

const CONNECTION_KEYS = new Set([
  "type",
  "host",
  "port",
  "user",
  "private_key",
  "host_key",
  "bastion_host",
  "bastion_port",
  "bastion_user",
]);

/** The stack's null_resources with every template evaluated; unknown settings fail loudly. */
export function nullResourcesOf(stack: StackJson, evaluator: TemplateEvaluator): NullResource[] {
  const resources = stack.resource ?? {};
  const unsupported = Object.keys(resources).filter((type) => type !== "null_resource");
  if (unsupported.length > 0)
    throw new UnsupportedExpressionError(`resource types ${unsupported.join(", ")}`);
  return Object.entries(resources.null_resource ?? {}).map(([name, body]) => {
    const dependsOn = (body.depends_on as string[] | undefined) ?? [];
    for (const dependency of dependsOn) {
      if (!dependency.startsWith("null_resource."))
        throw new UnsupportedExpressionError(`depends_on ${dependency}`);
    }
    return {
      address: `null_resource.${name}`,
      dependsOn,
      triggers: mapValues((body.triggers as Record<string, string>) ?? {}, (value) =>
        evaluator.evaluate(value),
      ),
      connection: connectionOf(body.connection as Json, evaluator),
      provisioners: ((body.provisioner as Json[]) ?? []).map((entry) => provisionerOf(entry, evaluator)),
    };
  });
}

function connectionOf(block: Json, evaluator: TemplateEvaluator): SshConnection {
  const unknown = Object.keys(block).filter((key) => !CONNECTION_KEYS.has(key));
  if (unknown.length > 0 || block.type !== "ssh") {
    throw new UnsupportedExpressionError(
      `connection settings ${[...unknown, `type=${block.type}`].join(", ")}`,
    );
  }
  const text = (key: string) =>
    block[key] === undefined ? undefined : evaluator.evaluate(String(block[key]));
  const port = Number(text("port") ?? 22);
  const user = text("user") ?? "root";
  const bastionHost = text("bastion_host");
  return {
    host: text("host")!,
    port,
    user,
    privateKey: text("private_key")!,
    hostKey: text("host_key"),
    bastion: bastionHost
      ? { host: bastionHost, port: Number(text("bastion_port") ?? port), user: text("bastion_user") ?? user }
      : undefined,
  };
}

function provisionerOf(entry: Json, evaluator: TemplateEvaluator): Provisioner {
  const [[type, body]] = Object.entries(entry) as [string, Json][];
  const keys = Object.keys(body).sort().join(",");
  if (type === "file" && keys === "content,destination") {
    return {
      type,
      content: evaluator.evaluate(body.content as string),
      destination: evaluator.evaluate(body.destination as string),
    };
  }
  if (type === "remote-exec" && keys === "inline") {
    return { type, inline: (body.inline as string[]).map((line) => evaluator.evaluate(line)) };
  }
  throw new UnsupportedExpressionError(`provisioner ${type} with ${keys}`);
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}

/** Runs a command on the node over SSH the way the connection block says. */
export class SshClient {
  private readonly workDir = mkdtempSync(join(tmpdir(), "hm-replay-ssh-"));
  private readonly keyFile = join(this.workDir, "key");
  private readonly knownHosts = join(this.workDir, "known_hosts");

  constructor(private readonly connection: SshConnection) {
    writeFileSync(
      this.keyFile,
      connection.privateKey.endsWith("\n") ? connection.privateKey : `${connection.privateKey}\n`,
      {
        mode: 0o600,
      },
    );
    // Terraform verifies the host key only when `host_key` is set.
    if (connection.hostKey)
      writeFileSync(this.knownHosts, `[${connection.host}]:${connection.port} ${connection.hostKey}\n`);
  }

  /** Removes the key file: even a test key does not stay behind in /tmp. */
  close(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }

  spawn(remoteCommand: string): ChildProcess {
    return spawn(
      "ssh",
      [
        ...this.options(),
        "-p",
        String(this.connection.port),
        `${this.connection.user}@${this.connection.host}`,
        remoteCommand,
      ],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
  }

  /** Resolves with the exit status and output; stdin gets `input`. */
  run(remoteCommand: string, input: string | Buffer = ""): Promise<{ status: number; output: string }> {
    const child = this.spawn(remoteCommand);
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    child.stdin!.end(input);
    return new Promise((resolve) =>
      child.on("close", (status) => resolve({ status: status ?? 255, output })),
    );
  }

  private options(): string[] {
    const common = [
      "-i",
      this.keyFile,
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=5",
      "-o",
      "LogLevel=ERROR",
    ];
    const hostKeyCheck = this.connection.hostKey
      ? ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${this.knownHosts}`]
      : ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"];
    const bastion = this.connection.bastion;
    // Terraform's bastion: SSH to the bastion, then a direct-tcpip channel to the node (ssh -W).
    const jump = bastion
      ? [
          "-o",
          `ProxyCommand=ssh -i ${this.keyFile} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p ${bastion.port} -W %h:%p ${bastion.user}@${bastion.host}`,
        ]
      : [];
    return [...common, ...hostKeyCheck, ...jump];
  }
}

export interface ReplayResult {
  readonly status: "created" | "failed" | "skipped";
  readonly log: string;
  /** Order in which resources started and finished, across the whole replay (1, 2, …). */
  readonly started?: number;
  readonly finished?: number;
}

/** Quotes for the remote login shell; destinations are plain paths but may come from a template. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

async function runProvisioner(
  client: SshClient,
  provisioner: Provisioner,
): Promise<{ status: number; output: string }> {
  if (provisioner.type === "file") {
    return client.run(`cat > ${quote(provisioner.destination)}`, Buffer.from(provisioner.content, "utf8"));
  }
  const body = provisioner.inline.join("\n") + "\n";
  const script = body.startsWith("#!") ? body : `#!/bin/sh\n${body}`;
  const path = `/tmp/terraform_${randomInt(1e9)}.sh`;
  return client.run(
    `cat > ${path} && chmod 0777 ${path} && ${path}; status=$?; rm -f ${path}; exit $status`,
    script,
  );
}

/**
 * Replays `terraform apply` of every null_resource in `stack`; see the module comment. Values
 * other resources would have at apply time go in `attributes` (see TemplateEvaluator).
 */
export async function replayApply(
  stack: StackJson,
  variables: Readonly<Record<string, string>>,
  attributes: Readonly<Record<string, string>> = {},
): Promise<Map<string, ReplayResult>> {
  const resources = nullResourcesOf(stack, new TemplateEvaluator(stack, variables, attributes));
  const byAddress = new Map(resources.map((resource) => [resource.address, resource]));
  const runs = new Map<string, Promise<ReplayResult>>();
  let sequence = 0;

  const apply = (address: string): Promise<ReplayResult> => {
    const existing = runs.get(address);
    if (existing) return existing;
    const resource = byAddress.get(address);
    if (!resource) throw new UnsupportedExpressionError(`depends_on names unknown resource ${address}`);
    const run = (async (): Promise<ReplayResult> => {
      const dependencies = await Promise.all(resource.dependsOn.map(apply));
      if (dependencies.some((result) => result.status !== "created")) {
        return { status: "skipped", log: "a dependency failed" };
      }
      const started = ++sequence;
      const client = new SshClient(resource.connection);
      let log = "";
      try {
        for (const provisioner of resource.provisioners) {
          const result = await runProvisioner(client, provisioner);
          log += result.output;
          if (result.status !== 0) return { status: "failed", log, started, finished: ++sequence };
        }
        return { status: "created", log, started, finished: ++sequence };
      } finally {
        client.close();
      }
    })();
    runs.set(address, run);
    return run;
  };

  await Promise.all(resources.map((resource) => apply(resource.address)));
  return new Map(await Promise.all([...runs].map(async ([address, run]) => [address, await run] as const)));
}
