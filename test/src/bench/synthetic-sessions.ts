import type { AgentEvent, VerdictRequest } from '@bulwark/contracts';
import { promptEventId } from '@bulwark/contracts';

const WORDS =
  'account balance meeting project report invoice schedule review update customer order delivery payment team budget travel hotel flight calendar notes draft summary quarter revenue contract support ticket'.split(
    ' ',
  );

/** A deterministic pseudo-random text of about `chars` characters with a few identifiers in it. */
function text(seed: number, chars: number): string {
  let s = '';
  let x = seed * 2654435761;
  while (s.length < chars) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = WORDS[x % WORDS.length]!;
    s +=
      x % 17 === 0
        ? ` ${w}-${x % 9973}@example.com`
        : x % 23 === 0
          ? ` DE${(x % 90) + 10}37040044053201${x % 10000}`
          : ` ${w}`;
    if (x % 11 === 0) s += '.';
  }
  return s;
}

/**
 * A realistic synthetic agent session: system and user prompts, then `turns` rounds of a completion, a tool
 * call and a ~1 KB tool result. Deterministic in `i`. Used where the AgentDojo data is not available.
 */
export function syntheticSession(
  i: number,
  turns = 3,
  tenantId = 'bench',
): { events: AgentEvent[]; calls: VerdictRequest[] } {
  const sessionId = `s-${i}`;
  const base = { tenantId, sessionId, agentId: `agent-${i % 20}` };
  const events: AgentEvent[] = [];
  const calls: VerdictRequest[] = [];
  let t = 1_700_000_000_000 + i * 1000;
  const sys = 'You are a helpful assistant for the operations team. Use the tools provided.';
  const user = `Please check ${WORDS[i % WORDS.length]} ${i} and send a summary to ops-${i % 50}@example.com.`;
  events.push({
    ...base,
    kind: 'prompt',
    role: 'system',
    content: sys,
    eventId: promptEventId(sessionId, 'system', sys),
    timestampMillis: t++,
  });
  events.push({
    ...base,
    kind: 'prompt',
    role: 'user',
    content: user,
    eventId: promptEventId(sessionId, 'user', user),
    timestampMillis: t++,
  });
  const tools = ['search_documents', 'read_file', 'get_records', 'send_email'];
  for (let k = 0; k < turns; k++) {
    const name = tools[k % 3]!;
    const id = `${sessionId}-c${k}`;
    events.push({
      ...base,
      kind: 'completion',
      eventId: `${id}-m`,
      content: `Let me use ${name}.`,
      toolCalls: [
        { toolCallId: id, toolName: name, arguments: { query: `${WORDS[(i + k) % WORDS.length]}` } },
      ],
      timestampMillis: t++,
    });
    calls.push({
      ...base,
      toolCall: { toolCallId: id, toolName: name, arguments: { query: `${WORDS[(i + k) % WORDS.length]}` } },
      events: [],
      timestampMillis: t++,
    });
    events.push({
      ...base,
      kind: 'tool_call',
      eventId: `${id}-call`,
      toolCallId: id,
      toolName: name,
      arguments: { query: 'x' },
      timestampMillis: t++,
    });
    events.push({
      ...base,
      kind: 'tool_result',
      eventId: `${id}-r`,
      toolCallId: id,
      toolName: name,
      content: text(i * 31 + k, 1000),
      isError: false,
      timestampMillis: t++,
    });
  }
  calls.push({
    ...base,
    toolCall: {
      toolCallId: `${sessionId}-send`,
      toolName: 'send_email',
      arguments: { to: `ops-${i % 50}@example.com`, subject: 'Summary', body: text(i, 300) },
    },
    events: [],
    timestampMillis: t++,
  });
  return { events, calls };
}
