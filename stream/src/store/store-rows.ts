import {
  type AgentEvent,
  AgentEventSchema,
  type Alert,
  CLOCK_SKEW_BOUNDS,
  type Decision,
  DecisionSchema,
  EvidenceSchema,
  type Finding,
  MAX_TIMESTAMP_MILLIS,
  ReasonSchema,
  SEVERITY_RANK,
  type Severity,
  SeveritySchema,
  stableHash,
  type ToolCallEvent,
  type Verdict,
} from '@bulwark/contracts';
import { z } from 'zod';
import type { WritableTable } from './schema.js';
import type { AlertRecord, DeadLetter, VerdictOrigin, VerdictRecord } from './store-records.js';

/** A row: column name to value, as its `JSONEachRow` form carries it (the drivers pick the wire format). */
export type Row = Record<string, unknown>;

/** Largest value of a ClickHouse `DateTime` (UInt32 seconds, 2106-02-07): beyond it 18.x silently wraps. */
const MAX_DATETIME_SECONDS = 4_294_967_295;

/** Epoch ms as a UInt64 (0 for what is not a number; never above a JS date, so `JSONEachRow` can read it). */
const ms = (millis: number) =>
  Number.isFinite(millis) ? Math.min(MAX_TIMESTAMP_MILLIS, Math.max(0, Math.floor(millis))) : 0;
/** Epoch ms as a `DateTime` (seconds), within the type's range. */
const seconds = (millis: number) => Math.min(MAX_DATETIME_SECONDS, Math.floor(ms(millis) / 1000));

/** True when a record's own time is implausibly far from its received time (see `stampReceivedTime`). */
function skewed(millis: number, receivedAtMillis: number): boolean {
  return (
    !Number.isFinite(millis) ||
    millis < receivedAtMillis - CLOCK_SKEW_BOUNDS.maxPastMillis ||
    millis > receivedAtMillis + CLOCK_SKEW_BOUNDS.maxFutureMillis
  );
}

/**
 * Time columns of a row: the record's own time, and the received time retention keys on. `event_time`
 * (partitions, minute and day buckets) is the record's time unless that is implausible, then the received
 * time; `received_time` is the later of the received and the stored time, so a record never ages out
 * before its retention counted from when Bulwark got it.
 */
export function timeColumns(
  timestampMillis: number,
  receivedAtMillis: number | undefined,
  storedAtMillis: number,
): Row {
  const received = receivedAtMillis ?? storedAtMillis;
  return {
    timestamp_ms: ms(timestampMillis),
    event_time: seconds(skewed(timestampMillis, received) ? received : timestampMillis),
    received_at_ms: ms(received),
    received_time: seconds(Math.max(received, storedAtMillis)),
  };
}

/** Claimed-time columns of `events` and `tool_calls`. */
function claimedColumns(e: AgentEvent, storedAtMillis: number): Row {
  const received = e.receivedAtMillis ?? storedAtMillis;
  const claimed = e.claimedTimestampMillis ?? e.timestampMillis;
  return {
    claimed_timestamp_ms: ms(claimed),
    clock_skew: e.claimedTimestampMillis !== undefined || skewed(e.timestampMillis, received) ? 1 : 0,
  };
}

/**
 * Stable id of a stored verdict: the same verdict redelivered gets the same id. The decision time is left
 * out (it differs between two evaluations of the same call).
 *
 * @example
 * verdictId({ verdict, origin: 'inline' }); // 32 hex chars
 */
export function verdictId(record: Pick<VerdictRecord, 'verdict' | 'origin'>): string {
  const { decisionTimeMicros: _ignored, ...rest } = record.verdict;
  return stableHash({ origin: record.origin, verdict: rest }).slice(0, 32);
}

/** Highest severity among a verdict's reasons (`info` when none). */
export function maxSeverity(severities: readonly Severity[]): Severity {
  let best: Severity = 'info';
  for (const s of severities) if (SEVERITY_RANK[s] > SEVERITY_RANK[best]) best = s;
  return best;
}

/**
 * The `events` row of an event. `storedAtMillis`: the store's clock, the received time of an event the
 * collector did not stamp.
 */
