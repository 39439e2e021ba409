import type { PendingToolCall, Verdict } from '@bulwark/contracts';
import {
  asObject,
  callAndResultEvents,
  derivedToolCallId,
  type HookAdapter,
  type HookAllowMode,
  type HookFallbackDecision,
  type HookParseContext,
  type HookParseResult,
  type HookStep,
  hookPermission,
  readHookInput,
  resultText,
  splitMcpName,
  str,
  toolArguments,
  verdictReason,
} from './hook-adapter.js';

const AGENT = 'cursor';
/** The tool name Bulwark records shell commands under (Cursor's shell hooks carry no tool name). */
const SHELL_TOOL = 'run_shell_command';

const BEFORE = new Set(['beforeShellExecution', 'beforeMCPExecution', 'preToolUse']);
const AFTER = new Set(['afterShellExecution', 'afterMCPExecution', 'postToolUse']);

/** The call a Cursor tool hook is about, or an error message. */
function toolCallOf(
  o: Record<string, unknown>,
  event: string,
  sessionId: string,
): PendingToolCall | { error: string } {
  if (event.endsWith('ShellExecution')) {
    const command = str(o, 'command');
    if (!command) return { error: `command: required on ${event}` };
    const args: Record<string, unknown> = { command, ...(str(o, 'cwd') ? { cwd: str(o, 'cwd') } : {}) };
    return {
      toolCallId:
        str(o, 'tool_use_id') ??
        derivedToolCallId(sessionId, [str(o, 'generation_id') ?? '', SHELL_TOOL, command]),
      toolName: SHELL_TOOL,
      arguments: args,
    };
  }
  const rawName = str(o, 'tool_name');
  if (!rawName) return { error: `tool_name: required on ${event}` };
  const { toolName, server } = splitMcpName(rawName);
  const input = o.tool_input ?? null;
  const inputKey = typeof input === 'string' ? input : JSON.stringify(input);
  return {
    toolCallId:
      str(o, 'tool_use_id') ??
      derivedToolCallId(sessionId, [str(o, 'generation_id') ?? '', rawName, inputKey]),
    toolName,
    arguments: toolArguments(input),
    ...(server ? { server } : {}),
  };
}

/**
 * Cursor agent hooks. Follows Cursor's hooks documentation (https://cursor.com/docs/agent/hooks, hooks.json
 * `version: 1`, Cursor 1.7 and later): every hook gets JSON on stdin with `hook_event_name`,
 * `conversation_id`, `generation_id`, `workspace_roots`; `beforeShellExecution`/`afterShellExecution` carry
 * `command`, `cwd` (and `output`), `beforeMCPExecution`/`afterMCPExecution` carry `tool_name`, `tool_input`
 * (and `result_json`), `beforeSubmitPrompt` carries `prompt`. The before-hooks answer
 * `{ permission: 'allow'|'deny'|'ask', user_message, agent_message }`; `beforeSubmitPrompt` answers
 * `{ continue: true }`; after-hooks answer `{}`. The generic `preToolUse`/`postToolUse` events of later
 * versions (`tool_name`, `tool_input`, `tool_output`) are read the same way.
 *
 * Bulwark's decisions map as: allow/alert → `allow` (or `{}` with `allow=defer`), require_approval → `ask`,
 * block → `deny`.
 */
export const cursorHook: HookAdapter = {
  agent: AGENT,
  follows: 'https://cursor.com/docs/agent/hooks (Cursor hooks.json version 1, Cursor 1.7+)',

  parse(payload: unknown, ctx: HookParseContext): HookParseResult {
    const input = readHookInput(payload, ctx, {
      agent: AGENT,
      writer: 'Cursor',
      sessionField: 'conversation_id',
      promptEvent: 'beforeSubmitPrompt',
      exampleEvent: 'beforeMCPExecution',
    });
    if ('done' in input) return input.done;
    const { o, event, sessionId, payloadSession } = input;
    if (!BEFORE.has(event) && !AFTER.has(event)) return { ok: true, step: { kind: 'ignore', event } };
    const call = toolCallOf(o, event, payloadSession ?? sessionId);
    if ('error' in call) return { ok: false, message: call.error };
    if (BEFORE.has(event))
      return { ok: true, step: { kind: 'pre_tool', event, sessionId, toolCall: call, events: [] } };
    const raw =
      event === 'afterShellExecution' ? o.output : (o.result_json ?? o.tool_output ?? o.tool_response);
    return {
      ok: true,
      step: {
        kind: 'record',
        event,
        sessionId,
        events: callAndResultEvents(ctx, sessionId, AGENT, call, {
          content: resultText(raw),
          isError: false,
        }),
      },
    };
  },

  answerVerdict(_step, verdict: Verdict, allow: HookAllowMode): unknown {
    const permission = hookPermission(verdict, allow);
    if (!permission) return {};
    const reason = verdictReason(verdict);
    return { permission, user_message: reason, agent_message: reason };
  },

  answerNeutral(step: HookStep): unknown {
    return step.event === 'beforeSubmitPrompt' ? { continue: true } : {};
  },

  isPreTool(payload: unknown): boolean {
    const event = asObject(payload)?.hook_event_name;
    return typeof event === 'string' && BEFORE.has(event);
  },

  answerUndecided(decision: HookFallbackDecision, reason: string): unknown {
    if (decision === 'allow') return {};
    return { permission: decision, user_message: reason, agent_message: reason };
  },
};
