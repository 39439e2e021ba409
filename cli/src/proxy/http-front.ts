import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentSession } from '@bulwark/agent-sdk';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { McpProxy } from './mcp-proxy.js';

/** Options of {@link serveHttpProxy}. */
export interface HttpProxyOptions {
  /** The remote server's Streamable HTTP MCP endpoint. */
  remote: URL;
  /** Port of the front (0: any free port, printed at start). */
  port: number;
  bind: string;
  /** Headers sent to the remote server (e.g. its authorization). */
  headers: Record<string, string>;
  /** The session every host MCP session of this front records into. */
  session: AgentSession;
  serverName?: string;
  flushRecords?: () => Promise<void>;
  log: (line: string) => void;
  /** Resolves when the front must stop. Default: SIGINT or SIGTERM. */
  stop?: Promise<void>;
}

/** Path of the front's MCP endpoint. */
export const FRONT_PATH = '/mcp';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function reply(res: ServerResponse, status: number, code: string, message: string, id: unknown = null): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  // A JSON-RPC error body: MCP clients read `error.message` from it.
  res.end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32000, message: `${code}: ${message}` } }));
}

/**
 * `bulwark proxy --url … --listen …`: a Streamable HTTP MCP endpoint in front of a remote Streamable HTTP
 * server. Each host MCP session (one `initialize`) gets its own {@link McpProxy} and its own upstream
 * session; all of them record into one agent session. Resolves to the exit code when stopped.
 *
 * @example
 * await serveHttpProxy({ remote: new URL('https://mcp.example.com/mcp'), port: 8931, bind: '127.0.0.1', headers: {}, session, log });
 */
export async function serveHttpProxy(options: HttpProxyOptions): Promise<number> {
  const { log } = options;
  const fronts = new Map<string, { transport: StreamableHTTPServerTransport; proxy: McpProxy }>();
  let allowedHosts: string[] | undefined;

  const newSession = async (): Promise<StreamableHTTPServerTransport> => {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // A page in the user's browser must not reach a loopback front through a rebound DNS name.
      ...(allowedHosts ? { enableDnsRebindingProtection: true, allowedHosts } : {}),
      onsessioninitialized: (id) => {
        fronts.set(id, { transport, proxy });
      },
    });
    const upstream = new StreamableHTTPClientTransport(options.remote, {
      requestInit: { headers: options.headers },
    });
    const proxy = new McpProxy({
      host: transport,
      upstream,
      session: options.session,
      ...(options.serverName ? { serverName: options.serverName } : {}),
      ...(options.flushRecords ? { flushRecords: options.flushRecords } : {}),
      log,
    });
    void proxy.closed.then(() => {
      if (transport.sessionId) fronts.delete(transport.sessionId);
      // The remote keeps a session per host session: end it too.
      upstream.terminateSession().catch(() => {});
    });
    await proxy.start();
    return transport;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname !== FRONT_PATH) {
      reply(res, 404, 'not_found', `the MCP endpoint of this proxy is ${FRONT_PATH}`);
      return;
    }
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (sessionId !== undefined) {
      const front = fronts.get(sessionId);
      if (!front) {
        reply(res, 404, 'unknown_session', 'no such MCP session (it ended): initialize a new one');
        return;
      }
      await front.transport.handleRequest(req, res);
      return;
    }
    if (req.method !== 'POST') {
      reply(res, 400, 'no_session', 'send initialize first (POST without mcp-session-id)');
      return;
    }
    // A new host session; the transport itself refuses anything but an initialize request.
    const transport = await newSession();
    await transport.handleRequest(req, res);
    if (!transport.sessionId) await transport.close();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      log(`bulwark proxy: request failed: ${err.message}`);
      reply(res, 500, 'proxy_error', err.message);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.bind, () => resolve());
    });
  } catch (err) {
    log(`bulwark proxy: cannot listen on ${options.bind}:${options.port}: ${(err as Error).message}`);
    return 1;
  }
  const port = (server.address() as AddressInfo).port;
  if (LOOPBACK.has(options.bind)) allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  const shown = options.bind.includes(':') ? `[${options.bind}]` : options.bind;
  log(`bulwark proxy: listening on http://${shown}:${port}${FRONT_PATH} for ${options.remote.href}`);

  await (options.stop ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }));
  await Promise.allSettled([...fronts.values()].map((f) => f.proxy.close()));
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  return 0;
}
