import type { AgentEvent } from './agent-event.js';
import * as sc from './semconv.js';
import type { AttributeValue } from './span-attributes.js';
import { toolDefinitionHash } from './stable-hash.js';

// The encoding direction of the span codec: one event to the span name and attributes the agent SDK sets, with
// content recorded as the capture policy says. The decoding direction is `span-decoder.ts`.

/** What one span's content capture ran into; the encoder turns them into `bulwark.capture.*` attributes. */
export interface CaptureFlags {
  truncated: boolean;
  redacted: boolean;
}

/**
 * What content an encoded span records (prompts, completions, tool arguments and results, messages,
 * resource content) and how: the agent SDK's `ContentCapture` caps and redacts. Methods other than
 * `identifier` are not called when `mode` is `none`.
 */
export interface CapturePolicy {
  /** `none`: no content at all (names, ids, hashes and verdicts only). */
  readonly mode: 'redacted' | 'full' | 'none';
  /** Span form of a text. */
  text(value: string, flags: CaptureFlags): string | undefined;
  /** Span form of a structured value (strings inside capped or masked, structure kept). */
  value(value: unknown, flags: CaptureFlags): unknown;
  /** Span form of a structured value as JSON. */
  json(value: unknown, flags: CaptureFlags): string | undefined;
  /** An identifier that can embed a secret (a resource URI with a token): masked when redacting, never cut. */
  identifier(value: string): string;
  /** Server metadata (tool definitions): capped, never masked, so hashes computed from the span agree. */
  metadata(value: unknown, flags: CaptureFlags): unknown;
}

/** Records every content field as it is: what {@link agentEventToSpan} does without a policy. */
export const FULL_CAPTURE: CapturePolicy = {
  mode: 'full',
  text: (v) => v,
  value: (v) => v,
  json: (v) => JSON.stringify(v) ?? 'null',
  identifier: (v) => v,
  metadata: (v) => v,
};

/** Options of {@link agentEventToSpan}. */
export interface SpanEncodeOptions {
  /** Content capture. Default {@link FULL_CAPTURE}. */
  capture?: CapturePolicy;
  /**
   * The MCP method the event came from when it is not the kind's own: `prompts/get` for a `resource_read` of
   * `prompt://<name>`, `sampling/createMessage` or `elicitation/create` for an `agent_message`.
   */
  mcpMethod?: string;
}

/** What a span needs to carry one event: its name and attributes. */
export interface SpanShape {
  name: string;
  attributes: Record<string, AttributeValue>;
}

function common(e: AgentEvent): Record<string, AttributeValue> {
  const attrs: Record<string, AttributeValue> = {
    [sc.ATTR_BULWARK_TENANT_ID]: e.tenantId,
    [sc.ATTR_BULWARK_SESSION_ID]: e.sessionId,
    [sc.ATTR_GEN_AI_CONVERSATION_ID]: e.sessionId,
    [sc.ATTR_BULWARK_EVENT_ID]: e.eventId,
  };
  if (e.agentId) attrs[sc.ATTR_GEN_AI_AGENT_ID] = e.agentId;
  if (e.agentName) attrs[sc.ATTR_GEN_AI_AGENT_NAME] = e.agentName;
  if (e.server) attrs[sc.ATTR_BULWARK_SERVER_NAME] = e.server;
  return attrs;
}

const PROMPT_URI = 'prompt://';

/**
 * The inverse of `spanToAgentEvents` for one event: the span name and semconv attributes the agent SDK sets
 * so that any backend (and Bulwark's collector) sees the same event, with content as `options.capture`
 * records it (and `bulwark.capture.truncated` / `.redacted` when capture cut or masked something). A
 * `tool_result` yields the attributes to add to its tool call's span.
 *
 * @example
 * const { name, attributes } = agentEventToSpan(toolCallEvent, { capture: session.capture });
 * tracer.startActiveSpan(name, { attributes }, (span) => ...);
 */
export function agentEventToSpan(e: AgentEvent, options: SpanEncodeOptions = {}): SpanShape {
  const capture = options.capture ?? FULL_CAPTURE;
  const records = capture.mode !== 'none';
  const flags: CaptureFlags = { truncated: false, redacted: false };
  const text = (v: string) => (records ? capture.text(v, flags) : undefined);
  const shape = encode(e, capture, records, text, flags, options.mcpMethod);
  if (flags.truncated) shape.attributes[sc.ATTR_BULWARK_CAPTURE_TRUNCATED] = true;
  if (flags.redacted) shape.attributes[sc.ATTR_BULWARK_CAPTURE_REDACTED] = true;
  return shape;
}

