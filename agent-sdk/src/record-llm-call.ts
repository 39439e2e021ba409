import {
  type AgentEvent,
  type AgentEventInput,
  chatToSpanAttributes,
  promptEventId,
  type RequestedToolCall,
  semconv as sc,
  toolResultEventId,
} from '@bulwark/contracts';
import { type Attributes, context, SpanKind } from '@opentelemetry/api';
import type { CaptureFlags } from './content-capture.js';
import { type LlmPart, normalizeLlmCall } from './llm-messages.js';
import type { RecordingSession } from './recording-session.js';
import {
  endSpanSafely,
  recordErrorSafely,
  safely,
  setAttributesSafely,
  spanEventId,
  spanIds,
  startSpanSafely,
} from './safely.js';

/** One LLM call as the host saw it. */
export interface LlmCall {
  /** Provider request: `{ model, messages }` (OpenAI), `{ model, system, messages }` (Anthropic), or a messages array. */
  request: unknown;
  /** Provider response (OpenAI chat completion / Responses API, Anthropic message), when there is one. */
  response?: unknown;
  /** `gen_ai.provider.name`: `openai`, `anthropic`, ... Default: guessed from the shapes. */
  provider?: string;
  /** Requested model when `request.model` does not say. */
  model?: string;
  startTimeMillis?: number;
  endTimeMillis?: number;
  /** The call failed: recorded on the span. */
  error?: unknown;
}

/** What {@link recordLlmCall} observed. */
export interface RecordedLlmCall {
  /** Span id of the `chat` span (random when the span is not recorded). */
  spanId: string;
  /** The events derived from the call (queued for the next verdict unless already seen). */
  events: AgentEvent[];
}

const texts = (parts: readonly LlmPart[]) => parts.flatMap((p) => (p.type === 'text' ? [p.text] : []));

/**
 * Records one LLM call: a `chat {model}` CLIENT span with `gen_ai.input.messages`, `gen_ai.output.messages`,
 * `gen_ai.system_instructions`, provider, models and token usage, and queues its prompt, tool_result and
 * completion events for the next verdict. Ids match what the collector's span mapper derives from the span:
 * prompts are content-addressed over the text as the span carries it, tool results by tool call id, the
 * completion `{spanId}:out`. Never throws.
 *
 * @example
 * const response = await openai.chat.completions.create(request);
 * recordLlmCall(session, { request, response, provider: 'openai' });
 */
export function recordLlmCall(session: RecordingSession, call: LlmCall): RecordedLlmCall {
  return safely('record LLM call', () => record(session, call), { spanId: '', events: [] });
}

function record(session: RecordingSession, call: LlmCall): RecordedLlmCall {
  const n = normalizeLlmCall(call.request, call.response);
  const model = call.model ?? n.requestModel;
  const provider = call.provider ?? n.detectedProvider;
  const start = call.startTimeMillis ?? Date.now();
  const attributes: Attributes = {
    ...session.commonAttributes(),
    [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_CHAT,
  };
  if (provider) attributes[sc.ATTR_GEN_AI_PROVIDER_NAME] = provider;
  if (model) attributes[sc.ATTR_GEN_AI_REQUEST_MODEL] = model;
  if (n.responseModel) attributes[sc.ATTR_GEN_AI_RESPONSE_MODEL] = n.responseModel;
  if (n.inputTokens !== undefined) attributes[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = n.inputTokens;
  if (n.outputTokens !== undefined) attributes[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = n.outputTokens;
  const span = startSpanSafely(
    session.tracer,
    model ? `${sc.GEN_AI_OPERATION_CHAT} ${model}` : sc.GEN_AI_OPERATION_CHAT,
    { kind: SpanKind.CLIENT, attributes, startTime: start },
    context.active(),
  );
  const spanId = spanEventId(span);
  const capture = session.capture;
  const flags: CaptureFlags = { truncated: false, redacted: false };
  // Span form of a text, as the encoder writes it (prompt ids are derived from it); with capture 'none' the
  // span has no text, and ids use the full text.
  const spanText = (t: string) => capture.text(t, flags) ?? t;

  const base = { tenantId: session.tenantId, sessionId: session.sessionId, ...spanIds(span) } as {
    tenantId: string;
    sessionId: string;
    agentId?: string;
    agentName?: string;
  };
  if (session.agentId) base.agentId = session.agentId;
  if (session.agentName) base.agentName = session.agentName;
  const end = call.endTimeMillis ?? Date.now();
  const events: AgentEventInput[] = [];

  // Same order as the span mapper: system instructions, then input messages, then the completion.
  const systemSpan = n.system.map(spanText);
  if (n.system.length > 0) {
    const content = n.system.join('\n');
    events.push({
      ...base,
      kind: 'prompt',
      eventId: promptEventId(session.sessionId, 'system', systemSpan.join('\n')),
      timestampMillis: start,
      role: 'system',
      content,
    });
  }
  const toolNames = new Map<string, string>();
  for (const m of n.input) {
    if (m.role === 'user' || m.role === 'developer' || m.role === 'system') {
      const full = texts(m.parts).join('\n');
      if (!full) continue;
      events.push({
        ...base,
        kind: 'prompt',
        eventId: promptEventId(session.sessionId, m.role, texts(m.parts).map(spanText).join('\n')),
        timestampMillis: start,
        role: m.role,
        content: full,
      });
      continue;
    }
    for (const p of m.parts) {
      if (p.type === 'tool_call' && p.id && p.name) toolNames.set(p.id, p.name);
      if (p.type === 'tool_call_response') {
        events.push({
          ...base,
          kind: 'tool_result',
          eventId: toolResultEventId(session.sessionId, p.id, `${spanId}:${events.length}`),
          timestampMillis: start,
          toolCallId: p.id,
          toolName: toolNames.get(p.id) ?? session.toolNameFor(p.id) ?? '',
          content: p.response,
          isError: p.isError,
        });
      }
    }
  }
  if (n.output.length > 0) {
    const toolCalls: RequestedToolCall[] = [];
    const outTexts: string[] = [];
    for (const m of n.output) {
      for (const p of m.parts)
        if (p.type === 'tool_call' && p.name)
          toolCalls.push({ toolCallId: p.id, toolName: p.name, arguments: p.arguments });
      const t = texts(m.parts).join('\n');
      if (t) outTexts.push(t);
    }
    const completion: AgentEventInput = {
      ...base,
      kind: 'completion',
      eventId: `${spanId}:out`,
      timestampMillis: end,
      content: outTexts.join('\n'),
      toolCalls,
    };
    const completionModel = n.responseModel ?? model;
    if (completionModel) completion.model = completionModel;
    if (provider) completion.provider = provider;
    if (n.inputTokens !== undefined) completion.inputTokens = n.inputTokens;
    if (n.outputTokens !== undefined) completion.outputTokens = n.outputTokens;
    events.push(completion);
  }

  setAttributesSafely(
    span,
    chatToSpanAttributes(n, { capture, maxInputBytes: capture.maxAttributeBytes * 32 }),
  );
  if (call.error !== undefined) recordErrorSafely(span, call.error);
  endSpanSafely(span, end);

  const observed: AgentEvent[] = [];
  for (const e of events) {
    const ev = session.observe(e);
    if (ev) observed.push(ev);
  }
  return { spanId, events: observed };
}
