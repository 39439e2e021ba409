import type { Readable } from 'node:stream';
import { type ToolDefinition, toToolDefinitions } from '@bulwark/contracts';
import type { McpSurfaceItem, ServerIdentity } from '@bulwark/detectors';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { fallbackLabel, type ScanTarget } from './scan-target.js';

/** What one server offers, as listed over MCP. */
export interface ServerInventory {
  target: ScanTarget;
  /** Config key, else the server's `initialize` name, else a name derived from the target. */
  label: string;
  identity: ServerIdentity;
  transport: 'stdio' | 'streamable-http' | 'sse';
  tools: ToolDefinition[];
  /** The second `tools/list` answer (servers that change their tools after the first listing). */
  relisted: ToolDefinition[] | undefined;
  prompts: McpSurfaceItem[];
  resources: McpSurfaceItem[];
  /** A remote server that answered without credentials (none configured, or it ignored them). */
  unauthenticated: boolean;
  warnings: string[];
}

export type InventoryResult = { ok: true; inventory: ServerInventory } | { ok: false; reason: string };

/** Options of `collectInventory`. */
export interface InventoryOptions {
  /** Per request and for connecting. Default 30 000. */
  timeoutMillis?: number;
  /** List tools a second time to catch servers that change after the first listing. Default true. */
  relist?: boolean;
}

const MAX_PAGES = 100;
const AUTH_HEADER = /^(?:authorization|proxy-authorization|x-api-key|api-key|x-auth-token|cookie)$/i;

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.message;
  return String(err);
}

async function listAllTools(client: Client, timeout: number): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.listTools(cursor ? { cursor } : {}, { timeout });
    out.push(...(res.tools as Record<string, unknown>[]));
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  return out;
}

/** Connects one client over one transport; closes it on failure. */
async function connect(
  transport: Transport,
  timeout: number,
): Promise<{ client: Client } | { error: string }> {
  const client = new Client({ name: 'bulwark-scan', version: '0.1.0' }, { capabilities: {} });
  try {
    await client.connect(transport, { timeout });
    return { client };
  } catch (err) {
    await client.close().catch(() => undefined);
    return { error: errorText(err) };
  }
}

function httpTransport(
  kind: 'streamable-http' | 'sse',
  url: string,
  headers: Record<string, string>,
): Transport {
  const requestInit: RequestInit = { headers };
  return kind === 'sse'
    ? new SSEClientTransport(new URL(url), {
        requestInit,
        eventSourceInit: {
          fetch: (u, init) => fetch(u, { ...init, headers: { ...headers, ...(init?.headers ?? {}) } }),
        },
      })
    : new StreamableHTTPClientTransport(new URL(url), { requestInit });
}

/** Streamable HTTP first, then the older HTTP+SSE transport (unless the config fixed one). */
async function connectHttp(
  target: Extract<ScanTarget, { kind: 'http' }>,
  headers: Record<string, string>,
  timeout: number,
): Promise<{ client: Client; transport: 'streamable-http' | 'sse' } | { error: string }> {
  const order: ('streamable-http' | 'sse')[] =
    target.transport === 'auto' ? ['streamable-http', 'sse'] : [target.transport];
  const errors: string[] = [];
  for (const kind of order) {
    const res = await connect(httpTransport(kind, target.url, headers), timeout);
    if ('client' in res) return { client: res.client, transport: kind };
    errors.push(`${kind}: ${res.error}`);
  }
  return { error: errors.join('; ') };
}

/**
 * Connects to one MCP server with the SDK client, lists its tools (twice, to catch a server that changes
 * after the first listing), prompts and resources (tolerating servers without them), and closes. For remote
 * servers it also records whether the server answered without credentials. Expected failures (cannot spawn,
 * cannot connect, timeout) are values with a message saying what failed.
 *
 * @example
 * const r = await collectInventory({ kind: 'stdio', label: 'fs', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'], input: '...' });
 * if (r.ok) console.log(r.inventory.tools.length);
 */
