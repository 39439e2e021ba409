import {
  type AgentMessageEvent,
  agentEventToSpan,
  type ResourceReadEvent,
  semconv as sc,
  type ToolCallEvent,
  type ToolDefinitionsEvent,
  type ToolResultEvent,
  toolResultEventId,
  toToolDefinitions,
} from '@bulwark/contracts';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type Attributes, context, diag, type Span, SpanKind, trace } from '@opentelemetry/api';
import { AgentSession } from './agent-session.js';
import { extractMcpContext, injectMcpContext } from './mcp-context.js';
import {
  endSpanSafely,
  recordErrorSafely,
  safely,
  setAttributesSafely,
  spanEventId,
  startSpanSafely,
} from './safely.js';
import {
  AGENT_SESSION_OPTION_KEYS,
  type AgentSessionOptions,
  warnUnknownOptions,
} from './session-options.js';
import { enforcedSource, guardToolCall } from './tool-call-guard.js';

/**
 * `params._meta` key through which the caller can pass its own tool call id (e.g. the LLM's `call_…` id) so
 * the MCP call and the chat history refer to the same call. Removed before the request is sent.
 */
export const TOOL_CALL_ID_META_KEY = 'dev.bulwark/tool-call-id';

/** `_meta` key on refused `CallToolResult`s with the decision, for callers that want to branch on it. */
export const VERDICT_META_KEY = 'dev.bulwark/verdict';

/** Options of {@link instrumentMcpClient}: a shared `session`, or options to create one for this client. */
export interface InstrumentMcpClientOptions extends AgentSessionOptions {
  /** The agent run this client belongs to; share it with LLM-call recording and agent messages. */
  session?: AgentSession;
  /** Server label when the server's `initialize` answer has no name. */
  serverName?: string;
}

type JsonRecord = Record<string, unknown>;
interface McpRequest {
  method: string;
  params?: JsonRecord;
}
type RequestFn = (request: McpRequest, resultSchema?: unknown, options?: unknown) => Promise<unknown>;
type IncomingHandler = (request: McpRequest, extra: unknown) => Promise<unknown>;
type SetRequestHandlerFn = (schema: unknown, handler: (...args: never[]) => unknown) => void;

/** The parts of the SDK `Client` that are patched or read. Private fields are read defensively. */
interface PatchableClient {
  request: RequestFn;
  setRequestHandler: SetRequestHandlerFn;
  getServerVersion?: () => { name?: string; version?: string } | undefined;
  readonly transport?: { sessionId?: string; protocolVersion?: string } | undefined;
  _requestHandlers?: unknown;
  _requestMessageId?: unknown;
}

interface Installed {
  session: AgentSession;
  restore: () => void;
}

const installed = new WeakMap<object, Installed>();
const INCOMING_METHODS = [sc.MCP_METHOD_SAMPLING_CREATE_MESSAGE, sc.MCP_METHOD_ELICITATION_CREATE] as const;

const isRecord = (v: unknown): v is JsonRecord => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Text of MCP content blocks (`CallToolResult.content`, prompt and sampling message content). */
export function mcpContentText(content: unknown): string {
  const blocks = Array.isArray(content) ? content : content === undefined ? [] : [content];
  const out: string[] = [];
  for (const b of blocks) {
    if (typeof b === 'string') {
      out.push(b);
      continue;
    }
    if (!isRecord(b)) continue;
    switch (b.type) {
      case 'text':
        if (typeof b.text === 'string') out.push(b.text);
        break;
      case 'resource': {
        const r = isRecord(b.resource) ? b.resource : {};
        out.push(typeof r.text === 'string' ? r.text : `[resource ${String(r.uri ?? '')}]`);
        break;
      }
      case 'resource_link':
        out.push(`[resource_link ${String(b.uri ?? '')}]`);
        break;
      case 'tool_result':
        out.push(mcpContentText(b.content));
        break;
      default:
        out.push(`[${String(b.type ?? 'content')}${typeof b.mimeType === 'string' ? ` ${b.mimeType}` : ''}]`);
    }
  }
  return out.join('\n');
}

function toolResultText(result: unknown): string {
  if (!isRecord(result)) return '';
  const text = mcpContentText(result.content);
  if (result.structuredContent === undefined) return text;
  const structured = JSON.stringify(result.structuredContent) ?? '';
  if (text === structured || text.includes(structured)) return text;
  return text ? `${text}\n${structured}` : structured;
}

