import {
  type Alert,
  approvalId,
  formatZodIssues,
  RetryExhaustedError,
  retry,
  SEVERITY_RANK,
  SeveritySchema,
  stableHash,
  type Verdict,
} from '@bulwark/contracts';
import { z } from 'zod';
import { AlertDeliveryError, StoreError, StreamConfigError } from '../errors.js';
import { errorMessage, type Logger, silentLogger } from '../logger.js';
import type { EventStore } from '../store/event-store.js';
import type { StreamMetrics } from '../worker/stream-metrics.js';
import { type AlertSink, type ApprovalRequest, isApprovalSink, type SendResult } from './alert-sink.js';
import { PagerDutyAlertSink } from './pagerduty-alert-sink.js';
import { SlackAlertSink } from './slack-alert-sink.js';
import { WebhookAlertSink } from './webhook-alert-sink.js';

const httpUrl = z.url({ protocol: /^https?$/ });
const timeoutMillis = z.number().int().positive().max(120_000).default(5_000);

/** One channel in the routing configuration. */
export const AlertChannelConfigSchema = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('slack'), webhookUrl: httpUrl, timeoutMillis, consoleUrl: httpUrl.optional() })
    .strict(),
  z
    .object({
      type: z.literal('pagerduty'),
      routingKey: z.string().min(1),
      eventsUrl: httpUrl.default('https://events.pagerduty.com/v2/enqueue'),
      source: z.string().min(1).default('bulwark'),
      timeoutMillis,
      consoleUrl: httpUrl.optional(),
    })
    .strict(),
  z.object({ type: z.literal('webhook'), url: httpUrl, secret: z.string().min(16), timeoutMillis }).strict(),
]);
export type AlertChannelConfig = z.infer<typeof AlertChannelConfigSchema>;

/**
 * Alert routing: channels by name, routes that pick channels by severity, tenant and detector, the approver
 * channel, and delivery retries. Validated once at start; every problem is reported at once.
 *
 * @example
 * const config = parseAlertRoutingConfig({
 *   channels: { secops: { type: 'slack', webhookUrl }, oncall: { type: 'pagerduty', routingKey } },
 *   routes: [{ channels: ['secops'] }, { channels: ['oncall'], minSeverity: 'critical' }],
 * });
 */
export const AlertRoutingConfigSchema = z
  .object({
    channels: z.record(z.string().regex(/^[A-Za-z0-9_.:-]+$/), AlertChannelConfigSchema),
    routes: z
      .array(
        z
          .object({
            channels: z.array(z.string()).min(1),
            /** Lowest severity routed. Default `info` (everything). */
            minSeverity: SeveritySchema.default('info'),
            /** Only these tenants; absent = all. */
            tenants: z.array(z.string()).min(1).optional(),
            /** Only alerts with one of these detectors; `injection.*` matches a family. Absent = all. */
            detectors: z.array(z.string()).min(1).optional(),
          })
          .strict(),
      )
      .default([]),
    approvals: z
      .object({
        /** A `webhook` channel that carries approval requests. */
        channel: z.string(),
        /** How long an approver has. Default 5 minutes. */
        timeoutMillis: z.number().int().positive().default(300_000),
        /** Where approvers answer (collector endpoint), copied into each request. */
        callbackUrl: httpUrl.optional(),
      })
      .strict()
      .optional(),
    /** Suppression window of one incident (tenant + session): no re-page within it unless severity rises. */
    suppressionWindowMillis: z
      .number()
      .int()
      .nonnegative()
      .default(30 * 60_000),
    /** Lowest finding severity that opens an incident. Default `medium`. */
    minIncidentSeverity: SeveritySchema.default('medium'),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(20).default(5),
        initialDelayMillis: z.number().int().nonnegative().default(200),
        maxDelayMillis: z.number().int().positive().default(5_000),
        deadlineMillis: z.number().int().positive().default(30_000),
      })
      .strict()
      .default({ maxAttempts: 5, initialDelayMillis: 200, maxDelayMillis: 5_000, deadlineMillis: 30_000 }),
  })
  .strict()
  .superRefine((c, ctx) => {
    c.routes.forEach((r, i) => {
      r.channels.forEach((name, j) => {
        if (!c.channels[name]) {
          ctx.addIssue({
            code: 'custom',
            path: ['routes', i, 'channels', j],
            message: `unknown channel "${name}"`,
          });
        }
      });
    });
    if (c.approvals) {
      const ch = c.channels[c.approvals.channel];
      if (!ch)
        ctx.addIssue({
          code: 'custom',
          path: ['approvals', 'channel'],
          message: `unknown channel "${c.approvals.channel}"`,
        });
      else if (ch.type !== 'webhook') {
        ctx.addIssue({
          code: 'custom',
          path: ['approvals', 'channel'],
          message: 'the approver channel must be a webhook',
        });
      }
    }
  });
