import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  type AgentEvent,
  type ClockSkewBounds,
  type EventBus,
  type PublishResult,
  sessionKey,
  spanToAgentEvents,
  stampReceivedTimes,
} from '@bulwark/contracts';
import type { Logger } from 'pino';
import type { PeerClient } from '../affinity/peer-client.js';
import type { SessionRouter } from '../affinity/session-router.js';
import type { CollectorMetrics } from '../collector-metrics.js';
import type { VerdictService } from '../verdict-service.js';
import type { DecodedSpan } from './decode-otlp-traces.js';

/** What became of one export request's spans. */
export type IngestOutcome =
  | {
      ok: true;
      events: number;
      rejected: number;
      errors: string[];
      nonAgentSpans: number;
      /** Events kept at their received time because the span's own time was implausible. */
      clockSkewed: number;
    }
  | { ok: false; refused: Extract<PublishResult, { ok: false }> };

/** Events mapped from one export request, before they are committed. */
export interface MappedSpans {
  events: AgentEvent[];
  rejected: number;
  errors: string[];
  nonAgentSpans: number;
  /** Events whose claimed time was out of bounds, clamped to the received time (`clock_skew`). */
  clockSkewed: number;
}

export interface TraceIngestOptions {
  /** Tenant for spans that name none when the caller is not authenticated. */
  defaultTenantId: string;
  /** When a span's own time counts as implausible (default `CLOCK_SKEW_BOUNDS`: 1 day back, 5 minutes ahead). */
  clockSkew?: ClockSkewBounds;
  /** Clock for the received time (tests). Default `Date.now`. */
  now?: () => number;
  /** Give the event loop back after this much mapping work. Default 0.25 ms. */
  sliceMillis?: number;
}

/**
 * Turns decoded spans into AgentEvents with the contracts mapper, stamps the authenticated tenant on every
 * event, publishes them to the bus (the request is refused as a whole if the bus refuses), then applies them
 * to session state on the instance that owns each session.
 *
 * @example
 * const mapped = await ingest.exclusive(() => ingest.map(decoded.spans, principal.tenantId));
 * const out = await ingest.commit(mapped, authHeaders);
 * if (!out.ok) reply(out.refused.reason === 'backpressure' ? 429 : 503);
 */
