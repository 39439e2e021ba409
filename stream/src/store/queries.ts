/**
 * Every query the project runs against the event store, by name, in one place (the dashboards reuse them).
 *
 * Rules every query here follows:
 * - raw tables (`events`, `tool_calls`, `verdicts`, `findings`, `alerts`, `dead_letters`) are read with
 *   `FINAL`, so a record written twice (at-least-once delivery) shows once;
 * - trend tables are read with `-Merge` over `uniqExact` states, which duplicates do not change;
 * - parameters are `{name:Type}` placeholders, bound by the engine (chdb, ClickHouse >= 19.15) or inlined
 *   with strict escaping by `inlineParams` on legacy servers;
 * - no JSON functions and no types newer than ClickHouse 18.16, so one text runs on both engines.
 */
import type { AgentEvent, Finding } from '@bulwark/contracts';
import { TABLES } from './schema.js';
import type { AlertRecord, DeadLetter, VerdictRecord } from './store-records.js';
import {
  decode,
  decodeAlert,
  decodeDeadLetter,
  decodeEvent,
  decodeFinding,
  decodeVerdict,
  type Row,
} from './store-rows.js';

/**
 * A named, parameterized query and how to decode its rows. `P` is the parameter object.
 *
 * @example
 * const res = await store.query(QUERIES.sessionEvents, { tenantId: 'default', sessionId: 's1' });
 * if (res.ok) for (const ev of res.rows) engine.ingest(ev);
 */
export interface StoreQuery<P extends Record<string, unknown>, R> {
  readonly name: string;
  readonly sql: string;
  readonly decodeRow: (row: Row) => R;
  /** Type-level only: the parameters. */
  readonly params?: P;
}

function defineQuery<P extends Record<string, unknown>, R>(
  name: string,
  sql: string,
  decodeRow: (row: Row) => R,
): StoreQuery<P, R> {
  return { name, sql: sql.trim(), decodeRow };
}

const { num, str, opt } = decode;

/** One session's summary (from the `sessions` aggregate). */
export interface SessionSummary {
  tenantId: string;
  sessionId: string;
  agentId: string | undefined;
  firstSeenMillis: number;
  lastSeenMillis: number;
  events: number;
  toolCalls: number;
  findings: number;
  blockingFindings: number;
  /** `SEVERITY_RANK` of the worst finding (0 = info or none). */
  maxSeverityRank: number;
}

export interface DecisionsPerMinuteRow {
  tenantId: string;
  minuteMillis: number;
  detectorId: string;
  agentId: string;
  decision: string;
  origin: string;
  decisions: number;
}

export interface BlockedToolRow {
  tenantId: string;
  toolName: string;
  blockedCalls: number;
  sessions: number;
}

/** Tool calls whose client enforced a decision of one source (verdict or a fallback), per tenant. */
export interface EnforcedCountRow {
  tenantId: string;
  /** `verdict`, `fallback_timeout`, `fallback_error` or `fallback_unavailable`. */
  source: string;
  /** What the client did: `block` on a fallback is a call refused without a verdict (failing closed). */
  decision: string;
  calls: number;
  /** Of those, calls whose enforced decision differs from the inline verdict (or had none). */
  differing: number;
}

/** One stored tool call with what was decided inline and what the client enforced (schema v4). */
export interface ToolCallRecord {
  tenantId: string;
  sessionId: string;
  toolCallId: string;
  toolName: string;
  timestampMillis: number;
  /** '' when the client reported none (telemetry only, or written before v4). */
  enforcedDecision: string;
  enforcedSource: string;
  enforcedReason: string;
  inlineDecision: string;
  differs: boolean;
}

/** A tool call its client refused without a verdict (a fallback `block`), with who ran it. */
export interface RefusedToolCallRow extends ToolCallRecord {
  agentId: string | undefined;
}

export interface TableStatsRow {
  table: string;
  /** Rows a query sees (after dedupe). */
  rows: number;
  /** Distinct ids among them: equal to `rows` when no duplicate is visible. */
  distinctIds: number;
}

export interface MigrationRow {
  version: number;
  name: string;
  appliedAtMillis: number;
}

type Tenant = { tenantId: string };
type Session = { tenantId: string; sessionId: string };
/** `tenantId: ''` means every tenant. */
type Since = { sinceMillis: number; tenantId: string; limit: number };

