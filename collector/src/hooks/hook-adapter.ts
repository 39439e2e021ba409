import {
  type AgentEvent,
  AgentEventSchema,
  type PendingToolCall,
  promptEventId,
  stableHash,
  toolResultEventId,
  type Verdict,
} from '@bulwark/contracts';

/**
 * What one hook payload asks of Bulwark, whatever agent sent it:
 * - `pre_tool`: decide on a tool call about to run (and record `events` first, e.g. nothing);
 * - `record`: record what happened (a tool's result, the user's prompt) so later calls see its provenance;
 * - `ignore`: a hook event Bulwark has no use for; answered with the agent's neutral answer.
 */
export type HookStep =
  | { kind: 'pre_tool'; event: string; sessionId: string; toolCall: PendingToolCall; events: AgentEvent[] }
  | { kind: 'record'; event: string; sessionId: string; events: AgentEvent[] }
  | { kind: 'ignore'; event: string };

/** Context of one hook request, set by the route. */
export interface HookParseContext {
  tenantId: string;
  /** Session to use instead of the payload's (header `x-bulwark-session-id`: join a `bulwark proxy` session). */
  sessionId?: string;
  receivedAtMillis: number;
}

/** How an allow verdict is answered: `allow` says so explicitly; `defer` leaves it to the agent's own permission rules. */
export type HookAllowMode = 'allow' | 'defer';

/**
 * The answer to a pre-tool hook Bulwark could not decide (bad credentials, unreadable payload, collector
 * busy): `deny` refuses the call, `ask` hands it to the user, `allow` lets the agent's own rules decide.
 */
export type HookFallbackDecision = 'deny' | 'ask' | 'allow';

export type HookParseResult = { ok: true; step: HookStep } | { ok: false; message: string };

/**
 * One coding agent's hook format: its payload in, its answer out. Each adapter cites the documentation (and
 * version) it follows; the route is the same for every agent (`POST /v1/hooks/<agent>`).
 */
export interface HookAdapter {
  /** Path segment: `/v1/hooks/<agent>`. */
  readonly agent: string;
  /** The documented format this adapter follows (doc URL and version). */
  readonly follows: string;
  parse(payload: unknown, ctx: HookParseContext): HookParseResult;
  /** The agent's answer to a decided `pre_tool` step. */
  answerVerdict(
    step: Extract<HookStep, { kind: 'pre_tool' }>,
    verdict: Verdict,
    allow: HookAllowMode,
  ): unknown;
  /** The agent's answer to a `record` or `ignore` step (the agent proceeds). */
  answerNeutral(step: HookStep): unknown;
  /**
   * True when the payload names one of the agent's pre-tool events, read from its event name alone (the
   * payload may be invalid or too deep to parse): such a hook is answered in the agent's format, never with
   * an HTTP error, which the agents treat as "run the tool".
   */
  isPreTool(payload: unknown): boolean;
  /** The agent's pre-tool answer when Bulwark could not decide: `reason` is shown to the agent and the user. */
  answerUndecided(decision: HookFallbackDecision, reason: string): unknown;
}

// ---------------------------------------------------------------- helpers shared by the adapters

/** A plain JSON object, or undefined. */
export function asObject(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** A non-empty string field, or undefined. */
export function str(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Tool arguments as a JSON object: objects as they are, JSON text parsed, anything else wrapped as `input`. */
export function toolArguments(v: unknown): Record<string, unknown> {
  const o = asObject(v);
  if (o) return o;
  if (typeof v === 'string') {
    try {
      const parsed = asObject(JSON.parse(v));
      if (parsed) return parsed;
    } catch {
      // not JSON: kept as text below
    }
    return v === '' ? {} : { input: v };
  }
  return v === undefined || v === null ? {} : { input: v };
}

/**
 * The text of a tool's result as agents report it: a string, MCP content parts (`[{ type: 'text', text }]`,
 * also under `content`), a shell result (`stdout`/`stderr`/`output`), or any other JSON (serialized).
 */
export function resultText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') {
    // Cursor's result_json is JSON text: its text parts are the content.
    const t = v.trim();
    if (t.startsWith('{') || t.startsWith('[')) {
      try {
        return resultText(JSON.parse(t)) || v;
      } catch {
        return v;
      }
    }
    return v;
  }
  if (Array.isArray(v)) {
    const texts = v.map((p) => {
      const o = asObject(p);
      return o && typeof o.text === 'string' ? o.text : resultText(p);
    });
    return texts.filter((t) => t !== '').join('\n');
  }
  const o = asObject(v);
  if (o) {
    if (Array.isArray(o.content)) return resultText(o.content);
    const parts = ['stdout', 'stderr', 'output', 'result', 'text']
      .map((k) => o[k])
      .filter((x): x is string => typeof x === 'string' && x !== '');
    if (parts.length > 0) return parts.join('\n');
  }
  return JSON.stringify(v);
}

/** MCP tools as agents name them: `mcp__server__tool` (Claude Code), `MCP:server:tool` (Cursor). */
export function splitMcpName(name: string): { toolName: string; server?: string } {
  const claude = /^mcp__(.+?)__(.+)$/.exec(name);
  if (claude) return { server: claude[1]!, toolName: claude[2]! };
  const cursor = /^MCP:([^:]+):(.+)$/.exec(name);
  if (cursor) return { server: cursor[1]!, toolName: cursor[2]! };
  return { toolName: name };
}

