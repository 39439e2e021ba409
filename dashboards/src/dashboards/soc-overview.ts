import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { bulwarkDashboard } from '../bulwark-dashboard.js';
import { DECISION_COLORS, panelDefaults, SEVERITY_COLORS } from '../panel-defaults.js';
import { panelSql } from '../panel-sql.js';

const { t, scope, riskWeight, severityName } = panelSql;

const verdictScope = scope({ detector: 'detector_ids', detectorArray: true });
const findingScope = scope({ detector: 'detector_id' });
const alertScope = scope({ detector: 'detector_ids', detectorArray: true });

/** Wide columns, one per decision, so every panel colors them the same way. */
const decisionColumns = Object.keys(DECISION_COLORS)
  .map((d) => `uniqExactMergeIf(verdicts, decision = '${d}') AS ${d}`)
  .join(',\n  ');
const severityColumns = Object.keys(SEVERITY_COLORS)
  .reverse()
  .map((s) => `countIf(severity = '${s}') AS ${s}`)
  .join(',\n  ');

/** Incidents (alerts grouped by dedup key) in range with their latest state. */
const incidents = `SELECT tenant_id, dedup_key,
    argMax(action, timestamp_ms) AS last_action,
    argMax(title, timestamp_ms) AS latest_title,
    argMax(severity, timestamp_ms) AS latest_severity,
    max(severity_rank) AS worst_rank,
    argMax(session_id, timestamp_ms) AS latest_session,
    argMax(agent_id, timestamp_ms) AS latest_agent,
    groupUniqArrayArray(detector_ids) AS all_detectors,
    max(length(finding_ids)) AS finding_count,
    min(first_seen_ms) AS first_seen_ms,
    max(last_seen_ms) AS last_seen_ms
  FROM ${t.alerts} FINAL
  WHERE ${alertScope}
  GROUP BY tenant_id, dedup_key`;

/**
 * SOC overview: what was decided and raised, how much was blocked, which tools, agents, tenants and
 * sessions are riskiest, and which incidents are still open.
 *
 * @example
 * JSON.stringify(socOverview().build());
 */
