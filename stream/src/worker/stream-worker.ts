import {
  type AgentEvent,
  AgentEventSchema,
  type Alert,
  AlertSchema,
  type BusRecord,
  type BusSubscription,
  type BusTopic,
  type Decision,
  type EventBus,
  type Finding,
  FindingSchema,
  formatZodIssues,
  sessionKey,
  stableHash,
  type Verdict,
  VerdictSchema,
} from '@bulwark/contracts';
import { DetectionEngine } from '@bulwark/detectors';
import type { AlertRouter } from '../alerts/alert-router.js';
import { IncidentTracker } from '../alerts/incident-tracker.js';
import { EventBusError, StoreError } from '../errors.js';
import { errorMessage, type Logger, silentLogger } from '../logger.js';
import type { EventStore, WriteResult } from '../store/event-store.js';
import { QUERIES } from '../store/queries.js';
import type { DeadLetter, VerdictOrigin, VerdictRecord } from '../store/store-records.js';
import type { StreamMetrics } from './stream-metrics.js';

/**
 * A verdict as it travels on the `verdicts` topic. The collector publishes plain `Verdict`s (inline
 * decisions); the worker adds `origin: 'stream'` to its own so it does not store them twice. A `stream`
 * verdict with `recorded: false` was decided after the fact by its publisher (the collector re-checking a
 * call on late evidence, or judging a call nobody asked about) and not stored yet: the worker stores it.
 */
export type BusVerdict = Verdict & {
  origin?: VerdictOrigin;
  agentId?: string;
  /** False when the publisher did not store it (only meaningful with `origin: 'stream'`). */
  recorded?: boolean;
  /** On a re-check: the inline decision the call got, which this verdict is stricter than. */
  inlineDecision?: Decision;
};
/** A finding on the `findings` topic; `origin: 'stream'` marks the worker's own. */
export type BusFinding = Finding & { origin?: 'inline' | 'stream' };

export interface StreamWorkerOptions {
  bus: EventBus;
  store: EventStore;
  /**
   * Makes the worker's engine (one per worker; sessions are partition-keyed, so a session's events reach one
   * worker). Called again after a failed batch: the engine's state is dropped and rebuilt from the store,
   * because the engine ignores events it has seen and the redelivered batch must be evaluated again.
   * Default `new DetectionEngine()` (built-in detectors, default policy).
   */
  createEngine?: () => DetectionEngine;
  /** Consumer group prefix: `<groupId>.events`, `.verdicts`, `.findings`, `.alerts`. Default `bulwark-worker`. */
  groupId?: string;
  /** Store the collector's inline verdicts and findings too. Default true. */
  consumeDecisions?: boolean;
  /** Incident grouping (suppression window, minimum severity); its store defaults to `store`. */
  incidents?: IncidentTracker;
  /** When set, the worker also consumes the `alerts` topic and delivers alerts (and approval requests). */
  alertRouter?: AlertRouter;
  /**
   * Run the detectors over the events. Default true. Set false when the collector that published them runs in
   * the same process over the in-process bus: its engine already evaluated every event inline and published
   * the findings this worker stores and turns into incidents, so evaluating again only doubles the CPU.
   */
  detect?: boolean;
  /** Rebuild a session's detector state from the store the first time this worker sees it. Default true. */
  hydrateSessions?: boolean;
  /**
   * Wait for `bus.forceFlush()` before a batch is committed, so what the worker published reaches the broker
   * first (Kafka). Default true. Set false on the in-process bus: there publishing is already the hand-over,
   * and its `forceFlush` waits for every consumer - including the handler calling it.
   */
  flushBusBeforeCommit?: boolean;
  /**
   * Group commit: a delivery's rows join the store's next batch, written when it fills or at the latest this
   * long after the delivery, and its offsets are committed only then. Longer = bigger inserts, later commits.
   * 0 flushes after every delivery (the old behaviour, ~10x the store CPU per row). Default 200 ms.
   */
  commitLingerMillis?: number;
  /**
   * Skip re-validating events taken off the bus: set only when every publisher is this process's collector,
   * which validated them at the edge (the in-process bus of `bulwark serve`; re-parsing cost ~9 % of its CPU).
   * Records from another process (Kafka) are always validated. Default false.
   */
  trustEvents?: boolean;
  /** How long one batch waits for a pushing-back store or bus before failing (the bus redelivers). Default 30 s. */
  maxPushbackMillis?: number;
  /**
   * Raise an alert per tenant when agents fail closed: at least `minCalls` tool calls refused without a
   * verdict (a fallback `block`, from the `enforced` field of tool_call events) in one `windowMillis` window of
   * event time. One alert per tenant and window. Default 1 call in 5 minutes; `false` turns it off.
   */
  failClosedAlert?: { minCalls?: number; windowMillis?: number } | false;
  now?: () => number;
  sleep?: (millis: number) => Promise<void>;
  logger?: Logger;
  metrics?: StreamMetrics;
}