function encode(
  e: AgentEvent,
  capture: CapturePolicy,
  records: boolean,
  text: (v: string) => string | undefined,
  flags: CaptureFlags,
  mcpMethod: string | undefined,
): SpanShape {
  const attrs = common(e);
  switch (e.kind) {
    case 'prompt': {
      attrs[sc.ATTR_GEN_AI_OPERATION_NAME] = sc.GEN_AI_OPERATION_CHAT;
      const content = text(e.content);
      if (content === undefined) return { name: 'chat', attributes: attrs };
      if (e.role === 'system')
        attrs[sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS] = JSON.stringify([{ type: 'text', content }]);
      else
        attrs[sc.ATTR_GEN_AI_INPUT_MESSAGES] = JSON.stringify([
          { role: e.role, parts: [{ type: 'text', content }] },
        ]);
      return { name: 'chat', attributes: attrs };
    }
    case 'completion': {
      attrs[sc.ATTR_GEN_AI_OPERATION_NAME] = sc.GEN_AI_OPERATION_CHAT;
      if (records) {
        const content = e.content ? text(e.content) : '';
        attrs[sc.ATTR_GEN_AI_OUTPUT_MESSAGES] = JSON.stringify([
          {
            role: 'assistant',
            parts: [
              ...(content ? [{ type: 'text', content }] : []),
              ...e.toolCalls.map((c) => ({
                type: 'tool_call',
                id: c.toolCallId,
                name: c.toolName,
                arguments: capture.value(c.arguments, flags) ?? {},
              })),
            ],
          },
        ]);
      }
      if (e.model) attrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = e.model;
      if (e.provider) attrs[sc.ATTR_GEN_AI_PROVIDER_NAME] = e.provider;
      if (e.inputTokens !== undefined) attrs[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = e.inputTokens;
      if (e.outputTokens !== undefined) attrs[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = e.outputTokens;
      return { name: e.model ? `chat ${e.model}` : 'chat', attributes: attrs };
    }
    case 'tool_definitions': {
      attrs[sc.ATTR_MCP_METHOD_NAME] = sc.MCP_METHOD_TOOLS_LIST;
      // Each definition carries its hash so a backend can pin it; with no content, only names and hashes.
      const tools = e.tools.map((t) => {
        const definitionHash = toolDefinitionHash(t);
        if (!records) return { name: t.name, server: t.server, definitionHash };
        return { ...(capture.metadata(t, flags) as Record<string, unknown>), definitionHash };
      });
      attrs[sc.ATTR_GEN_AI_TOOL_DEFINITIONS] = JSON.stringify(tools);
      return { name: sc.MCP_METHOD_TOOLS_LIST, attributes: attrs };
    }
    case 'tool_call': {
      attrs[sc.ATTR_GEN_AI_OPERATION_NAME] = sc.GEN_AI_OPERATION_EXECUTE_TOOL;
      attrs[sc.ATTR_MCP_METHOD_NAME] = sc.MCP_METHOD_TOOLS_CALL;
      attrs[sc.ATTR_GEN_AI_TOOL_NAME] = e.toolName;
      attrs[sc.ATTR_GEN_AI_TOOL_CALL_ID] = e.toolCallId;
      const args = records ? capture.json(e.arguments, flags) : undefined;
      if (args !== undefined) attrs[sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = args;
      return { name: `${sc.MCP_METHOD_TOOLS_CALL} ${e.toolName}`, attributes: attrs };
    }
    case 'tool_result': {
      const result: Record<string, AttributeValue> = {};
      const content = text(e.content);
      if (content !== undefined) result[sc.ATTR_GEN_AI_TOOL_CALL_RESULT] = content;
      result[sc.ATTR_BULWARK_TOOL_IS_ERROR] = e.isError;
      if (e.isError) result[sc.ATTR_ERROR_TYPE] = 'tool_error';
      return { name: `${sc.MCP_METHOD_TOOLS_CALL} ${e.toolName}`, attributes: result };
    }
    case 'resource_read': {
      const content = text(e.content);
      if (content !== undefined) attrs[sc.ATTR_BULWARK_RESOURCE_CONTENT] = content;
      if (mcpMethod === sc.MCP_METHOD_PROMPTS_GET && e.uri.startsWith(PROMPT_URI)) {
        // The decoder names the resource `prompt://<bulwark.prompt.name>` again.
        attrs[sc.ATTR_MCP_METHOD_NAME] = sc.MCP_METHOD_PROMPTS_GET;
        attrs[sc.ATTR_BULWARK_PROMPT_NAME] = e.uri.slice(PROMPT_URI.length);
        return { name: sc.MCP_METHOD_PROMPTS_GET, attributes: attrs };
      }
      attrs[sc.ATTR_MCP_METHOD_NAME] = sc.MCP_METHOD_RESOURCES_READ;
      attrs[sc.ATTR_MCP_RESOURCE_URI] = capture.mode === 'redacted' ? capture.identifier(e.uri) : e.uri;
      return { name: sc.MCP_METHOD_RESOURCES_READ, attributes: attrs };
    }
    case 'agent_message': {
      attrs[sc.ATTR_GEN_AI_OPERATION_NAME] = sc.GEN_AI_OPERATION_INVOKE_AGENT;
      attrs[sc.ATTR_BULWARK_EVENT_KIND] = 'agent_message';
      attrs[sc.ATTR_BULWARK_MESSAGE_DIRECTION] = e.direction;
      attrs[sc.ATTR_BULWARK_MESSAGE_PEER] = e.peerAgent;
      const content = text(e.content);
      if (content !== undefined) attrs[sc.ATTR_BULWARK_MESSAGE_CONTENT] = content;
      if (e.conversationId) attrs[sc.ATTR_GEN_AI_CONVERSATION_ID] = e.conversationId;
      if (mcpMethod) attrs[sc.ATTR_MCP_METHOD_NAME] = mcpMethod;
      return { name: `${sc.GEN_AI_OPERATION_INVOKE_AGENT} ${e.peerAgent}`, attributes: attrs };
    }
  }
}

/** One part of a chat message before capture (the GenAI conventions' part types). */
export type ChatPartInput =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; id: string; name: string; arguments: Record<string, unknown> }
  | { type: 'tool_call_response'; id: string; response: string };

/** A chat message before capture. */
export interface ChatMessageInput {
  role: string;
  parts: readonly ChatPartInput[];
  finishReason?: string | undefined;
}

/** The content of one LLM call: system instructions, the input messages and the output messages. */
export interface ChatInput {
  system: readonly string[];
  input: readonly ChatMessageInput[];
  output: readonly ChatMessageInput[];
}

/** Options of {@link chatToSpanAttributes}. */
export interface ChatEncodeOptions {
  /** Content capture. Default {@link FULL_CAPTURE}. */
  capture?: CapturePolicy;
  /** Cap of `gen_ai.input.messages` in UTF-8 bytes: the oldest messages are dropped past it (the last stays). */
  maxInputBytes?: number;
}

function chatMessage(
  m: ChatMessageInput,
  capture: CapturePolicy,
  flags: CaptureFlags,
): Record<string, unknown> {
  const parts = m.parts.map((p) => {
    if (p.type === 'text') return { type: 'text', content: capture.text(p.text, flags) ?? '' };
    if (p.type === 'tool_call')
      return {
        type: 'tool_call',
        id: p.id,
        name: p.name,
        arguments: capture.value(p.arguments, flags) ?? {},
      };
    return { type: 'tool_call_response', id: p.id, response: capture.text(p.response, flags) ?? '' };
  });
  const out: Record<string, unknown> = { role: m.role, parts };
  if (m.finishReason) out.finish_reason = m.finishReason;
  return out;
}

/** JSON of the message list, dropping the oldest messages while it exceeds `maxBytes` (the last one stays). */
function boundedJson(messages: unknown[], maxBytes: number, flags: CaptureFlags): string {
  let list = messages;
  let json = JSON.stringify(list);
  while (list.length > 1 && Buffer.byteLength(json) > maxBytes) {
    list = list.slice(Math.max(1, Math.floor(list.length / 4)));
    json = JSON.stringify(list);
    flags.truncated = true;
  }
  return json;
}

/**
 * The content attributes of a `chat` span (`gen_ai.system_instructions`, `gen_ai.input.messages`,
 * `gen_ai.output.messages`) as `options.capture` records them, with `bulwark.capture.*` flags; none with
 * capture `none`. The decoder maps them back to prompt, tool_result and completion events.
 *
 * @example
 * span.setAttributes(chatToSpanAttributes({ system: ['Be brief'], input, output }, { capture }));
 */
export function chatToSpanAttributes(
  chat: ChatInput,
  options: ChatEncodeOptions = {},
): Record<string, AttributeValue> {
  const capture = options.capture ?? FULL_CAPTURE;
  const attrs: Record<string, AttributeValue> = {};
  if (capture.mode === 'none') return attrs;
  const flags: CaptureFlags = { truncated: false, redacted: false };
  if (chat.system.length > 0)
    attrs[sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS] = JSON.stringify(
      chat.system.map((t) => ({ type: 'text', content: capture.text(t, flags) ?? '' })),
    );
  const input = chat.input.map((m) => chatMessage(m, capture, flags));
  attrs[sc.ATTR_GEN_AI_INPUT_MESSAGES] = boundedJson(
    input,
    options.maxInputBytes ?? Number.POSITIVE_INFINITY,
    flags,
  );
  if (chat.output.length > 0)
    attrs[sc.ATTR_GEN_AI_OUTPUT_MESSAGES] = JSON.stringify(
      chat.output.map((m) => chatMessage(m, capture, flags)),
    );
  if (flags.truncated) attrs[sc.ATTR_BULWARK_CAPTURE_TRUNCATED] = true;
  if (flags.redacted) attrs[sc.ATTR_BULWARK_CAPTURE_REDACTED] = true;
  return attrs;
}