class McpClientInstrumentation {
  protocolVersion: string | undefined;
  private warnedHandlers = false;
  private readonly wrappedHandlers = new WeakSet<object>();

  constructor(
    readonly client: PatchableClient,
    readonly session: AgentSession,
    readonly original: RequestFn,
    private readonly serverLabel: string | undefined,
  ) {}

  serverName(): string | undefined {
    return (
      safely('read server identity', () => this.client.getServerVersion?.()?.name, undefined) ??
      this.serverLabel
    );
  }

  private mcpAttributes(method: string): Attributes {
    const a: Attributes = { ...this.session.commonAttributes(), [sc.ATTR_MCP_METHOD_NAME]: method };
    safely(
      'read MCP session',
      () => {
        const transport = this.client.transport;
        if (transport?.sessionId) a[sc.ATTR_MCP_SESSION_ID] = transport.sessionId;
        const version = this.protocolVersion ?? transport?.protocolVersion;
        if (version) a[sc.ATTR_MCP_PROTOCOL_VERSION] = version;
        const server = this.client.getServerVersion?.();
        if (server?.name) a[sc.ATTR_BULWARK_SERVER_NAME] = server.name;
        else if (this.serverLabel) a[sc.ATTR_BULWARK_SERVER_NAME] = this.serverLabel;
        if (server?.version) a[sc.ATTR_BULWARK_SERVER_VERSION] = server.version;
      },
      undefined,
    );
    return a;
  }

  /** The id the next request will get (the SDK assigns it synchronously when `request` is called). */
  private nextRequestId(): string | undefined {
    const id = this.client._requestMessageId;
    return typeof id === 'number' ? String(id) : undefined;
  }

  private startClientSpan(name: string, method: string): Span {
    const span = startSpanSafely(
      this.session.tracer,
      name,
      { kind: SpanKind.CLIENT, attributes: this.mcpAttributes(method) },
      context.active(),
    );
    return span;
  }

  /** Sends the request with the span's trace context in `params._meta`. */
  private send(
    span: Span,
    request: McpRequest,
    params: JsonRecord | undefined,
    schema: unknown,
    options: unknown,
  ) {
    const meta = injectMcpContext(
      trace.setSpan(context.active(), span),
      isRecord(params?._meta) ? params._meta : {},
    );
    let outgoing: McpRequest = request;
    if (params !== undefined || Object.keys(meta).length > 0) {
      outgoing = { ...request, params: { ...(params ?? {}), _meta: meta } };
    }
    const id = this.nextRequestId();
    if (id !== undefined) setAttributesSafely(span, { [sc.ATTR_JSONRPC_REQUEST_ID]: id });
    return this.original.call(this.client, outgoing, schema, options);
  }

  /** Runs the SDK request; a failure is recorded on the span and rethrown to the caller unchanged. */
  private async sendTraced(
    span: Span,
    request: McpRequest,
    params: JsonRecord | undefined,
    schema: unknown,
    options: unknown,
  ): Promise<unknown> {
    try {
      return await this.send(span, request, params, schema, options);
    } catch (err) {
      recordErrorSafely(span, err);
      endSpanSafely(span);
      throw err;
    }
  }

  request(request: McpRequest, schema: unknown, options: unknown): Promise<unknown> {
    switch (request?.method) {
      case sc.MCP_METHOD_TOOLS_CALL:
        return this.callTool(request, schema, options);
      case sc.MCP_METHOD_TOOLS_LIST:
        return this.listTools(request, schema, options);
      case sc.MCP_METHOD_RESOURCES_READ:
        return this.readResource(request, schema, options);
      case sc.MCP_METHOD_PROMPTS_GET:
        return this.getPrompt(request, schema, options);
      default:
        return this.other(request, schema, options);
    }
  }

  private async other(request: McpRequest, schema: unknown, options: unknown): Promise<unknown> {
    const method = String(request?.method ?? 'unknown');
    const span = this.startClientSpan(method, method);
    const result = await this.sendTraced(span, request, request?.params, schema, options);
    if (method === 'initialize' && isRecord(result) && typeof result.protocolVersion === 'string') {
      this.protocolVersion = result.protocolVersion;
      setAttributesSafely(span, { [sc.ATTR_MCP_PROTOCOL_VERSION]: result.protocolVersion });
    }
    endSpanSafely(span);
    return result;
  }