const anyTenant = "({tenantId:String} = '' OR tenant_id = {tenantId:String})";

const sessionSummarySelect = `
SELECT tenant_id, session_id,
  maxMerge(agent_id) AS agent,
  minMerge(first_seen_ms) AS first_seen,
  maxMerge(last_seen_ms) AS last_seen,
  uniqExactMerge(events) AS event_count,
  uniqExactMerge(tool_calls) AS tool_call_count,
  uniqExactMerge(findings) AS finding_count,
  uniqExactMerge(blocking_findings) AS blocking_finding_count,
  maxMerge(max_severity_rank) AS severity_rank
FROM ${TABLES.sessions}
WHERE ${anyTenant}
GROUP BY tenant_id, session_id`;

function decodeSession(r: Row): SessionSummary {
  return {
    tenantId: str(r.tenant_id),
    sessionId: str(r.session_id),
    agentId: opt(r.agent),
    firstSeenMillis: num(r.first_seen),
    lastSeenMillis: num(r.last_seen),
    events: num(r.event_count),
    toolCalls: num(r.tool_call_count),
    findings: num(r.finding_count),
    blockingFindings: num(r.blocking_finding_count),
    maxSeverityRank: num(r.severity_rank),
  };
}

function decodeToolCall(r: Row): ToolCallRecord {
  return {
    tenantId: str(r.tenant_id),
    sessionId: str(r.session_id),
    toolCallId: str(r.tool_call_id),
    toolName: str(r.tool_name),
    timestampMillis: num(r.timestamp_ms),
    enforcedDecision: str(r.enforced_decision),
    enforcedSource: str(r.enforced_source),
    enforcedReason: str(r.enforced_reason),
    inlineDecision: str(r.inline_decision),
    differs: num(r.enforced_differs) === 1,
  };
}

const verdictColumns =
  'tenant_id, session_id, verdict_id, tool_call_id, tool_name, agent_id, decision, origin, source, detector_ids, reasons, arguments_hash, decision_time_micros, timestamp_ms';
const findingColumns =
  'tenant_id, session_id, finding_id, agent_id, detector_id, severity, decision, title, description, event_id, tool_name, server, evidence, timestamp_ms';
const alertColumns =
  'tenant_id, session_id, dedup_key, alert_id, action, severity, severity_rank, title, summary, agent_id, detector_ids, finding_ids, first_seen_ms, last_seen_ms, timestamp_ms';

