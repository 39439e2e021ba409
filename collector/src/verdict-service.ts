import { performance } from 'node:perf_hooks';
import {
  type AgentEvent,
  type BusRecord,
  type BusTopic,
  type EnforcedDecision,
  type EventBus,
  type Finding,
  type PublishResult,
  sessionKey,
  type ToolCallEnforcement,
  type ToolCallEvent,
  type Verdict,
  type VerdictRequest,
} from '@bulwark/contracts';
import type { DetectionEngine, IngestResult } from '@bulwark/detectors';
import type { BusVerdict } from '@bulwark/stream';
import type { Logger } from 'pino';
import type { CollectorMetrics } from './collector-metrics.js';

export interface VerdictServiceOptions {
  /** How long one background slice of event ingestion may hold the event loop. Default 0.25 ms. */
  sliceMillis?: number;
  /** Events accepted but not yet applied; beyond it `canAccept` says no and ingest answers 429. Default 100 000. */
  maxPendingEvents?: number;
}

/** A verdict, or the bus refusal that kept it from being recorded (the caller answers 429/503 + Retry-After). */
export type DecideOutcome =
  | { ok: true; verdict: Verdict }
  | { ok: false; refused: Extract<PublishResult, { ok: false }> };

/** Tracks one time slice of work; `yield` lets the event loop run other requests before the next slice. */
class Slicer {
  private deadline: number;
  constructor(private readonly sliceMillis: number) {
    this.deadline = performance.now() + sliceMillis;
  }
  due(): boolean {
    return performance.now() >= this.deadline;
  }
  async yield(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.deadline = performance.now() + this.sliceMillis;
  }
}

interface Pending {
  events: AgentEvent[];
  next: number;
}

/** Fail-closed calls remembered so one call reported twice (span and verdict request) counts once. */
const MAX_COUNTED_CALLS = 10_000;

/** The enforcement of a tool call event from the client's enforced record. */
function enforcementOf(r: EnforcedDecision): ToolCallEnforcement {
  const e: ToolCallEnforcement = { decision: r.decision, source: r.source };
  if (r.reason !== undefined) e.reason = r.reason;
  if (r.verdictDecision !== undefined) e.verdictDecision = r.verdictDecision;
  return e;
}

/**
 * Holds the session state (the detectors engine) of the sessions this instance owns and answers verdicts
 * from it. Exported events are applied in the background in small time slices, so a busy ingest never holds
 * a verdict back for long; before deciding, a verdict first applies whatever is still pending for its own
 * session, so it never misses an event that arrived before it. A verdict's findings and the verdict itself
 * go to the bus before the answer; a bus that refuses them turns the verdict into a refusal (the caller
 * answers 429/503 + Retry-After) instead of an answer missing from the audit trail.
 *
 * @example
 * const service = new VerdictService(new DetectionEngine(), bus, metrics, logger);
 * service.enqueue(events);
 * const out = await service.decide(request); // { ok: true, verdict } or { ok: false, refused }
 */
