import { type AgentSession, instrumentMcpClient } from '@bulwark/agent-sdk';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type {
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  MessageExtraInfo,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** Options of {@link McpProxy}. */
export interface McpProxyOptions {
  /** Toward the host (the proxy is its server), e.g. `StdioServerTransport`. Not started yet. */
  host: Transport;
  /** Toward the real server (the proxy is its client), e.g. `StdioClientTransport`. Not started yet. */
  upstream: Transport;
  /** The agent session every proxied server of one host records into. */
  session: AgentSession;
  /** Server label (`--name`); wins over the server's own `initialize` name. */
  serverName?: string;
  /** Diagnostics, one line each (the CLI writes them to stderr: stdout is the protocol). */
  log?: (line: string) => void;
  /**
   * Called before the host gets the answer of a request the SDK recorded content from (`tools/list`,
   * `tools/call`, `resources/read`, `prompts/get`), e.g. a span export to the collector: the next call the host
   * makes, through this proxy or another one of the same session, is then decided with it. Bounded by
   * `flushTimeoutMillis`; a failure only delays nothing further.
   */
  flushRecords?: () => Promise<void>;
  /** Default 1000. */
  flushTimeoutMillis?: number;
  /** Says how the server went away, for the errors of requests it never answered (e.g. `exited with code 1`). */
  describeUpstreamExit?: () => string | undefined;
}

/** Why the proxy stopped. */
export type ProxyClosed = { reason: 'host_closed' } | { reason: 'server_closed'; detail?: string };

/** JSON-RPC error code for a server that went away before answering (MCP's `ConnectionClosed`). */
export const SERVER_GONE_CODE = -32000;

type JsonRecord = Record<string, unknown>;
const isRecord = (v: unknown): v is JsonRecord => v !== null && typeof v === 'object' && !Array.isArray(v);
const isRequest = (m: JSONRPCMessage): m is JSONRPCRequest => 'method' in m && 'id' in m;
const isNotification = (m: JSONRPCMessage): m is JSONRPCNotification => 'method' in m && !('id' in m);

/** Results are forwarded as the server sent them: no schema of the proxy reshapes them. */
const ANY_RESULT = z.unknown();
/** The host decides how long it waits (and cancels): the proxy adds no deadline of its own. */
const NO_TIMEOUT_MILLIS = 2_147_483_647;
/** Server-initiated requests the SDK records (untrusted server content) when they pass its client. */
const RECORDED_SERVER_REQUESTS = ['sampling/createMessage', 'elicitation/create'] as const;
/** `McpError` prefixes its message; the host gets the server's own message. */
const MCP_ERROR_PREFIX = /^MCP error -?\d+: /;
/** Requests whose answers the SDK records as session state. */
const RECORDED_METHODS = new Set(['tools/list', 'tools/call', 'resources/read', 'prompts/get']);
/**
 * MCP's client request methods (spec 2025-06-18). Sent without an id (as a notification) they would reach the
 * server unchecked (a `tools/call` run with no verdict and no record), so the proxy drops them.
 */
const CLIENT_REQUEST_METHODS = new Set([
  'initialize',
  'ping',
  'tools/call',
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
]);

/** An error answer to relay unchanged through the SDK's request handler (it reads `code`, `message`, `data`). */
class RelayedError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/**
 * The client side of the proxy as the SDK `Client` sees it: a transport in front of the real one that decides
 * which server messages the client handles (answers to its requests, their progress, sampling and
 * elicitation, which the SDK records) and which go to the host untouched.
 */
class UpstreamTap implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  constructor(
    private readonly upstream: Transport,
    private readonly clientHandles: (message: JSONRPCMessage) => boolean,
  ) {}

  get sessionId(): string | undefined {
    return this.upstream.sessionId;
  }

  async start(): Promise<void> {}

  /** A message from the server: to the SDK client, or `false` when the proxy relays it itself. */
  deliver(message: JSONRPCMessage, extra?: MessageExtraInfo): boolean {
    if (!this.clientHandles(message)) return false;
    this.onmessage?.(message, extra);
    return true;
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    // The SDK adds `_meta: {}` when it has no trace context to inject; the server gets what the host sent.
    if (isRequest(message) && isRecord(message.params)) {
      const meta = message.params._meta;
      if (isRecord(meta) && Object.keys(meta).length === 0) {
        const { _meta: _, ...params } = message.params;
        message = { ...message, params };
      }
    }
    await this.upstream.send(message, options);
  }

  async close(): Promise<void> {
    await this.upstream.close();
  }
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * A transparent MCP proxy between a host and one server that records the session exactly as the agent SDK does
 * and asks a verdict before every `tools/call`. Every host request goes through an SDK `Client` instrumented
 * with {@link instrumentMcpClient} (so `tools/list` definitions, calls, results, resources and prompts become
 * the SDK's spans and events, and a refused call is answered with an `isError` result and never forwarded);
 * every other message passes through unchanged: notifications and unknown methods both ways, server requests
 * to the host (`sampling/createMessage` and `elicitation/create` recorded on the way), cancellation and
 * progress with their ids translated. When the server goes away, every request it has not answered gets a
 * JSON-RPC error and the proxy closes.
 *
 * @example
 * const proxy = new McpProxy({ host: new StdioServerTransport(), upstream, session, serverName: 'files' });
 * await proxy.start();
 * const why = await proxy.closed; // { reason: 'host_closed' } or { reason: 'server_closed', detail }
 */
export class McpProxy {
  readonly client: Client;
  /** Resolves once, when either side has gone and the other has been closed. */
  readonly closed: Promise<ProxyClosed>;
  private resolveClosed!: (c: ProxyClosed) => void;
  private readonly host: Transport;
  private readonly upstream: Transport;
  private readonly tap: UpstreamTap;
  private readonly log: (line: string) => void;
  /** Host requests in flight, by the host's id: cancelling one aborts the client's request. */
  private readonly hostRequests = new Map<RequestId, AbortController>();
  /** Server requests that passed the client (recorded), awaiting the host's answer, by the server's id. */
  private readonly toHost = new Map<RequestId, Pending>();
  private serverInfo: { name?: string; version?: string } | undefined;
  private upstreamGone: string | undefined;
  private closing = false;

  constructor(private readonly options: McpProxyOptions) {
    this.host = options.host;
    this.upstream = options.upstream;
    this.log = options.log ?? (() => {});
    this.closed = new Promise((r) => {
      this.resolveClosed = r;
    });
    this.client = new Client({ name: 'bulwark-proxy', version: '0.1.0' }, { capabilities: {} });
    // The server is labelled by `--name`, else by its `initialize` answer (which the host, not the client, sent).
    const client = this.client as unknown as { getServerVersion: () => unknown };
    client.getServerVersion = () => {
      const name = this.options.serverName ?? this.serverInfo?.name;
      return name === undefined ? undefined : { ...this.serverInfo, name };
    };
    this.installRecordedHandlers();
    instrumentMcpClient(this.client, {
      session: options.session,
      ...(options.serverName ? { serverName: options.serverName } : {}),
    });
    this.tap = new UpstreamTap(this.upstream, (m) => this.clientHandles(m));
  }

  /**
   * Sampling and elicitation go to the host unchanged, through a handler the SDK instrumentation wraps (it
   * records them as untrusted messages from the server). Set on the client's handler map directly: the SDK's
   * `setRequestHandler` would validate and reshape what the host answers.
   */
  private installRecordedHandlers(): void {
    const handlers = (this.client as unknown as { _requestHandlers?: unknown })._requestHandlers;
    if (!(handlers instanceof Map)) {
      this.log(
        'bulwark proxy: this MCP SDK hides its request handlers; sampling/elicitation pass unrecorded',
      );
      return;
    }
    for (const method of RECORDED_SERVER_REQUESTS) {
      handlers.set(method, (request: JSONRPCRequest, extra: { requestId: RequestId; signal: AbortSignal }) =>
        this.askHost(request, extra),
      );
    }
  }

  private recordsServerRequest(method: string): boolean {
    const handlers = (this.client as unknown as { _requestHandlers?: unknown })._requestHandlers;
    return (
      handlers instanceof Map &&
      (RECORDED_SERVER_REQUESTS as readonly string[]).includes(method) &&
      handlers.has(method)
    );
  }

  /** Which server messages the client takes (the rest the proxy relays to the host as they are). */
  private clientHandles(m: JSONRPCMessage): boolean {
    if (!('method' in m)) return true; // answers: every request the server gets is the client's
    if (isRequest(m)) return this.recordsServerRequest(m.method);
    // Progress carries the client's tokens (the host's are translated); a cancellation of a recorded request
    // must stop its handler too (it is also relayed).
    if (m.method === 'notifications/progress') return true;
    if (m.method === 'notifications/cancelled') {
      const id = isRecord(m.params) ? m.params.requestId : undefined;
      return (typeof id === 'string' || typeof id === 'number') && this.toHost.has(id);
    }
    return false;
  }

  /** Starts both sides: the server first, so the host's first message has somewhere to go. */
  async start(): Promise<void> {
    this.upstream.onmessage = (message, extra) => this.onUpstreamMessage(message, extra);
    this.upstream.onerror = (err) => this.log(`bulwark proxy: server transport: ${err.message}`);
    this.upstream.onclose = () => this.onUpstreamClosed();
    this.host.onmessage = (message) => this.onHostMessage(message);
    this.host.onerror = (err) => this.log(`bulwark proxy: host transport: ${err.message}`);
    this.host.onclose = () => void this.shutdown({ reason: 'host_closed' });
    // Protocol's own connect: the host performs the `initialize` handshake, the client must not.
    await Protocol.prototype.connect.call(this.client, this.tap);
    this.client.onerror = (err) => this.log(`bulwark proxy: ${err.message}`);
    await this.upstream.start();
    await this.host.start();
  }

  /** Closes both sides (e.g. on SIGTERM). */
  async close(): Promise<void> {
    await this.shutdown({ reason: 'host_closed' });
  }

  private sendToHost(message: JSONRPCMessage, options?: TransportSendOptions): void {
    this.host
      .send(message, options)
      .catch((err: Error) => this.log(`bulwark proxy: cannot write to the host: ${err.message}`));
  }

  private sendUpstream(message: JSONRPCMessage): void {
    if (this.upstreamGone !== undefined) return;
    this.upstream
      .send(message)
      .catch((err: Error) => this.log(`bulwark proxy: cannot write to the server: ${err.message}`));
  }

  // ---- host → server ----

  private onHostMessage(message: JSONRPCMessage): void {
    if (isRequest(message)) {
      void this.forwardHostRequest(message);
      return;
    }
    if (isNotification(message)) {
      if (message.method === 'notifications/cancelled') {
        const id = isRecord(message.params) ? message.params.requestId : undefined;
        const reason = isRecord(message.params) ? message.params.reason : undefined;
        const pending =
          typeof id === 'string' || typeof id === 'number' ? this.hostRequests.get(id) : undefined;
        // The client sends the server a cancellation with the id it used; an unknown id is dropped, since
        // relaying it could cancel an unrelated request that happens to share the number.
        pending?.abort(typeof reason === 'string' ? reason : 'cancelled by the host');
        return;
      }
      if (CLIENT_REQUEST_METHODS.has(message.method)) {
        this.log(
          `bulwark proxy: dropped a ${message.method} without an id from the host (a request sent as a notification is never forwarded: it would run unchecked)`,
        );
        return;
      }
      this.sendUpstream(message);
      return;
    }
    // An answer to a server request: to the recorded handler waiting for it, or straight to the server.
    const pending = message.id === undefined ? undefined : this.toHost.get(message.id);
    if (pending && message.id !== undefined) {
      this.toHost.delete(message.id);
      if ('result' in message) pending.resolve(message.result);
      else pending.reject(new RelayedError(message.error.code, message.error.message, message.error.data));
      return;
    }
    this.sendUpstream(message);
  }

  private async forwardHostRequest(request: JSONRPCRequest): Promise<void> {
    if (this.upstreamGone !== undefined) {
      this.sendToHost(this.serverGoneError(request.id));
      return;
    }
    const abort = new AbortController();
    this.hostRequests.set(request.id, abort);
    const meta =
      isRecord(request.params) && isRecord(request.params._meta) ? request.params._meta : undefined;
    const hostToken = meta?.progressToken;
    const options: Record<string, unknown> = { signal: abort.signal, timeout: NO_TIMEOUT_MILLIS };
    if (typeof hostToken === 'string' || typeof hostToken === 'number') {
      // The client gives the server its own token; progress goes back to the host under the host's.
      // Related to the host's request: an HTTP front sends it on that request's stream.
      options.onprogress = (progress: JsonRecord) =>
        this.sendToHost(
          {
            jsonrpc: '2.0',
            method: 'notifications/progress',
            params: { ...progress, progressToken: hostToken },
          } as JSONRPCMessage,
          { relatedRequestId: request.id },
        );
    }
    const outgoing: { method: string; params?: JsonRecord } = { method: request.method };
    if (request.params !== undefined) outgoing.params = request.params as JsonRecord;
    try {
      const result = await this.client.request(outgoing as never, ANY_RESULT as never, options as never);
      if (abort.signal.aborted) return;
      if (request.method === 'initialize') this.onInitialized(result);
      if (RECORDED_METHODS.has(request.method)) await this.flushRecords();
      this.sendToHost({ jsonrpc: '2.0', id: request.id, result: result as JsonRecord });
    } catch (err) {
      // A cancelled request gets no answer (the host stopped waiting for it).
      if (abort.signal.aborted) return;
      this.sendToHost({ jsonrpc: '2.0', id: request.id, error: this.errorFor(err) });
    } finally {
      this.hostRequests.delete(request.id);
    }
  }

  private async flushRecords(): Promise<void> {
    const flush = this.options.flushRecords;
    if (!flush) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((r) => {
      timer = setTimeout(r, this.options.flushTimeoutMillis ?? 1_000);
    });
    try {
      await Promise.race([flush().catch(() => {}), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private onInitialized(result: unknown): void {
    if (!isRecord(result)) return;
    if (isRecord(result.serverInfo)) {
      const { name, version } = result.serverInfo;
      this.serverInfo = {
        ...(typeof name === 'string' ? { name } : {}),
        ...(typeof version === 'string' ? { version } : {}),
      };
    }
    // HTTP transports send the negotiated version on every later request.
    const transport = this.upstream as { setProtocolVersion?: (v: string) => void };
    if (typeof result.protocolVersion === 'string') transport.setProtocolVersion?.(result.protocolVersion);
  }

  private errorFor(err: unknown): { code: number; message: string; data?: unknown } {
    if (this.upstreamGone !== undefined) return this.serverGoneError(0).error;
    const e = err as { code?: unknown; message?: unknown; data?: unknown };
    const code = typeof e?.code === 'number' && Number.isSafeInteger(e.code) ? e.code : -32603;
    const message = String(e?.message ?? err).replace(MCP_ERROR_PREFIX, '');
    return { code, message, ...(e?.data !== undefined ? { data: e.data } : {}) };
  }

  private serverGoneError(id: RequestId) {
    return {
      jsonrpc: '2.0' as const,
      id,
      error: {
        code: SERVER_GONE_CODE,
        message: `Bulwark proxy: the MCP server ${this.upstreamGone ?? 'closed'} before answering this request`,
      },
    };
  }

  // ---- server → host ----

  private onUpstreamMessage(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    const cancelled = isNotification(message) && message.method === 'notifications/cancelled';
    if (this.tap.deliver(message, extra) && !cancelled) return;
    this.sendToHost(message);
  }

  /** A recorded server request (sampling, elicitation), relayed to the host under the server's own id. */
  private askHost(request: JSONRPCRequest, extra: { requestId: RequestId; signal: AbortSignal }) {
    return new Promise<unknown>((resolve, reject) => {
      const id = extra.requestId;
      this.toHost.set(id, { resolve, reject });
      extra.signal.addEventListener('abort', () => {
        this.toHost.delete(id);
        reject(new RelayedError(-32800, 'cancelled'));
      });
      const message: JsonRecord = { jsonrpc: '2.0', id, method: request.method };
      if (request.params !== undefined) message.params = request.params;
      this.sendToHost(message as JSONRPCMessage);
    });
  }

  private onUpstreamClosed(): void {
    if (this.upstreamGone !== undefined) return;
    this.upstreamGone = this.options.describeUpstreamExit?.() ?? 'closed the connection';
    // The client rejects what it has in flight; each host request then gets the error that says why.
    this.tap.onclose?.();
    for (const [, pending] of this.toHost)
      pending.reject(new RelayedError(SERVER_GONE_CODE, 'server closed'));
    this.toHost.clear();
    if (!this.closing) this.log(`bulwark proxy: the MCP server ${this.upstreamGone}`);
    void this.shutdown({ reason: 'server_closed', detail: this.upstreamGone });
  }

  private async shutdown(why: ProxyClosed): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Let the errors of the requests the server left unanswered reach the host first.
    await new Promise((r) => setImmediate(r));
    for (const abort of this.hostRequests.values()) abort.abort('proxy closing');
    await Promise.allSettled([
      why.reason === 'host_closed' ? this.upstream.close() : Promise.resolve(),
      why.reason === 'server_closed' ? this.host.close() : Promise.resolve(),
    ]);
    this.resolveClosed(why);
  }
}
