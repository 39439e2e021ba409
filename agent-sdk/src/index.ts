export type {
  AgentMessageEnvelope,
  AgentMessageTextPart,
  ReceivedAgentMessage,
  SendAgentMessageInput,
} from './agent-messages.js';
export { receiveAgentMessage, sendAgentMessage } from './agent-messages.js';
export { AgentSession, INSTRUMENTATION_NAME, SDK_VERSION } from './agent-session.js';
export { AsyncContextManager } from './async-context-manager.js';
export type { CollectorApprovalsOptions } from './collector-approvals.js';
export { CollectorApprovals } from './collector-approvals.js';
export type { CollectorPath } from './collector-url.js';
export { collectorEndpoint, DEFAULT_COLLECTOR_URL } from './collector-url.js';
export type { CaptureMode } from './content-capture.js';
export type { ApprovalRefusal } from './errors.js';
export { AgentSdkError, ApprovalDeniedError, ToolCallBlockedError } from './errors.js';
export { VERDICT_UNAVAILABLE_DETECTOR } from './fallback-verdict.js';
export type { InstrumentMcpClientOptions } from './instrument-mcp-client.js';
export {
  getAgentSession,
  instrumentMcpClient,
  TOOL_CALL_ID_META_KEY,
  uninstrumentMcpClient,
  VERDICT_META_KEY,
} from './instrument-mcp-client.js';
export type { MetaCarrier } from './mcp-context.js';
export { extractMcpContext, injectMcpContext } from './mcp-context.js';
export type { LlmCall, RecordedLlmCall } from './record-llm-call.js';
export { recordLlmCall } from './record-llm-call.js';
export type { RedactResult } from './redact-secrets.js';
export { redactSecrets } from './redact-secrets.js';
export type { RemoteVerdictProviderOptions } from './remote-verdict-provider.js';
export { DEFAULT_VERDICT_URL, RemoteVerdictProvider } from './remote-verdict-provider.js';
export type { AgentSessionOptions, ApprovalHandler, ApprovalRequest } from './session-options.js';
