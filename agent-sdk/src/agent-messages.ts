import { randomUUID } from 'node:crypto';
import { type AgentMessageEvent, agentEventToSpan, semconv as sc } from '@bulwark/contracts';
import { type Context, context, SpanKind, trace } from '@opentelemetry/api';
import { extractMcpContext, injectMcpContext } from './mcp-context.js';
import type { RecordingSession } from './recording-session.js';
import { endSpanSafely, safely, setAttributesSafely, spanEventId, startSpanSafely } from './safely.js';

/** A text part of an agent message (A2A `TextPart`). */
export interface AgentMessageTextPart {
  kind: 'text';
  text: string;
}

/**
 * An A2A-style message between agents. `contextId` is the conversation id; `metadata` carries the W3C trace
 * context (`traceparent`, `tracestate`, `baggage`) so the receiving agent continues the sender's trace.
 */
export interface AgentMessageEnvelope {
  messageId: string;
  contextId: string;
  from: string;
  to: string;
  parts: AgentMessageTextPart[];
  metadata: Record<string, unknown>;
}

/** What to send. */
export interface SendAgentMessageInput {
  /** The receiving agent. */
  to: string;
  text: string;
  /** Conversation id; default: this session's id (this agent starts the conversation). */
  contextId?: string;
  /** Default: a random UUID. */
  messageId?: string;
  /** Extra metadata (trace context keys are set by the SDK). */
  metadata?: Record<string, unknown>;
}

/** A received message, or why it was rejected. */
export type ReceivedAgentMessage =
  | {
      ok: true;
      envelope: AgentMessageEnvelope;
      /** All text parts joined. Untrusted input: it came from another agent. */
      text: string;
      /** The sender's trace context, to parent the work this message causes. */
      context: Context;
    }
  | { ok: false; reason: 'invalid_envelope'; message: string };

function senderName(session: RecordingSession): string {
  return session.agentName ?? session.agentId ?? 'agent';
}

function record(
  session: RecordingSession,
  direction: 'sent' | 'received',
  peer: string,
  text: string,
  conversationId: string,
  parent: Context,
  kind: SpanKind,
): { spanContext: Context } {
  const span = startSpanSafely(
    session.tracer,
    `${sc.GEN_AI_OPERATION_INVOKE_AGENT} ${peer}`,
    { kind, attributes: session.commonAttributes() },
    parent,
  );
  safely(
    'record agent message',
    () => {
      const event: AgentMessageEvent = {
        kind: 'agent_message',
        eventId: spanEventId(span),
        ...session.eventBase(span),
        direction,
        peerAgent: peer,
        content: text,
        conversationId,
      };
      session.observe(event);
      // The span keeps gen_ai.conversation.id = this session, so the collector files the event under the
      // right session; a foreign conversation id travels only in the queued event.
      const { conversationId: _conversation, ...spanEvent } = event;
      const shape = agentEventToSpan(
        { ...spanEvent, ...(conversationId === session.sessionId ? { conversationId } : {}) },
        { capture: session.capture },
      );
      setAttributesSafely(span, shape.attributes);
    },
    undefined,
  );
  const spanContext = trace.setSpan(parent, span);
  endSpanSafely(span);
  return { spanContext };
}

/**
 * Builds an A2A-style envelope to another agent, with the conversation id and this trace's context in
 * `metadata`; records an `invoke_agent {to}` span and queues a `sent` agent_message event. Transport is the
 * caller's (HTTP, queue, in-process). Never throws.
 *
 * @example
 * const envelope = sendAgentMessage(session, { to: 'billing-agent', text: 'Refund order 42' });
 * await fetch(billingUrl, { method: 'POST', body: JSON.stringify(envelope) });
 */
export function sendAgentMessage(
  session: RecordingSession,
  input: SendAgentMessageInput,
): AgentMessageEnvelope {
  const contextId = input.contextId ?? session.sessionId;
  const { spanContext } = record(
    session,
    'sent',
    input.to,
    input.text,
    contextId,
    context.active(),
    SpanKind.CLIENT,
  );
  return {
    messageId: input.messageId ?? randomUUID(),
    contextId,
    from: senderName(session),
    to: input.to,
    parts: [{ kind: 'text', text: input.text }],
    metadata: injectMcpContext(spanContext, { ...(input.metadata ?? {}) }),
  };
}

/**
 * Accepts an envelope from another agent: validates its shape, continues the sender's trace from
 * `metadata`, records an `invoke_agent {from}` span and queues a `received` agent_message event (untrusted
 * input for the detectors). A malformed envelope is a value (`ok: false`), not an exception.
 *
 * @example
 * const msg = receiveAgentMessage(session, JSON.parse(body));
 * if (!msg.ok) return reply(400, msg.message);
 * await context.with(msg.context, () => handle(msg.text));
 */
export function receiveAgentMessage(session: RecordingSession, envelope: unknown): ReceivedAgentMessage {
  const problems: string[] = [];
  const e = envelope as Partial<AgentMessageEnvelope> | null;
  if (e === null || typeof e !== 'object' || Array.isArray(e))
    return { ok: false, reason: 'invalid_envelope', message: 'agent message must be a JSON object' };
  for (const key of ['messageId', 'from'] as const)
    if (typeof e[key] !== 'string' || e[key] === '') problems.push(`${key}: must be a non-empty string`);
  if (e.contextId !== undefined && typeof e.contextId !== 'string')
    problems.push('contextId: must be a string');
  if (e.to !== undefined && typeof e.to !== 'string') problems.push('to: must be a string');
  if (!Array.isArray(e.parts)) problems.push('parts: must be an array of { kind: "text", text }');
  if (
    e.metadata !== undefined &&
    (e.metadata === null || typeof e.metadata !== 'object' || Array.isArray(e.metadata))
  )
    problems.push('metadata: must be an object');
  if (problems.length > 0) return { ok: false, reason: 'invalid_envelope', message: problems.join('; ') };
  const texts: string[] = [];
  for (const p of e.parts as unknown[]) {
    const part = p as { kind?: unknown; type?: unknown; text?: unknown };
    if (part && (part.kind === 'text' || part.type === 'text') && typeof part.text === 'string')
      texts.push(part.text);
  }
  const text = texts.join('\n');
  const normalized: AgentMessageEnvelope = {
    messageId: e.messageId as string,
    contextId: e.contextId ?? session.sessionId,
    from: e.from as string,
    to: e.to ?? senderName(session),
    parts: texts.map((t) => ({ kind: 'text', text: t })),
    metadata: (e.metadata as Record<string, unknown> | undefined) ?? {},
  };
  const parent = extractMcpContext(normalized.metadata);
  const { spanContext } = record(
    session,
    'received',
    normalized.from,
    text,
    normalized.contextId,
    parent,
    SpanKind.SERVER,
  );
  return { ok: true, envelope: normalized, text, context: spanContext };
}
