import type { AgentEvent, Decision, Evidence, PendingToolCall, Severity } from '@bulwark/contracts';
import type { CallAnalysis } from '../session/analyze-call.js';
import type { GraphNode, SessionGraph } from '../session/session-graph.js';
import type { PolicySections, ResolvedPolicy } from './policy.js';

/** What one detector says about one event or call, before the engine turns it into a `Finding`. */
export interface DetectorOutcome {
  severity: Severity;
  /** What this detector alone would do: `alert` for information, `block` to stop the call. */
  decision: Decision;
  title: string;
  message: string;
  evidence: Evidence[];
}

/** Read-only facts the engine hands to detectors. Time is passed in: detectors never read a clock. */
export interface DetectorContext {
  tenantId: string;
  sessionId: string;
  agentId: string | undefined;
  nowMillis: number;
  /** The session's provenance graph (set by the engine). */
  session?: SessionGraph;
  /** For `onToolCall`: the call's profile and the provenance of every argument. */
  call?: CallAnalysis;
  /** For `onEvent`: the graph node the event created, if any. */
  node?: GraphNode;
  /** Policy sections in force for this tenant. */
  policy?: PolicySections;
  /** For `onToolCall`: the policy resolved for the call's tenant, server and tool (set by the engine). */
  resolvedPolicy?: ResolvedPolicy;
  /**
   * For `onToolCall`: true when the engine re-checks a call decided earlier because evidence arrived late.
   * The call already happened: detectors must not learn from it again (no state changes).
   */
  reevaluation?: boolean;
}

/**
 * One detection rule with a stable dotted id (`injection.chain`). Detectors may keep their own bounded,
 * cross-session state (a sequence model, first-seen tool hashes); they do no I/O and read no clock, so the
 * same events in the same order always give the same outcomes.
 *
 * @example
 * const d: Detector = { id: 'demo.noop', description: 'never fires', defaultSeverity: 'info', onToolCall: () => [] };
 */
export interface Detector {
  readonly id: string;
  readonly description: string;
  readonly defaultSeverity: Severity;
  /** Observe an event after it was applied to the session state. */
  onEvent?(event: AgentEvent, ctx: DetectorContext): readonly DetectorOutcome[];
  /** Judge a tool call before it runs. */
  onToolCall?(call: PendingToolCall, ctx: DetectorContext): readonly DetectorOutcome[];
}