  private async listTools(request: McpRequest, schema: unknown, options: unknown): Promise<unknown> {
    const span = this.startClientSpan(sc.MCP_METHOD_TOOLS_LIST, sc.MCP_METHOD_TOOLS_LIST);
    const result = await this.sendTraced(span, request, request.params, schema, options);
    safely(
      'record tools/list',
      () => {
        const server = this.serverName();
        const event: ToolDefinitionsEvent = {
          kind: 'tool_definitions',
          eventId: spanEventId(span),
          ...this.session.eventBase(span, server),
          // The listing's server, whatever a tool claims.
          tools: toToolDefinitions(isRecord(result) ? result.tools : undefined, server),
        };
        this.session.observe(event);
        // Definitions are server metadata: the policy records them unredacted, so the hash the collector
        // computes from the span equals the SDK's; `capture: 'none'` keeps only names and hashes.
        setAttributesSafely(span, agentEventToSpan(event, { capture: this.session.capture }).attributes);
      },
      undefined,
    );
    endSpanSafely(span);
    return result;
  }

  private async readResource(request: McpRequest, schema: unknown, options: unknown): Promise<unknown> {
    const uri = String(request.params?.uri ?? '');
    const span = this.startClientSpan(sc.MCP_METHOD_RESOURCES_READ, sc.MCP_METHOD_RESOURCES_READ);
    const result = await this.sendTraced(span, request, request.params, schema, options);
    safely(
      'record resources/read',
      () => {
        const parts: string[] = [];
        for (const c of isRecord(result) && Array.isArray(result.contents) ? result.contents : []) {
          if (!isRecord(c)) continue;
          parts.push(typeof c.text === 'string' ? c.text : `[blob ${String(c.mimeType ?? '')}]`);
        }
        this.recordContentRead(span, uri, parts.join('\n'));
      },
      undefined,
    );
    endSpanSafely(span);
    return result;
  }

  private async getPrompt(request: McpRequest, schema: unknown, options: unknown): Promise<unknown> {
    const name = String(request.params?.name ?? '');
    const span = this.startClientSpan(`${sc.MCP_METHOD_PROMPTS_GET} ${name}`, sc.MCP_METHOD_PROMPTS_GET);
    const result = await this.sendTraced(span, request, request.params, schema, options);
    safely(
      'record prompts/get',
      () => {
        const texts: string[] = [];
        if (isRecord(result)) {
          if (typeof result.description === 'string') texts.push(result.description);
          for (const m of Array.isArray(result.messages) ? result.messages : [])
            if (isRecord(m)) texts.push(mcpContentText(m.content));
        }
        this.recordContentRead(span, `prompt://${name}`, texts.join('\n'), true);
      },
      undefined,
    );
    endSpanSafely(span);
    return result;
  }

  /** `resources/read` and `prompts/get` both become a `resource_read` event (untrusted server content). */
  private recordContentRead(span: Span, uri: string, content: string, prompt = false): void {
    const server = this.serverName();
    const event: ResourceReadEvent = {
      kind: 'resource_read',
      eventId: spanEventId(span),
      ...this.session.eventBase(span, server),
      uri,
      content,
    };
    this.session.observe(event);
    const shape = agentEventToSpan(event, {
      capture: this.session.capture,
      ...(prompt ? { mcpMethod: sc.MCP_METHOD_PROMPTS_GET } : {}),
    });
    setAttributesSafely(span, shape.attributes);
  }

