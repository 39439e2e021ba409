import {
  type AgentEvent,
  type AgentEventInput,
  AgentEventSchema,
  type EnforcedDecision,
  formatZodIssues,
  type PendingToolCall,
  semconv as sc,
  type Verdict,
  type VerdictProvider,
  type VerdictRequest,
  VerdictSchema,
} from '@bulwark/contracts';
import { type Attributes, diag, type Span, type Tracer, trace } from '@opentelemetry/api';
import {
  type AgentMessageEnvelope,
  type ReceivedAgentMessage,
  receiveAgentMessage,
  type SendAgentMessageInput,
  sendAgentMessage,
} from './agent-messages.js';
import { type CaptureFlags, type CaptureMode, ContentCapture, limitJson } from './content-capture.js';
import { EventQueue } from './event-queue.js';
import { fallbackVerdict } from './fallback-verdict.js';
import { type LlmCall, type RecordedLlmCall, recordLlmCall } from './record-llm-call.js';
import type { RecordedEventBase, RecordingSession } from './recording-session.js';
import { RemoteVerdictProvider } from './remote-verdict-provider.js';
import { safely, spanIds } from './safely.js';
import {
  AGENT_SESSION_OPTION_KEYS,
  type AgentSessionOptions,
  type ApprovalHandler,
  resolveSessionOptions,
  warnUnknownOptions,
} from './session-options.js';

/** Instrumentation scope name of every span the SDK creates. */
export const INSTRUMENTATION_NAME = '@bulwark/agent-sdk';
/** Version of this package (instrumentation scope version). */
export const SDK_VERSION = '0.1.0';

/** Event fields that carry content: redacted for the provider when `verdictContent: 'redacted'`. */
const CONTENT_FIELDS = new Set(['content', 'arguments', 'toolCalls']);

/**
 * Everything one agent run shares: identity (tenant, session, agent), the tracer, the capture policy, the
 * verdict provider, and the bounded buffer of events observed since the last verdict request. MCP clients,
 * LLM-call recording and inter-agent messages of one run should share one session.
 *
 * @example
 * const session = new AgentSession({ agentName: 'travel-agent', verdictProvider: new RemoteVerdictProvider() });
 * instrumentMcpClient(client, { session });
 * session.recordLlmCall({ request, response, provider: 'openai' });
 */
export class AgentSession implements RecordingSession {
  readonly tenantId: string;
  readonly sessionId: string;
  readonly agentId: string | undefined;
  readonly agentName: string | undefined;
  readonly tracer: Tracer;
  readonly capture: ContentCapture;
  readonly verdictContent: 'full' | 'redacted';
  readonly maxVerdictFieldBytes: number;
  readonly verdictProvider: VerdictProvider | undefined;
  readonly onVerdictUnavailable: 'allow' | 'block';
  readonly onBlock: 'result' | 'throw';
  readonly onApprovalRequired: ApprovalHandler | undefined;
  /** Events observed since the last verdict request. */
  readonly events: EventQueue;
  private readonly toolNames = new Map<string, string>();
  /** Decisions enforced since the last delivered verdict request (oldest dropped past the event bound). */
  private enforced: EnforcedDecision[] = [];
  private readonly maxEnforced: number;

  /** Throws `AgentSdkError` (`agent-sdk.invalid_options`) listing every invalid option or `BULWARK_*` variable. */
  constructor(options: AgentSessionOptions = {}, env: Record<string, string | undefined> = process.env) {
    warnUnknownOptions('AgentSession', options, AGENT_SESSION_OPTION_KEYS);
    const o = resolveSessionOptions(options, env);
    this.tenantId = o.tenantId;
    this.sessionId = o.sessionId;
    this.agentId = o.agentId;
    this.agentName = o.agentName;
    this.tracer = o.tracer ?? trace.getTracer(INSTRUMENTATION_NAME, SDK_VERSION);
    this.capture = new ContentCapture(o.capture, o.maxAttributeBytes, o.maxVerdictFieldBytes);
    this.verdictContent = o.verdictContent;
    this.maxVerdictFieldBytes = o.maxVerdictFieldBytes;
    this.verdictProvider =
      o.verdictProvider ?? (o.verdictUrl ? new RemoteVerdictProvider({ url: o.verdictUrl }, env) : undefined);
    this.onVerdictUnavailable = o.onVerdictUnavailable;
    this.onBlock = o.onBlock;
    this.onApprovalRequired = o.onApprovalRequired;
    this.events = new EventQueue({ maxEvents: o.maxQueuedEvents });
    this.maxEnforced = o.maxQueuedEvents;
  }

  /**
   * Notes what was enforced on a tool call (fallbacks included); sent with the next verdict request so the
   * collector records what ran, not only what it answered. Never throws.
   */
  recordEnforced(decision: EnforcedDecision): void {
    this.enforced.push(decision);
    if (this.enforced.length > this.maxEnforced)
      this.enforced.splice(0, this.enforced.length - this.maxEnforced);
  }

  /** Enforced decisions not yet delivered to the provider. */
  get pendingEnforced(): readonly EnforcedDecision[] {
    return this.enforced;
  }

  get captureMode(): CaptureMode {
    return this.capture.mode;
  }

  /** Attributes every span of the session carries (tenant, conversation = session, agent). */
  commonAttributes(): Attributes {
    const a: Attributes = {
      [sc.ATTR_BULWARK_TENANT_ID]: this.tenantId,
      [sc.ATTR_GEN_AI_CONVERSATION_ID]: this.sessionId,
      [sc.ATTR_BULWARK_SESSION_ID]: this.sessionId,
    };
    if (this.agentId) a[sc.ATTR_GEN_AI_AGENT_ID] = this.agentId;
    if (this.agentName) a[sc.ATTR_GEN_AI_AGENT_NAME] = this.agentName;
    return a;
  }

