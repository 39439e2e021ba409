import type { AgentEvent, VerdictRequest } from '@bulwark/contracts';
import { formatZodIssues, promptEventId } from '@bulwark/contracts';
import { z } from 'zod';

/**
 * Only the conversation is read from an AgentDojo run: `messages` with role, content, tool calls and tool
 * call ids. Labels, `utility`, `security`, `injections`, task ids and attack type are the answer key and are
 * never parsed into the replay (see `stripAnswerKey`).
 */
const ToolCallSchema = z.object({
  id: z.string().nullish(),
  function: z.string(),
  args: z.record(z.string(), z.unknown()).nullish(),
});
const ContentSchema = z
  .union([
    z.string(),
    z.array(z.object({ content: z.string().nullish(), text: z.string().nullish() }).passthrough()),
    z.null(),
  ])
  .optional();
const MessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: ContentSchema,
  tool_calls: z.array(ToolCallSchema).nullish(),
  tool_call_id: z.string().nullish(),
  tool_call: ToolCallSchema.nullish(),
  error: z.string().nullish(),
});
export const AgentDojoConversationSchema = z.object({ messages: z.array(MessageSchema) });
export type AgentDojoConversation = z.infer<typeof AgentDojoConversationSchema>;

/** The answer key of a run, for scoring only. */
export interface AgentDojoLabels {
  injected: boolean;
  attackSucceeded: boolean;
  harm: { message: number; call: number } | null;
}

const LabelsSchema = z.object({
  labels: z.object({
    injected: z.boolean(),
    attack_succeeded: z.boolean().nullish(),
    harm: z.object({ message: z.number().int(), call: z.number().int() }).passthrough().nullish(),
  }),
});

/**
 * Splits a raw run into what the monitor may see (the conversation only) and the answer key.
 * Returns an error value for a run that does not have the expected shape.
 */
export function stripAnswerKey(
  raw: unknown,
):
  | { ok: true; conversation: AgentDojoConversation; labels: AgentDojoLabels | undefined }
  | { ok: false; message: string } {
  const conv = AgentDojoConversationSchema.safeParse(raw);
  if (!conv.success)
    return {
      ok: false,
      message: formatZodIssues(conv.error).join('; '),
    };
  const lab = LabelsSchema.safeParse(raw);
  const labels = lab.success
    ? {
        injected: lab.data.labels.injected,
        attackSucceeded: lab.data.labels.attack_succeeded === true,
        harm: lab.data.labels.harm
          ? { message: lab.data.labels.harm.message, call: lab.data.labels.harm.call }
          : null,
      }
    : undefined;
  // Re-create plain objects with only the allowed fields so nothing else can ride along.
  const conversation: AgentDojoConversation = {
    messages: conv.data.messages.map((m) => ({
      role: m.role,
      content: m.content,
      tool_calls: m.tool_calls?.map((c) => ({ id: c.id, function: c.function, args: c.args })) ?? null,
      tool_call_id: m.tool_call_id ?? null,
      tool_call: m.tool_call
        ? { id: m.tool_call.id, function: m.tool_call.function, args: m.tool_call.args }
        : null,
      error: m.error ?? null,
    })),
  };
  return { ok: true, conversation, labels };
}

/** One step of a replay: an event to ingest, or a tool call that asks for a verdict before it runs. */
export type ReplayStep =
  | { type: 'event'; event: AgentEvent }
  | { type: 'call'; request: VerdictRequest; message: number; call: number };

function text(content: AgentDojoConversation['messages'][number]['content']): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => p.content ?? p.text ?? '').join('\n');
  return '';
}

/**
 * Turns a conversation into replay steps, in order: `system`/`user` become trusted prompts, assistant text a
 * completion, each assistant tool call a verdict request (seeing only what came before), each `tool` message
 * an untrusted result.
 *
 * @example
 * for (const step of toReplaySteps(conversation, { sessionId: 'run-1', startMillis: 0 })) ...
 */
export function toReplaySteps(
  conversation: AgentDojoConversation,
  options: { sessionId: string; tenantId?: string; agentId?: string; startMillis: number },
): ReplayStep[] {
  const base = {
    tenantId: options.tenantId ?? 'default',
    sessionId: options.sessionId,
    agentId: options.agentId,
  };
  const steps: ReplayStep[] = [];
  const names = new Map<string, string>();
  conversation.messages.forEach((m, i) => {
    const t = options.startMillis + i * 1000;
    const content = text(m.content);
    if (m.role === 'system' || m.role === 'user') {
      if (content)
        steps.push({
          type: 'event',
          event: {
            ...base,
            kind: 'prompt',
            eventId: promptEventId(options.sessionId, m.role, content),
            role: m.role,
            content,
            timestampMillis: t,
          },
        });
      return;
    }
    if (m.role === 'assistant') {
      const calls = m.tool_calls ?? [];
      const toolCalls = calls.map((c, j) => ({
        toolCallId: c.id ?? `m${i}c${j}`,
        toolName: c.function,
        arguments: c.args ?? {},
      }));
      if (content || toolCalls.length > 0) {
        steps.push({
          type: 'event',
          event: {
            ...base,
            kind: 'completion',
            eventId: `${options.sessionId}:m${i}`,
            content,
            toolCalls,
            timestampMillis: t,
          },
        });
      }
      toolCalls.forEach((c, j) => {
        names.set(c.toolCallId, c.toolName);
        steps.push({
          type: 'call',
          message: i,
          call: j,
          request: {
            tenantId: base.tenantId,
            sessionId: options.sessionId,
            agentId: options.agentId,
            toolCall: c,
            events: [],
            timestampMillis: t + j,
          },
        });
      });
      return;
    }
    const toolCallId = m.tool_call_id ?? m.tool_call?.id ?? `m${i}`;
    const toolName = m.tool_call?.function ?? names.get(toolCallId) ?? '';
    steps.push({
      type: 'event',
      event: {
        ...base,
        kind: 'tool_result',
        eventId: `${options.sessionId}:m${i}`,
        toolCallId,
        toolName,
        content: m.error ? `${content}\n${m.error}` : content,
        isError: Boolean(m.error),
        timestampMillis: t + 500,
      },
    });
  });
  return steps;
}