export type AlertRoutingConfig = z.infer<typeof AlertRoutingConfigSchema>;
export type AlertRoutingConfigInput = z.input<typeof AlertRoutingConfigSchema>;

/**
 * Validates routing configuration; lists every problem with its path.
 *
 * @example
 * const res = parseAlertRoutingConfig(yaml.parse(text));
 * if (!res.ok) { console.error(res.issues.join('\n')); process.exit(2); }
 */
export function parseAlertRoutingConfig(
  input: unknown,
): { ok: true; config: AlertRoutingConfig } | { ok: false; issues: string[] } {
  const res = AlertRoutingConfigSchema.safeParse(input);
  if (res.success) return { ok: true, config: res.data };
  return { ok: false, issues: formatZodIssues(res.error) };
}

/**
 * Builds the sink of one configured channel.
 *
 * @example
 * const sink = createAlertSink('secops', { type: 'slack', webhookUrl, timeoutMillis: 5000 });
 */
export function createAlertSink(name: string, c: AlertChannelConfig): AlertSink {
  switch (c.type) {
    case 'slack':
      return new SlackAlertSink({
        name,
        webhookUrl: c.webhookUrl,
        timeoutMillis: c.timeoutMillis,
        ...(c.consoleUrl ? { consoleUrl: c.consoleUrl } : {}),
      });
    case 'pagerduty':
      return new PagerDutyAlertSink({
        name,
        routingKey: c.routingKey,
        eventsUrl: c.eventsUrl,
        source: c.source,
        timeoutMillis: c.timeoutMillis,
        ...(c.consoleUrl ? { consoleUrl: c.consoleUrl } : {}),
      });
    case 'webhook':
      return new WebhookAlertSink({ name, url: c.url, secret: c.secret, timeoutMillis: c.timeoutMillis });
  }
}

export interface AlertRouterOptions {
  /** Routing configuration (validated here; a bad one throws `StreamConfigError` listing every issue). */
  config: AlertRoutingConfigInput;
  /** Sinks by channel name, overriding those built from the configuration (tests, custom channels). */
  sinks?: Record<string, AlertSink>;
  /** Where dead letters go. Without a store they are only logged and counted. */
  store?: EventStore;
  now?: () => number;
  sleep?: (millis: number) => Promise<void>;
  random?: () => number;
  logger?: Logger;
  metrics?: StreamMetrics;
}

/** Outcome of dispatching one alert: per channel, delivered or dead-lettered. */
export interface DispatchReport {
  alertId: string;
  delivered: string[];
  deadLettered: string[];
  /** Channels skipped because this alert was already delivered to them by this process. */
  duplicates: string[];
}

const DELIVERED_MEMORY = 10_000;

/**
 * Sends alerts to channels chosen by severity, tenant and detector; retries each delivery with backoff
 * (contracts `retry`, honouring `Retry-After`); a channel that keeps failing leaves a dead letter in the
 * store and increments `alerts_dead_lettered_total` - never a silent drop. Also routes `require_approval`
 * verdicts to the approver webhook with a time limit.
 *
 * @example
 * const router = new AlertRouter({ config, store, metrics });
 * await router.dispatch(alert);
 */
export class AlertRouter {
  readonly config: AlertRoutingConfig;
  private readonly sinks = new Map<string, AlertSink>();
  private readonly store: EventStore | undefined;
  private readonly now: () => number;
  private readonly sleep: (millis: number) => Promise<void>;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly metrics: StreamMetrics | undefined;
  private readonly delivered = new Set<string>();

