import { createHash } from 'node:crypto';

// What both directions of the span codec share: attribute types and the event ids derived from span content
// (the SDK derives the same ids from the events it queues as the decoder derives from the span).

/** A span attribute value as OpenTelemetry allows it. */
export type AttributeValue =
  | string
  | number
  | boolean
  | readonly (string | number | boolean | null | undefined)[];
export type Attributes = Record<string, AttributeValue | undefined>;

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);

/**
 * Id of a prompt event, derived from its content: chat spans repeat the whole history, and the same
 * prompt must map to the same event every time so replays are idempotent.
 */
export function promptEventId(sessionId: string, role: string, content: string): string {
  return `p-${shortHash(`${sessionId}\u0000${role}\u0000${content}`)}`;
}

/** Id of the tool_result event for a tool call id (history in chat spans repeats it too). */
export function toolResultEventId(sessionId: string, toolCallId: string, fallback: string): string {
  return toolCallId ? `r-${shortHash(`${sessionId}\u0000${toolCallId}`)}` : `${fallback}:result`;
}