export function socOverview(): dashboard.DashboardBuilder {
  return bulwarkDashboard({
    uid: 'bulwark-soc-overview',
    title: 'Bulwark / SOC overview',
    description: 'Decisions, blocks, alerts and open incidents across tenants and agents.',
    tags: ['overview'],
  })
    .withRow(new dashboard.RowBuilder('At a glance'))
    .withPanel(
      panelDefaults.stat({
        title: 'Tool calls decided',
        description: 'Verdicts (inline and after the fact) in the time range.',
        sql: `SELECT count() AS decisions FROM ${t.verdicts} FINAL WHERE ${verdictScope}`,
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Blocked',
        description: 'Verdicts that blocked the tool call.',
        sql: `SELECT countIf(decision = 'block') AS blocked FROM ${t.verdicts} FINAL WHERE ${verdictScope}`,
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Block rate',
        description: 'Share of decided tool calls that were blocked.',
        sql: `SELECT if(count() = 0, 0, countIf(decision = 'block') / count()) AS block_rate FROM ${t.verdicts} FINAL WHERE ${verdictScope}`,
        unit: 'percentunit',
        decimals: 1,
        steps: [
          { value: null, color: 'green' },
          { value: 0.01, color: 'orange' },
          { value: 0.05, color: 'red' },
        ],
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Incidents raised',
        description: 'Distinct incidents (alert dedup keys) triggered in the time range.',
        sql: `SELECT uniqExact(tenant_id, dedup_key) AS incidents FROM ${t.alerts} FINAL WHERE ${alertScope} AND action = 'trigger'`,
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'orange' },
        ],
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Open incidents',
        description: 'Incidents whose latest alert in the time range is a trigger, not a resolve.',
        sql: `SELECT count() AS open_incidents FROM (${incidents}) WHERE last_action = 'trigger'`,
        colorMode: common.BigValueColorMode.Background,
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Sessions at risk',
        description: 'Sessions with at least one high or critical finding.',
        sql: `SELECT uniqExact(tenant_id, session_id) AS sessions_at_risk FROM ${t.findings} FINAL WHERE ${findingScope} AND severity_rank >= 3`,
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'orange' },
        ],
      }),
    )
    .withRow(new dashboard.RowBuilder('Decisions and alerts over time'))
    .withPanel(
      panelDefaults.timeSeries({
        title: 'Decisions by outcome',
        description:
          'Verdicts per interval by decision (from the decisions_per_minute aggregate; a verdict with several detectors counts once).',
        sql: `SELECT $__timeInterval(minute) AS time,
  ${decisionColumns}
FROM ${t.decisionsPerMinute}
WHERE ${scope({ time: 'minute', detector: 'detector_id' })}
GROUP BY time
ORDER BY time`,
        seriesColors: DECISION_COLORS,
        span: 12,
      }),
    )
    .withPanel(
      panelDefaults.timeSeries({
        title: 'Detections by detector',
        description: 'Verdicts stricter than allow, per detector that contributed to them.',
        sql: `SELECT $__timeInterval(minute) AS time, detector_id, uniqExactMerge(verdicts) AS decisions
FROM ${t.decisionsPerMinute}
WHERE ${scope({ time: 'minute', detector: 'detector_id' })}
  AND detector_id != '' AND decision != 'allow'
GROUP BY time, detector_id
ORDER BY time`,
        labelDisplay: 'detector_id',
        span: 12,
      }),
    )
    .withPanel(
      panelDefaults.timeSeries({
        title: 'Alerts by severity',
        description: 'Alerts triggered per interval by severity.',
        sql: `SELECT $__timeInterval(event_time) AS time,
  ${severityColumns}
FROM ${t.alerts} FINAL
WHERE ${alertScope} AND action = 'trigger'
GROUP BY time
ORDER BY time`,
        seriesColors: SEVERITY_COLORS,
        span: 12,
      }),
    )
    .withPanel(
      panelDefaults.barGauge({
        title: 'Top blocked tools',
        description:
          'Tools whose calls were blocked most often (a call blocked inline and again after the fact counts once).',
        sql: `SELECT tool_name, uniqExact(session_id, tool_call_id) AS blocked_calls
FROM ${t.verdicts} FINAL
WHERE ${verdictScope} AND decision = 'block'
GROUP BY tool_name
ORDER BY blocked_calls DESC, tool_name
LIMIT 10`,
        span: 12,
      }),
    )
    .withRow(new dashboard.RowBuilder('Who is at risk'))
    .withPanel(
      panelDefaults.table({
        title: 'Open incidents',
        description: 'Incidents still open, worst and newest first. Click a session to drill down.',
        sql: `SELECT toDateTime(intDiv(last_seen_ms, 1000)) AS last_seen, latest_severity AS severity, latest_title AS title,
  tenant_id, latest_session AS session_id, latest_agent AS agent_id,
  arrayStringConcat(all_detectors, ', ') AS detectors, finding_count AS findings,
  toDateTime(intDiv(first_seen_ms, 1000)) AS first_seen, dedup_key
FROM (${incidents})
WHERE last_action = 'trigger'
ORDER BY worst_rank DESC, last_seen DESC
LIMIT 50`,
        span: 24,
        height: 9,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Riskiest agents',
        description: `Agents by risk score: findings weighted by severity (${riskWeight('rank')}).`,
        sql: `SELECT agent_id, count() AS findings, countIf(decision = 'block') AS blocking,
  sum(${riskWeight()}) AS risk_score, ${severityName('max(severity_rank)')} AS max_severity,
  uniqExact(tenant_id, session_id) AS sessions, max(event_time) AS last_seen
FROM ${t.findings} FINAL
WHERE ${findingScope} AND agent_id != ''
GROUP BY agent_id
ORDER BY risk_score DESC, agent_id
LIMIT 10`,
        span: 12,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Riskiest tenants',
        description: 'Tenants by risk score (findings weighted by severity).',
        sql: `SELECT tenant_id, count() AS findings, countIf(decision = 'block') AS blocking,
  sum(${riskWeight()}) AS risk_score, ${severityName('max(severity_rank)')} AS max_severity,
  uniqExact(agent_id) AS agents, uniqExact(session_id) AS sessions, max(event_time) AS last_seen
FROM ${t.findings} FINAL
WHERE ${findingScope}
GROUP BY tenant_id
ORDER BY risk_score DESC, tenant_id
LIMIT 10`,
        span: 12,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Riskiest sessions',
        description: 'Sessions by risk score. Click a session to see its timeline and evidence.',
        sql: `SELECT tenant_id, session_id, any(agent_id) AS agent, count() AS findings,
  countIf(decision = 'block') AS blocking, sum(${riskWeight()}) AS risk_score,
  ${severityName('max(severity_rank)')} AS max_severity,
  arrayStringConcat(groupUniqArray(detector_id), ', ') AS detectors, max(event_time) AS last_seen
FROM ${t.findings} FINAL
WHERE ${findingScope}
GROUP BY tenant_id, session_id
ORDER BY risk_score DESC, last_seen DESC
LIMIT 15`,
        span: 24,
      }),
    )
    .withPanel(
      panelDefaults.note(
        'About these numbers',
        'Data: the Bulwark event store in ClickHouse (raw tables are read with `FINAL`, so a redelivered record counts once). ' +
          'Tenant, agent and detector filters apply to every panel; a verdict matches a detector when that detector contributed to it, ' +
          'so plain allows (no detector) drop out when a detector is selected.',
        { span: 24, height: 3 },
      ),
    );
}