  /** Identity and span fields of an event recorded by `span`. */
  eventBase(span: Span, server?: string): RecordedEventBase {
    const base: RecordedEventBase = {
      tenantId: this.tenantId,
      sessionId: this.sessionId,
      timestampMillis: Date.now(),
      ...spanIds(span),
    };
    if (this.agentId) base.agentId = this.agentId;
    if (this.agentName) base.agentName = this.agentName;
    if (server) base.server = server;
    return base;
  }

  /**
   * Queues an observed event for the next verdict request, in the provider's form (`verdictContent`, capped
   * at `maxVerdictFieldBytes` per field). Invalid events are reported to `diag` and skipped; never throws.
   */
  observe(event: AgentEventInput): AgentEvent | undefined {
    return safely(
      'queue event',
      () => {
        const flags: CaptureFlags = { truncated: false, redacted: false };
        const limited: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(event)) {
          limited[k] = limitJson(
            v,
            this.maxVerdictFieldBytes,
            this.verdictContent === 'redacted' && CONTENT_FIELDS.has(k),
            flags,
          );
        }
        const parsed = AgentEventSchema.safeParse(limited);
        if (!parsed.success) {
          diag.warn(
            `@bulwark/agent-sdk: dropped invalid ${event.kind} event: ${formatZodIssues(parsed.error).join('; ')}`,
          );
          return undefined;
        }
        const ev = parsed.data;
        if (ev.kind === 'tool_call') this.rememberToolName(ev.toolCallId, ev.toolName);
        if (ev.kind === 'completion')
          for (const c of ev.toolCalls) this.rememberToolName(c.toolCallId, c.toolName);
        this.events.push(ev);
        return ev;
      },
      undefined,
    );
  }

  /** Tool name of an earlier tool call id (for tool results that only carry the id). */
  toolNameFor(toolCallId: string): string | undefined {
    return this.toolNames.get(toolCallId);
  }

  /**
   * Asks the provider about a pending tool call, sending every event queued since the previous request.
   * `undefined` without a provider (observe-only). Never throws: a provider that throws, rejects or answers
   * an invalid verdict yields the `onVerdictUnavailable` fallback, and undelivered events are queued again.
   */
  async decide(toolCall: PendingToolCall): Promise<Verdict | undefined> {
    const provider = this.verdictProvider;
    if (!provider) return undefined;
    const started = performance.now();
    const events = this.events.drain();
    const enforced = this.enforced;
    this.enforced = [];
    const flags: CaptureFlags = { truncated: false, redacted: false };
    const pending: PendingToolCall =
      this.verdictContent === 'redacted'
        ? {
            ...toolCall,
            arguments: limitJson(toolCall.arguments, this.maxVerdictFieldBytes, true, flags) as Record<
              string,
              unknown
            >,
          }
        : toolCall;
    const request: VerdictRequest = {
      tenantId: this.tenantId,
      sessionId: this.sessionId,
      toolCall: pending,
      events,
      timestampMillis: Date.now(),
    };
    if (this.agentId) request.agentId = this.agentId;
    if (enforced.length > 0) request.enforced = enforced;
    const fallback = (why: string): Verdict => {
      diag.warn(`@bulwark/agent-sdk: verdict provider unavailable: ${why}`);
      return fallbackVerdict(
        request,
        this.onVerdictUnavailable,
        why,
        (performance.now() - started) * 1000,
        'error',
      );
    };
    let verdict: Verdict;
    try {
      const answer: unknown = await provider.decide(request);
      const parsed = VerdictSchema.safeParse(answer);
      verdict = parsed.success
        ? parsed.data
        : fallback(`invalid verdict: ${formatZodIssues(parsed.error).join('; ')}`);
    } catch (err) {
      verdict = fallback(`provider failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    // The provider never saw these events: keep them for the next request.
    if (verdict.source === 'fallback') {
      this.events.requeue(events);
      this.enforced = [...enforced, ...this.enforced].slice(-this.maxEnforced);
    }
    return verdict;
  }

  /** Records an LLM call (see {@link recordLlmCall}). */
  recordLlmCall(call: LlmCall): RecordedLlmCall {
    return recordLlmCall(this, call);
  }

  /** Builds and records a message to another agent (see {@link sendAgentMessage}). */
  sendAgentMessage(input: SendAgentMessageInput): AgentMessageEnvelope {
    return sendAgentMessage(this, input);
  }

  /** Validates and records a message from another agent (see {@link receiveAgentMessage}). */
  receiveAgentMessage(envelope: unknown): ReceivedAgentMessage {
    return receiveAgentMessage(this, envelope);
  }

  /** Flushes the verdict provider. */
  async forceFlush(): Promise<void> {
    try {
      await this.verdictProvider?.forceFlush();
    } catch (err) {
      diag.warn('@bulwark/agent-sdk: verdict provider forceFlush failed', err);
    }
  }

  /** Shuts the verdict provider down (later tool calls get the fallback verdict). */
  async shutdown(): Promise<void> {
    try {
      await this.verdictProvider?.shutdown();
    } catch (err) {
      diag.warn('@bulwark/agent-sdk: verdict provider shutdown failed', err);
    }
  }

  private rememberToolName(toolCallId: string, toolName: string): void {
    if (!toolCallId || !toolName) return;
    this.toolNames.set(toolCallId, toolName);
    if (this.toolNames.size > 2048) {
      const oldest = this.toolNames.keys().next().value;
      if (oldest !== undefined) this.toolNames.delete(oldest);
    }
  }
}