  constructor(options: AlertRouterOptions) {
    const parsed = parseAlertRoutingConfig(options.config);
    if (!parsed.ok) throw new StreamConfigError('alert routing', parsed.issues);
    this.config = parsed.config;
    for (const [name, c] of Object.entries(this.config.channels)) {
      this.sinks.set(name, options.sinks?.[name] ?? createAlertSink(name, c));
    }
    for (const [name, sink] of Object.entries(options.sinks ?? {})) this.sinks.set(name, sink);
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.log = (options.logger ?? silentLogger).child({ component: 'alert-router' });
    this.metrics = options.metrics;
  }

  /** Channel names an alert goes to (union of every matching route). */
  channelsFor(alert: Alert): string[] {
    const out = new Set<string>();
    for (const r of this.config.routes) {
      if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[r.minSeverity]) continue;
      if (r.tenants && !r.tenants.includes(alert.tenantId)) continue;
      if (r.detectors && !alert.detectorIds.some((d) => r.detectors!.some((p) => matchDetector(p, d))))
        continue;
      for (const c of r.channels) out.add(c);
    }
    return [...out];
  }

  /**
   * Delivers one alert to its channels; failures end as dead letters. Never rejects for delivery errors;
   * rejects (retriable `StoreError`) only when a dead letter cannot be stored, so the caller redelivers.
   */
  async dispatch(alert: Alert): Promise<DispatchReport> {
    const report: DispatchReport = {
      alertId: alert.alertId,
      delivered: [],
      deadLettered: [],
      duplicates: [],
    };
    const channels = this.channelsFor(alert);
    if (channels.length === 0) {
      this.log.info(
        { alertId: alert.alertId, severity: alert.severity, tenantId: alert.tenantId },
        'no route matches alert',
      );
    }
    await Promise.all(
      channels.map(async (name) => {
        const key = `${alert.alertId}\u0000${name}`;
        if (this.delivered.has(key)) {
          report.duplicates.push(name);
          return;
        }
        const sink = this.sinks.get(name)!;
        const outcome = await this.deliver(name, () => sink.send(alert));
        if (outcome.ok) {
          this.remember(key);
          report.delivered.push(name);
          this.metrics?.inc('alerts_sent_total', { channel: name, severity: alert.severity });
        } else {
          report.deadLettered.push(name);
          await this.deadLetter('alert', name, outcome, alert, alert.tenantId, `${alert.alertId}:${name}`);
        }
      }),
    );
    return report;
  }

  /**
   * Sends a `require_approval` verdict to the approver channel with its deadline. Answers `skipped` when no
   * approver channel is configured or the deadline already passed.
   */
  async requestApproval(
    verdict: Verdict,
    agentId?: string,
  ): Promise<{ status: 'sent' | 'dead_lettered' | 'skipped'; request?: ApprovalRequest }> {
    const a = this.config.approvals;
    if (!a || verdict.decision !== 'require_approval') return { status: 'skipped' };
    const request: ApprovalRequest = {
      approvalId: approvalId(verdict),
      tenantId: verdict.tenantId,
      sessionId: verdict.sessionId,
      agentId,
      toolCallId: verdict.toolCallId,
      toolName: verdict.toolName,
      argumentsHash: verdict.argumentsHash ?? '',
      reasons: verdict.reasons,
      requestedAtMillis: verdict.timestampMillis,
      expiresAtMillis: verdict.timestampMillis + a.timeoutMillis,
      callbackUrl: a.callbackUrl,
    };
    if (this.now() >= request.expiresAtMillis) {
      this.log.info({ approvalId: request.approvalId }, 'approval request expired before it could be sent');
      return { status: 'skipped', request };
    }
    const sink = this.sinks.get(a.channel);
    if (!sink || !isApprovalSink(sink)) return { status: 'skipped', request };
    const key = `${request.approvalId}\u0000${a.channel}`;
    if (this.delivered.has(key)) return { status: 'sent', request };
    const outcome = await this.deliver(a.channel, () => sink.sendApproval(request));
    if (outcome.ok) {
      this.remember(key);
      this.metrics?.inc('approvals_requested_total', { channel: a.channel });
      return { status: 'sent', request };
    }
    await this.deadLetter(
      'approval',
      a.channel,
      outcome,
      request,
      request.tenantId,
      `${request.approvalId}:${a.channel}`,
    );
    return { status: 'dead_lettered', request };
  }

  /** One delivery with retries; the value says how it ended. */
  private async deliver(
    channel: string,
    send: () => Promise<SendResult>,
  ): Promise<{ ok: true } | { ok: false; attempts: number; message: string }> {
    const r = this.config.retry;
    let attempts = 0;
    let retryAfter = 0;
    try {
      await retry(
        async () => {
          attempts += 1;
          let res: SendResult;
          try {
            res = await send();
          } catch (err) {
            // A sink that throws is treated like a channel without an answer.
            res = { ok: false, retriable: true, status: 0, message: errorMessage(err) };
          }
          if (res.ok) return;
          retryAfter = res.retryAfterMillis ?? 0;
          throw new AlertDeliveryError(channel, res.message, {
            retriable: res.retriable,
            status: res.status,
            ...(res.retryAfterMillis !== undefined ? { retryAfterMillis: res.retryAfterMillis } : {}),
          });
        },
        {
          maxAttempts: r.maxAttempts,
          initialDelayMillis: r.initialDelayMillis,
          maxDelayMillis: r.maxDelayMillis,
          deadlineMillis: r.deadlineMillis,
          random: this.random,
          now: this.now,
          // Honour Retry-After (429) when it asks for longer than the backoff.
          sleep: (ms) => this.sleep(Math.min(r.deadlineMillis, Math.max(ms, retryAfter))),
          onRetry: (err, attempt, delayMillis) => {
            this.metrics?.inc('alert_send_retries_total', { channel });
            this.log.warn(
              { channel, attempt, delayMillis, err: errorMessage(err) },
              'alert delivery failed; retrying',
            );
          },
        },
      );
      return { ok: true };
    } catch (err) {
      const cause = err instanceof RetryExhaustedError ? err.cause : err;
      return { ok: false, attempts, message: errorMessage(cause) };
    }
  }

  private async deadLetter(
    source: 'alert' | 'approval',
    channel: string,
    outcome: { attempts: number; message: string },
    payload: unknown,
    tenantId: string,
    id: string,
  ): Promise<void> {
    this.metrics?.inc('alerts_dead_lettered_total', { channel, source });
    this.log.error(
      { channel, source, attempts: outcome.attempts, err: outcome.message },
      'alert delivery failed for good; dead-lettered',
    );
    if (!this.store) return;
    const letter = {
      deadLetterId: stableHash(id).slice(0, 32),
      tenantId,
      source,
      channel,
      reason: outcome.message,
      attempts: outcome.attempts,
      payload,
      timestampMillis: this.now(),
    };
    // The store may push back for a moment; wait for it rather than lose the letter.
    const giveUpAt = this.now() + this.config.retry.deadlineMillis;
    for (;;) {
      const res = this.store.insertDeadLetters([letter]);
      if (res.ok) return;
      if (res.reason === 'closed' || this.now() >= giveUpAt) {
        // Not kept anywhere yet: fail the dispatch so the alert is redelivered (and retried) later.
        throw new StoreError(
          'dead_letter_refused',
          `cannot keep the failed ${source} for ${channel}: ${res.message}`,
          {
            retriable: true,
          },
        );
      }
      await this.sleep(Math.min(1_000, Math.max(10, res.retryAfterMillis)));
    }
  }

  private remember(key: string): void {
    this.delivered.add(key);
    if (this.delivered.size > DELIVERED_MEMORY) {
      const oldest = this.delivered.values().next().value;
      if (oldest !== undefined) this.delivered.delete(oldest);
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.sinks.values()].map((s) => s.forceFlush()));
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.sinks.values()].map((s) => s.shutdown()));
  }
}

/**
 * `injection.*` matches `injection.chain`; anything else must be equal.
 *
 * @example
 * matchDetector('injection.*', 'injection.chain'); // true
 */
export function matchDetector(pattern: string, detectorId: string): boolean {
  return pattern.endsWith('.*') ? detectorId.startsWith(pattern.slice(0, -1)) : pattern === detectorId;
}
