import { performance } from 'node:perf_hooks';
import {
  type AgentEvent,
  type BusRecord,
  type BusTopic,
  type EventBus,
  type Finding,
  sessionKey,
  type Verdict,
  type VerdictRequest,
} from '@bulwark/contracts';
import type { DetectionEngine } from '@bulwark/detectors';
import type { Logger } from 'pino';
import type { CollectorMetrics } from './collector-metrics.js';

export interface VerdictServiceOptions {
  /** How long one background slice of event ingestion may hold the event loop. Default 0.25 ms. */
  sliceMillis?: number;
  /** Events accepted but not yet applied; beyond it `canAccept` says no and ingest answers 429. Default 100 000. */
  maxPendingEvents?: number;
}

interface Pending {
  events: AgentEvent[];
  next: number;
}

/**
 * Holds the session state (the detectors engine) of the sessions this instance owns and answers verdicts
 * from it. Exported events are applied in the background in small time slices, so a busy ingest never holds
 * a verdict back for long; before deciding, a verdict first applies whatever is still pending for its own
 * session, so it never misses an event that arrived before it. Verdicts and findings go to the bus after the
 * answer is computed; a bus that refuses them never delays or fails a verdict (the refusal is counted).
 *
 * @example
 * const service = new VerdictService(new DetectionEngine(), bus, metrics, logger);
 * service.enqueue(events);
 * const verdict = service.decide(request);
 */
export class VerdictService {
  private readonly sliceMillis: number;
  private readonly maxPendingEvents: number;
  private readonly pending = new Map<string, Pending>();
  private pendingCount = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];

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

  /** Decides on a tool call; throws only if the engine itself throws (the caller answers 500). */
  decide(request: VerdictRequest): Verdict {
    this.applySession(sessionKey(request.tenantId ?? 'default', request.sessionId));
    const { verdict, findings } = this.engine.decide(request);
    const key = sessionKey(verdict.tenantId, verdict.sessionId);
    // After the answer is written (the caller responds synchronously after this returns).
    queueMicrotask(() => {
      this.publish('verdicts', [{ key, value: verdict }]);
      if (findings.length > 0)
        this.publish(
          'findings',
          findings.map((f) => ({ key, value: f })),
        );
    });
    return verdict;
  }

  private readonly drainSlice = (): void => {
    const deadline = performance.now() + this.sliceMillis;
    const findings: Finding[] = [];
    const late: Verdict[] = [];
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
      for (const w of this.idleWaiters.splice(0)) w();
    }
  };

  /** Applies what is pending for one session, now. */
  private applySession(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    const findings: Finding[] = [];
    const late: Verdict[] = [];
    for (; p.next < p.events.length; p.next += 1) {
      this.apply(p.events[p.next]!, findings, late);
      this.pendingCount -= 1;
    }
    this.publishResults(findings, late);
  }

  private apply(ev: AgentEvent, findings: Finding[], late: Verdict[]): void {
    try {
      const res = this.engine.ingest(ev);
      for (const f of res.findings) findings.push(f);
      // A tool call seen only after the fact gets a verdict too (no inline check was asked).
      if (res.verdict) late.push(res.verdict);
    } catch (err) {
      this.metrics.dropped.inc({ reason: 'engine_ingest_error' });
      this.logger.error({ err, eventId: ev.eventId, kind: ev.kind }, 'engine failed to ingest an event');
    }
  }

  private publishResults(findings: Finding[], late: Verdict[]): void {
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