/** The project's queries. Names are stable: dashboards and docs refer to them. */
export const QUERIES = {
  /** One session's events in order: what the worker rehydrates from and the retro-hunt replays. */
  sessionEvents: defineQuery<Session, AgentEvent>(
    'sessionEvents',
    `
SELECT payload FROM ${TABLES.events} FINAL
WHERE tenant_id = {tenantId:String} AND session_id = {sessionId:String}
ORDER BY timestamp_ms, event_id`,
    decodeEvent,
  ),

  /**
   * Which of these sessions have any stored event: the worker reads the history only of those, so a batch of
   * new sessions costs one round trip instead of one per session.
   */
  storedSessions: defineQuery<{ tenantId: string; sessionIds: string[] }, { sessionId: string }>(
    'storedSessions',
    `
SELECT DISTINCT session_id FROM ${TABLES.events}
WHERE tenant_id = {tenantId:String} AND session_id IN {sessionIds:Array(String)}`,
    (r) => ({ sessionId: str(r.session_id) }),
  ),

  /** One session's verdicts (inline and after the fact), in order. */
  sessionVerdicts: defineQuery<Session, VerdictRecord & { verdictId: string }>(
    'sessionVerdicts',
    `
SELECT ${verdictColumns} FROM ${TABLES.verdicts} FINAL
WHERE tenant_id = {tenantId:String} AND session_id = {sessionId:String}
ORDER BY timestamp_ms, verdict_id`,
    decodeVerdict,
  ),

  /** One session's tool calls with their inline and enforced decisions, in order. */
  sessionToolCalls: defineQuery<Session, ToolCallRecord>(
    'sessionToolCalls',
    `
SELECT tenant_id, session_id, tool_call_id, tool_name, timestamp_ms, enforced_decision, enforced_source,
  enforced_reason, inline_decision, enforced_differs
FROM ${TABLES.toolCalls} FINAL
WHERE tenant_id = {tenantId:String} AND session_id = {sessionId:String}
ORDER BY timestamp_ms, tool_call_id`,
    decodeToolCall,
  ),

  /**
   * Tool calls their client refused without a verdict (enforced `block` from a fallback: timeout, unreachable
   * or failing verdict service) in a time range, newest first. Each call once.
   */
  refusedToolCalls: defineQuery<
    Tenant & { sinceMillis: number; untilMillis: number; limit: number },
    RefusedToolCallRow
  >(
    'refusedToolCalls',
    `
SELECT tenant_id, session_id, tool_call_id, tool_name, agent_id, timestamp_ms, enforced_decision, enforced_source,
  enforced_reason, inline_decision, enforced_differs
FROM ${TABLES.toolCalls} FINAL
WHERE ${anyTenant} AND enforced_decision = 'block' AND enforced_source != '' AND enforced_source != 'verdict'
  AND timestamp_ms >= {sinceMillis:UInt64} AND timestamp_ms < {untilMillis:UInt64}
ORDER BY timestamp_ms DESC, tool_call_id
LIMIT {limit:UInt32}`,
    (r) => ({ ...decodeToolCall(r), agentId: opt(r.agent_id) }),
  ),

  /**
   * Tool calls by what their client enforced, per tenant, source and decision, in a time range: fallbacks with
   * `block` are the calls refused without a verdict (agents failing closed). Each call once.
   */
  enforcedDecisions: defineQuery<Tenant & { sinceMillis: number; untilMillis: number }, EnforcedCountRow>(
    'enforcedDecisions',
    `
SELECT tenant_id, enforced_source, enforced_decision, uniqExact(session_id, tool_call_id) AS calls,
  uniqExactIf(session_id, tool_call_id, enforced_differs = 1) AS differing
FROM ${TABLES.toolCalls} FINAL
WHERE ${anyTenant} AND enforced_source != ''
  AND timestamp_ms >= {sinceMillis:UInt64} AND timestamp_ms < {untilMillis:UInt64}
GROUP BY tenant_id, enforced_source, enforced_decision
ORDER BY tenant_id, enforced_source, enforced_decision`,
    (r) => ({
      tenantId: str(r.tenant_id),
      source: str(r.enforced_source),
      decision: str(r.enforced_decision),
      calls: num(r.calls),
      differing: num(r.differing),
    }),
  ),

  /** One session's findings, in order. */
  sessionFindings: defineQuery<Session, Finding>(
    'sessionFindings',
    `
SELECT ${findingColumns} FROM ${TABLES.findings} FINAL
WHERE tenant_id = {tenantId:String} AND session_id = {sessionId:String}
ORDER BY timestamp_ms, finding_id`,
    decodeFinding,
  ),

  /** Recent findings, newest first. */
  findingsSince: defineQuery<Since, Finding>(
    'findingsSince',
    `
SELECT ${findingColumns} FROM ${TABLES.findings} FINAL
WHERE ${anyTenant} AND timestamp_ms >= {sinceMillis:UInt64}
ORDER BY timestamp_ms DESC, finding_id
LIMIT {limit:UInt32}`,
    decodeFinding,
  ),

  /** Alerts already raised for one incident, newest first (the incident tracker's memory across restarts). */
  incidentAlerts: defineQuery<Tenant & { dedupKey: string; limit: number }, AlertRecord>(
    'incidentAlerts',
    `
SELECT ${alertColumns} FROM ${TABLES.alerts} FINAL
WHERE tenant_id = {tenantId:String} AND dedup_key = {dedupKey:String}
ORDER BY timestamp_ms DESC, severity_rank DESC, alert_id
LIMIT {limit:UInt32}`,
    decodeAlert,
  ),

  /** Recent alerts, newest first. */
  alertsSince: defineQuery<Since, AlertRecord>(
    'alertsSince',
    `
SELECT ${alertColumns} FROM ${TABLES.alerts} FINAL
WHERE ${anyTenant} AND timestamp_ms >= {sinceMillis:UInt64}
ORDER BY timestamp_ms DESC, alert_id
LIMIT {limit:UInt32}`,
    decodeAlert,
  ),

  /** Dead letters (undeliverable alerts, unreadable records), newest first. */
  deadLettersSince: defineQuery<Since, DeadLetter>(
    'deadLettersSince',
    `
SELECT tenant_id, dead_letter_id, source, channel, reason, attempts, payload, timestamp_ms
FROM ${TABLES.deadLetters} FINAL
WHERE ${anyTenant} AND timestamp_ms >= {sinceMillis:UInt64}
ORDER BY timestamp_ms DESC, dead_letter_id
LIMIT {limit:UInt32}`,
    decodeDeadLetter,
  ),

  /** Sessions with activity since a time, most recent first. */
  sessionsActiveSince: defineQuery<Since, SessionSummary>(
    'sessionsActiveSince',
    `${sessionSummarySelect}
HAVING last_seen >= {sinceMillis:UInt64}
ORDER BY last_seen DESC, tenant_id, session_id
LIMIT {limit:UInt32}`,
    decodeSession,
  ),

  /** Trend: sessions at risk (worst finding at or above a severity rank), worst and newest first. */
  sessionsAtRisk: defineQuery<Since & { minSeverityRank: number }, SessionSummary>(
    'sessionsAtRisk',
    `${sessionSummarySelect}
HAVING last_seen >= {sinceMillis:UInt64} AND severity_rank >= {minSeverityRank:UInt8}
ORDER BY severity_rank DESC, blocking_finding_count DESC, last_seen DESC, session_id
LIMIT {limit:UInt32}`,
    decodeSession,
  ),

  /** Trend: decisions per minute by tenant, detector, agent, decision and origin. */
  decisionsPerMinute: defineQuery<Since, DecisionsPerMinuteRow>(
    'decisionsPerMinute',
    `
SELECT tenant_id, toUInt64(minute) * 1000 AS minute_ms, detector_id, agent_id, decision, origin,
  uniqExactMerge(verdicts) AS decisions
FROM ${TABLES.decisionsPerMinute}
WHERE ${anyTenant} AND minute >= toStartOfMinute(toDateTime(intDiv({sinceMillis:UInt64}, 1000)))
GROUP BY tenant_id, minute, detector_id, agent_id, decision, origin
ORDER BY minute_ms, tenant_id, detector_id, agent_id, decision, origin
LIMIT {limit:UInt32}`,
    (r) => ({
      tenantId: str(r.tenant_id),
      minuteMillis: num(r.minute_ms),
      detectorId: str(r.detector_id),
      agentId: str(r.agent_id),
      decision: str(r.decision),
      origin: str(r.origin),
      decisions: num(r.decisions),
    }),
  ),

  /** Trend: tools blocked most often (a call blocked inline and after the fact counts once). */
  topBlockedTools: defineQuery<Since, BlockedToolRow>(
    'topBlockedTools',
    `
SELECT tenant_id, tool_name, uniqExactMerge(blocked_calls) AS blocked, uniqExactMerge(sessions) AS session_count
FROM ${TABLES.blockedTools}
WHERE ${anyTenant} AND day >= toDate(toDateTime(intDiv({sinceMillis:UInt64}, 1000)))
GROUP BY tenant_id, tool_name
ORDER BY blocked DESC, tenant_id, tool_name
LIMIT {limit:UInt32}`,
    (r) => ({
      tenantId: str(r.tenant_id),
      toolName: str(r.tool_name),
      blockedCalls: num(r.blocked),
      sessions: num(r.session_count),
    }),
  ),

  /** Per-table counts for one tenant as queries see them, with distinct ids (no duplicate is visible). */
  tenantStats: defineQuery<Tenant, TableStatsRow>(
    'tenantStats',
    [
      ['events', 'session_id, event_id', TABLES.events],
      ['tool_calls', 'session_id, tool_call_id', TABLES.toolCalls],
      ['verdicts', 'session_id, verdict_id', TABLES.verdicts],
      ['findings', 'session_id, finding_id', TABLES.findings],
      ['alerts', 'alert_id', TABLES.alerts],
      ['dead_letters', 'dead_letter_id', TABLES.deadLetters],
    ]
      .map(
        ([label, id, table]) =>
          `SELECT '${label}' AS table_name, count() AS row_count, uniqExact(${id}) AS distinct_ids FROM ${table} FINAL WHERE tenant_id = {tenantId:String}`,
      )
      .join('\nUNION ALL\n')
      .replace(/^/, 'SELECT table_name, row_count, distinct_ids FROM (\n')
      .concat('\n) ORDER BY table_name'),
    (r) => ({ table: str(r.table_name), rows: num(r.row_count), distinctIds: num(r.distinct_ids) }),
  ),

  /** Retention (TTL days) of each table of this database; `undefined` days on servers without TTL. */
  tableRetention: defineQuery<Record<string, never>, { table: string; retentionDays: number | undefined }>(
    'tableRetention',
    `
SELECT name, engine_full FROM system.tables
WHERE database = currentDatabase() AND engine LIKE '%MergeTree'
ORDER BY name`,
    (r) => {
      const m = /toIntervalDay\((\d+)\)/.exec(str(r.engine_full));
      return { table: str(r.name), retentionDays: m ? Number(m[1]) : undefined };
    },
  ),

  /** Schema versions applied to this database. */
  appliedMigrations: defineQuery<Record<string, never>, MigrationRow>(
    'appliedMigrations',
    `
SELECT version, name, applied_at_ms FROM ${TABLES.schemaMigrations} FINAL
ORDER BY version`,
    (r) => ({ version: num(r.version), name: str(r.name), appliedAtMillis: num(r.applied_at_ms) }),
  ),
} as const;

