import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { bulwarkDashboard } from '../bulwark-dashboard.js';
import { DECISION_COLORS, panelDefaults } from '../panel-defaults.js';
import { panelSql } from '../panel-sql.js';

const { t, scope, msTime, evidenceExcerpts, detectorFamily } = panelSql;

const exfil = `${scope({ detector: 'detector_id' })} AND ${detectorFamily.exfil}`;

/** Argument names that say where data goes (recipient, URL, channel, ...). */
const DESTINATION_ARGUMENT =
  "'^arguments[.](to|cc|bcc|recipients?|url|uri|endpoint|webhook|host|channel|address|dest(ination)?)$'";

/**
 * Exfil findings with the sink they point at: the evidence item on a destination argument (`arguments.to`,
 * `arguments.url`, ...) names where the data was going; failing that, the first one on any argument.
 */
const attempts = `SELECT *,
    arrayFirst(e -> match(JSONExtractString(e, 'field'), ${DESTINATION_ARGUMENT}), JSONExtractArrayRaw(evidence)) AS destination_evidence,
    if(destination_evidence != '', destination_evidence,
      arrayFirst(e -> startsWith(JSONExtractString(e, 'field'), 'arguments'), JSONExtractArrayRaw(evidence))) AS sink_evidence,
    JSONExtractString(sink_evidence, 'field') AS sink,
    JSONExtractString(sink_evidence, 'excerpt') AS destination
  FROM ${t.findings} FINAL
  WHERE ${exfil}`;

/**
 * Exfiltration attempts: sensitive data flowing into a tool call that sends it out, how many were blocked,
 * through which tools and to which destinations.
 *
 * @example
 * JSON.stringify(exfiltration().build());
 */
export function exfiltration(): dashboard.DashboardBuilder {
  return bulwarkDashboard({
    uid: 'bulwark-exfiltration',
    title: 'Bulwark / Exfiltration attempts',
    description: 'Sensitive data flowing into outbound tool calls, from the exfiltration detectors.',
    tags: ['exfiltration'],
  })
    .withPanel(
      panelDefaults.stat({
        title: 'Exfiltration attempts',
        description: 'Findings of the exfiltration detectors.',
        sql: `SELECT count() AS attempts FROM ${t.findings} FINAL WHERE ${exfil}`,
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
        description: 'Attempts stopped before the tool call ran.',
        sql: `SELECT countIf(decision = 'block') AS blocked FROM ${t.findings} FINAL WHERE ${exfil}`,
        steps: [{ value: null, color: 'green' }],
        span: 6,
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Not blocked',
        description: 'Attempts that were only alerted on or sent for approval: check them first.',
        sql: `SELECT countIf(decision != 'block') AS not_blocked FROM ${t.findings} FINAL WHERE ${exfil}`,
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
        span: 6,
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Sessions',
        description: 'Sessions with an exfiltration attempt.',
        sql: `SELECT uniqExact(tenant_id, session_id) AS sessions FROM ${t.findings} FINAL WHERE ${exfil}`,
        span: 6,
      }),
    )
    .withPanel(
      panelDefaults.timeSeries({
        title: 'Attempts by decision',
        description: 'Exfiltration findings per interval by the decision taken.',
        sql: `SELECT $__timeInterval(event_time) AS time,
  ${Object.keys(DECISION_COLORS)
    .map((d) => `countIf(decision = '${d}') AS ${d}`)
    .join(',\n  ')}
FROM ${t.findings} FINAL
WHERE ${exfil}
GROUP BY time
ORDER BY time`,
        seriesColors: DECISION_COLORS,
        span: 16,
      }),
    )
    .withPanel(
      panelDefaults.barGauge({
        title: 'Attempts by tool',
        description: 'Outbound tools the data was about to leave through.',
        sql: `SELECT if(tool_name = '', '(unknown tool)', tool_name) AS tool, count() AS attempts
FROM ${t.findings} FINAL
WHERE ${exfil}
GROUP BY tool
ORDER BY attempts DESC, tool
LIMIT 10`,
        span: 8,
      }),
    )
    .withRow(new dashboard.RowBuilder('Attempts'))
    .withPanel(
      panelDefaults.table({
        title: 'Exfiltration attempts',
        description:
          'Newest first, with the argument that carried the data out and the evidence. Click a session to drill down.',
        sql: `SELECT ${msTime('timestamp_ms')} AS time, tenant_id, agent_id, session_id, tool_name AS tool, sink, destination,
  severity, decision, title, ${evidenceExcerpts()} AS evidence_excerpts
FROM (${attempts})
ORDER BY time DESC
LIMIT 200`,
        span: 24,
        height: 10,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Destinations',
        description: 'Where the data was going, per tool and agent.',
        sql: `SELECT if(destination = '', '(not in evidence)', destination) AS target, tool_name AS tool, count() AS attempts,
  countIf(decision = 'block') AS blocked, uniqExact(tenant_id, agent_id) AS agents, max(event_time) AS last_seen
FROM (${attempts})
GROUP BY target, tool
ORDER BY attempts DESC, target
LIMIT 50`,
        span: 24,
      }),
    );
}
