import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { bulwarkDashboard } from '../bulwark-dashboard.js';
import { panelDefaults, SEVERITY_COLORS } from '../panel-defaults.js';
import { panelSql } from '../panel-sql.js';

const { t, scope, msTime, evidenceExcerpts, detectorFamily } = panelSql;

const anomalies = `${scope({ detector: 'detector_id' })} AND ${detectorFamily.sequence}`;

/** Tool-to-tool transitions of each session, in call order (`a → b`). */
const transitions = `SELECT tenant_id, session_id,
    arrayMap(x -> x.2, arraySort(x -> x.1, groupArray((timestamp_ms, tool_name)))) AS tools,
    arrayMap((a, b) -> concat(a, ' → ', b), arrayPopBack(tools), arrayPopFront(tools)) AS pairs
  FROM ${t.toolCalls} FINAL
  WHERE ${scope()}
  GROUP BY tenant_id, session_id`;

/**
 * Tool-sequence anomalies: findings of the sequence model (a tool call that does not fit the agent's usual
 * order), when and where they happen, and the transitions of the sessions they flag.
 *
 * @example
 * JSON.stringify(toolSequenceAnomalies().build());
 */
export function toolSequenceAnomalies(): dashboard.DashboardBuilder {
  return bulwarkDashboard({
    uid: 'bulwark-tool-sequences',
    title: 'Bulwark / Tool-sequence anomalies',
    description: 'Tool calls out of the usual order for an agent, from the sequence-anomaly detector.',
    tags: ['sequence'],
  })
    .withPanel(
      panelDefaults.stat({
        title: 'Anomalies',
        description: 'Sequence-anomaly findings.',
        sql: `SELECT count() AS anomalies FROM ${t.findings} FINAL WHERE ${anomalies}`,
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'orange' },
        ],
        span: 6,
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Blocked',
        description: 'Anomalies whose decision was block.',
        sql: `SELECT countIf(decision = 'block') AS blocked FROM ${t.findings} FINAL WHERE ${anomalies}`,
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
        span: 6,
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Sessions affected',
        description: 'Sessions with at least one anomaly.',
        sql: `SELECT uniqExact(tenant_id, session_id) AS sessions FROM ${t.findings} FINAL WHERE ${anomalies}`,
        span: 6,
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Agents affected',
        description: 'Agents with at least one anomaly.',
        sql: `SELECT uniqExact(tenant_id, agent_id) AS agents FROM ${t.findings} FINAL WHERE ${anomalies}`,
        span: 6,
      }),
    )
    .withPanel(
      panelDefaults.timeSeries({
        title: 'Anomalies by severity',
        description: 'Sequence-anomaly findings per interval.',
        sql: `SELECT $__timeInterval(event_time) AS time,
  ${Object.keys(SEVERITY_COLORS)
    .reverse()
    .map((s) => `countIf(severity = '${s}') AS ${s}`)
    .join(',\n  ')}
FROM ${t.findings} FINAL
WHERE ${anomalies}
GROUP BY time
ORDER BY time`,
        seriesColors: SEVERITY_COLORS,
        span: 16,
      }),
    )
    .withPanel(
      panelDefaults.barGauge({
        title: 'Anomalies by agent',
        description: 'Agents whose tool order deviates most often.',
        sql: `SELECT if(agent_id = '', '(unknown agent)', agent_id) AS agent, count() AS anomalies
FROM ${t.findings} FINAL
WHERE ${anomalies}
GROUP BY agent
ORDER BY anomalies DESC, agent
LIMIT 10`,
        color: 'orange',
        span: 8,
      }),
    )
    .withRow(new dashboard.RowBuilder('Findings'))
    .withPanel(
      panelDefaults.table({
        title: 'Anomalous tool calls',
        description:
          'Each anomaly with the tool it flagged and the evidence (the unusual transition). Click a session to drill down.',
        sql: `SELECT ${msTime('timestamp_ms')} AS time, tenant_id, agent_id, session_id, tool_name AS tool, severity, decision,
  title, description, ${evidenceExcerpts()} AS evidence
FROM ${t.findings} FINAL
WHERE ${anomalies}
ORDER BY time DESC
LIMIT 200`,
        span: 24,
        height: 9,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Transitions in flagged sessions',
        description:
          'Tool-to-tool transitions of the sessions with an anomaly, rarest first: the rare ones are usually what the detector objected to.',
        sql: `SELECT transition, count() AS occurrences, uniqExact(tenant_id, session_id) AS sessions
FROM (${transitions})
ARRAY JOIN pairs AS transition
WHERE (tenant_id, session_id) IN (SELECT tenant_id, session_id FROM ${t.findings} FINAL WHERE ${anomalies})
GROUP BY transition
ORDER BY sessions ASC, occurrences ASC, transition
LIMIT 50`,
        span: 12,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Most common transitions',
        description: 'The usual tool order across all sessions in range, for comparison.',
        sql: `SELECT transition, count() AS occurrences, uniqExact(tenant_id, session_id) AS sessions
FROM (${transitions})
ARRAY JOIN pairs AS transition
GROUP BY transition
ORDER BY occurrences DESC, transition
LIMIT 50`,
        span: 12,
      }),
    );
}