  private async callTool(request: McpRequest, schema: unknown, options: unknown): Promise<unknown> {
    const session = this.session;
    const params: JsonRecord = isRecord(request.params) ? request.params : {};
    const toolName = String(params.name ?? '');
    const args: JsonRecord = isRecord(params.arguments) ? params.arguments : {};
    const meta: JsonRecord = isRecord(params._meta) ? { ...params._meta } : {};
    const hostCallId = meta[TOOL_CALL_ID_META_KEY];
    delete meta[TOOL_CALL_ID_META_KEY];
    const span = this.startClientSpan(`${sc.MCP_METHOD_TOOLS_CALL} ${toolName}`, sc.MCP_METHOD_TOOLS_CALL);
    const spanId = spanEventId(span);
    const toolCallId = typeof hostCallId === 'string' && hostCallId !== '' ? hostCallId : spanId;
    const server = this.serverName();

    const outcome = await guardToolCall(session, span, {
      toolCallId,
      toolName,
      arguments: args,
      ...(server ? { server } : {}),
    });
    const sentArgs = outcome.proceed ? outcome.arguments : args;
    safely(
      'record tools/call',
      () => {
        const event: ToolCallEvent = {
          kind: 'tool_call',
          eventId: spanId,
          ...session.eventBase(span, server),
          toolCallId,
          toolName,
          arguments: sentArgs,
        };
        session.observe(event);
        setAttributesSafely(span, agentEventToSpan(event, { capture: session.capture }).attributes);
      },
      undefined,
    );

    if (!outcome.proceed) {
      recordErrorSafely(
        span,
        outcome.error,
        outcome.refusal === 'blocked' ? 'tool_call_blocked' : 'tool_call_refused',
      );
      endSpanSafely(span);
      if (session.onBlock === 'throw') throw outcome.error;
      return {
        content: [{ type: 'text', text: outcome.message }],
        isError: true,
        _meta: {
          [VERDICT_META_KEY]: {
            decision: outcome.verdict.decision,
            source: outcome.verdict.source,
            enforcedSource: enforcedSource(outcome.verdict),
            refusal: outcome.refusal,
            detectorIds: outcome.verdict.detectorIds,
          },
        },
      };
    }

    const outgoingParams: JsonRecord = { ...params, arguments: outcome.arguments, _meta: meta };
    if (Object.keys(meta).length === 0 && !isRecord(params._meta)) delete outgoingParams._meta;
    const result = await this.sendTraced(
      span,
      { ...request, params: outgoingParams },
      outgoingParams,
      schema,
      options,
    );
    safely(
      'record tool result',
      () => {
        const isError = isRecord(result) && result.isError === true;
        const content = toolResultText(result);
        const hasContent =
          isRecord(result) && (Array.isArray(result.content) || result.structuredContent !== undefined);
        if (!hasContent) return; // e.g. a task handle (CreateTaskResult): the result comes later
        const event: ToolResultEvent = {
          kind: 'tool_result',
          eventId: toolResultEventId(session.sessionId, toolCallId, spanId),
          ...session.eventBase(span, server),
          toolCallId,
          toolName,
          content,
          isError,
        };
        session.observe(event);
        setAttributesSafely(span, agentEventToSpan(event, { capture: session.capture }).attributes);
      },
      undefined,
    );
    endSpanSafely(span);
    return result;
  }

  /** Wraps handlers for server-initiated sampling/elicitation requests that are not wrapped yet. */
  wrapIncomingHandlers(): void {
    const handlers = this.client._requestHandlers;
    if (!(handlers instanceof Map)) {
      if (!this.warnedHandlers) {
        this.warnedHandlers = true;
        diag.warn(
          '@bulwark/agent-sdk: this MCP SDK version hides its request handlers; sampling/elicitation not traced',
        );
      }
      return;
    }
    for (const method of INCOMING_METHODS) {
      const handler = handlers.get(method) as IncomingHandler | undefined;
      if (typeof handler !== 'function' || this.wrappedHandlers.has(handler)) continue;
      const wrapped: IncomingHandler = (req, extra) => this.incoming(method, handler, req, extra);
      this.wrappedHandlers.add(wrapped);
      handlers.set(method, wrapped);
    }
  }

  private async incoming(method: string, handler: IncomingHandler, request: McpRequest, extra: unknown) {
    const session = this.session;
    const params: JsonRecord = isRecord(request?.params) ? request.params : {};
    const parent = extractMcpContext(params._meta);
    const attributes = this.mcpAttributes(method);
    const requestId = isRecord(extra) ? extra.requestId : undefined;
    if (typeof requestId === 'string' || typeof requestId === 'number')
      attributes[sc.ATTR_JSONRPC_REQUEST_ID] = String(requestId);
    // The server sends this request and the client serves it: SERVER kind, continuing the server's trace.
    const span = startSpanSafely(session.tracer, method, { kind: SpanKind.SERVER, attributes }, parent);
    safely(
      `record ${method}`,
      () => {
        const server = this.serverName();
        const texts: string[] = [];
        if (method === sc.MCP_METHOD_SAMPLING_CREATE_MESSAGE) {
          if (typeof params.systemPrompt === 'string') texts.push(params.systemPrompt);
          for (const m of Array.isArray(params.messages) ? params.messages : [])
            if (isRecord(m)) texts.push(mcpContentText(m.content));
        } else {
          if (typeof params.message === 'string') texts.push(params.message);
          if (typeof params.url === 'string') texts.push(params.url);
        }
        const content = texts.join('\n');
        const event: AgentMessageEvent = {
          kind: 'agent_message',
          eventId: spanEventId(span),
          ...session.eventBase(span, server),
          direction: 'received',
          peerAgent: `mcp-server:${server ?? 'unknown'}`,
          content,
        };
        session.observe(event);
        const shape = agentEventToSpan(event, { capture: session.capture, mcpMethod: method });
        setAttributesSafely(span, shape.attributes);
      },
      undefined,
    );
    try {
      const result = await context.with(trace.setSpan(parent, span), () => handler(request, extra));
      endSpanSafely(span);
      return result;
    } catch (err) {
      recordErrorSafely(span, err);
      endSpanSafely(span);
      throw err;
    }
  }
}

