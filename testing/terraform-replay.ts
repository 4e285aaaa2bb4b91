/**
 * Replays what `terraform apply` does with the `null_resource`s of a synthesized stack, because
 * no Terraform provider can be downloaded here: templates are evaluated (only the expressions
 * harbor-mirror generates; anything else fails loudly), resources run in `depends_on` order,
 * in parallel where nothing orders them, and provisioners run in order over real SSH, stopping
 * at the first failure, which fails the resource and skips its dependents.
 *
 * Provisioner semantics replayed (Terraform 1.x):
 * - `for_each` over an object literal: one instance per key, `each.key` / `each.value.<x>` known in
 *   its templates; `depends_on` names resources, so an instance waits for all their instances.
 * - `file` with `content`: the string is written to `destination` on the node.
 * - `remote-exec` with `inline`: the lines joined with "\n" (plus a final "\n") form one script;
 *   the SSH communicator prepends `#!/bin/sh` when there is no shebang, uploads it to the
 *   connection's `script_path` (default `/tmp/terraform_%RAND%.sh`), makes it executable and runs
 *   it. A provisioner's own `connection` block replaces the resource's.
 */
import { ChildProcess, spawn } from "node:child_process";
import { createHash, randomInt } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forEachMapOf } from "../review/terraform-json";

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
    private readonly each?: { readonly key: string; readonly value: Readonly<Record<string, unknown>> },
  ) {}

  /** The evaluator inside one `for_each` instance: `each.key` and `each.value.<attribute>` known. */
  forInstance(key: string, value: Readonly<Record<string, unknown>>): TemplateEvaluator {
    return new TemplateEvaluator(this.stack, this.variables, this.attributes, { key, value });
  }

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
    const each = /^each\.(key|value\.([A-Za-z0-9_]+))$/.exec(expression);
    if (each) return this.eachValue(each[2], expression);
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
    if (name === "join" && argumentExpressions.length === 2) return this.join(argumentExpressions);
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

  /** `join(separator, [a, b, …])`, the one list expression generated (a keyed digest's input). */
  private join([separator, list]: readonly string[]): string {
    const items = /^\[(.*)\]$/s.exec(list);
    if (!items) throw new UnsupportedExpressionError(`join over ${list}`);
    return splitArguments(items[1])
      .map((item) => this.expression(item))
      .join(this.expression(separator));
  }

  private eachValue(attribute: string | undefined, expression: string): string {
    if (!this.each) throw new UnsupportedExpressionError(`${expression} outside a for_each resource`);
    if (attribute === undefined) return this.each.key;
    const value = this.each.value[attribute];
    if (typeof value !== "string" && typeof value !== "number")
      throw new UnsupportedExpressionError(`${expression} is not a string or number in the for_each map`);
    return this.evaluate(String(value));
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
    else if (!inQuotes && (char === "(" || char === "[")) depth += 1;
    else if (!inQuotes && (char === ")" || char === "]")) depth -= 1;
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
  | {
      readonly type: "remote-exec";
      readonly inline: readonly string[];
      /** The provisioner's own connection block, when it has one (it replaces the resource's). */
      readonly connection?: SshConnection;
    };

/** An SSH connection block, evaluated. */
export interface SshConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly privateKey: string;
  readonly hostKey?: string;
  readonly bastion?: { readonly host: string; readonly port: number; readonly user: string };
  /** Where remote-exec uploads its script; `%RAND%` stands for a random number. */
  readonly scriptPath?: string;
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
  "script_path",
]);

/**
 * The stack's null_resource instances with every template evaluated; unknown settings fail loudly.
 * A resource with `for_each` (an object) has one instance per key, `null_resource.<name>["<key>"]`;
 * `depends_on` names resources, so an instance waits for every instance of each one it names.
 */
export function nullResourcesOf(stack: StackJson, evaluator: TemplateEvaluator): NullResource[] {
  const resources = stack.resource ?? {};
  const unsupported = Object.keys(resources).filter((type) => type !== "null_resource");
  if (unsupported.length > 0)
    throw new UnsupportedExpressionError(`resource types ${unsupported.join(", ")}`);
  const bodies = resources.null_resource ?? {};
  const instancesOf = (name: string): { address: string; each?: [string, Json] }[] => {
    if (bodies[name]?.for_each === undefined) return [{ address: `null_resource.${name}` }];
    const forEach = forEachMapOf(bodies[name], stack.locals ?? {});
    if (forEach === undefined)
      throw new UnsupportedExpressionError(
        `for_each of ${name} is neither an object literal nor a local holding one`,
      );
    return Object.entries(forEach).map((each) => ({
      address: `null_resource.${name}[${JSON.stringify(each[0])}]`,
      each,
    }));
  };
  return Object.entries(bodies).flatMap(([name, body]) => {
    const dependsOn = ((body.depends_on as string[] | undefined) ?? []).flatMap((dependency) => {
      const target = /^null_resource\.(.+)$/.exec(dependency)?.[1];
      if (target === undefined || !(target in bodies))
        throw new UnsupportedExpressionError(`depends_on ${dependency}`);
      return instancesOf(target).map((instance) => instance.address);
    });
    return instancesOf(name).map(({ address, each }) => {
      const scoped = each ? evaluator.forInstance(each[0], each[1]) : evaluator;
      return {
        address,
        dependsOn,
        triggers: mapValues((body.triggers as Record<string, string>) ?? {}, (value) =>
          scoped.evaluate(value),
        ),
        connection: connectionOf(body.connection as Json, scoped),
        provisioners: ((body.provisioner as Json[]) ?? []).map((entry) => provisionerOf(entry, scoped)),
      };
    });
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
    scriptPath: text("script_path"),
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
  if (type === "remote-exec" && (keys === "inline" || keys === "connection,inline")) {
    return {
      type,
      inline: (body.inline as string[]).map((line) => evaluator.evaluate(line)),
      connection: body.connection ? connectionOf(body.connection as Json, evaluator) : undefined,
    };
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
  resourceConnection: SshConnection,
): Promise<{ status: number; output: string }> {
  if (provisioner.type === "file") {
    return client.run(`cat > ${quote(provisioner.destination)}`, Buffer.from(provisioner.content, "utf8"));
  }
  const connection = provisioner.connection ?? resourceConnection;
  const own = provisioner.connection ? new SshClient(connection) : client;
  try {
    const body = provisioner.inline.join("\n") + "\n";
    const script = body.startsWith("#!") ? body : `#!/bin/sh\n${body}`;
    const path = quote(
      (connection.scriptPath ?? "/tmp/terraform_%RAND%.sh").replace(/%RAND%/g, String(randomInt(1e9))),
    );
    return await own.run(
      `cat > ${path} && chmod 0777 ${path} && ${path}; status=$?; rm -f ${path}; exit $status`,
      script,
    );
  } finally {
    if (own !== client) own.close();
  }
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
          const result = await runProvisioner(client, provisioner, resource.connection);
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
