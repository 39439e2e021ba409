import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { bulwarkDashboard } from '../bulwark-dashboard.js';
import { panelDefaults, SEVERITY_RANK_MAPPINGS } from '../panel-defaults.js';
import { panelSql } from '../panel-sql.js';

const { t, scope, msTime } = panelSql;

/** The selected session (tenant narrows it: session ids are unique per tenant only). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, expanded by Grafana.
const inSession = 'session_id = ${session:singlequote}';
const eventScope = `${scope()} AND ${inSession}`;
const verdictScope = `${scope({ detector: 'detector_ids', detectorArray: true })} AND ${inSession}`;
const findingScope = `${scope({ detector: 'detector_id' })} AND ${inSession}`;

/** One line per event kind: what a human needs to follow the session (capped, never the whole payload). */
const eventDetail = `multiIf(
      kind = 'prompt', concat(JSONExtractString(payload, 'role'), ': ', JSONExtractString(payload, 'content')),
      kind = 'completion', if(JSONExtractString(payload, 'content') != '', JSONExtractString(payload, 'content'),
        concat('requests ', toString(length(JSONExtractArrayRaw(payload, 'toolCalls'))), ' tool call(s)')),
      kind = 'tool_call', concat(tool_name, '(', JSONExtractRaw(payload, 'arguments'), ')'),
      kind = 'tool_result', concat(if(JSONExtractBool(payload, 'isError'), 'error: ', ''), JSONExtractString(payload, 'content')),
      kind = 'resource_read', JSONExtractString(payload, 'uri'),
      kind = 'agent_message', concat(JSONExtractString(payload, 'direction'), ' ', JSONExtractString(payload, 'peerAgent'), ': ',
        JSONExtractString(payload, 'content')),
      kind = 'tool_definitions', concat(toString(length(JSONExtractArrayRaw(payload, 'tools'))), ' tool definitions listed'),
      '')`;

/**
 * Session drill-down: one session's timeline of prompts, tool calls, results, verdicts and findings, and the
 * evidence chain behind each finding (which event, which field, what text).
 *
 * @example
 * JSON.stringify(sessionDrilldown().build());
 */
export function sessionDrilldown(): dashboard.DashboardBuilder {
  return bulwarkDashboard({
    uid: 'bulwark-session',
    title: 'Bulwark / Session drill-down',
    description: "One session's prompts, tool calls, verdicts and findings with their evidence.",
    tags: ['session'],
    from: 'now-7d',
    withSession: true,
  })
    .withPanel(
      panelDefaults.stat({
        title: 'Events',
        description: 'Events recorded for the session.',
        sql: `SELECT count() AS events FROM ${t.events} FINAL WHERE ${eventScope}`,
        span: 4,
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Tool calls',
        description: 'Tool calls the agent made.',
        sql: `SELECT count() AS tool_calls FROM ${t.toolCalls} FINAL WHERE ${eventScope}`,
        span: 4,
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Blocked calls',
        description: 'Tool calls a verdict blocked.',
        sql: `SELECT uniqExactIf(tool_call_id, decision = 'block') AS blocked_calls FROM ${t.verdicts} FINAL WHERE ${verdictScope}`,
        span: 4,
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Findings',
        description: 'Detector findings in the session.',
        sql: `SELECT count() AS findings FROM ${t.findings} FINAL WHERE ${findingScope}`,
        span: 4,
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'orange' },
        ],
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Worst severity',
        description: 'Highest severity among the findings.',
        sql: `SELECT max(severity_rank) AS worst_severity_rank FROM ${t.findings} FINAL WHERE ${findingScope}`,
        mappings: SEVERITY_RANK_MAPPINGS,
        span: 4,
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Alerts',
        description: 'Alerts raised for the session.',
        sql: `SELECT count() AS alerts FROM ${t.alerts} FINAL WHERE ${scope({ detector: 'detector_ids', detectorArray: true })} AND ${inSession}`,
        span: 4,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Timeline',
        description:
          'Everything the session did, in order: prompts, completions, tool calls and results, verdicts and findings. Text is cut at 300 characters.',
        sql: `SELECT time, kind, actor, tool, detail, decision, severity, ref FROM (
  SELECT ${msTime('timestamp_ms')} AS time, toString(kind) AS kind, if(agent_name != '', agent_name, agent_id) AS actor,
    tool_name AS tool, substringUTF8(${eventDetail}, 1, 300) AS detail, '' AS decision, '' AS severity, event_id AS ref
  FROM ${t.events} FINAL
  WHERE ${eventScope}
  UNION ALL
  SELECT ${msTime('timestamp_ms')} AS time, concat(toString(origin), ' verdict') AS kind, agent_id AS actor, tool_name AS tool,
    substringUTF8(if(empty(detector_ids), 'no detector objected',
      concat(arrayStringConcat(detector_ids, ', '), ': ', JSONExtractString(reasons, 1, 'message'))), 1, 300) AS detail,
    toString(decision) AS decision, toString(max_severity) AS severity, tool_call_id AS ref
  FROM ${t.verdicts} FINAL
  WHERE ${verdictScope}
  UNION ALL
  SELECT ${msTime('timestamp_ms')} AS time, 'finding' AS kind, agent_id AS actor, tool_name AS tool,
    substringUTF8(concat(toString(detector_id), ': ', title, if(description != '', concat(' - ', description), '')), 1, 300) AS detail,
    toString(decision) AS decision, toString(severity) AS severity, finding_id AS ref
  FROM ${t.findings} FINAL
  WHERE ${findingScope}
)
ORDER BY time, kind
LIMIT 2000`,
        span: 24,
        height: 14,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Evidence chain',
        description:
          'Each finding with its evidence: the event it points at (kind and tool), the field and the offending excerpt.',
        sql: `SELECT f.time AS time, f.detector AS detector, f.finding_severity AS severity, f.finding_decision AS decision,
  f.finding AS finding, f.tool AS tool, f.evidence_event AS evidence_event, e.kind AS evidence_kind,
  e.tool_name AS evidence_tool, f.field AS field, f.excerpt AS excerpt, f.note AS note
FROM (
  SELECT ${msTime('timestamp_ms')} AS time, toString(detector_id) AS detector, toString(severity) AS finding_severity,
    toString(decision) AS finding_decision, title AS finding, tool_name AS tool,
    JSONExtractString(ev, 'eventId') AS evidence_event, JSONExtractString(ev, 'field') AS field,
    JSONExtractString(ev, 'excerpt') AS excerpt, JSONExtractString(ev, 'note') AS note
  FROM ${t.findings} FINAL
  LEFT ARRAY JOIN JSONExtractArrayRaw(evidence) AS ev
  WHERE ${findingScope}
) AS f
LEFT JOIN (
  SELECT event_id, toString(kind) AS kind, tool_name FROM ${t.events} FINAL WHERE ${eventScope}
) AS e ON f.evidence_event = e.event_id
ORDER BY time, detector
LIMIT 1000`,
        span: 24,
        height: 10,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Verdicts',
        description:
          'Every verdict on a tool call of the session (inline before it ran, stream after the fact).',
        sql: `SELECT ${msTime('timestamp_ms')} AS time, tool_name AS tool, decision, origin, source,
  arrayStringConcat(detector_ids, ', ') AS detectors, max_severity AS severity,
  JSONExtractString(reasons, 1, 'message') AS reason, decision_time_micros, tool_call_id
FROM ${t.verdicts} FINAL
WHERE ${verdictScope}
ORDER BY time
LIMIT 1000`,
        span: 24,
        height: 8,
      }),
    );
}
