import type { StoreQuery } from '@bulwark/stream';
import { TABLES } from '@bulwark/stream';

/** Verdicts of one time bucket with one decision. */
export interface DecisionBucketRow {
  bucketMillis: number;
  decision: string;
  decisions: number;
}

/** Findings of one severity. */
export interface SeverityCountRow {
  severity: string;
  findings: number;
}

/** Who ran a session, as its events name it (SDK sessions often carry only `agentName`). */
export interface SessionAgentRow {
  tenantId: string;
  sessionId: string;
  agentId: string | undefined;
  agentName: string | undefined;
}

/** One blocking verdict: the block that happened (or that a later pass says should have). */
export interface BlockRow {
  tenantId: string;
  sessionId: string;
  toolName: string;
  detectorIds: string[];
  origin: string;
  timestampMillis: number;
}

/** A verdict on one of some tool calls: what was decided on a call, inline or after the fact. */
export interface CallVerdictRow {
  tenantId: string;
  sessionId: string;
  toolCallId: string;
  decision: string;
  origin: string;
  timestampMillis: number;
}

type Range = { tenantId: string; sinceMillis: number; untilMillis: number; bucketMillis: number };

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

const decisionsOverTime: StoreQuery<Range, DecisionBucketRow> = {
  name: 'report.decisionsOverTime',
  sql: `SELECT intDiv(timestamp_ms, {bucketMillis:UInt64}) * {bucketMillis:UInt64} AS bucket_ms, decision, count() AS decisions
FROM ${TABLES.verdicts} FINAL
WHERE ({tenantId:String} = '' OR tenant_id = {tenantId:String})
  AND timestamp_ms >= {sinceMillis:UInt64} AND timestamp_ms < {untilMillis:UInt64}
GROUP BY bucket_ms, decision
ORDER BY bucket_ms, decision`,
  decodeRow: (r) => ({
    bucketMillis: num(r.bucket_ms),
    decision: String(r.decision ?? ''),
    decisions: num(r.decisions),
  }),
};

const findingsBySeverity: StoreQuery<Omit<Range, 'bucketMillis'>, SeverityCountRow> = {
  name: 'report.findingsBySeverity',
  sql: `SELECT severity, count() AS findings
FROM ${TABLES.findings} FINAL
WHERE ({tenantId:String} = '' OR tenant_id = {tenantId:String})
  AND timestamp_ms >= {sinceMillis:UInt64} AND timestamp_ms < {untilMillis:UInt64}
GROUP BY severity`,
  decodeRow: (r) => ({ severity: String(r.severity ?? ''), findings: num(r.findings) }),
};

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const opt = (v: unknown): string | undefined => (str(v) === '' ? undefined : str(v));

const sessionAgents: StoreQuery<{ tenantId: string; sessionIds: string[] }, SessionAgentRow> = {
  name: 'report.sessionAgents',
  sql: `SELECT tenant_id, session_id, max(agent_id) AS agent, max(agent_name) AS agent_name
FROM ${TABLES.events}
WHERE ({tenantId:String} = '' OR tenant_id = {tenantId:String}) AND session_id IN {sessionIds:Array(String)}
GROUP BY tenant_id, session_id`,
  decodeRow: (r) => ({
    tenantId: str(r.tenant_id),
    sessionId: str(r.session_id),
    agentId: opt(r.agent),
    agentName: opt(r.agent_name),
  }),
};

const blocksInRange: StoreQuery<Omit<Range, 'bucketMillis'> & { limit: number }, BlockRow> = {
  name: 'report.blocksInRange',
  sql: `SELECT tenant_id, session_id, tool_name, detector_ids, origin, timestamp_ms
FROM ${TABLES.verdicts} FINAL
WHERE ({tenantId:String} = '' OR tenant_id = {tenantId:String})
  AND timestamp_ms >= {sinceMillis:UInt64} AND timestamp_ms < {untilMillis:UInt64} AND decision = 'block'
ORDER BY timestamp_ms
LIMIT {limit:UInt32}`,
  decodeRow: (r) => ({
    tenantId: str(r.tenant_id),
    sessionId: str(r.session_id),
    toolName: str(r.tool_name),
    detectorIds: Array.isArray(r.detector_ids) ? r.detector_ids.map(str) : [],
    origin: str(r.origin),
    timestampMillis: num(r.timestamp_ms),
  }),
};

const callVerdicts: StoreQuery<{ tenantId: string; toolCallIds: string[] }, CallVerdictRow> = {
  name: 'report.callVerdicts',
  sql: `SELECT tenant_id, session_id, tool_call_id, decision, origin, timestamp_ms
FROM ${TABLES.verdicts} FINAL
WHERE ({tenantId:String} = '' OR tenant_id = {tenantId:String}) AND tool_call_id IN {toolCallIds:Array(String)}
ORDER BY timestamp_ms, verdict_id`,
  decodeRow: (r) => ({
    tenantId: str(r.tenant_id),
    sessionId: str(r.session_id),
    toolCallId: str(r.tool_call_id),
    decision: str(r.decision),
    origin: str(r.origin),
    timestampMillis: num(r.timestamp_ms),
  }),
};

/**
 * Queries the report needs that `QUERIES` does not have. Same rules as `QUERIES`: `{name:Type}` parameters,
 * raw tables read with `FINAL`, nothing newer than ClickHouse 18.16, so they run on either store.
 *
 * @example
 * await store.query(REPORT_QUERIES.decisionsOverTime, { tenantId: '', sinceMillis, untilMillis, bucketMillis: 3_600_000 });
 */
export const REPORT_QUERIES = {
  /** Verdicts per time bucket and decision (each verdict once, whatever its detectors). */
  decisionsOverTime,
  /** Findings in the range by severity. */
  findingsBySeverity,
  /** Agent id and name of some sessions, from their events. */
  sessionAgents,
  /** Blocking verdicts in the range, oldest first: what incident titles name. */
  blocksInRange,
  /** Verdicts on some tool calls (inline and after the fact), oldest first. */
  callVerdicts,
} as const;