/**
 * Instruments an MCP SDK `Client` instance in place and returns it: every request gets a CLIENT span with
 * the MCP and GenAI semantic-convention attributes and trace context in `params._meta`; every `tools/call` is
 * decided by the session's `VerdictProvider` before it leaves the client; server-initiated
 * `sampling/createMessage` and `elicitation/create` handlers (registered before or after) are traced as
 * untrusted input. Telemetry failures never reach the caller. Instrument before `connect()` to also record
 * the negotiated protocol version.
 *
 * @example
 * const client = instrumentMcpClient(new Client({ name: 'agent', version: '1.0.0' }), {
 *   agentName: 'travel-agent',
 *   verdictProvider: new RemoteVerdictProvider({ url: 'http://127.0.0.1:4318' }),
 * });
 * await client.connect(transport);
 * const result = await client.callTool({ name: 'send_email', arguments: { to: 'a@b.c' } }); // isError if blocked
 */
export function instrumentMcpClient<T extends Client>(
  client: T,
  options: InstrumentMcpClientOptions = {},
): T {
  const target = client as unknown as PatchableClient;
  if (installed.has(target)) {
    diag.warn('@bulwark/agent-sdk: MCP client is already instrumented');
    return client;
  }
  const { session: given, serverName, ...sessionOptions } = options;
  // The session warns about unknown keys (once, under the same name whether it is given or created here).
  if (given) warnUnknownOptions('AgentSession', sessionOptions, AGENT_SESSION_OPTION_KEYS);
  const session = given ?? new AgentSession(sessionOptions);
  const originalRequest = target.request;
  const originalSetRequestHandler = target.setRequestHandler;
  if (typeof originalRequest !== 'function' || typeof originalSetRequestHandler !== 'function') {
    diag.warn(
      '@bulwark/agent-sdk: object is not an MCP Client (no request/setRequestHandler); not instrumented',
    );
    return client;
  }
  const inst = new McpClientInstrumentation(target, session, originalRequest, serverName);
  const patchedRequest: RequestFn = function (this: unknown, request, resultSchema, requestOptions) {
    try {
      return inst.request(request, resultSchema, requestOptions);
    } catch (err) {
      diag.warn('@bulwark/agent-sdk: instrumentation failed; request sent untraced', err);
      return originalRequest.call(target, request, resultSchema, requestOptions);
    }
  };
  const patchedSetRequestHandler: SetRequestHandlerFn = function (this: unknown, schema, handler) {
    originalSetRequestHandler.call(target, schema, handler);
    safely('wrap request handler', () => inst.wrapIncomingHandlers(), undefined);
  };
  const ownRequest = Object.hasOwn(target, 'request');
  const ownSetRequestHandler = Object.hasOwn(target, 'setRequestHandler');
  target.request = patchedRequest;
  target.setRequestHandler = patchedSetRequestHandler;
  safely('wrap request handlers', () => inst.wrapIncomingHandlers(), undefined);
  installed.set(target, {
    session,
    restore: () => {
      const t = target as Partial<PatchableClient>;
      if (t.request === patchedRequest) {
        if (ownRequest) t.request = originalRequest;
        else delete t.request;
      }
      if (t.setRequestHandler === patchedSetRequestHandler) {
        if (ownSetRequestHandler) t.setRequestHandler = originalSetRequestHandler;
        else delete t.setRequestHandler;
      }
    },
  });
  return client;
}

/**
 * The session an instrumented client records into, or `undefined` when the client is not instrumented.
 *
 * @example
 * getAgentSession(client)?.recordLlmCall({ request, response });
 */
export function getAgentSession(client: object): AgentSession | undefined {
  return installed.get(client)?.session;
}

/**
 * Removes the instrumentation from a client (handlers wrapped so far stay wrapped but keep working).
 *
 * @example
 * uninstrumentMcpClient(client);
 */
export function uninstrumentMcpClient(client: object): void {
  const entry = installed.get(client);
  if (!entry) return;
  entry.restore();
  installed.delete(client);
}
