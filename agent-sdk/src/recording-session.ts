import type { AgentEvent, AgentEventInput } from '@bulwark/contracts';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { ContentCapture } from './content-capture.js';

/** Identity and span fields of an event recorded by a span. */
export interface RecordedEventBase {
  tenantId: string;
  sessionId: string;
  agentId?: string;
  agentName?: string;
  traceId?: string;
  spanId?: string;
  server?: string;
  timestampMillis: number;
}

/**
 * What LLM-call recording and agent messages need of a session: identity, the tracer, the capture policy
 * and the event queue. `AgentSession` implements it; the recorders depend on this, not on the class, so
 * the session module can call them without an import circle.
 */
export interface RecordingSession {
  readonly tenantId: string;
  readonly sessionId: string;
  readonly agentId: string | undefined;
  readonly agentName: string | undefined;
  readonly tracer: Tracer;
  readonly capture: ContentCapture;
  /** Attributes every span of the session carries (tenant, conversation = session, agent). */
  commonAttributes(): Attributes;
  eventBase(span: Span, server?: string): RecordedEventBase;
  /** Queues an observed event for the next verdict request; `undefined` when it was invalid. */
  observe(event: AgentEventInput): AgentEvent | undefined;
  /** Tool name of an earlier tool call id. */
  toolNameFor(toolCallId: string): string | undefined;
}
