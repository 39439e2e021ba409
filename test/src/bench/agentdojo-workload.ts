import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AgentEvent, VerdictRequest } from '@bulwark/contracts';
import { stripAnswerKey, toReplaySteps } from '@bulwark/detectors/eval';

/** Where the shared AgentDojo runs live relative to the repository root. */
export const AGENTDOJO_FILE = resolve(process.cwd(), '../shared/agentdojo/runs-dev.jsonl.gz');

/**
 * AgentDojo runs as replay sessions (events with `tool_call` markers where a verdict is asked), or undefined
 * when the shared data is absent.
 */
export function agentDojoWorkload(
  file = AGENTDOJO_FILE,
): { sessions: Array<{ events: AgentEvent[]; calls: VerdictRequest[] }>; source: string } | undefined {
  if (!existsSync(file)) return undefined;
  const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n');
  const sessions: Array<{ events: AgentEvent[]; calls: VerdictRequest[] }> = [];
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    const res = stripAnswerKey(JSON.parse(line));
    if (!res.ok) continue;
    const events: AgentEvent[] = [];
    const calls: VerdictRequest[] = [];
    for (const step of toReplaySteps(res.conversation, {
      sessionId: `run-${i}`,
      startMillis: i * 10_000_000,
    })) {
      if (step.type === 'event') events.push(step.event);
      else {
        calls.push(step.request);
        const c = step.request.toolCall;
        events.push({
          kind: 'tool_call',
          eventId: `run-${i}:${c.toolCallId}`,
          tenantId: 'default',
          sessionId: `run-${i}`,
          timestampMillis: step.request.timestampMillis ?? 0,
          toolCallId: c.toolCallId,
          toolName: c.toolName,
          arguments: c.arguments,
        });
      }
    }
    sessions.push({ events, calls });
  }
  return { sessions, source: `${sessions.length} AgentDojo runs` };
}
