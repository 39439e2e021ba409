import { BulwarkError, type Verdict } from '@bulwark/contracts';

/**
 * Errors of the agent SDK. `code` values are stable: `agent-sdk.<what>`.
 *
 * @example
 * throw new AgentSdkError('invalid_options', 'capture must be redacted, full or none');
 */
export class AgentSdkError extends BulwarkError {
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code.startsWith('agent-sdk.') ? code : `agent-sdk.${code}`, message, options);
    this.name = 'AgentSdkError';
  }
}

/**
 * The verdict blocked a tool call; raised instead of an `isError` result when `onBlock: 'throw'`.
 *
 * @example
 * try { await client.callTool({ name: 'send_money', arguments }); }
 * catch (err) { if (err instanceof ToolCallBlockedError) showUser(err.verdict.reasons); }
 */
export class ToolCallBlockedError extends AgentSdkError {
  readonly verdict: Verdict;
  readonly toolName: string;
  readonly toolCallId: string;
  constructor(message: string, verdict: Verdict, toolName: string, toolCallId: string) {
    super('agent-sdk.tool_call_blocked', message, { retriable: false });
    this.name = 'ToolCallBlockedError';
    this.verdict = verdict;
    this.toolName = toolName;
    this.toolCallId = toolCallId;
  }
}

/** Why a `require_approval` tool call did not run. */
export type ApprovalRefusal = 'denied' | 'no_handler' | 'handler_failed' | 'arguments_changed';

/**
 * A `require_approval` verdict was not approved, the approval handler failed, or the arguments changed
 * after the decision; raised instead of an `isError` result when `onBlock: 'throw'`.
 *
 * @example
 * catch (err) { if (err instanceof ApprovalDeniedError && err.outcome === 'arguments_changed') retry(); }
 */
export class ApprovalDeniedError extends AgentSdkError {
  readonly verdict: Verdict;
  readonly outcome: ApprovalRefusal;
  readonly toolName: string;
  readonly toolCallId: string;
  constructor(
    message: string,
    verdict: Verdict,
    outcome: ApprovalRefusal,
    toolName: string,
    toolCallId: string,
  ) {
    super('agent-sdk.approval_denied', message, { retriable: false });
    this.name = 'ApprovalDeniedError';
    this.verdict = verdict;
    this.outcome = outcome;
    this.toolName = toolName;
    this.toolCallId = toolCallId;
  }
}
