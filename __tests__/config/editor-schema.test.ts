/**
 * The editor schema works in a real editor backend: the `yaml-language-server` npm package (the
 * server behind VS Code's YAML extension and most other editors), driven over LSP on stdio as an
 * editor does, reads the example's modeline, reports nothing on the example and flags an unknown
 * key and a wrong enum value in a damaged copy, on the right lines.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { EDITOR_SCHEMA_PATH } from "../../scripts/gen-config-docs";

const EXAMPLE = join(__dirname, "..", "..", "harbor-mirror.yaml");

interface LspDiagnostic {
  readonly message: string;
  readonly range: { readonly start: { readonly line: number } };
}

interface Message {
  readonly id?: number;
  readonly method?: string;
  readonly params?: {
    readonly uri?: string;
    readonly diagnostics?: LspDiagnostic[];
    readonly items?: unknown[];
  };
}

/** A minimal LSP client: Content-Length framing, answers to the server's requests, diagnostics by URI. */
class LanguageClient {
  private readonly server: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly waiting = new Map<number, (message: Message) => void>();
  private readonly diagnostics = new Map<string, LspDiagnostic[][]>();

  constructor() {
    const bin = require.resolve("yaml-language-server/bin/yaml-language-server");
    this.server = spawn(process.execPath, [bin, "--stdio"]);
    this.server.stdout.on("data", (chunk: Buffer) => this.receive(chunk));
  }

  async initialize(root: string): Promise<void> {
    await this.request("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(root).href,
      capabilities: { workspace: { configuration: true } },
    });
    this.notify("initialized", {});
    this.notify("workspace/didChangeConfiguration", { settings: { yaml: YAML_SETTINGS } });
  }

  open(file: string, text: string): string {
    const uri = pathToFileURL(file).href;
    this.notify("textDocument/didOpen", { textDocument: { uri, languageId: "yaml", version: 1, text } });
    return uri;
  }

  /** The last diagnostics published for `uri` once the server has been quiet for a while. */
  async settledDiagnostics(uri: string, quietMs = 1500, timeoutMs = 30000): Promise<LspDiagnostic[]> {
    const started = Date.now();
    let seen = -1;
    let quietSince = Date.now();
    for (;;) {
      const published = this.diagnostics.get(uri) ?? [];
      if (published.length !== seen) {
        seen = published.length;
        quietSince = Date.now();
      } else if (seen > 0 && Date.now() - quietSince >= quietMs) {
        return published[published.length - 1];
      }
      if (Date.now() - started > timeoutMs)
        throw new Error(`no diagnostics for ${uri} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    await this.request("shutdown", null);
    this.notify("exit", null);
    this.server.kill();
  }

  private request(method: string, params: unknown): Promise<Message> {
    const id = this.nextId++;
    this.send({ jsonrpc: "2.0", id, method, params });
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  private notify(method: string, params: unknown): void {
    this.send({ jsonrpc: "2.0", method, params });
  }

  private send(message: object): void {
    const body = Buffer.from(JSON.stringify(message), "utf8");
    this.server.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.server.stdin.write(body);
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const length = Number(
        /Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString())?.[1],
      );
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.handle(JSON.parse(body) as Message);
    }
  }

  private handle(message: Message): void {
    if (message.method === undefined && message.id !== undefined) {
      this.waiting.get(message.id)?.(message);
      this.waiting.delete(message.id);
    } else if (message.method === "textDocument/publishDiagnostics" && message.params?.uri) {
      const list = this.diagnostics.get(message.params.uri) ?? [];
      list.push(message.params.diagnostics ?? []);
      this.diagnostics.set(message.params.uri, list);
    } else if (message.id !== undefined) {
      // A request from the server: settings for `workspace/configuration`, an empty answer otherwise.
      const result =
        message.method === "workspace/configuration"
          ? (message.params?.items ?? []).map(() => YAML_SETTINGS)
          : null;
      this.send({ jsonrpc: "2.0", id: message.id, result });
    }
  }
}

/** Validation on; no schema store (it would be fetched from the network). */
const YAML_SETTINGS = { validate: true, hover: true, completion: true, schemaStore: { enable: false } };

let client: LanguageClient;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "harbor-mirror-editor-"));
  client = new LanguageClient();
  await client.initialize(dir);
}, 60000);
afterAll(async () => {
  await client.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("yaml-language-server with harbor-mirror.schema.json", () => {
  it("reports no problem on the example harbor-mirror.yaml", async () => {
    const uri = client.open(EXAMPLE, readFileSync(EXAMPLE, "utf8"));
    expect(await client.settledDiagnostics(uri)).toEqual([]);
  }, 60000);

  it("follows the example's relative modeline (the same text plus one unknown key is flagged)", async () => {
    copyFileSync(EDITOR_SCHEMA_PATH, join(dir, "harbor-mirror.schema.json"));
    const file = join(dir, "copy.yaml");
    const text = `${readFileSync(EXAMPLE, "utf8")}bogus: 1\n`;
    const diagnostics = await client.settledDiagnostics(client.open(file, text));
    expect(diagnostics.map((diagnostic) => diagnostic.message)).toEqual([expect.stringContaining("bogus")]);
  }, 60000);

  it("flags an unknown key and a wrong enum value, each on its line", async () => {
    const modeline = `# yaml-language-server: $schema=${pathToFileURL(EDITOR_SCHEMA_PATH).href}`;
    const lines = [
      modeline,
      "version: 1",
      "harbor:",
      "  url: https://harbor.example.com",
      "  insecureAPI: true",
      "access: private",
      "upstreams:",
      "  - registry: docker.io",
    ];
    const file = join(dir, "harbor-mirror.yaml");
    writeFileSync(file, lines.join("\n"));
    const diagnostics = await client.settledDiagnostics(client.open(file, `${lines.join("\n")}\n`));
    const at = (line: number) => diagnostics.filter((diagnostic) => diagnostic.range.start.line === line);
    expect(at(4).map((diagnostic) => diagnostic.message)).toEqual([expect.stringContaining("insecureAPI")]);
    expect(at(5).map((diagnostic) => diagnostic.message)).toEqual([expect.stringMatching(/public.*robot/)]);
    expect(diagnostics).toHaveLength(2);
  }, 60000);
});
