import type { StoreQuery } from '@bulwark/detectors/stream';
import { TABLES } from '@bulwark/detectors/stream';

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
} as const;
