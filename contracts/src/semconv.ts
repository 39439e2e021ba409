/**
 * Attribute names Bulwark reads and writes.
 *
 * Follows OpenTelemetry semantic conventions v1.41.0 (GenAI and MCP, status: Development).
 * After v1.41 the GenAI and MCP conventions moved to the `semantic-conventions-genai` repository;
 * the names below are unchanged there. Copied as constants (not imported from
 * `@opentelemetry/semantic-conventions`) so that contracts keeps zod as its only dependency.
 * `bulwark.*` names exist only for what the conventions lack: verdicts, provenance labels, tenant.
 */

// --- GenAI (gen_ai.*) ---
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const GEN_AI_OPERATION_CHAT = 'chat';
export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool';
export const GEN_AI_OPERATION_INVOKE_AGENT = 'invoke_agent';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments';
export const ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result';
export const ATTR_GEN_AI_TOOL_DEFINITIONS = 'gen_ai.tool.definitions';
export const ATTR_GEN_AI_TOOL_DESCRIPTION = 'gen_ai.tool.description';
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const ATTR_GEN_AI_AGENT_ID = 'gen_ai.agent.id';
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';

// --- MCP (mcp.*) and JSON-RPC ---
export const ATTR_MCP_METHOD_NAME = 'mcp.method.name';
export const ATTR_MCP_SESSION_ID = 'mcp.session.id';
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version';
export const ATTR_MCP_RESOURCE_URI = 'mcp.resource.uri';
export const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id';
export const MCP_METHOD_TOOLS_LIST = 'tools/list';
export const MCP_METHOD_TOOLS_CALL = 'tools/call';
export const MCP_METHOD_RESOURCES_READ = 'resources/read';
export const MCP_METHOD_PROMPTS_GET = 'prompts/get';
export const MCP_METHOD_SAMPLING_CREATE_MESSAGE = 'sampling/createMessage';
export const MCP_METHOD_ELICITATION_CREATE = 'elicitation/create';

// --- General conventions used alongside ---
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_ERROR_TYPE = 'error.type';

// --- bulwark.* (only what the conventions lack) ---
export const ATTR_BULWARK_TENANT_ID = 'bulwark.tenant.id';
/** Session id when neither `gen_ai.conversation.id` nor `mcp.session.id` fits. */
export const ATTR_BULWARK_SESSION_ID = 'bulwark.session.id';
/** Which AgentEvent kind a span or span event carries, when not derivable from gen_ai/mcp names. */
export const ATTR_BULWARK_EVENT_KIND = 'bulwark.event.kind';
export const ATTR_BULWARK_EVENT_ID = 'bulwark.event.id';
export const ATTR_BULWARK_VERDICT_DECISION = 'bulwark.verdict.decision';
export const ATTR_BULWARK_VERDICT_REASONS = 'bulwark.verdict.reasons';
export const ATTR_BULWARK_VERDICT_DETECTORS = 'bulwark.verdict.detector_ids';
export const ATTR_BULWARK_VERDICT_SOURCE = 'bulwark.verdict.source';
export const ATTR_BULWARK_VERDICT_DECISION_MICROS = 'bulwark.verdict.decision_time_us';
/** What the client enforced on the tool call (`allow`, `alert`, `block`), fallbacks included. */
export const ATTR_BULWARK_ENFORCED_DECISION = 'bulwark.enforced.decision';
/** Where the enforced decision came from: `verdict`, `fallback_timeout`, `fallback_error`, `fallback_unavailable`. */
export const ATTR_BULWARK_ENFORCED_SOURCE = 'bulwark.enforced.source';
/** Why a fallback was enforced, or why the call was refused despite its verdict. */
export const ATTR_BULWARK_ENFORCED_REASON = 'bulwark.enforced.reason';
export const ATTR_BULWARK_APPROVAL_OUTCOME = 'bulwark.approval.outcome';
export const ATTR_BULWARK_PROVENANCE_INTEGRITY = 'bulwark.provenance.integrity';
export const ATTR_BULWARK_PROVENANCE_CONFIDENTIALITY = 'bulwark.provenance.confidentiality';
export const ATTR_BULWARK_SERVER_NAME = 'bulwark.mcp.server.name';
export const ATTR_BULWARK_SERVER_VERSION = 'bulwark.mcp.server.version';
export const ATTR_BULWARK_RESOURCE_CONTENT = 'bulwark.mcp.resource.content';
export const ATTR_BULWARK_TOOL_IS_ERROR = 'bulwark.tool.is_error';
export const ATTR_BULWARK_MESSAGE_DIRECTION = 'bulwark.agent_message.direction';
export const ATTR_BULWARK_MESSAGE_PEER = 'bulwark.agent_message.peer';
export const ATTR_BULWARK_MESSAGE_CONTENT = 'bulwark.agent_message.content';
export const ATTR_BULWARK_CAPTURE_TRUNCATED = 'bulwark.capture.truncated';
export const ATTR_BULWARK_CAPTURE_REDACTED = 'bulwark.capture.redacted';
export const ATTR_BULWARK_PROMPT_NAME = 'bulwark.mcp.prompt.name';