export class TraceIngest {
  private cpu: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: TraceIngestOptions,
    private readonly bus: EventBus,
    private readonly verdicts: VerdictService,
    private readonly router: SessionRouter,
    private readonly peers: PeerClient | undefined,
    private readonly metrics: CollectorMetrics,
    private readonly logger: Logger,
  ) {}

  /**
   * Runs CPU-heavy ingest sections one at a time: with several exports in flight, each would otherwise add
   * its own slice per event-loop turn and a verdict would wait for all of them.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.cpu.then(fn);
    this.cpu = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Maps spans to events (the contracts mapper), stamping the authenticated tenant and the received time (a
   * span time out of bounds is clamped to it and counted). Yields every slice.
   */
  async map(spans: readonly DecodedSpan[], tenantId: string | undefined): Promise<MappedSpans> {
    this.metrics.spansReceived.inc(spans.length);
    const receivedAtMillis = (this.options.now ?? Date.now)();
    const events: AgentEvent[] = [];
    const errors: string[] = [];
    let rejected = 0;
    let nonAgentSpans = 0;
    const sliceMillis = this.options.sliceMillis ?? 0.25;
    let sliceStart = performance.now();
    const mapOptions = { defaultTenantId: this.options.defaultTenantId };
    for (const { span } of spans) {
      // Mapping validates every event: yield now and then so verdicts are answered in between.
      if (performance.now() - sliceStart >= sliceMillis) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
      let res: ReturnType<typeof spanToAgentEvents>;
      try {
        // Decoded straight into the mapper's span shape: no OTLP/JSON form in between.
        res = spanToAgentEvents(span, mapOptions);
      } catch (err) {
        res = { ok: false, reason: 'invalid', message: (err as Error).message };
      }
      if (res.ok) {
        for (const ev of res.events) {
          // The authenticated tenant wins over whatever the span says.
          if (tenantId !== undefined) ev.tenantId = tenantId;
          events.push(ev);
        }
      } else if (res.reason === 'not_agent_span') {
        nonAgentSpans += 1;
      } else {
        rejected += 1;
        if (errors.length < 5) errors.push(`span ${span.spanId} (${span.name}): ${res.message}`);
      }
    }
    if (rejected > 0) this.metrics.rejectedSpans.inc(rejected);
    // Retention, hunt and dashboards key on this: a span dated 1970 or 2200 is kept, at received time.
    const clockSkewed = stampReceivedTimes(events, receivedAtMillis, this.options.clockSkew);
    if (clockSkewed > 0) this.metrics.clockSkew.inc({ source: 'otlp' }, clockSkewed);
    return { events, rejected, errors, nonAgentSpans, clockSkewed };
  }

  /**
   * Publishes mapped events to the bus (all or nothing: a refusal refuses the request) and hands them to the
   * session owners.
   */
  async commit(
    mapped: MappedSpans,
    forwardHeaders: Record<string, string | undefined>,
  ): Promise<IngestOutcome> {
    const { events, rejected, errors, nonAgentSpans, clockSkewed } = mapped;
    if (events.length > 0) {
      if (!this.verdicts.canAccept(events.length)) {
        return {
          ok: false,
          refused: {
            ok: false,
            reason: 'backpressure',
            retryAfterMillis: 1_000,
            message: `${this.verdicts.pendingEvents} events are still waiting to be applied to session state`,
          },
        };
      }
      // Durable before the 200: the exporter forgets what we acknowledge, so it must survive our crash.
      const published = await this.bus.publish(
        'events',
        events.map((e) => ({ key: sessionKey(e.tenantId, e.sessionId), value: e })),
        { durable: true },
      );
      if (!published.ok) {
        this.metrics.produceErrors.inc({ topic: 'events', reason: published.reason }, events.length);
        return { ok: false, refused: published };
      }
      this.metrics.eventsOut.inc({ topic: 'events' }, published.count);
      this.metrics.eventsIn.inc({ source: 'otlp' }, events.length);
      await this.applyToOwners(events, forwardHeaders);
    }
    return { ok: true, events: events.length, rejected, errors, nonAgentSpans, clockSkewed };
  }

  /** Session state lives on the owner; events of sessions owned elsewhere are forwarded (ingest only). */
  private async applyToOwners(
    events: AgentEvent[],
    forwardHeaders: Record<string, string | undefined>,
  ): Promise<void> {
    const local: AgentEvent[] = [];
    const remote = new Map<string, AgentEvent[]>();
    for (const ev of events) {
      const owner = this.peers ? this.router.ownerOf(ev.tenantId, ev.sessionId) : undefined;
      if (owner === undefined || this.router.isDown(owner)) {
        if (owner !== undefined) this.metrics.peerForwards.inc({ kind: 'events', outcome: 'skipped_down' });
        local.push(ev);
        continue;
      }
      const list = remote.get(owner);
      if (list) list.push(ev);
      else remote.set(owner, [ev]);
    }
    await Promise.all(
      [...remote].map(async ([owner, list]) => {
        const res = await this.peers!.post(
          owner,
          '/v1/internal/events',
          JSON.stringify({ events: list }),
          forwardHeaders,
        );
        if (res.ok && res.status === 200) {
          this.router.markUp(owner);
          this.metrics.peerForwards.inc({ kind: 'events', outcome: 'ok' });
          return;
        }
        // Owner unreachable or failing: keep the state here so a verdict answered locally still sees it.
        this.router.markDown(owner);
        this.metrics.peerForwards.inc({ kind: 'events', outcome: 'failed' });
        this.logger.warn(
          { owner, events: list.length, why: res.ok ? `HTTP ${res.status}` : res.message },
          'session owner unreachable; applying events locally',
        );
        local.push(...list);
      }),
    );
    if (local.length > 0) this.verdicts.enqueue(local);
  }
}
