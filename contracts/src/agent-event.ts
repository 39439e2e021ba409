import { z } from 'zod';

/** MCP tool annotations (`ToolAnnotations` in the MCP spec); hints, never guarantees. */
export const ToolAnnotationsSchema = z
  .object({
    title: z.string().optional(),
    readOnlyHint: z.boolean().optional(),
    destructiveHint: z.boolean().optional(),
    idempotentHint: z.boolean().optional(),
    openWorldHint: z.boolean().optional(),
  })
  .passthrough();
export type ToolAnnotations = z.infer<typeof ToolAnnotationsSchema>;

/** One tool as a server's `tools/list` returns it, plus the server it came from. */
export const ToolDefinitionSchema = z.object({
  name: z.string().min(1).max(512),
  description: z.string().max(1_000_000).optional(),
  inputSchema: z.record(z.string(), z.unknown()).optional(),
  outputSchema: z.record(z.string(), z.unknown()).optional(),
  annotations: ToolAnnotationsSchema.optional(),
  /** Server identity (name from the MCP `initialize` answer, or a configured label). */
  server: z.string().max(512).optional(),
});
export type ToolDefinition = z.infer<typeof ToolDefinitionSchema>;

const id = z.string().min(1).max(512);

/** Fields every event carries. */
export const EventBaseSchema = z.object({
  /** Unique, stable id: re-delivering the same event must not change state (idempotent consumers). */
  eventId: id,
  tenantId: id.default('default'),
  sessionId: id,
  agentId: z.string().max(512).optional(),
  agentName: z.string().max(512).optional(),
  traceId: z.string().max(64).optional(),
  spanId: z.string().max(64).optional(),
  parentSpanId: z.string().max(64).optional(),
  /** Epoch milliseconds when the event happened (from the span), never the engine's clock. */
  timestampMillis: z.number().finite().nonnegative(),
  /** MCP server the event relates to, when known. */
  server: z.string().max(512).optional(),
});

export const PromptEventSchema = EventBaseSchema.extend({
  kind: z.literal('prompt'),
  /** system/developer/user text is the trusted intent of the session. */
  role: z.enum(['system', 'developer', 'user']),
  content: z.string(),
});

export const RequestedToolCallSchema = z.object({
  toolCallId: z.string().max(512),
  toolName: z.string().max(512),
  arguments: z.record(z.string(), z.unknown()).default({}),
});
export type RequestedToolCall = z.infer<typeof RequestedToolCallSchema>;

export const CompletionEventSchema = EventBaseSchema.extend({
  kind: z.literal('completion'),
  content: z.string().default(''),
  toolCalls: z.array(RequestedToolCallSchema).default([]),
  model: z.string().max(256).optional(),
  provider: z.string().max(256).optional(),
  inputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
});

export const ToolDefinitionsEventSchema = EventBaseSchema.extend({
  kind: z.literal('tool_definitions'),
  tools: z.array(ToolDefinitionSchema).max(10_000),
});

export const ToolCallEventSchema = EventBaseSchema.extend({
  kind: z.literal('tool_call'),
  toolCallId: z.string().max(512),
  toolName: z.string().min(1).max(512),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

export const ToolResultEventSchema = EventBaseSchema.extend({
  kind: z.literal('tool_result'),
  toolCallId: z.string().max(512),
  toolName: z.string().max(512).default(''),
  /** Result text (MCP content text parts joined; structured content as JSON). Untrusted. */
  content: z.string(),
  isError: z.boolean().default(false),
});

export const ResourceReadEventSchema = EventBaseSchema.extend({
  kind: z.literal('resource_read'),
  uri: z.string().max(8192),
  content: z.string().default(''),
});

export const AgentMessageEventSchema = EventBaseSchema.extend({
  kind: z.literal('agent_message'),
  direction: z.enum(['sent', 'received']),
  /** The other agent (recipient when sent, sender when received). */
  peerAgent: z.string().max(512),
  content: z.string(),
  conversationId: z.string().max(512).optional(),
});

/**
 * The normalized event the detectors consume. One discriminated union over `kind`.
 *
 * @example
 * const ev = AgentEventSchema.parse({ kind: 'tool_call', eventId: 'e1', sessionId: 's1', timestampMillis: 0,
 *   toolCallId: 'c1', toolName: 'send_email', arguments: { to: 'a@b.c' } });
 */
export const AgentEventSchema = z.discriminatedUnion('kind', [
  PromptEventSchema,
  CompletionEventSchema,
  ToolDefinitionsEventSchema,
  ToolCallEventSchema,
  ToolResultEventSchema,
  ResourceReadEventSchema,
  AgentMessageEventSchema,
]);

export type AgentEvent = z.infer<typeof AgentEventSchema>;
/** Input form (defaults optional), for producers. */
export type AgentEventInput = z.input<typeof AgentEventSchema>;
export type AgentEventKind = AgentEvent['kind'];
export type PromptEvent = z.infer<typeof PromptEventSchema>;
export type CompletionEvent = z.infer<typeof CompletionEventSchema>;
export type ToolDefinitionsEvent = z.infer<typeof ToolDefinitionsEventSchema>;
export type ToolCallEvent = z.infer<typeof ToolCallEventSchema>;
export type ToolResultEvent = z.infer<typeof ToolResultEventSchema>;
export type ResourceReadEvent = z.infer<typeof ResourceReadEventSchema>;
export type AgentMessageEvent = z.infer<typeof AgentMessageEventSchema>;

export const AGENT_EVENT_KINDS = [
  'prompt',
  'completion',
  'tool_definitions',
  'tool_call',
  'tool_result',
  'resource_read',
  'agent_message',
] as const satisfies readonly AgentEventKind[];

/** Kafka message key / session affinity key: one session stays ordered on one partition. */
export function sessionKey(tenantId: string, sessionId: string): string {
  return `${tenantId}\u0000${sessionId}`;
}