const DEFAULT_GROUP = 'bulwark-worker';

/** Detector id on the alert raised when agents fail closed. */
export const FAIL_CLOSED_ALERT_ID = 'bulwark.fail-closed';

/** Fail-closed calls of one tenant in one window. */
interface FailClosedWindow {
  tenantId: string;
  bucket: number;
  calls: Set<string>;
  sources: Map<string, number>;
  sessions: Set<string>;
  firstMillis: number;
  lastMillis: number;
  lastSessionId: string;
  raised: boolean;
}

/** Windows remembered (the oldest forgotten first). */
const MAX_FAIL_CLOSED_WINDOWS = 1_000;

/**
 * The stream worker: consumes `events` with a consumer group (Kafka or the in-process bus, same code), runs
 * the detectors per session, stores events, tool calls, verdicts and findings, publishes its verdicts,
 * findings and incident alerts, and stores the collector's inline verdicts and findings. A batch's offsets
 * are committed only after its results are durably stored (`store.whenDurable()`, a group commit shared by
 * every delivery in flight), so delivery is at least once end to end; duplicates are harmless (stable ids,
 * deduplicating queries).
 *
 * @example
 * const worker = new StreamWorker({ bus, store, alertRouter, logger });
 * await worker.start();
 * // ...
 * await worker.shutdown(); // drains in-flight batches; then shut down bus and store
 */
export class StreamWorker {
  private readonly bus: EventBus;
  private readonly store: EventStore;
  private engine: DetectionEngine;
  private readonly createEngine: () => DetectionEngine;
  private readonly groupId: string;
  private readonly consumeDecisions: boolean;
  private readonly incidents: IncidentTracker;
  private readonly router: AlertRouter | undefined;
  private readonly hydrate: boolean;
  private readonly detect: boolean;
  private readonly maxPushbackMillis: number;
  private readonly flushBus: boolean;
  private readonly commitLingerMillis: number;
  private readonly trustEvents: boolean;
  private readonly now: () => number;
  private readonly sleep: (millis: number) => Promise<void>;
  private readonly log: Logger;
  private readonly metrics: StreamMetrics | undefined;
  private readonly failClosed: { minCalls: number; windowMillis: number } | undefined;
  private readonly failClosedWindows = new Map<string, FailClosedWindow>();
  private subscriptions: BusSubscription[] = [];
  private started = false;
  private stopping = false;

  constructor(options: StreamWorkerOptions) {
    this.bus = options.bus;
    this.store = options.store;
    this.createEngine = options.createEngine ?? (() => new DetectionEngine());
    this.engine = this.createEngine();
    this.groupId = options.groupId ?? DEFAULT_GROUP;
    this.consumeDecisions = options.consumeDecisions ?? true;
    this.log = (options.logger ?? silentLogger).child({ component: 'stream-worker' });
    this.metrics = options.metrics;
    this.incidents =
      options.incidents ??
      new IncidentTracker({
        store: options.store,
        logger: this.log,
        ...(options.metrics ? { metrics: options.metrics } : {}),
        ...(options.alertRouter
          ? {
              suppressionWindowMillis: options.alertRouter.config.suppressionWindowMillis,
              minSeverity: options.alertRouter.config.minIncidentSeverity,
            }
          : {}),
      });
    this.router = options.alertRouter;
    this.detect = options.detect ?? true;
    this.hydrate = this.detect && (options.hydrateSessions ?? true);
    this.maxPushbackMillis = options.maxPushbackMillis ?? 30_000;
    this.flushBus = options.flushBusBeforeCommit ?? true;
    this.commitLingerMillis = Math.max(0, options.commitLingerMillis ?? 200);
    this.trustEvents = options.trustEvents ?? false;
    this.failClosed =
      options.failClosedAlert === false
        ? undefined
        : {
            minCalls: Math.max(1, Math.floor(options.failClosedAlert?.minCalls ?? 1)),
            windowMillis: Math.max(1_000, options.failClosedAlert?.windowMillis ?? 300_000),
          };
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Subscribes to the topics. Resolves when every subscription is active. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const sub = async <T>(topic: BusTopic, handler: (records: readonly BusRecord<T>[]) => Promise<void>) => {
      this.subscriptions.push(
        await this.bus.subscribe<T>(topic, handler, {
          groupId: `${this.groupId}.${topic}`,
          fromBeginning: true,
        }),
      );
    };
    await sub<unknown>('events', (r) => this.handleEvents(r));
    if (this.consumeDecisions) {
      await sub<unknown>('verdicts', (r) => this.handleVerdicts(r));
      await sub<unknown>('findings', (r) => this.handleFindings(r));
    }
    if (this.router) await sub<unknown>('alerts', (r) => this.handleAlerts(r));
    this.log.info({ groupId: this.groupId, alerting: Boolean(this.router) }, 'stream worker started');
  }

