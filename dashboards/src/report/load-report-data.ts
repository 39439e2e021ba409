import { DECISION_RANK, type Decision, type Finding, SEVERITY_RANK, type Severity } from '@bulwark/contracts';
import { LATE_EVIDENCE_DETECTOR_ID } from '@bulwark/detectors';
import {
  type AlertRecord,
  type BlockedToolRow,
  type DecisionsPerMinuteRow,
  type EventStore,
  QUERIES,
  type QueryResult,
  type RefusedToolCallRow,
  type SessionSummary,
  type StoreQuery,
} from '@bulwark/stream';
import {
  type BlockRow,
  type CallVerdictRow,
  type DecisionBucketRow,
  REPORT_QUERIES,
  type SessionAgentRow,
  type SeverityCountRow,
} from './report-queries.js';

/** What the report covers. */
export interface ReportOptions {
  /** Start of the range, epoch ms. */
  sinceMillis: number;
  /** End of the range (and "generated at"), epoch ms. Default now. */
  untilMillis?: number;
  /** One tenant, or every tenant when empty/omitted. */
  tenantId?: string;
  title?: string;
  /** Incidents shown with their evidence. Default 10. */
  incidentLimit?: number;
  /** Rows of the riskiest-sessions table. Default 10. */
  sessionLimit?: number;
}

/** Blocking verdicts on one tool within an incident: the block that happened. */
export interface ReportBlock {
  toolName: string;
  calls: number;
  detectorIds: string[];
  /** `inline` (the call was refused), `stream` or `hunt` (found after the fact). */
  origins: string[];
}

/** An incident: the alerts of one dedup key, in their latest state, with the findings behind them. */
export interface ReportIncident {
  dedupKey: string;
  tenantId: string;
  sessionId: string;
  agentId: string | undefined;
  /** The agent's name from the session's events (SDK sessions often have a name and no id). */
  agentName?: string | undefined;
  state: 'open' | 'resolved';
  severity: Severity;
  /** What happened: the block (`Blocked send_email (exfil.sensitive-flow)`), else the alert's title. */
  title: string;
  /** The title of the alert that was raised. */
  alertTitle?: string;
  /** Blocking verdicts of the session during the incident, per tool. */
  blocks?: ReportBlock[];
  /** The call ran and was found only after the fact to be one to block (origin `stream`, late evidence). */
  afterTheFact?: boolean;
  summary: string;
  detectorIds: string[];
  firstSeenMillis: number;
  lastSeenMillis: number;
  findings: Finding[];
}

/** A session with the agent's name from its events. */
export interface ReportSession extends SessionSummary {
  agentName?: string | undefined;
}

/** One verdict on a session's timeline. */
export interface ReportTimelineVerdict {
  timestampMillis: number;
  toolName: string;
  decision: string;
  origin: string;
  source: string;
  detectorIds: string[];
  toolCallId?: string;
  /** A verdict after the fact (`stream`) stricter than the inline one: the call ran, it should not have. */
  afterTheFact?: boolean;
}

/** What the agent enforced on one call of a session's timeline, when it reported it (SDK clients). */
export interface ReportEnforcedCall {
  toolCallId: string;
  toolName: string;
  timestampMillis: number;
  decision: string;
  /** `verdict`, or the fallback: `fallback_timeout`, `fallback_unavailable`, `fallback_error`. */
  source: string;
  reason: string;
  inlineDecision: string;
  differs: boolean;
}

/** A call the agent refused without a verdict (its fallback blocked it), with the verdicts that came later. */
export interface ReportRefusedCall {
  tenantId: string;
  sessionId: string;
  agentId: string | undefined;
  agentName: string | undefined;
  toolCallId: string;
  toolName: string;
  timestampMillis: number;
  enforcedDecision: string;
  enforcedSource: string;
  enforcedReason: string;
  /** The collector's inline decision, which came too late (or '' when none was recorded). */
  verdictDecision: string;
  /** The strictest verdict found after the fact (`stream`), if any. */
  streamDecision: string | undefined;
  /** The enforced decision differs from the inline one (always so for a fallback: no verdict was acted on). */
  differs: boolean;
}

