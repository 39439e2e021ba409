import { type Alert, type Finding, SEVERITY_RANK, type Severity, stableHash } from '@bulwark/contracts';
import { StoreError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { EventStore } from '../store/event-store.js';
import { QUERIES } from '../store/queries.js';
import type { StreamMetrics } from '../worker/stream-metrics.js';

export interface IncidentTrackerOptions {
  /** Where raised alerts are remembered across restarts (the `alerts` table). */
  store?: EventStore;
  /** No re-page for the same incident within this window unless the severity rises. Default 30 min. */
  suppressionWindowMillis?: number;
  /** Findings below this severity open no incident. Default `medium`. */
  minSeverity?: Severity;
  /** Incidents kept in memory (older ones are re-read from the store). Default 10 000. */
  maxIncidents?: number;
  /** Findings listed in one alert. Default 50. */
  maxFindingsPerAlert?: number;
  logger?: Logger;
  metrics?: StreamMetrics;
}

interface IncidentState {
  /** Time of the first finding of the last alert raised (the page time). */
  pagedAtMillis: number;
  severityRank: number;
}

/**
 * Stable incident key of an attack chain: one per tenant + session.
 *
 * @example
 * incidentKey('acme', 'sess-1'); // 'incident:<40 hex>'
 */
export function incidentKey(tenantId: string, sessionId: string): string {
  return `incident:${stableHash([tenantId, sessionId]).slice(0, 40)}`;
}

/**
 * Groups findings into incidents (one per tenant + session: one attack chain) and decides which alerts to
 * raise: the first finding of an incident pages; later ones within the suppression window are folded in
 * unless they raise the severity (escalation). Time is the findings' own time, so a replay decides the same,
 * and alert ids are stable (`hash(incident, first finding time, severity)`): a re-sent alert carries the
 * same id. State survives restarts through the store's `alerts` table.
 *
 * @example
 * const tracker = new IncidentTracker({ store, suppressionWindowMillis: 15 * 60_000 });
 * await tracker.process(findings, async (alerts) => { await publish(alerts); });
 */
export class IncidentTracker {
  private readonly store: EventStore | undefined;
  private readonly windowMillis: number;
  private readonly minRank: number;
  private readonly maxIncidents: number;
  private readonly maxFindings: number;
  private readonly log: Logger;
  private readonly metrics: StreamMetrics | undefined;
  private readonly incidents = new Map<string, IncidentState | null>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(options: IncidentTrackerOptions = {}) {
    this.store = options.store;
    this.windowMillis = options.suppressionWindowMillis ?? 30 * 60_000;
    this.minRank = SEVERITY_RANK[options.minSeverity ?? 'medium'];
    this.maxIncidents = options.maxIncidents ?? 10_000;
    this.maxFindings = options.maxFindingsPerAlert ?? 50;
    this.log = (options.logger ?? silentLogger).child({ component: 'incident-tracker' });
    this.metrics = options.metrics;
  }

  /**
   * Decides the alerts for a batch of findings and hands them to `deliver` (publish them). The incidents
   * are marked as paged only when `deliver` resolves, so a failed batch re-raises the same alerts on
   * redelivery instead of losing them. Calls are serialized.
   */
  process(findings: readonly Finding[], deliver: (alerts: Alert[]) => Promise<void>): Promise<Alert[]> {
    const run = this.chain.then(() => this.processNow(findings, deliver));
    this.chain = run.catch(() => {});
    return run;
  }

  private async processNow(
    findings: readonly Finding[],
    deliver: (alerts: Alert[]) => Promise<void>,
  ): Promise<Alert[]> {
    const relevant = findings
      .filter((f) => SEVERITY_RANK[f.severity] >= this.minRank)
      .sort((a, b) => a.timestampMillis - b.timestampMillis || (a.findingId < b.findingId ? -1 : 1));
    const states = new Map<string, IncidentState | null>();
    const open = new Map<string, Finding[]>();
    const raised: { key: string; findings: Finding[] }[] = [];
    let suppressed = 0;
    for (const f of relevant) {
      const key = incidentKey(f.tenantId, f.sessionId);
      if (!states.has(key)) states.set(key, await this.state(key, f.tenantId));
      const rank = SEVERITY_RANK[f.severity];
      const current = open.get(key);
      if (current && f.timestampMillis - current[0]!.timestampMillis < this.windowMillis) {
        current.push(f); // one alert per incident per batch
        continue;
      }
      const st = current
        ? { pagedAtMillis: current[0]!.timestampMillis, severityRank: maxRank(current) }
        : states.get(key);
      if (!st || f.timestampMillis - st.pagedAtMillis >= this.windowMillis || rank > st.severityRank) {
        const list = [f];
        open.set(key, list);
        raised.push({ key, findings: list });
      } else {
        suppressed += 1;
      }
    }
    const alerts = raised.map((r) => this.toAlert(r.key, r.findings));
    if (alerts.length > 0) await deliver(alerts);
    for (const a of alerts)
      this.remember(a.dedupKey, {
        pagedAtMillis: a.firstSeenMillis,
        severityRank: SEVERITY_RANK[a.severity],
      });
    if (suppressed > 0) this.metrics?.inc('alerts_suppressed_total', {}, suppressed);
    if (alerts.length > 0) this.metrics?.inc('alerts_raised_total', {}, alerts.length);
    return alerts;
  }

  /** In memory, else from the store's alerts of this incident (null: never paged). */
  private async state(key: string, tenantId: string): Promise<IncidentState | null> {
    const cached = this.incidents.get(key);
    if (cached !== undefined) return cached;
    if (!this.store) return null;
    const res = await this.store.query(QUERIES.incidentAlerts, { tenantId, dedupKey: key, limit: 20 });
    if (!res.ok) {
      throw new StoreError('incident_lookup', `cannot read incident ${key}: ${res.message}`, {
        retriable: res.reason !== 'invalid',
      });
    }
    const latest = res.rows
      .filter((a) => a.action === 'trigger')
      .sort((a, b) => b.firstSeenMillis - a.firstSeenMillis)[0];
    let state: IncidentState | null = null;
    if (latest) {
      // The severity already paged in the latest window (escalations only go up within a window).
      let rank = 0;
      for (const a of res.rows) {
        if (a.action === 'trigger' && latest.firstSeenMillis - a.firstSeenMillis < this.windowMillis) {
          rank = Math.max(rank, SEVERITY_RANK[a.severity]);
        }
      }
      state = { pagedAtMillis: latest.firstSeenMillis, severityRank: rank };
    }
    this.remember(key, state);
    return state;
  }

  private remember(key: string, state: IncidentState | null): void {
    this.incidents.delete(key);
    this.incidents.set(key, state);
    if (this.incidents.size > this.maxIncidents) {
      const oldest = this.incidents.keys().next().value;
      if (oldest !== undefined) this.incidents.delete(oldest);
    }
  }

  private toAlert(key: string, findings: Finding[]): Alert {
    const first = findings[0]!;
    let worst = first;
    for (const f of findings) if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst.severity]) worst = f;
    const detectorIds = [...new Set(findings.map((f) => f.detectorId))];
    const titles = [...new Set(findings.map((f) => f.title))];
    const tools = [...new Set(findings.flatMap((f) => (f.toolName ? [f.toolName] : [])))];
    const last = findings[findings.length - 1]!;
    const alert: Alert = {
      alertId: stableHash([key, first.timestampMillis, worst.severity]).slice(0, 32),
      dedupKey: key,
      action: 'trigger',
      severity: worst.severity,
      title: worst.title,
      summary: `${findings.length} finding${findings.length === 1 ? '' : 's'} in session ${first.sessionId}: ${titles.join('; ')}${
        tools.length > 0 ? ` (tools: ${tools.join(', ')})` : ''
      }`,
      tenantId: first.tenantId,
      sessionId: first.sessionId,
      detectorIds,
      findings: findings.slice(0, this.maxFindings),
      firstSeenMillis: first.timestampMillis,
      lastSeenMillis: last.timestampMillis,
    };
    const agentId = findings.find((f) => f.agentId)?.agentId;
    if (agentId) alert.agentId = agentId;
    this.log.info(
      { alertId: alert.alertId, dedupKey: key, severity: alert.severity, findings: findings.length },
      'incident alert',
    );
    return alert;
  }
}

function maxRank(findings: readonly Finding[]): number {
  let r = 0;
  for (const f of findings) r = Math.max(r, SEVERITY_RANK[f.severity]);
  return r;
}
