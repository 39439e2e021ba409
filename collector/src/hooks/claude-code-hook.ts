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

const AGENT = 'claude-code';

/**
 * Claude Code hooks. Follows the Claude Code hooks reference (https://code.claude.com/docs/en/hooks, as of
 * Claude Code 2.x): the hook gets JSON on stdin with `session_id`, `hook_event_name`, `tool_name`,
 * `tool_input`, `tool_use_id` (PreToolUse), plus `tool_response` (PostToolUse), `error` (PostToolUseFailure),
 * `prompt` (UserPromptSubmit); a PreToolUse hook answers on stdout, exit 0, with
 * `{ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'allow'|'deny'|'ask',
 * permissionDecisionReason } }`. `deny` reasons are shown to Claude, `ask` reasons to the user; other events
 * answer `{}` (proceed).
 *
 * Bulwark's decisions map as: allow/alert → `allow` (or no decision with `allow=defer`), require_approval →
 * `ask` (the user approves in Claude Code's own prompt), block → `deny`.
 */
export const claudeCodeHook: HookAdapter = {
  agent: AGENT,
  follows: 'https://code.claude.com/docs/en/hooks (Claude Code 2.x hooks reference)',

  parse(payload: unknown, ctx: HookParseContext): HookParseResult {
    const input = readHookInput(payload, ctx, {
      agent: AGENT,
      writer: 'Claude Code',
      sessionField: 'session_id',
      promptEvent: 'UserPromptSubmit',
      exampleEvent: 'PreToolUse',
    });
    if ('done' in input) return input.done;
    const { o, event, sessionId, payloadSession } = input;
    if (event !== 'PreToolUse' && event !== 'PostToolUse' && event !== 'PostToolUseFailure')
      return { ok: true, step: { kind: 'ignore', event } };
    const rawName = str(o, 'tool_name');
    if (!rawName) return { ok: false, message: `tool_name: required on ${event}` };
    const { toolName, server } = splitMcpName(rawName);
    const args = toolArguments(o.tool_input);
    const toolCall: PendingToolCall = {
      // Older Claude Code versions send no tool_use_id: the same derivation in Pre and Post links them.
      toolCallId:
        str(o, 'tool_use_id') ??
        derivedToolCallId(payloadSession ?? sessionId, [rawName, o.tool_input ?? null]),
      toolName,
      arguments: args,
      ...(server ? { server } : {}),
    };
    if (event === 'PreToolUse')
      return { ok: true, step: { kind: 'pre_tool', event, sessionId, toolCall, events: [] } };
    const failed = event === 'PostToolUseFailure';
    const content = failed ? resultText(o.error ?? '') : resultText(o.tool_response);
    return {
      ok: true,
      step: {
        kind: 'record',
        event,
        sessionId,
        events: callAndResultEvents(ctx, sessionId, AGENT, toolCall, { content, isError: failed }),
      },
    };
  },

  answerVerdict(_step, verdict: Verdict, allow: HookAllowMode): unknown {
    const permissionDecision = hookPermission(verdict, allow);
    if (!permissionDecision) return {};
    return {
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision,
        permissionDecisionReason: verdictReason(verdict),
      },
    };
  },

  answerNeutral(_step: HookStep): unknown {
    return {};
  },

  isPreTool(payload: unknown): boolean {
    return asObject(payload)?.hook_event_name === 'PreToolUse';
  },

  answerUndecided(decision: HookFallbackDecision, reason: string): unknown {
    if (decision === 'allow') return {};
    return {
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: decision,
        permissionDecisionReason: reason,
      },
    };
  },
};