/** Refused calls listed in the report (the KPI counts them all). */
export const REFUSED_CALLS_LIMIT = 50;
/** Sessions of refused calls that get a timeline section (besides those of the incidents). */
const REFUSED_SESSION_DETAILS = 10;

/** A session behind a shown incident: where the incident pivots to. */
export interface ReportSessionDetail {
  tenantId: string;
  sessionId: string;
  agentId: string | undefined;
  agentName: string | undefined;
  firstSeenMillis: number | undefined;
  lastSeenMillis: number | undefined;
  events: number | undefined;
  toolCalls: number | undefined;
  /** Verdicts in order, the latest `TIMELINE_LIMIT` at most. */
  verdicts: ReportTimelineVerdict[];
  /** What the agent enforced on the session's calls, when it reported it. */
  enforcedCalls?: ReportEnforcedCall[];
  /** Older verdicts left out of `verdicts`. */
  olderVerdicts: number;
}

/** Verdicts per session shown on its timeline. */
export const TIMELINE_LIMIT = 100;

/** What the agents enforced on their tool calls in the range, as they reported it (SDK clients). */
export interface ReportEnforced {
  /** Calls refused without a verdict: the agent's fallback blocked them (timeout, unreachable, error). */
  refusedWithoutVerdict: number;
  /** Those per fallback source (`fallback_timeout`, `fallback_unavailable`, `fallback_error`). */
  refusedBySource: Record<string, number>;
  /** Calls that ran on a fallback `allow` (failing open). */
  allowedWithoutVerdict: number;
  /** Calls whose enforced decision differs from the inline verdict (fallbacks, approvals, changed arguments). */
  differing: number;
  /** Calls with an enforced decision reported at all. */
  reported: number;
}

/** Everything the report shows, already aggregated. */
export interface ReportData {
  title: string;
  storeKind: 'chdb' | 'server';
  tenantId: string;
  sinceMillis: number;
  untilMillis: number;
  bucketMillis: number;
  /** Dense buckets (zeros included) of verdicts by decision. */
  decisionBuckets: { startMillis: number; values: Record<string, number> }[];
  /** Dense buckets of non-allow verdicts by contributing detector, and the detectors, busiest first. */
  detectorBuckets: { startMillis: number; values: Record<string, number> }[];
  detectors: string[];
  topBlockedTools: BlockedToolRow[];
  /** Findings in range per severity, every severity present (zeros included). */
  findingsBySeverity: Record<Severity, number>;
  riskiestSessions: ReportSession[];
  /** The incidents shown in detail (open, worst and newest first), with their findings and evidence. */
  incidents: ReportIncident[];
  /** Every incident of the range in the same order (at most 50), without findings: the index table. */
  incidentIndex: Omit<ReportIncident, 'findings'>[];
  /** The sessions of the shown incidents, with their verdict timeline (the incident → session pivot). */
  sessionDetails?: ReportSessionDetail[];
  /** What the agents enforced (fallbacks included): the calls refused without a verdict. */
  enforced?: ReportEnforced;
  /** The calls refused without a verdict, newest first (at most `REFUSED_CALLS_LIMIT`). */
  refusedCalls?: ReportRefusedCall[];
  totals: {
    decisions: number;
    blocked: number;
    activeSessions: number;
    findings: number;
    sessionsAtRisk: number;
    openIncidents: number;
    incidents: number;
    /** Calls the agents refused without a verdict (see `enforced`). */
    refusedWithoutVerdict?: number;
  };
}

/** A query that failed, as a value: which one and why. */
export type ReportDataResult =
  | { ok: true; data: ReportData }
  | { ok: false; reason: 'unavailable' | 'invalid' | 'closed'; retryAfterMillis: number; message: string };