  /** Stops consuming after the in-flight batches are handled and committed, then flushes the store. */
  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const subs = this.subscriptions;
    this.subscriptions = [];
    await Promise.all(subs.map((s) => s.close()));
    await this.store
      .forceFlush()
      .catch((err: unknown) => this.log.error({ err: errorMessage(err) }, 'final flush failed'));
    this.log.info({}, 'stream worker stopped');
  }

  // ---------------------------------------------------------------- events

  /** One batch of events: detect, store, flush, publish. Throws to get the batch redelivered. */
  async handleEvents(records: readonly BusRecord<unknown>[]): Promise<void> {
    try {
      await this.processEvents(records);
    } catch (err) {
      // The engine has already applied this batch; redelivered, it would yield nothing. Start clean: each
      // session is rebuilt from what the store durably holds when it shows up again.
      this.engine = this.createEngine();
      this.log.warn(
        { err: errorMessage(err), records: records.length },
        'event batch failed; will be redelivered',
      );
      throw err;
    }
  }

  private async processEvents(records: readonly BusRecord<unknown>[]): Promise<void> {
    const events: AgentEvent[] = [];
    const dead: DeadLetter[] = [];
    for (const r of records) {
      if (this.trustEvents) {
        // Published by this process's collector, which validated them (OTLP mapper checks, verdict schema).
        events.push(r.value as AgentEvent);
        continue;
      }
      const parsed = AgentEventSchema.safeParse(r.value);
      if (parsed.success) events.push(parsed.data);
      else dead.push(this.invalidRecord('bus.events', r, formatZodIssues(parsed.error)));
    }
    await this.hydrateSessions(events);
    const verdicts: VerdictRecord[] = [];
    const findings: Finding[] = [];
    if (this.detect) {
      for (const e of events) {
        const out = this.engine.ingest(e);
        for (const f of out.findings) findings.push(f);
        if (out.verdict) verdicts.push({ verdict: out.verdict, origin: 'stream', agentId: e.agentId });
      }
    }
    await this.accept('events', () => this.store.appendEvents(events));
    await this.accept('verdicts', () => this.store.insertVerdicts(verdicts));
    await this.accept('findings', () => this.store.insertFindings(findings));
    await this.accept('dead letters', () => this.store.insertDeadLetters(dead));
    await this.durable();
    await this.publish(
      'verdicts',
      verdicts.map((v) => ({
        key: sessionKey(v.verdict.tenantId, v.verdict.sessionId),
        value: {
          ...v.verdict,
          origin: 'stream',
          ...(v.agentId ? { agentId: v.agentId } : {}),
        } satisfies BusVerdict,
      })),
    );
    await this.publish(
      'findings',
      findings.map((f) => ({
        key: sessionKey(f.tenantId, f.sessionId),
        value: { ...f, origin: 'stream' } satisfies BusFinding,
      })),
    );
    await this.raiseIncidents(findings);
    await this.raiseFailClosed(events);
    // Published records must be with the broker before this batch's offsets are committed.
    if (this.flushBus) await this.bus.forceFlush();
    // Bound memory: sessions idle (in event time) beyond the engine's limit are dropped, rebuilt on return.
    let latest = 0;
    for (const e of events) latest = Math.max(latest, e.timestampMillis);
    if (latest > 0) this.engine.evictIdle(latest);
    this.metrics?.inc('worker_events_total', {}, events.length);
    if (findings.length > 0) this.metrics?.inc('worker_findings_total', {}, findings.length);
    if (verdicts.length > 0) this.metrics?.inc('worker_verdicts_total', {}, verdicts.length);
  }

  /**
   * When the engine holds no state for a session (first sight after a restart or rebalance, or evicted as
   * idle), replays its stored events into the engine without emitting anything, so detectors that need
   * earlier context decide as if the worker never stopped. Events of the current batch are left out: they
   * are evaluated (again) normally, giving the same findings and ids as the first time.
   */
  private async hydrateSessions(events: readonly AgentEvent[]): Promise<void> {
    if (!this.hydrate) return;
    const batchIds = new Set(events.map((e) => e.eventId));
    // Sessions the engine does not hold, by tenant.
    const unseen = new Map<string, Set<string>>();
    for (const e of events) {
      if (this.engine.session(e.tenantId, e.sessionId)) continue;
      const set = unseen.get(e.tenantId) ?? new Set<string>();
      unseen.set(e.tenantId, set);
      set.add(e.sessionId);
    }
    for (const [tenantId, ids] of unseen) {
      // One round trip per 500 finds the sessions with a history (ids are inlined into the SQL on old
      // servers, whose query size is bounded); brand-new sessions, the common case, need no read.
      const all = [...ids];
      const known: string[] = [];
      for (let i = 0; i < all.length; i += 500) {
        const stored = await this.store.query(QUERIES.storedSessions, {
          tenantId,
          sessionIds: all.slice(i, i + 500),
        });
        if (!stored.ok) throw this.hydrateError(`sessions of tenant ${tenantId}`, stored);
        for (const r of stored.rows) known.push(r.sessionId);
      }
      for (const sessionId of known) {
        const res = await this.store.query(QUERIES.sessionEvents, { tenantId, sessionId });
        if (!res.ok) throw this.hydrateError(`session ${sessionId}`, res);
        let replayed = 0;
        for (const ev of res.rows) {
          if (batchIds.has(ev.eventId)) continue;
          this.engine.ingest(ev);
          replayed += 1;
        }
        if (replayed > 0) this.log.debug({ sessionId, replayed }, 'session state rebuilt from the store');
      }
    }
  }

  private hydrateError(what: string, res: { message: string; reason: string }): StoreError {
    return new StoreError('hydrate_failed', `cannot read ${what}: ${res.message}`, {
      retriable: res.reason !== 'invalid',
    });
  }

  /** Publishes alerts, then records them: a crash in between re-raises (same id), never loses. */
  private async emitAlerts(alerts: readonly Alert[]): Promise<void> {
    await this.publish(
      'alerts',
      alerts.map((a) => ({ key: sessionKey(a.tenantId, a.sessionId), value: a })),
    );
    if (this.flushBus) await this.bus.forceFlush();
    await this.accept('alerts', () => this.store.insertAlerts(alerts));
    await this.durable();
  }

  private async raiseIncidents(findings: readonly Finding[]): Promise<void> {
    if (findings.length === 0) return;
    await this.incidents.process(findings, async (alerts) => {
      await this.emitAlerts(alerts);
    });
  }

  /**
   * Counts the calls refused without a verdict (fallback `block`s) per tenant and window of event time, and
   * raises one alert per tenant and window once there are `minCalls`: an outage or a slow verdict service
   * is otherwise invisible, since those calls never ran. Deterministic: the alert id is the tenant's window.
   */
  private async raiseFailClosed(events: readonly AgentEvent[]): Promise<void> {
    const cfg = this.failClosed;
    if (!cfg) return;
    const touched = new Set<FailClosedWindow>();
    for (const e of events) {
      if (e.kind !== 'tool_call' || !e.enforced) continue;
      if (e.enforced.decision !== 'block' || e.enforced.source === 'verdict') continue;
      const bucket = Math.floor(e.timestampMillis / cfg.windowMillis);
      const key = `${e.tenantId}\u0000${bucket}`;
      let w = this.failClosedWindows.get(key);
      if (!w) {
        w = {
          tenantId: e.tenantId,
          bucket,
          calls: new Set(),
          sources: new Map(),
          sessions: new Set(),
          firstMillis: e.timestampMillis,
          lastMillis: e.timestampMillis,
          lastSessionId: e.sessionId,
          raised: false,
        };
        this.failClosedWindows.set(key, w);
        if (this.failClosedWindows.size > MAX_FAIL_CLOSED_WINDOWS) {
          const oldest = this.failClosedWindows.keys().next().value;
          if (oldest !== undefined) this.failClosedWindows.delete(oldest);
        }
      }
      const call = `${e.sessionId}\u0000${e.toolCallId}`;
      if (w.calls.has(call)) continue; // the span and the verdict request carry the same call
      w.calls.add(call);
      w.sources.set(e.enforced.source, (w.sources.get(e.enforced.source) ?? 0) + 1);
      w.sessions.add(e.sessionId);
      w.firstMillis = Math.min(w.firstMillis, e.timestampMillis);
      if (e.timestampMillis >= w.lastMillis) {
        w.lastMillis = e.timestampMillis;
        w.lastSessionId = e.sessionId;
      }
      touched.add(w);
    }
    const due = [...touched].filter((w) => !w.raised && w.calls.size >= cfg.minCalls);
    if (due.length === 0) return;
    const alerts = due.map((w) => this.failClosedAlert(w, cfg.windowMillis));
    await this.emitAlerts(alerts);
    for (const w of due) w.raised = true;
    this.metrics?.inc('alerts_raised_total', {}, alerts.length);
  }

  private failClosedAlert(w: FailClosedWindow, windowMillis: number): Alert {
    const n = w.calls.size;
    const minutes = Math.round(windowMillis / 60_000);
    const sources = [...w.sources.entries()].map(([s, c]) => `${s} ${c}`).join(', ');
    const sessions = [...w.sessions].slice(0, 5).join(', ');
    return {
      alertId: stableHash([FAIL_CLOSED_ALERT_ID, w.tenantId, w.bucket]).slice(0, 32),
      dedupKey: `fail-closed:${stableHash([w.tenantId]).slice(0, 40)}`,
      action: 'trigger',
      severity: 'high',
      title: `Agents failing closed: ${n} call${n === 1 ? '' : 's'} refused without a verdict in ${minutes} min`,
      summary:
        `Tool calls refused by the agents' fallback because no verdict arrived (${sources}) in ` +
        `${w.sessions.size} session${w.sessions.size === 1 ? '' : 's'} (${sessions}${w.sessions.size > 5 ? ', …' : ''}). ` +
        'The verdict service was slow or unreachable: check the collector (/readyz, /metrics ' +
        'bulwark_fail_closed_calls_total, bulwark_collector_verdict_duration_seconds) and the SDK timeout.',
      tenantId: w.tenantId,
      sessionId: w.lastSessionId,
      detectorIds: [FAIL_CLOSED_ALERT_ID],
      findings: [],
      firstSeenMillis: w.firstMillis,
      lastSeenMillis: w.lastMillis,
    };
  }

  // ---------------------------------------------------------------- inline decisions from the collector

  async handleVerdicts(records: readonly BusRecord<unknown>[]): Promise<void> {
    const verdicts: VerdictRecord[] = [];
    const dead: DeadLetter[] = [];
    for (const r of records) {
      const raw = r.value as Partial<BusVerdict> | null;
      // Ours: stored before publishing. A collector's after-the-fact verdict says it is not stored yet.
      if (raw && typeof raw === 'object' && raw.origin === 'stream' && raw.recorded !== false) continue;
      const parsed = VerdictSchema.safeParse(raw);
      if (!parsed.success) {
        dead.push(this.invalidRecord('bus.verdicts', r, formatZodIssues(parsed.error)));
        continue;
      }
      const agentId = typeof raw?.agentId === 'string' ? raw.agentId : undefined;
      const origin: VerdictOrigin =
        raw?.origin === 'hunt' ? 'hunt' : raw?.origin === 'stream' ? 'stream' : 'inline';
      verdicts.push({ verdict: parsed.data, origin, agentId });
    }
    await this.accept('verdicts', () => this.store.insertVerdicts(verdicts));
    await this.accept('dead letters', () => this.store.insertDeadLetters(dead));
    await this.durable();
    if (this.router) {
      for (const v of verdicts) {
        if (v.verdict.decision === 'require_approval' && v.origin === 'inline') {
          await this.router.requestApproval(v.verdict, v.agentId);
        }
      }
      await this.durable();
    }
  }

  async handleFindings(records: readonly BusRecord<unknown>[]): Promise<void> {
    const findings: Finding[] = [];
    const dead: DeadLetter[] = [];
    for (const r of records) {
      const raw = r.value as Partial<BusFinding> | null;
      if (raw && typeof raw === 'object' && raw.origin === 'stream') continue;
      const parsed = FindingSchema.safeParse(raw);
      if (parsed.success) findings.push(parsed.data);
      else dead.push(this.invalidRecord('bus.findings', r, formatZodIssues(parsed.error)));
    }
    await this.accept('findings', () => this.store.insertFindings(findings));
    await this.accept('dead letters', () => this.store.insertDeadLetters(dead));
    await this.durable();
    // Inline findings (a call blocked before it ran) belong to the same incident as the stream's.
    await this.raiseIncidents(findings);
  }

  // ---------------------------------------------------------------- alert delivery

  async handleAlerts(records: readonly BusRecord<unknown>[]): Promise<void> {
    if (!this.router) return;
    const dead: DeadLetter[] = [];
    for (const r of records) {
      const parsed = AlertSchema.safeParse(r.value);
      if (!parsed.success) {
        dead.push(this.invalidRecord('bus.alerts', r, formatZodIssues(parsed.error)));
        continue;
      }
      await this.router.dispatch(parsed.data as Alert);
    }
    await this.accept('dead letters', () => this.store.insertDeadLetters(dead));
    await this.durable();
  }

  // ---------------------------------------------------------------- helpers

  private invalidRecord(source: string, r: BusRecord<unknown>, issues: string[]): DeadLetter {
    this.metrics?.inc('worker_invalid_records_total', { source });
    this.log.warn(
      { source, partition: r.partition, offset: r.offset, issues },
      'invalid bus record; dead-lettered',
    );
    const tenant = (r.value as { tenantId?: unknown } | null)?.tenantId;
    return {
      deadLetterId: stableHash([source, r.key, r.partition ?? -1, r.offset ?? '', r.value ?? null]).slice(
        0,
        32,
      ),
      tenantId: typeof tenant === 'string' && tenant.length > 0 ? tenant : 'default',
      source,
      channel: 'bus',
      reason: issues.join('; ').slice(0, 2000),
      attempts: 1,
      payload: r.value ?? null,
      timestampMillis: this.now(),
    };
  }

  /** Everything this worker wrote so far is durable (group commit, see `commitLingerMillis`). */
  private durable(): Promise<void> {
    return this.commitLingerMillis === 0
      ? this.store.forceFlush()
      : this.store.whenDurable(this.commitLingerMillis);
  }

  /** Writes, waiting while the store pushes back; throws (batch redelivered) when it keeps refusing. */
  private async accept(what: string, write: () => WriteResult): Promise<void> {
    const giveUpAt = this.now() + this.maxPushbackMillis;
    for (;;) {
      const res = write();
      if (res.ok) return;
      if (res.reason === 'closed' || this.now() >= giveUpAt) {
        throw new StoreError('write_refused', `store refused ${what}: ${res.reason}: ${res.message}`, {
          retriable: res.reason !== 'closed',
        });
      }
      await this.sleep(Math.min(1_000, Math.max(10, res.retryAfterMillis)));
    }
  }

  /** Publishes, waiting while the bus pushes back; throws (batch redelivered) when it keeps refusing. */
  private async publish<T>(topic: BusTopic, records: readonly BusRecord<T>[]): Promise<void> {
    if (records.length === 0) return;
    const giveUpAt = this.now() + this.maxPushbackMillis;
    for (;;) {
      const res = await this.bus.publish(topic, records);
      if (res.ok) return;
      if (res.reason === 'closed' || this.now() >= giveUpAt) {
        throw new EventBusError(res.reason, `cannot publish ${records.length} ${topic}: ${res.message}`, {
          retriable: res.reason !== 'closed',
        });
      }
      await this.sleep(Math.min(1_000, Math.max(10, res.retryAfterMillis)));
    }
  }
}