export class VerdictService {
  private readonly sliceMillis: number;
  private readonly maxPendingEvents: number;
  private readonly pending = new Map<string, Pending>();
  private pendingCount = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];
  private readonly countedCalls = new Set<string>();

  constructor(
    private readonly engine: DetectionEngine,
    private readonly bus: EventBus,
    private readonly metrics: CollectorMetrics,
    private readonly logger: Logger,
    options: VerdictServiceOptions = {},
  ) {
    this.sliceMillis = options.sliceMillis ?? 0.25;
    this.maxPendingEvents = options.maxPendingEvents ?? 100_000;
  }

  /** False while the backlog of events to apply is full: the caller should answer 429. */
  canAccept(count: number): boolean {
    return this.pendingCount + count <= this.maxPendingEvents;
  }

  get pendingEvents(): number {
    return this.pendingCount;
  }

  /** Queues events for their sessions; they are applied in the background (or by the next verdict of the session). */
  enqueue(events: readonly AgentEvent[]): void {
    for (const ev of events) {
      const key = sessionKey(ev.tenantId, ev.sessionId);
      const p = this.pending.get(key);
      if (p) p.events.push(ev);
      else this.pending.set(key, { events: [ev], next: 0 });
    }
    this.pendingCount += events.length;
    if (!this.draining && this.pendingCount > 0) {
      this.draining = true;
      setImmediate(this.drainSlice);
    }
  }

  /** Resolves when every queued event has been applied. */
  whenIdle(): Promise<void> {
    if (this.pendingCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Decides on a tool call. The request's events (and what is still pending for its session) are applied in
   * slices of `sliceMillis`, yielding the event loop between slices, so a large request delays other
   * verdicts by one slice at a time, not by its whole cost. Each event is applied once (the engine is
   * idempotent by event id), so the cost is proportional to the request, never to the session's history.
   * The findings and the verdict are published before the answer: a bus that refuses them gets the caller
   * a refusal to answer 503/429 + Retry-After, so an answered verdict is never missing from the audit trail.
   * Throws only if the engine itself throws while deciding (the caller answers 500).
   */
  async decide(request: VerdictRequest): Promise<DecideOutcome> {
    return (await this.decideThenRecord(request)).recorded;
  }

  /**
   * {@link decide} in two parts: resolves once the engine has decided and the records are handed to the bus
   * (the first publish is issued before this resolves, so records keep the order of the calls); `recorded`
   * resolves once the bus accepted them (on a bus with a write-ahead log or Kafka: durable), with the same
   * outcome `decide` gives. A caller holding a per-tenant turn can end the turn before waiting on `recorded`,
   * so the tenant's next verdict is decided while this one's records are written. Throws as `decide` does.
   */
  async decideThenRecord(request: VerdictRequest): Promise<{ recorded: Promise<DecideOutcome> }> {
    const tenantId = request.tenantId ?? 'default';
    const key = sessionKey(tenantId, request.sessionId);
    const slicer = new Slicer(this.sliceMillis);
    const findings: Finding[] = [];
    const late: BusVerdict[] = [];
    const pending = this.pending.get(key);
    if (pending) {
      // Taken out of the background drain: this request applies them, in order, before its own events.
      this.pending.delete(key);
      for (; pending.next < pending.events.length; pending.next += 1) {
        this.apply(pending.events[pending.next]!, findings, late);
        this.pendingCount -= 1;
        if (slicer.due()) await slicer.yield();
      }
      this.notifyIfIdle();
    }
    // What the client enforced on its earlier calls goes on their tool_call events: the stored record.
    const enforced = new Map<string, EnforcedDecision>();
    for (const r of request.enforced ?? []) {
      enforced.set(r.toolCallId, r);
      this.countFailClosed(tenantId, request.sessionId, r.toolCallId, r);
    }
    const carried: BusRecord<AgentEvent>[] = [];
    for (const ev of request.events) {
      // Events travel with the request's tenant and session: a caller cannot write into another session.
      let scoped =
        ev.tenantId === tenantId && ev.sessionId === request.sessionId
          ? ev
          : { ...ev, tenantId, sessionId: request.sessionId };
      if (scoped.kind === 'tool_call') {
        const record = enforced.get(scoped.toolCallId);
        const enforcement = scoped.enforced ?? (record ? enforcementOf(record) : undefined);
        if (enforcement) scoped = this.withInlineDecision({ ...scoped, enforced: enforcement });
      }
      carried.push({ key, value: scoped });
      try {
        // A request's own tool_call events were decided inline already: their findings count, and late
        // evidence may make an earlier call stricter.
        const res = this.engine.ingest(scoped);
        for (const f of res.findings) findings.push(f);
        this.collectReevaluations(res, late);
      } catch (err) {
        this.metrics.dropped.inc({ reason: 'engine_ingest_error' });
        this.logger.error({ err, eventId: ev.eventId, kind: ev.kind }, 'engine failed to ingest an event');
      }
      if (slicer.due()) await slicer.yield();
    }
    const decided = this.engine.decide({ ...request, events: [] });
    const verdict = decided.verdict;
    const vkey = sessionKey(verdict.tenantId, verdict.sessionId);
    for (const f of decided.findings) findings.push(f);
    if (late.length > 0)
      this.publish(
        'verdicts',
        late.map((v) => ({ key: sessionKey(v.tenantId, v.sessionId), value: v })),
      );
    return { recorded: this.record(carried, findings, { key: vkey, value: verdict }) };
  }

  /**
   * The evidence the verdict was decided on is part of the record: a client that sends its events only in
   * verdict requests (no spans) must still find them in hunt, report and dashboards. Spans of the same
   * events (the SDK sends both) share their ids and are stored once. Events, then findings, then the
   * verdict, each only once the bus accepted the one before.
   */
  private async record(
    carried: BusRecord<AgentEvent>[],
    findings: Finding[],
    verdict: BusRecord<Verdict>,
  ): Promise<DecideOutcome> {
    if (carried.length > 0) {
      const res = await this.publishChecked('events', carried);
      if (!res.ok) return { ok: false, refused: res };
    }
    if (findings.length > 0) {
      const records = findings.map((f) => ({ key: sessionKey(f.tenantId, f.sessionId), value: f }));
      const res = await this.publishChecked('findings', records);
      if (!res.ok) return { ok: false, refused: res };
    }
    const res = await this.publishChecked('verdicts', [verdict]);
    if (!res.ok) return { ok: false, refused: res };
    return { ok: true, verdict: verdict.value };
  }

  private readonly drainSlice = (): void => {
    const deadline = performance.now() + this.sliceMillis;
    const findings: Finding[] = [];
    const late: BusVerdict[] = [];
    for (const [key, p] of this.pending) {
      while (p.next < p.events.length) {
        this.apply(p.events[p.next]!, findings, late);
        p.next += 1;
        this.pendingCount -= 1;
        if (performance.now() >= deadline) break;
      }
      if (p.next >= p.events.length) this.pending.delete(key);
      if (performance.now() >= deadline) break;
    }
    this.publishResults(findings, late);
    if (this.pendingCount > 0) setImmediate(this.drainSlice);
    else {
      this.draining = false;
      this.notifyIfIdle();
    }
  };

  private notifyIfIdle(): void {
    if (this.pendingCount === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private apply(ev: AgentEvent, findings: Finding[], late: BusVerdict[]): void {
    try {
      if (ev.kind === 'tool_call' && ev.enforced) this.spanEnforcement(ev);
      const res = this.engine.ingest(ev);
      for (const f of res.findings) findings.push(f);
      // A tool call seen only after the fact gets a verdict too (no inline check was asked): decided by the
      // stream side, and not stored yet.
      if (res.verdict) {
        const v: BusVerdict = { ...res.verdict, origin: 'stream', recorded: false };
        if (ev.agentId) v.agentId = ev.agentId;
        late.push(v);
      }
      this.collectReevaluations(res, late);
    } catch (err) {
      this.metrics.dropped.inc({ reason: 'engine_ingest_error' });
      this.logger.error({ err, eventId: ev.eventId, kind: ev.kind }, 'engine failed to ingest an event');
    }
  }

  /** Calls decided inline that late evidence made stricter: stored as `stream` verdicts beside the inline one. */
  private collectReevaluations(res: IngestResult, late: BusVerdict[]): void {
    for (const r of res.reevaluations ?? []) {
      const v: BusVerdict = {
        ...r.verdict,
        origin: 'stream',
        recorded: false,
        inlineDecision: r.inlineDecision,
      };
      if (r.agentId) v.agentId = r.agentId;
      late.push(v);
      this.metrics.reevaluations.inc({ decision: r.verdict.decision });
      this.logger.warn(
        {
          sessionId: r.verdict.sessionId,
          toolCallId: r.verdict.toolCallId,
          toolName: r.verdict.toolName,
          inline: r.inlineDecision,
          now: r.verdict.decision,
          executed: r.executed,
        },
        'evidence that arrived after the decision makes a call stricter',
      );
    }
  }

  /** The collector's own inline decision on the call, when the engine remembers it. */
  private withInlineDecision(ev: ToolCallEvent): ToolCallEvent {
    if (!ev.enforced || ev.enforced.inlineDecision !== undefined) return ev;
    const inline = this.engine.inlineDecision(ev.tenantId, ev.sessionId, ev.toolCallId);
    return inline ? { ...ev, enforced: { ...ev.enforced, inlineDecision: inline } } : ev;
  }

  /**
   * A tool call span that says what its client enforced: counted, and when it was a fallback whose inline
   * verdict this collector remembers (answered too late), the event is published again with that decision, so
   * the stored call shows both. Same event id: the store keeps one row.
   */
  private spanEnforcement(ev: ToolCallEvent): void {
    const enforced = ev.enforced!;
    this.countFailClosed(ev.tenantId, ev.sessionId, ev.toolCallId, enforced);
    if (enforced.source === 'verdict' || enforced.inlineDecision !== undefined) return;
    const enriched = this.withInlineDecision(ev);
    if (enriched !== ev)
      this.publish('events', [{ key: sessionKey(ev.tenantId, ev.sessionId), value: enriched }]);
  }

  /** `bulwark_fail_closed_calls_total`: a call refused without a verdict, counted once per call. */
  private countFailClosed(
    tenantId: string,
    sessionId: string,
    toolCallId: string,
    e: { decision: string; source: string },
  ): void {
    if (e.source === 'verdict' || e.decision !== 'block') return;
    const key = `${sessionKey(tenantId, sessionId)}\u0000${toolCallId}`;
    if (this.countedCalls.has(key)) return;
    this.countedCalls.add(key);
    if (this.countedCalls.size > MAX_COUNTED_CALLS) {
      const oldest = this.countedCalls.values().next().value;
      if (oldest !== undefined) this.countedCalls.delete(oldest);
    }
    this.metrics.failClosed.inc({ source: e.source });
  }

  private publishResults(findings: Finding[], late: BusVerdict[]): void {
    if (findings.length > 0) {
      this.publish(
        'findings',
        findings.map((f) => ({ key: sessionKey(f.tenantId, f.sessionId), value: f })),
      );
    }
    if (late.length > 0) {
      this.publish(
        'verdicts',
        late.map((v) => ({ key: sessionKey(v.tenantId, v.sessionId), value: v })),
      );
    }
  }

  /** Publishes and reports the outcome; a refusal is counted (produce errors, and shed: not dropped). */
  private async publishChecked<T>(topic: BusTopic, records: BusRecord<T>[]): Promise<PublishResult> {
    let res: PublishResult;
    try {
      res = await this.bus.publish(topic, records);
    } catch (err) {
      this.logger.error({ err, topic }, 'event bus publish failed');
      res = { ok: false, reason: 'unavailable', retryAfterMillis: 1_000, message: (err as Error).message };
    }
    if (res.ok) this.metrics.eventsOut.inc({ topic }, res.count);
    else this.metrics.produceErrors.inc({ topic, reason: res.reason }, records.length);
    return res;
  }

  private publish<T>(topic: BusTopic, records: BusRecord<T>[]): void {
    this.bus.publish(topic, records).then(
      (res) => {
        if (res.ok) this.metrics.eventsOut.inc({ topic }, res.count);
        else {
          this.metrics.produceErrors.inc({ topic, reason: res.reason }, records.length);
          this.metrics.dropped.inc({ reason: `${topic}_${res.reason}` }, records.length);
        }
      },
      (err: unknown) => {
        this.metrics.produceErrors.inc({ topic, reason: 'error' }, records.length);
        this.logger.error({ err, topic }, 'event bus publish failed');
      },
    );
  }
}