export function eventRow(e: AgentEvent, storedAtMillis: number): Row {
  return {
    tenant_id: e.tenantId,
    session_id: e.sessionId,
    event_id: e.eventId,
    kind: e.kind,
    agent_id: e.agentId ?? '',
    agent_name: e.agentName ?? '',
    trace_id: e.traceId ?? '',
    span_id: e.spanId ?? '',
    server: e.server ?? '',
    tool_name: e.kind === 'tool_call' || e.kind === 'tool_result' ? e.toolName : '',
    tool_call_id: e.kind === 'tool_call' || e.kind === 'tool_result' ? e.toolCallId : '',
    ...timeColumns(e.timestampMillis, e.receivedAtMillis, storedAtMillis),
    ...claimedColumns(e, storedAtMillis),
    payload: JSON.stringify(e),
  };
}

/** The `tool_calls` row of a tool call event, or undefined for other kinds. */
export function toolCallRow(e: AgentEvent, storedAtMillis: number): Row | undefined {
  if (e.kind !== 'tool_call') return undefined;
  return {
    tenant_id: e.tenantId,
    session_id: e.sessionId,
    tool_call_id: e.toolCallId,
    event_id: e.eventId,
    agent_id: e.agentId ?? '',
    tool_name: e.toolName,
    server: e.server ?? '',
    arguments: JSON.stringify(e.arguments),
    arguments_hash: stableHash(e.arguments),
    ...timeColumns(e.timestampMillis, e.receivedAtMillis, storedAtMillis),
    ...claimedColumns(e, storedAtMillis),
    ...enforcedColumns(e),
  };
}

/** Enforced-decision columns of a `tool_calls` row (schema v4); empty when the client reported none. */
function enforcedColumns(e: ToolCallEvent): Row {
  const x = e.enforced;
  if (!x) return {};
  const inline = x.inlineDecision ?? x.verdictDecision ?? '';
  return {
    enforced_decision: x.decision,
    enforced_source: x.source,
    enforced_reason: (x.reason ?? '').slice(0, 2_000),
    inline_decision: inline,
    enforced_differs: x.source !== 'verdict' || inline !== x.decision ? 1 : 0,
  };
}

export function verdictRow(r: VerdictRecord, storedAtMillis: number): Row {
  const v = r.verdict;
  return {
    tenant_id: v.tenantId,
    session_id: v.sessionId,
    verdict_id: verdictId(r),
    tool_call_id: v.toolCallId,
    tool_name: v.toolName,
    agent_id: r.agentId ?? '',
    decision: v.decision,
    origin: r.origin,
    source: v.source,
    detector_ids: v.detectorIds,
    max_severity: maxSeverity(v.reasons.map((x) => x.severity)),
    reasons: JSON.stringify(v.reasons),
    arguments_hash: v.argumentsHash ?? '',
    decision_time_micros: ms(v.decisionTimeMicros),
    ...timeColumns(v.timestampMillis, undefined, storedAtMillis),
  };
}

export function findingRow(f: Finding, storedAtMillis: number): Row {
  return {
    tenant_id: f.tenantId,
    session_id: f.sessionId,
    finding_id: f.findingId,
    agent_id: f.agentId ?? '',
    detector_id: f.detectorId,
    severity: f.severity,
    severity_rank: SEVERITY_RANK[f.severity],
    decision: f.decision,
    title: f.title,
    description: f.description,
    event_id: f.eventId ?? '',
    tool_name: f.toolName ?? '',
    server: f.server ?? '',
    evidence: JSON.stringify(f.evidence),
    ...timeColumns(f.timestampMillis, undefined, storedAtMillis),
  };
}

export function alertRow(a: Alert, storedAtMillis: number): Row {
  return {
    tenant_id: a.tenantId,
    session_id: a.sessionId,
    dedup_key: a.dedupKey,
    alert_id: a.alertId,
    action: a.action,
    severity: a.severity,
    severity_rank: SEVERITY_RANK[a.severity],
    title: a.title,
    summary: a.summary,
    agent_id: a.agentId ?? '',
    detector_ids: a.detectorIds,
    finding_ids: a.findings.map((f) => f.findingId),
    first_seen_ms: ms(a.firstSeenMillis),
    last_seen_ms: ms(a.lastSeenMillis),
    ...timeColumns(a.lastSeenMillis, undefined, storedAtMillis),
  };
}

export function deadLetterRow(d: DeadLetter, storedAtMillis: number): Row {
  return {
    tenant_id: d.tenantId,
    dead_letter_id: d.deadLetterId,
    source: d.source,
    channel: d.channel,
    reason: d.reason.slice(0, 4000),
    attempts: Math.max(0, Math.floor(d.attempts)),
    payload: JSON.stringify(d.payload) ?? 'null',
    ...timeColumns(d.timestampMillis, undefined, storedAtMillis),
  };
}

