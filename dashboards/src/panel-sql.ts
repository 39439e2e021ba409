import { TABLES } from '@bulwark/stream';

/**
 * The custom "All" value of every multi-value variable. Grafana inserts a custom all value as is (no
 * formatting), so it is a quoted literal that `IN (${var:singlequote})` can test for: one short predicate
 * instead of a list of every tenant.
 */
export const ALL_VALUE = "'__all'";

/** Template variables every dashboard filters on. */
export type ScopeVariable = 'tenant' | 'agent' | 'detector';

/** Which columns of a table the dashboard variables and time range apply to. */
export interface ScopeColumns {
  /** DateTime column for `$__timeFilter`. Default `event_time`; `null` when the caller filters time itself. */
  time?: string | null;
  tenant?: string | null;
  agent?: string | null;
  /** A String column (`detector_id`) or, with `detectorArray`, an Array(String) one (`detector_ids`). */
  detector?: string | null;
  detectorArray?: boolean;
}

function inVariable(column: string, variable: string): string {
  return `('__all' IN (\${${variable}:singlequote}) OR ${column} IN (\${${variable}:singlequote}))`;
}

function hasAnyVariable(arrayColumn: string, variable: string): string {
  return `('__all' IN (\${${variable}:singlequote}) OR hasAny(${arrayColumn}, [\${${variable}:singlequote}]))`;
}

/**
 * SQL fragments shared by the dashboards: table names from the store's schema, the variable filters and
 * the plugin's time macros. Changing a name in `schema.ts` changes every panel; a column that no longer
 * exists fails `panel-queries.test.ts`.
 *
 * @example
 * `SELECT count() FROM ${panelSql.t.verdicts} FINAL WHERE ${panelSql.scope({ detector: 'detector_ids', detectorArray: true })}`
 */
export const panelSql = {
  t: TABLES,

  /** `column` matches the multi-value variable (or the variable is All). */
  inVariable,

  /** `arrayColumn` shares a value with the multi-value variable (or the variable is All). */
  hasAnyVariable,

  /** Time range plus tenant/agent/detector filters, joined with AND. */
  scope(columns: ScopeColumns = {}): string {
    const time = columns.time === undefined ? 'event_time' : columns.time;
    const tenant = columns.tenant === undefined ? 'tenant_id' : columns.tenant;
    const agent = columns.agent === undefined ? 'agent_id' : columns.agent;
    const parts: string[] = [];
    if (time) parts.push(`$__timeFilter(${time})`);
    if (tenant) parts.push(inVariable(tenant, 'tenant'));
    if (agent) parts.push(inVariable(agent, 'agent'));
    if (columns.detector) {
      parts.push(
        columns.detectorArray
          ? hasAnyVariable(columns.detector, 'detector')
          : inVariable(columns.detector, 'detector'),
      );
    }
    return parts.join('\n  AND ');
  },

  /** Epoch-millisecond UInt64 column as a DateTime64(3) Grafana shows as a time. */
  msTime(column: string): string {
    return `fromUnixTimestamp64Milli(toInt64(${column}))`;
  },

  /** The excerpts of a findings `evidence` JSON array, joined for one table cell. */
  evidenceExcerpts(column = 'evidence'): string {
    return `arrayStringConcat(arrayFilter(x -> x != '', arrayMap(e -> JSONExtractString(e, 'excerpt'), JSONExtractArrayRaw(${column}))), ' | ')`;
  },

  /** Weight of a finding by severity rank (info 0, low 1, medium 3, high 7, critical 15): a few criticals outrank many lows. */
  riskWeight(rankColumn = 'severity_rank'): string {
    return `(pow(2, ${rankColumn}) - 1)`;
  },

  /** Severity name of a rank (inverse of `SEVERITY_RANK`). */
  severityName(rankExpr: string): string {
    return `arrayElement(['info', 'low', 'medium', 'high', 'critical'], toUInt8(${rankExpr}) + 1)`;
  },

  /**
   * Detector ids are free-form; these patterns group them into the families the dashboards show. Tool
   * scanning findings have no fixed detector id yet, so poisoning and rug pulls match by name.
   */
  detectorFamily: {
    exfil: "detector_id LIKE 'exfil%'",
    sequence: "detector_id LIKE 'sequence%'",
    poisoning:
      "match(detector_id, 'poison|hidden-text|shadow|name-collision|side-channel') AND NOT match(detector_id, 'rug')",
    rugPull: "match(detector_id, 'rug')",
  },
} as const;