const BUCKETS = [
  60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/** A bucket size giving at most ~48 bars over the range. */
export function bucketFor(rangeMillis: number): number {
  return BUCKETS.find((b) => rangeMillis / b <= 48) ?? 86_400_000 * Math.ceil(rangeMillis / 86_400_000 / 48);
}

/** The strictest of some decisions, or undefined when there is none. */
function strictest(decisions: readonly string[]): string | undefined {
  let out: string | undefined;
  for (const d of decisions)
    if (out === undefined || (DECISION_RANK[d as Decision] ?? 0) > (DECISION_RANK[out as Decision] ?? 0))
      out = d;
  return out;
}

/** Severity of a rank (inverse of `SEVERITY_RANK`). */
export function severityOfRank(rank: number): Severity {
  const found = (Object.entries(SEVERITY_RANK) as [Severity, number][]).find(([, r]) => r === rank);
  return found ? found[0] : rank > 4 ? 'critical' : 'info';
}

async function sessionAgents(
  store: EventStore,
  tenantId: string,
  sessions: readonly { tenantId: string; sessionId: string }[],
): Promise<Map<string, SessionAgentRow>> {
  const ids = [...new Set(sessions.map((x) => x.sessionId))];
  const out = new Map<string, SessionAgentRow>();
  if (ids.length === 0) return out;
  for (const r of await rows(store, REPORT_QUERIES.sessionAgents, { tenantId, sessionIds: ids }))
    out.set(`${r.tenantId}\u0000${r.sessionId}`, r);
  return out;
}

class QueryFailed extends Error {
  constructor(readonly failure: Extract<QueryResult<unknown>, { ok: false }>) {
    super(failure.message);
  }
}

async function rows<P extends Record<string, unknown>, R>(
  store: EventStore,
  q: StoreQuery<P, R>,
  params: P,
): Promise<R[]> {
  const res = await store.query(q, params);
  if (!res.ok) throw new QueryFailed(res);
  return res.rows;
}

function incidentsFrom(alerts: readonly AlertRecord[]): Omit<ReportIncident, 'findings'>[] {
  const byKey = new Map<string, AlertRecord[]>();
  for (const a of alerts) {
    const key = `${a.tenantId}\u0000${a.dedupKey}`;
    const list = byKey.get(key) ?? [];
    list.push(a);
    byKey.set(key, list);
  }
  const out: Omit<ReportIncident, 'findings'>[] = [];
  for (const list of byKey.values()) {
    list.sort((a, b) => b.lastSeenMillis - a.lastSeenMillis || (a.action === 'resolve' ? -1 : 1));
    const latest = list[0]!;
    const worst = list.reduce(
      (w, a) => (SEVERITY_RANK[a.severity] > SEVERITY_RANK[w.severity] ? a : w),
      latest,
    );
    const trigger = list.find((a) => a.action === 'trigger') ?? latest;
    out.push({
      alertTitle: trigger.title,
      dedupKey: latest.dedupKey,
      tenantId: latest.tenantId,
      sessionId: latest.sessionId,
      agentId: latest.agentId,
      state: latest.action === 'resolve' ? 'resolved' : 'open',
      severity: worst.severity,
      title: trigger.title,
      summary: trigger.summary,
      detectorIds: [...new Set(list.flatMap((a) => a.detectorIds))],
      firstSeenMillis: Math.min(...list.map((a) => a.firstSeenMillis)),
      lastSeenMillis: latest.lastSeenMillis,
    });
  }
  // Open first, then worst, then newest: what an analyst picks up next.
  return out.sort(
    (a, b) =>
      (a.state === 'open' ? 0 : 1) - (b.state === 'open' ? 0 : 1) ||
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      b.lastSeenMillis - a.lastSeenMillis,
  );
}

const BLOCK_WINDOW_MILLIS = 300_000;

/**
 * The blocks of an incident's session while it was open (give or take the alert's batching delay): those
 * of its detectors when any, else every block of the session in that window.
 */
export function incidentBlocks(
  inc: Pick<ReportIncident, 'tenantId' | 'sessionId' | 'detectorIds' | 'firstSeenMillis' | 'lastSeenMillis'>,
  blocks: readonly BlockRow[],
): ReportBlock[] {
  const inWindow = blocks.filter(
    (b) =>
      b.tenantId === inc.tenantId &&
      b.sessionId === inc.sessionId &&
      b.timestampMillis >= inc.firstSeenMillis - BLOCK_WINDOW_MILLIS &&
      b.timestampMillis <= inc.lastSeenMillis + BLOCK_WINDOW_MILLIS,
  );
  const own = inWindow.filter((b) => b.detectorIds.some((d) => inc.detectorIds.includes(d)));
  const byTool = new Map<string, ReportBlock>();
  for (const b of own.length > 0 ? own : inWindow) {
    const t = byTool.get(b.toolName) ?? { toolName: b.toolName, calls: 0, detectorIds: [], origins: [] };
    t.calls++;
    for (const d of b.detectorIds) if (!t.detectorIds.includes(d)) t.detectorIds.push(d);
    if (!t.origins.includes(b.origin)) t.origins.push(b.origin);
    byTool.set(b.toolName, t);
  }
  return [...byTool.values()];
}

/**
 * The title of an incident: the block that happened (`Blocked send_email ×2 (exfil.sensitive-flow)`), a call
 * that ran and was found only after the fact (`Executed, would have been blocked: …`), else the alert's own
 * title. `afterTheFact` names the after-the-fact blocks even when the session has inline ones too.
 *
 * @example
 * incidentTitle([{ toolName: 'send_email', calls: 1, detectorIds: ['exfil'], origins: ['inline'] }], 'Alert'); // 'Blocked send_email (exfil)'
 */
export function incidentTitle(
  blocks: readonly ReportBlock[],
  alertTitle: string,
  afterTheFact = false,
): string {
  if (blocks.length === 0) return alertTitle;
  const inline = blocks.filter((b) => b.origins.includes('inline'));
  const late = blocks.filter((b) => !b.origins.includes('inline'));
  const executed = inline.length === 0 || (afterTheFact && late.length > 0);
  const shown = executed ? (late.length > 0 ? late : blocks) : inline;
  const tools = shown.map((b) => `${b.toolName || '(unnamed tool)'}${b.calls > 1 ? ` ×${b.calls}` : ''}`);
  const detectors = [...new Set(shown.flatMap((b) => b.detectorIds))].filter(
    (d) => d !== LATE_EVIDENCE_DETECTOR_ID,
  );
  const what = `${tools.join(', ')}${detectors.length > 0 ? ` (${detectors.join(', ')})` : ''}`;
  return executed ? `Executed, would have been blocked: ${what}` : `Blocked ${what}`;
}

/**
 * Marks verdicts after the fact (`stream`) that are stricter than the strictest inline verdict on the same
 * call: the call ran on the inline decision, and the evidence that came later says it should not have.
 *
 * @example
 * afterTheFactFlags([{ toolCallId: 'c', decision: 'allow', origin: 'inline' }, { toolCallId: 'c', decision: 'block', origin: 'stream' }]); // [false, true]
 */
export function afterTheFactFlags(
  verdicts: readonly { toolCallId: string; decision: string; origin: string }[],
): boolean[] {
  const rank = (d: string) => DECISION_RANK[d as Decision] ?? 0;
  const inline = new Map<string, number>();
  for (const v of verdicts)
    if (v.origin === 'inline')
      inline.set(v.toolCallId, Math.max(inline.get(v.toolCallId) ?? 0, rank(v.decision)));
  return verdicts.map(
    (v) => v.origin === 'stream' && v.toolCallId !== '' && rank(v.decision) > (inline.get(v.toolCallId) ?? 0),
  );
}

type Buckets = ReportData['decisionBuckets'];
type Since = { tenantId: string; sinceMillis: number };
type AgentOf = (x: { tenantId: string; sessionId: string }) => SessionAgentRow | undefined;

/** Findings per severity, every severity present (zeros included). */
function severityCounts(rows: readonly SeverityCountRow[]): Record<Severity, number> {
  const out = { info: 0, low: 0, medium: 0, high: 0, critical: 0 } as Record<Severity, number>;
  for (const r of rows) if (r.severity in out) out[r.severity as Severity] += r.findings;
  return out;
}

/**
 * Dense buckets over the range (zeros included): verdicts by decision, and non-allow verdicts by contributing
 * detector with the detectors busiest first.
 */
function timeBuckets(
  range: { sinceMillis: number; untilMillis: number; bucketMillis: number },
  decisionRows: readonly DecisionBucketRow[],
  perMinute: readonly DecisionsPerMinuteRow[],
): Pick<ReportData, 'decisionBuckets' | 'detectorBuckets' | 'detectors'> {
  const { sinceMillis, untilMillis, bucketMillis } = range;
  const first = Math.floor(sinceMillis / bucketMillis) * bucketMillis;
  const starts: number[] = [];
  for (let t = first; t < untilMillis; t += bucketMillis) starts.push(t);
  const index = new Map(starts.map((t, i) => [t, i]));
  const empty = (): Buckets => starts.map((startMillis) => ({ startMillis, values: {} }));
  const decisionBuckets = empty();
  for (const r of decisionRows) {
    const b = decisionBuckets[index.get(r.bucketMillis) ?? -1];
    if (b) b.values[r.decision] = (b.values[r.decision] ?? 0) + r.decisions;
  }
  const detectorBuckets = empty();
  const detectorTotals = new Map<string, number>();
  for (const r of perMinute) {
    if (r.detectorId === '' || r.decision === 'allow' || r.minuteMillis >= untilMillis) continue;
    const b = detectorBuckets[index.get(Math.floor(r.minuteMillis / bucketMillis) * bucketMillis) ?? -1];
    if (!b) continue;
    b.values[r.detectorId] = (b.values[r.detectorId] ?? 0) + r.decisions;
    detectorTotals.set(r.detectorId, (detectorTotals.get(r.detectorId) ?? 0) + r.decisions);
  }
  const detectors = [...detectorTotals.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([d]) => d);
  return { decisionBuckets, detectorBuckets, detectors };
}

/** The ten most blocked tools, per tool across tenants: the aggregate query is per tenant and tool. */
function topBlockedToolsOf(blockedTools: readonly BlockedToolRow[], tenantId: string): BlockedToolRow[] {
  const tools = new Map<string, BlockedToolRow>();
  for (const r of blockedTools) {
    const t = tools.get(r.toolName) ?? {
      tenantId: tenantId || '*',
      toolName: r.toolName,
      blockedCalls: 0,
      sessions: 0,
    };
    t.blockedCalls += r.blockedCalls;
    t.sessions += r.sessions;
    tools.set(r.toolName, t);
  }
  return [...tools.values()]
    .sort((a, b) => b.blockedCalls - a.blockedCalls || a.toolName.localeCompare(b.toolName))
    .slice(0, 10);
}

/**
 * Every incident of the range with its blocks and title, and the first `limit` of them with the findings
 * behind their alerts (else every finding of the session).
 */
async function loadIncidents(
  store: EventStore,
  alerts: readonly AlertRecord[],
  blocks: readonly BlockRow[],
  limit: number,
): Promise<{ incidentList: Omit<ReportIncident, 'findings'>[]; incidents: ReportIncident[] }> {
  const incidentList = incidentsFrom(alerts);
  for (const inc of incidentList) {
    inc.blocks = incidentBlocks(inc, blocks);
    const late = inc.detectorIds.includes(LATE_EVIDENCE_DETECTOR_ID);
    inc.afterTheFact =
      late || (inc.blocks.length > 0 && inc.blocks.every((b) => !b.origins.includes('inline')));
    inc.title = incidentTitle(inc.blocks, inc.alertTitle ?? inc.title, late);
  }
  const findingsBySession = new Map<string, Promise<Finding[]>>();
  const incidents: ReportIncident[] = [];
  for (const inc of incidentList.slice(0, limit)) {
    const key = `${inc.tenantId}\u0000${inc.sessionId}`;
    if (!findingsBySession.has(key)) {
      findingsBySession.set(
        key,
        rows(store, QUERIES.sessionFindings, { tenantId: inc.tenantId, sessionId: inc.sessionId }),
      );
    }
    const sessionFindings = await findingsBySession.get(key)!;
    const ids = new Set(
      alerts
        .filter((a) => a.tenantId === inc.tenantId && a.dedupKey === inc.dedupKey)
        .flatMap((a) => a.findingIds),
    );
    const findings = ids.size > 0 ? sessionFindings.filter((f) => ids.has(f.findingId)) : sessionFindings;
    incidents.push({ ...inc, findings: findings.length > 0 ? findings : sessionFindings });
  }
  return { incidentList, incidents };
}

/** The calls refused without a verdict, newest first, and the verdicts on each of them. */
async function loadRefusedRows(
  store: EventStore,
  since: Since,
  untilMillis: number,
): Promise<{ refusedRows: RefusedToolCallRow[]; laterVerdicts: CallVerdictRow[] }> {
  const refusedRows = await rows(store, QUERIES.refusedToolCalls, {
    ...since,
    untilMillis,
    limit: REFUSED_CALLS_LIMIT,
  });
  const laterVerdicts: CallVerdictRow[] =
    refusedRows.length > 0
      ? await rows(store, REPORT_QUERIES.callVerdicts, {
          tenantId: since.tenantId,
          toolCallIds: [...new Set(refusedRows.map((r) => r.toolCallId))],
        })
      : [];
  return { refusedRows, laterVerdicts };
}

/** A refused call with the inline verdict that came too late and the strictest one after the fact. */
function refusedCall(
  r: RefusedToolCallRow,
  laterVerdicts: readonly CallVerdictRow[],
  agentOf: AgentOf,
): ReportRefusedCall {
  const mine = laterVerdicts.filter(
    (v) => v.tenantId === r.tenantId && v.sessionId === r.sessionId && v.toolCallId === r.toolCallId,
  );
  const inline = mine.filter((v) => v.origin === 'inline').at(-1);
  const stream = strictest(mine.filter((v) => v.origin === 'stream').map((v) => v.decision));
  const a = agentOf(r);
  return {
    tenantId: r.tenantId,
    sessionId: r.sessionId,
    agentId: r.agentId ?? a?.agentId,
    agentName: a?.agentName,
    toolCallId: r.toolCallId,
    toolName: r.toolName,
    timestampMillis: r.timestampMillis,
    enforcedDecision: r.enforcedDecision,
    enforcedSource: r.enforcedSource,
    enforcedReason: r.enforcedReason,
    verdictDecision: r.inlineDecision || inline?.decision || '',
    streamDecision: stream,
    differs: r.differs,
  };
}

/** One session's timeline: its latest verdicts (after-the-fact ones marked) and what the agent enforced. */
async function loadSessionDetail(
  store: EventStore,
  x: { tenantId: string; sessionId: string; agentId: string | undefined },
  summary: SessionSummary | undefined,
  agent: SessionAgentRow | undefined,
): Promise<ReportSessionDetail> {
  const session = { tenantId: x.tenantId, sessionId: x.sessionId };
  const verdicts = await rows(store, QUERIES.sessionVerdicts, session);
  const calls = await rows(store, QUERIES.sessionToolCalls, session);
  const shown = verdicts.slice(-TIMELINE_LIMIT);
  const late = afterTheFactFlags(
    verdicts.map((v) => ({
      toolCallId: v.verdict.toolCallId,
      decision: v.verdict.decision,
      origin: v.origin,
    })),
  ).slice(-TIMELINE_LIMIT);
  return {
    tenantId: x.tenantId,
    sessionId: x.sessionId,
    agentId: summary?.agentId ?? agent?.agentId ?? x.agentId,
    agentName: agent?.agentName,
    firstSeenMillis: summary?.firstSeenMillis,
    lastSeenMillis: summary?.lastSeenMillis,
    events: summary?.events,
    toolCalls: summary?.toolCalls,
    verdicts: shown.map((v, i) => ({
      timestampMillis: v.verdict.timestampMillis,
      toolName: v.verdict.toolName,
      decision: v.verdict.decision,
      origin: v.origin,
      source: v.verdict.source,
      detectorIds: v.verdict.detectorIds,
      toolCallId: v.verdict.toolCallId,
      afterTheFact: late[i] ?? false,
    })),
    enforcedCalls: calls
      .filter((c) => c.enforcedSource !== '')
      .slice(-TIMELINE_LIMIT)
      .map((c) => ({
        toolCallId: c.toolCallId,
        toolName: c.toolName,
        timestampMillis: c.timestampMillis,
        decision: c.enforcedDecision,
        source: c.enforcedSource,
        reason: c.enforcedReason,
        inlineDecision: c.inlineDecision,
        differs: c.differs,
      })),
    olderVerdicts: Math.max(0, verdicts.length - TIMELINE_LIMIT),
  };
}

/** The sessions of the shown incidents, then of the newest refused calls: where the report pivots to. */
async function loadSessionDetails(
  store: EventStore,
  incidents: readonly ReportIncident[],
  refusedCalls: readonly ReportRefusedCall[],
  active: readonly SessionSummary[],
  agentOf: AgentOf,
): Promise<ReportSessionDetail[]> {
  const sessionDetails: ReportSessionDetail[] = [];
  const summaries = new Map(active.map((a) => [`${a.tenantId}\u0000${a.sessionId}`, a]));
  const refusedSessions = [
    ...new Map(refusedCalls.map((c) => [`${c.tenantId}\u0000${c.sessionId}`, c])).values(),
  ].slice(0, REFUSED_SESSION_DETAILS);
  for (const x of [...incidents, ...refusedSessions]) {
    const key = `${x.tenantId}\u0000${x.sessionId}`;
    if (sessionDetails.some((d) => `${d.tenantId}\u0000${d.sessionId}` === key)) continue;
    sessionDetails.push(await loadSessionDetail(store, x, summaries.get(key), agentOf(x)));
  }
  return sessionDetails;
}

/** What the agents enforced in the range, as they reported it: fallbacks, differing decisions. */
async function loadEnforced(store: EventStore, since: Since, untilMillis: number): Promise<ReportEnforced> {
  const enforced: ReportEnforced = {
    refusedWithoutVerdict: 0,
    refusedBySource: {},
    allowedWithoutVerdict: 0,
    differing: 0,
    reported: 0,
  };
  for (const r of await rows(store, QUERIES.enforcedDecisions, { ...since, untilMillis })) {
    enforced.reported += r.calls;
    enforced.differing += r.differing;
    if (r.source === 'verdict') continue;
    if (r.decision === 'block') {
      enforced.refusedWithoutVerdict += r.calls;
      enforced.refusedBySource[r.source] = (enforced.refusedBySource[r.source] ?? 0) + r.calls;
    } else enforced.allowedWithoutVerdict += r.calls;
  }
  return enforced;
}

/**
 * Reads what the report shows through the store's query interface (`QUERIES` plus `REPORT_QUERIES`), so it
 * works on the embedded and the server store alike. Failures come back as values.
 *
 * @example
 * const res = await loadReportData(store, { sinceMillis: Date.now() - 86_400_000 });
 * if (res.ok) writeFileSync('report.html', renderReport(res.data));
 */
export async function loadReportData(store: EventStore, options: ReportOptions): Promise<ReportDataResult> {
  const untilMillis = options.untilMillis ?? Date.now();
  const sinceMillis = Math.max(0, Math.min(options.sinceMillis, untilMillis - 60_000));
  const tenantId = options.tenantId ?? '';
  const bucketMillis = bucketFor(untilMillis - sinceMillis);
  const since = { tenantId, sinceMillis };
  try {
    // One after the other: the embedded engine runs one query at a time anyway.
    const decisionRows = await rows(store, REPORT_QUERIES.decisionsOverTime, {
      ...since,
      untilMillis,
      bucketMillis,
    });
    const perMinute = await rows(store, QUERIES.decisionsPerMinute, { ...since, limit: 1_000_000 });
    const blockedTools = await rows(store, QUERIES.topBlockedTools, { ...since, limit: 200 });
    const atRisk = await rows(store, QUERIES.sessionsAtRisk, { ...since, limit: 10_000, minSeverityRank: 1 });
    const active = await rows(store, QUERIES.sessionsActiveSince, { ...since, limit: 100_000 });
    const alerts = await rows(store, QUERIES.alertsSince, { ...since, limit: 5_000 });
    const severities = await rows(store, REPORT_QUERIES.findingsBySeverity, { ...since, untilMillis });
    const blocks = await rows(store, REPORT_QUERIES.blocksInRange, { ...since, untilMillis, limit: 20_000 });
    const { incidentList, incidents } = await loadIncidents(
      store,
      alerts,
      blocks,
      options.incidentLimit ?? 10,
    );
    const { refusedRows, laterVerdicts } = await loadRefusedRows(store, since, untilMillis);

    // Agent names come from the events: the session aggregate only keeps the id.
    const riskiest: ReportSession[] = atRisk.slice(0, options.sessionLimit ?? 10);
    const incidentIndex = incidentList.slice(0, 50);
    const agents = await sessionAgents(store, tenantId, [...riskiest, ...incidentIndex, ...refusedRows]);
    const agentOf: AgentOf = (x) => agents.get(`${x.tenantId}\u0000${x.sessionId}`);
    for (const x of [...riskiest, ...incidentIndex, ...incidents]) {
      const a = agentOf(x);
      x.agentId = x.agentId ?? a?.agentId;
      x.agentName = a?.agentName;
    }
    const refusedCalls = refusedRows.map((r) => refusedCall(r, laterVerdicts, agentOf));
    const sessionDetails = await loadSessionDetails(store, incidents, refusedCalls, active, agentOf);
    const enforced = await loadEnforced(store, since, untilMillis);

    const decisions = decisionRows.reduce((s, r) => s + r.decisions, 0);
    const blocked = decisionRows.filter((r) => r.decision === 'block').reduce((s, r) => s + r.decisions, 0);
    return {
      ok: true,
      data: {
        title: options.title ?? 'Bulwark security report',
        storeKind: store.kind,
        tenantId,
        sinceMillis,
        untilMillis,
        bucketMillis,
        ...timeBuckets({ sinceMillis, untilMillis, bucketMillis }, decisionRows, perMinute),
        topBlockedTools: topBlockedToolsOf(blockedTools, tenantId),
        findingsBySeverity: severityCounts(severities),
        riskiestSessions: riskiest,
        incidents,
        incidentIndex,
        sessionDetails,
        enforced,
        refusedCalls,
        totals: {
          decisions,
          blocked,
          activeSessions: active.length,
          findings: severities.reduce((s, x) => s + x.findings, 0),
          sessionsAtRisk: atRisk.filter((s) => s.maxSeverityRank >= SEVERITY_RANK.high).length,
          openIncidents: incidentList.filter((i) => i.state === 'open').length,
          incidents: incidentList.length,
          refusedWithoutVerdict: enforced.refusedWithoutVerdict,
        },
      },
    };
  } catch (err) {
    if (err instanceof QueryFailed) return err.failure;
    throw err;
  }
}