/** Rows of a batch that could not be written at all are kept as one dead letter (never dropped). */
export function storeDeadLetterRow(
  table: WritableTable,
  rows: readonly Row[],
  reason: string,
  nowMillis: number,
): Row {
  const tenant = typeof rows[0]?.tenant_id === 'string' ? (rows[0].tenant_id as string) : 'default';
  return deadLetterRow(
    {
      deadLetterId: stableHash({ table, rows }).slice(0, 32),
      tenantId: tenant,
      source: `store.${table}`,
      channel: 'clickhouse',
      reason,
      attempts: 1,
      payload: rows,
      timestampMillis: nowMillis,
    },
    nowMillis,
  );
}

// ---------------------------------------------------------------- decoding rows read back

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));
const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
const opt = (v: unknown): string | undefined => {
  const s = str(v);
  return s === '' ? undefined : s;
};
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);

export function decodeEvent(row: Row): AgentEvent {
  return AgentEventSchema.parse(JSON.parse(str(row.payload)));
}

export function decodeVerdict(row: Row): VerdictRecord & { verdictId: string } {
  const verdict: Verdict = {
    decision: DecisionSchema.parse(row.decision),
    reasons: z.array(ReasonSchema).parse(JSON.parse(str(row.reasons) || '[]')),
    detectorIds: strings(row.detector_ids),
    decisionTimeMicros: num(row.decision_time_micros),
    tenantId: str(row.tenant_id),
    sessionId: str(row.session_id),
    toolCallId: str(row.tool_call_id),
    toolName: str(row.tool_name),
    source: z.enum(['engine', 'remote', 'fallback']).parse(row.source),
    timestampMillis: num(row.timestamp_ms),
  };
  const hash = opt(row.arguments_hash);
  if (hash) verdict.argumentsHash = hash;
  return {
    verdictId: str(row.verdict_id),
    verdict,
    origin: z.enum(['inline', 'stream', 'hunt']).parse(row.origin) as VerdictOrigin,
    agentId: opt(row.agent_id),
  };
}

export function decodeFinding(row: Row): Finding {
  const f: Finding = {
    findingId: str(row.finding_id),
    detectorId: str(row.detector_id),
    severity: SeveritySchema.parse(row.severity),
    decision: DecisionSchema.parse(row.decision) as Decision,
    title: str(row.title),
    description: str(row.description),
    tenantId: str(row.tenant_id),
    sessionId: str(row.session_id),
    evidence: z.array(EvidenceSchema).parse(JSON.parse(str(row.evidence) || '[]')),
    timestampMillis: num(row.timestamp_ms),
  };
  const agentId = opt(row.agent_id);
  if (agentId) f.agentId = agentId;
  const eventId = opt(row.event_id);
  if (eventId) f.eventId = eventId;
  const toolName = opt(row.tool_name);
  if (toolName) f.toolName = toolName;
  const server = opt(row.server);
  if (server) f.server = server;
  return f;
}

export function decodeAlert(row: Row): AlertRecord {
  const a: AlertRecord = {
    alertId: str(row.alert_id),
    dedupKey: str(row.dedup_key),
    action: z.enum(['trigger', 'resolve']).parse(row.action),
    severity: SeveritySchema.parse(row.severity),
    title: str(row.title),
    summary: str(row.summary),
    tenantId: str(row.tenant_id),
    sessionId: str(row.session_id),
    detectorIds: strings(row.detector_ids),
    findingIds: strings(row.finding_ids),
    firstSeenMillis: num(row.first_seen_ms),
    lastSeenMillis: num(row.last_seen_ms),
  };
  const agentId = opt(row.agent_id);
  if (agentId) a.agentId = agentId;
  return a;
}

export function decodeDeadLetter(row: Row): DeadLetter {
  let payload: unknown = null;
  try {
    payload = JSON.parse(str(row.payload));
  } catch {
    payload = str(row.payload);
  }
  return {
    deadLetterId: str(row.dead_letter_id),
    tenantId: str(row.tenant_id),
    source: str(row.source),
    channel: str(row.channel),
    reason: str(row.reason),
    attempts: num(row.attempts),
    payload,
    timestampMillis: num(row.timestamp_ms),
  };
}

export const decode = { num, str, opt, strings };