/**
 * A tool call id for agents that send none: derived from what the pre- and post-tool hooks both carry, so the
 * result lands on the call that produced it.
 */
export function derivedToolCallId(sessionId: string, parts: readonly unknown[]): string {
  return `hook-${stableHash([sessionId, ...parts]).slice(0, 24)}`;
}

/** Builds the events a post-tool hook records: the call (as it ran) and its result. */
export function callAndResultEvents(
  ctx: HookParseContext,
  sessionId: string,
  agentId: string,
  call: PendingToolCall,
  result: { content: string; isError: boolean },
): AgentEvent[] {
  const base = { tenantId: ctx.tenantId, sessionId, agentId, agentName: agentId };
  const t = ctx.receivedAtMillis;
  return [
    AgentEventSchema.parse({
      ...base,
      kind: 'tool_call',
      eventId: `c-${stableHash([sessionId, call.toolCallId]).slice(0, 24)}`,
      timestampMillis: t,
      toolCallId: call.toolCallId,
      toolName: call.toolName,
      arguments: call.arguments,
      ...(call.server ? { server: call.server } : {}),
    }),
    AgentEventSchema.parse({
      ...base,
      kind: 'tool_result',
      eventId: toolResultEventId(sessionId, call.toolCallId, call.toolCallId),
      timestampMillis: t,
      toolCallId: call.toolCallId,
      toolName: call.toolName,
      content: result.content,
      isError: result.isError,
      ...(call.server ? { server: call.server } : {}),
    }),
  ];
}

/** The user's prompt as a prompt event (the session's trusted intent). */
export function userPromptEvent(
  ctx: HookParseContext,
  sessionId: string,
  agentId: string,
  content: string,
): AgentEvent {
  return AgentEventSchema.parse({
    kind: 'prompt',
    role: 'user',
    content,
    eventId: promptEventId(sessionId, 'user', content),
    tenantId: ctx.tenantId,
    sessionId,
    agentId,
    agentName: agentId,
    timestampMillis: ctx.receivedAtMillis,
  });
}

/** One line saying why a verdict refused or questions a call, for the agent and the user. */
export function verdictReason(verdict: Verdict): string {
  const top = verdict.reasons.find((r) => r.decision === verdict.decision) ?? verdict.reasons[0];
  const what =
    verdict.decision === 'block'
      ? 'blocked'
      : verdict.decision === 'require_approval'
        ? 'needs your approval'
        : verdict.decision === 'alert'
          ? 'allowed with an alert'
          : 'allowed';
  return top
    ? `Bulwark ${what} ${verdict.toolName}: ${top.message} [${top.detectorId}]`
    : `Bulwark ${what} ${verdict.toolName}`;
}

/**
 * What an agent's permission field says for a verdict: block → `deny`, require_approval → `ask` (the user
 * approves in the agent's own prompt), allow/alert → `allow`, or `undefined` (no decision, the agent's own
 * permission rules apply) for allow/alert under `allow=defer`.
 */
export function hookPermission(verdict: Verdict, allow: HookAllowMode): HookFallbackDecision | undefined {
  const d = verdict.decision;
  if (d === 'block') return 'deny';
  if (d === 'require_approval') return 'ask';
  return allow === 'defer' ? undefined : 'allow';
}

/** Where an agent's hook input names its event, session and prompt. */
export interface HookInputShape {
  agent: string;
  /** e.g. "Claude Code", for messages. */
  writer: string;
  sessionField: string;
  promptEvent: string;
  exampleEvent: string;
}

/**
 * The part every hook input shares: the JSON object, its event name and session (the `x-bulwark-session-id`
 * header wins), and the prompt-submit event recorded as the user's prompt. `done` when that already answers
 * the input; otherwise the adapter reads the tool call from `o`.
 */
export function readHookInput(
  payload: unknown,
  ctx: HookParseContext,
  shape: HookInputShape,
):
  | { done: HookParseResult }
  | { o: Record<string, unknown>; event: string; sessionId: string; payloadSession: string | undefined } {
  const o = asObject(payload);
  if (!o)
    return {
      done: { ok: false, message: `expected the hook input JSON object ${shape.writer} writes to stdin` },
    };
  const event = str(o, 'hook_event_name');
  if (!event)
    return { done: { ok: false, message: `hook_event_name: required (e.g. "${shape.exampleEvent}")` } };
  const payloadSession = str(o, shape.sessionField);
  const sessionId = ctx.sessionId ?? payloadSession;
  if (!sessionId) return { done: { ok: false, message: `${shape.sessionField}: required` } };
  if (event === shape.promptEvent) {
    const prompt = str(o, 'prompt');
    if (!prompt) return { done: { ok: true, step: { kind: 'ignore', event } } };
    return {
      done: {
        ok: true,
        step: {
          kind: 'record',
          event,
          sessionId,
          events: [userPromptEvent(ctx, sessionId, shape.agent, prompt)],
        },
      },
    };
  }
  return { o, event, sessionId, payloadSession };
}