export async function collectInventory(
  target: ScanTarget,
  options: InventoryOptions = {},
): Promise<InventoryResult> {
  const timeout = options.timeoutMillis ?? 30_000;
  const warnings: string[] = [];
  let client: Client;
  let transportKind: ServerInventory['transport'];
  let stderrTail = '';
  let unauthenticated = false;

  if (target.kind === 'stdio') {
    const params: ConstructorParameters<typeof StdioClientTransport>[0] = {
      command: target.command,
      args: target.args,
      stderr: 'pipe',
    };
    if (target.env) params.env = target.env;
    if (target.cwd) params.cwd = target.cwd;
    const transport = new StdioClientTransport(params);
    (transport.stderr as Readable | null)?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2_000);
    });
    const res = await connect(transport, timeout);
    if ('error' in res) {
      const tail = stderrTail.trim().split('\n').slice(-3).join(' | ');
      return {
        ok: false,
        reason: `cannot start or talk to \`${[target.command, ...target.args].join(' ')}\`: ${res.error}${tail ? ` (server stderr: ${tail})` : ''}`,
      };
    }
    client = res.client;
    transportKind = 'stdio';
  } else {
    const headers = target.headers ?? {};
    const res = await connectHttp(target, headers, timeout);
    if ('error' in res) return { ok: false, reason: `cannot connect to ${target.url}: ${res.error}` };
    client = res.client;
    transportKind = res.transport;
    const hadCredentials = Object.keys(headers).some((h) => AUTH_HEADER.test(h));
    if (!hadCredentials) unauthenticated = true;
    else {
      // Credentials were configured: does the server also answer without them?
      const probe = await connect(httpTransport(res.transport, target.url, {}), timeout);
      if ('client' in probe) {
        unauthenticated = true;
        await probe.client.close().catch(() => undefined);
      }
    }
  }

  try {
    const info = client.getServerVersion();
    const caps = client.getServerCapabilities() ?? {};
    const label = target.label ?? info?.name ?? fallbackLabel(target);
    const identity: ServerIdentity = { name: label };
    if (info?.version) identity.version = info.version;
    if (target.kind === 'stdio') {
      identity.command = target.command;
      if (target.args.length > 0) identity.args = target.args;
    } else identity.url = target.url;

    let tools: ToolDefinition[] = [];
    let relisted: ToolDefinition[] | undefined;
    try {
      tools = toToolDefinitions(await listAllTools(client, timeout), label);
      if (options.relist ?? true) relisted = toToolDefinitions(await listAllTools(client, timeout), label);
    } catch (err) {
      if (caps.tools) return { ok: false, reason: `${label}: tools/list failed: ${errorText(err)}` };
      warnings.push(`${label}: no tools (${errorText(err)})`);
    }
    const prompts: McpSurfaceItem[] = [];
    if (caps.prompts) {
      try {
        const res = await client.listPrompts({}, { timeout });
        for (const p of res.prompts) {
          prompts.push({
            kind: 'prompt',
            server: label,
            name: p.name,
            description: p.description,
            texts: (p.arguments ?? []).flatMap((a, i) =>
              a.description ? [{ field: `arguments[${i}].description`, text: a.description }] : [],
            ),
          });
        }
      } catch (err) {
        warnings.push(`${label}: prompts/list failed: ${errorText(err)}`);
      }
    }
    const resources: McpSurfaceItem[] = [];
    if (caps.resources) {
      try {
        const res = await client.listResources({}, { timeout });
        for (const r of res.resources) {
          resources.push({
            kind: 'resource',
            server: label,
            name: r.name || r.uri,
            description: r.description,
          });
        }
      } catch (err) {
        warnings.push(`${label}: resources/list failed: ${errorText(err)}`);
      }
    }
    return {
      ok: true,
      inventory: {
        target,
        label,
        identity,
        transport: transportKind,
        tools,
        relisted,
        prompts,
        resources,
        unauthenticated,
        warnings,
      },
    };
  } finally {
    await client.close().catch(() => undefined);
  }
}