export type QueryName = keyof typeof QUERIES;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([A-Za-z0-9_()]+)\}/g;

/** Names and types of a query's placeholders. */
export function queryParams(sql: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of sql.matchAll(PLACEHOLDER)) out.set(m[1]!, m[2]!);
  return out;
}

/**
 * A ClickHouse string literal: backslash and quote escaped, control characters as escapes.
 *
 * @example
 * sqlString("it's"); // "'it\\'s'"
 */
export function sqlString(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

const INT_RANGES: Record<string, [bigint, bigint]> = {
  UInt8: [0n, 255n],
  UInt16: [0n, 65535n],
  UInt32: [0n, 4294967295n],
  UInt64: [0n, 18446744073709551615n],
  Int32: [-2147483648n, 2147483647n],
  Int64: [-9223372036854775808n, 9223372036854775807n],
};

/**
 * Checks parameters against a query's placeholders: every placeholder has a value of its type. Returns the
 * problems (empty when fine).
 *
 * @example
 * checkParams(QUERIES.sessionEvents.sql, { tenantId: 't' }); // ['missing parameter sessionId (String)']
 */
export function checkParams(sql: string, params: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, type] of queryParams(sql)) {
    const v = params[name];
    if (v === undefined || v === null) problems.push(`missing parameter ${name} (${type})`);
    else if (type === 'Array(String)') {
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string'))
        problems.push(`${name} must be a non-empty array of strings`);
    } else if (type === 'String') {
      if (typeof v !== 'string') problems.push(`${name} must be a string`);
    } else if (INT_RANGES[type]) {
      const [lo, hi] = INT_RANGES[type];
      const ok =
        (typeof v === 'number' && Number.isSafeInteger(v)) ||
        typeof v === 'bigint' ||
        (typeof v === 'string' && /^-?\d+$/.test(v));
      if (!ok) problems.push(`${name} must be an integer (${type})`);
      else {
        const b = BigInt(v as number | bigint | string);
        if (b < lo || b > hi) problems.push(`${name} is out of range for ${type}`);
      }
    } else problems.push(`${name}: unsupported parameter type ${type}`);
  }
  return problems;
}

/**
 * Replaces `{name:Type}` placeholders with literals, for servers without query parameters (ClickHouse
 * < 19.15). Call `checkParams` first: values are trusted to match their type here.
 *
 * @example
 * inlineParams('SELECT {a:String}, {n:UInt32}', { a: "it's", n: 2 }); // "SELECT 'it\\'s', 2"
 */
export function inlineParams(sql: string, params: Record<string, unknown>): string {
  return sql.replace(PLACEHOLDER, (_m, name: string, type: string) => {
    const v = params[name];
    if (type === 'String') return sqlString(String(v));
    // A tuple: what every server version accepts on the right of IN.
    if (type === 'Array(String)') return `(${(v as string[]).map((x) => sqlString(x)).join(', ')})`;
    return BigInt(v as number | bigint | string).toString();
  });
}
