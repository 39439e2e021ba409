import {
  type AgentEvent,
  DECISION_RANK,
  type Decision,
  type Finding,
  type PendingToolCall,
  type Reason,
  SEVERITY_RANK,
  type Verdict,
  type VerdictRequest,
  stableHash,
} from '@bulwark/contracts';
import type { Detector, DetectorContext, DetectorOutcome } from './detector.js';

/** Options of the engine. Everything has a default; the default is what `eval agentdojo` measures. */
export interface DetectionEngineOptions {
  /** Detectors to run; default: the built-in set. */
  detectors?: readonly Detector[];
  /** Monotonic clock in microseconds, used only to report decision time (injected: the engine reads no clock). */
  monotonicMicros?: () => number;
}

/** A verdict with the findings that explain it. */
export interface EngineResult {
  verdict: Verdict;
  findings: Finding[];
}

/** What ingesting one event produced: findings, and for a tool call seen after the fact, its verdict. */
export interface IngestResult {
  findings: Finding[];
  verdict?: Verdict;
}

/**
 * Runs every detector on each event and tool call and returns one verdict: the strictest decision wins,
 * every reason is kept. Pure: no I/O, time comes from the events and requests.
 *
 * @example
 * const engine = new DetectionEngine();
 * engine.ingest(promptEvent);
 * const { verdict } = engine.decide({ sessionId: 's1', toolCall: { toolCallId: 'c1', toolName: 'send_money', arguments: { iban } }, events: [] });
 */
export class DetectionEngine {
  private readonly detectors: readonly Detector[];
  private readonly micros: () => number;

  constructor(options: DetectionEngineOptions = {}) {
    this.detectors = options.detectors ?? [];
    this.micros = options.monotonicMicros ?? (() => 0);
  }

  /** Applies one event to its session (idempotent by `eventId`) and runs the event detectors. */
  ingest(event: AgentEvent): IngestResult {
    const ctx = this.context(event.tenantId, event.sessionId, event.agentId, event.timestampMillis);
    const outcomes: [Detector, DetectorOutcome][] = [];
    for (const d of this.detectors) for (const o of d.onEvent?.(event, ctx) ?? []) outcomes.push([d, o]);
    return { findings: outcomes.map(([d, o], i) => toFinding(d, o, ctx, event.eventId, i, undefined)) };
  }

  /** Decides on a pending tool call after applying the request's events. */
  decide(request: VerdictRequest): EngineResult {
    const started = this.micros();
    for (const ev of request.events) this.ingest(ev);
    const tenantId = request.tenantId ?? 'default';
    const now = request.timestampMillis ?? lastTimestamp(request);
    const ctx = this.context(tenantId, request.sessionId, request.agentId, now);
    const outcomes: [Detector, DetectorOutcome][] = [];
    for (const d of this.detectors) for (const o of d.onToolCall?.(request.toolCall, ctx) ?? []) outcomes.push([d, o]);
    const findings = outcomes.map(([d, o], i) => toFinding(d, o, ctx, request.toolCall.toolCallId, i, request.toolCall));
    const verdict = aggregate(outcomes, ctx, request.toolCall, now);
    verdict.decisionTimeMicros = Math.max(0, this.micros() - started);
    return { verdict, findings };
  }

  private context(tenantId: string, sessionId: string, agentId: string | undefined, nowMillis: number): DetectorContext {
    return { tenantId, sessionId, agentId, nowMillis };
  }
}

function lastTimestamp(request: VerdictRequest): number {
  let t = 0;
  for (const e of request.events) if (e.timestampMillis > t) t = e.timestampMillis;
  return t;
}

function toFinding(
  d: Detector,
  o: DetectorOutcome,
  ctx: DetectorContext,
  eventId: string,
  index: number,
  call: PendingToolCall | undefined,
): Finding {
  const f: Finding = {
    findingId: `${d.id}:${ctx.tenantId}:${ctx.sessionId}:${eventId}:${index}`,
    detectorId: d.id,
    severity: o.severity,
    decision: o.decision,
    title: o.title,
    description: o.message,
    tenantId: ctx.tenantId,
    sessionId: ctx.sessionId,
    eventId,
    evidence: o.evidence,
    timestampMillis: ctx.nowMillis,
  };
  if (ctx.agentId) f.agentId = ctx.agentId;
  if (call) f.toolName = call.toolName;
  if (call?.server) f.server = call.server;
  return f;
}

/** Strictest decision wins; reasons sorted by strictness then severity so the first one explains the verdict. */
export function aggregate(
  outcomes: readonly (readonly [Detector, DetectorOutcome])[],
  ctx: DetectorContext,
  call: PendingToolCall,
  nowMillis: number,
): Verdict {
  let decision: Decision = 'allow';
  const reasons: Reason[] = [];
  const ids = new Set<string>();
  for (const [d, o] of outcomes) {
    if (DECISION_RANK[o.decision] > DECISION_RANK[decision]) decision = o.decision;
    reasons.push({ detectorId: d.id, severity: o.severity, decision: o.decision, message: o.message, evidence: o.evidence });
    ids.add(d.id);
  }
  reasons.sort(
    (a, b) => DECISION_RANK[b.decision] - DECISION_RANK[a.decision] || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity],
  );
  return {
    decision,
    reasons,
    detectorIds: [...ids],
    decisionTimeMicros: 0,
    tenantId: ctx.tenantId,
    sessionId: ctx.sessionId,
    toolCallId: call.toolCallId,
    toolName: call.toolName,
    argumentsHash: stableHash(call.arguments),
    source: 'engine',
    timestampMillis: nowMillis,
  };
}
