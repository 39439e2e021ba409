import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { bulwarkDashboard } from '../bulwark-dashboard.js';
import { DECISION_COLORS, panelDefaults, SEVERITY_COLORS } from '../panel-defaults.js';
import { panelSql } from '../panel-sql.js';

const { t, scope, riskWeight, severityName, msTime, hasAnyVariable } = panelSql;

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

/** Colors of the fallbacks an agent enforces when no verdict arrives. */
const FALLBACK_COLORS: Readonly<Record<string, string>> = {
  fallback_timeout: 'orange',
  fallback_unavailable: 'red',
  fallback_error: 'purple',
};
const refusedColumns = Object.keys(FALLBACK_COLORS)
  .map((source) => `uniqExactIf(session_id, tool_call_id, enforced_source = '${source}') AS ${source}`)
  .join(',\n  ');

/** Decisions by strictness: `indexOf` gives 1 (allow) to 4 (block), 0 for none. */
const DECISIONS_BY_RANK = `[${Object.keys(DECISION_COLORS)
  .map((d) => `'${d}'`)
  .join(', ')}]`;

/**
 * Calls that ran and were found after the fact to be stricter: per call, the strictest inline and stream
 * (after-the-fact) verdict; kept when the stream one is stricter than the inline one (and than allow), and the
 * agent did not refuse the call anyway.
 */
const executedWouldBlock = `SELECT ${msTime('stream_ms')} AS time, tenant_id, session_id, agent AS agent_id, tool,
  if(inline_rank = 0, 'none', arrayElement(${DECISIONS_BY_RANK}, inline_rank)) AS inline_decision,
  arrayElement(${DECISIONS_BY_RANK}, stream_rank) AS stream_decision,
  arrayStringConcat(stream_detectors, ', ') AS detectors, tool_call_id
FROM (
  SELECT tenant_id, session_id, tool_call_id, any(tool_name) AS tool, any(agent_id) AS agent,
    maxIf(indexOf(${DECISIONS_BY_RANK}, decision), origin = 'inline') AS inline_rank,
    maxIf(indexOf(${DECISIONS_BY_RANK}, decision), origin = 'stream') AS stream_rank,
    maxIf(timestamp_ms, origin = 'stream') AS stream_ms,
    groupUniqArrayArrayIf(detector_ids, origin = 'stream') AS stream_detectors
  FROM ${t.verdicts} FINAL
  WHERE ${scope()} AND tool_call_id != ''
  GROUP BY tenant_id, session_id, tool_call_id
)
WHERE stream_rank > greatest(inline_rank, 1)
  AND ${hasAnyVariable('stream_detectors', 'detector')}
  AND (tenant_id, session_id, tool_call_id) NOT IN (
    SELECT tenant_id, session_id, tool_call_id FROM ${t.toolCalls} FINAL
    WHERE $__timeFilter(event_time) AND enforced_decision = 'block')
ORDER BY time DESC
LIMIT 100`;

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

/** Counts over the range: decisions, blocks, block rate, incidents, sessions at risk. */
function atAGlance(d: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
  return d
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
    );
}

/** Decisions, detections and alerts per interval, and the most blocked tools. */
function overTime(d: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
  return d
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
    );
}

/** What the agents enforced: calls refused without a verdict, enforced vs inline, after the fact. */
function enforced(d: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
  return d
    .withRow(new dashboard.RowBuilder('What the agents enforced'))
    .withPanel(
      panelDefaults.timeSeries({
        title: 'Calls refused without a verdict',
        description:
          'Tool calls the agent refused on its own because no verdict came in time, per interval by fallback (timeout, collector unreachable, provider error). They never ran; a rise means agents are failing closed. Each call once. The detector filter does not apply (no verdict, no detector).',
        sql: `SELECT $__timeInterval(event_time) AS time,
  ${refusedColumns}
FROM ${t.toolCalls} FINAL
WHERE ${scope()}
  AND enforced_decision = 'block' AND enforced_source LIKE 'fallback%'
GROUP BY time
ORDER BY time`,
        seriesColors: FALLBACK_COLORS,
        span: 12,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Enforced vs inline decision differs',
        description:
          'Tool calls where what the agent enforced is not the inline verdict: fallbacks (no verdict acted on), approvals, refusals despite an allow. Newest first. Click a session to drill down.',
        sql: `SELECT ${msTime('timestamp_ms')} AS time, tenant_id, session_id, agent_id, tool_name AS tool,
  enforced_decision, enforced_source AS source, if(inline_decision = '', 'none', inline_decision) AS inline_decision,
  enforced_reason AS reason, tool_call_id
FROM ${t.toolCalls} FINAL
WHERE ${scope()} AND enforced_differs = 1
ORDER BY time DESC
LIMIT 100`,
        hidden: ['tool_call_id'],
        span: 12,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Executed, would have been blocked',
        description:
          'Calls that ran on their inline decision and were found after the fact (verdicts of origin stream, from evidence that arrived late) to be ones to block or hold: stricter than the inline verdict, and not refused by the agent. Newest first.',
        sql: executedWouldBlock,
        hidden: ['tool_call_id'],
        span: 24,
      }),
    );
}

/** Open incidents and the riskiest agents, tenants and sessions. */
function atRisk(d: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
  return d
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

/**
 * SOC overview: what was decided and raised, how much was blocked, which tools, agents, tenants and
 * sessions are riskiest, and which incidents are still open.
 *
 * @example
 * JSON.stringify(socOverview().build());
 */
export function socOverview(): dashboard.DashboardBuilder {
  const rows = [atAGlance, overTime, enforced, atRisk];
  return rows.reduce(
    (d, addRow) => addRow(d),
    bulwarkDashboard({
      uid: 'bulwark-soc-overview',
      title: 'Bulwark / SOC overview',
      description: 'Decisions, blocks, alerts and open incidents across tenants and agents.',
      tags: ['overview'],
    }),
  );
}
