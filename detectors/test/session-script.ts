import type { AgentEvent, AgentEventInput, VerdictRequest } from '@bulwark/contracts';
import { AgentEventSchema, promptEventId } from '@bulwark/contracts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Builds hand-written sessions for tests and examples: `s.user('…')`, `s.result('read_file', '…')`,
 * `s.call('send_money', { … })` → a verdict request seeing everything before it.
 */
export class SessionScript {
  private n = 0;
  private t = 1_000;
  readonly events: AgentEvent[] = [];
  constructor(
    readonly sessionId = 'sess-1',
    readonly tenantId = 'default',
    readonly agentId = 'agent-1',
  ) {}

  private push(
    e: DistributiveOmit<AgentEventInput, 'tenantId' | 'sessionId' | 'timestampMillis' | 'agentId'>,
  ): AgentEvent {
    this.t += 1_000;
    const ev = AgentEventSchema.parse({
      tenantId: this.tenantId,
      sessionId: this.sessionId,
      agentId: this.agentId,
      timestampMillis: this.t,
      ...e,
    });
    this.events.push(ev);
    return ev;
  }

  system(content: string): AgentEvent {
    return this.push({
      kind: 'prompt',
      role: 'system',
      content,
      eventId: promptEventId(this.sessionId, 'system', content),
    });
  }

  user(content: string): AgentEvent {
    return this.push({
      kind: 'prompt',
      role: 'user',
      content,
      eventId: promptEventId(this.sessionId, 'user', content),
    });
  }

  result(toolName: string, content: string): AgentEvent {
    const id = `c${++this.n}`;
    return this.push({ kind: 'tool_result', eventId: `r-${id}`, toolCallId: id, toolName, content });
  }

  message(peerAgent: string, content: string): AgentEvent {
    return this.push({
      kind: 'agent_message',
      eventId: `m-${++this.n}`,
      direction: 'received',
      peerAgent,
      content,
    });
  }

  tools(
    tools: Array<{ name: string; description?: string; inputSchema?: Record<string, unknown> }>,
    server = 'srv',
  ): AgentEvent {
    return this.push({
      kind: 'tool_definitions',
      eventId: `d-${++this.n}`,
      tools: tools.map((t) => ({ ...t, server })),
      server,
    });
  }

  /** A verdict request for a call about to run (events are expected to be ingested already). */
  call(toolName: string, args: Record<string, unknown>): VerdictRequest {
    this.t += 1_000;
    return {
      tenantId: this.tenantId,
      sessionId: this.sessionId,
      agentId: this.agentId,
      toolCall: { toolCallId: `call-${++this.n}`, toolName, arguments: args },
      events: [],
      timestampMillis: this.t,
    };
  }
}
