import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { bulwarkDashboard } from '../bulwark-dashboard.js';
import { panelDefaults } from '../panel-defaults.js';
import { panelSql } from '../panel-sql.js';

const { t, scope, msTime, evidenceExcerpts, detectorFamily } = panelSql;

/** Every tool definition listed (one row per tool per `tools/list`), with a hash of what the model reads. */
const listedTools = `SELECT tenant_id, session_id, agent_id, event_time, timestamp_ms,
    if(JSONExtractString(tool_json, 'server') != '', JSONExtractString(tool_json, 'server'), server) AS tool_server,
    JSONExtractString(tool_json, 'name') AS tool,
    JSONExtractString(tool_json, 'description') AS tool_description,
    cityHash64(JSONExtractString(tool_json, 'description'), JSONExtractRaw(tool_json, 'inputSchema'), JSONExtractRaw(tool_json, 'annotations')) AS definition_hash
  FROM ${t.events} FINAL
  ARRAY JOIN JSONExtractArrayRaw(payload, 'tools') AS tool_json
  WHERE ${scope()} AND kind = 'tool_definitions'`;

/** Tool calls with whether any verdict blocked them (verdicts carry no server; joined by call id). */
const calledTools = `SELECT c.tenant_id AS tenant_id, c.server AS tool_server, c.tool_name AS tool, c.event_time AS event_time,
    v.blocked AS blocked
  FROM (SELECT tenant_id, session_id, tool_call_id, server, tool_name, event_time FROM ${t.toolCalls} FINAL WHERE ${scope()}) AS c
  LEFT JOIN (
    SELECT tenant_id, session_id, tool_call_id, max(decision = 'block') AS blocked
    FROM ${t.verdicts} FINAL WHERE ${scope()}
    GROUP BY tenant_id, session_id, tool_call_id
  ) AS v ON c.tenant_id = v.tenant_id AND c.session_id = v.session_id AND c.tool_call_id = v.tool_call_id`;

const mcpFindings = (family: string) => `SELECT ${msTime('timestamp_ms')} AS time, tenant_id,
  if(server = '', '(unknown server)', server) AS mcp_server, tool_name AS tool, detector_id, severity, decision, title,
  ${evidenceExcerpts()} AS evidence, session_id
FROM ${t.findings} FINAL
WHERE ${scope({ detector: 'detector_id' })} AND ${family}
ORDER BY time DESC
LIMIT 200`;

/**
 * MCP inventory: the servers and tools agents saw and used, tool-poisoning findings, rug pulls (definitions
 * that changed after first use), both as detector findings and as computed from the definitions themselves.
 *
 * @example
 * JSON.stringify(mcpInventory().build());
 */
export function mcpInventory(): dashboard.DashboardBuilder {
  return bulwarkDashboard({
    uid: 'bulwark-mcp-inventory',
    title: 'Bulwark / MCP inventory',
    description: 'MCP servers and tools seen, tool poisoning and rug pulls.',
    tags: ['mcp'],
    from: 'now-7d',
  })
    .withPanel(
      panelDefaults.stat({
        title: 'Servers',
        description: 'MCP servers seen in events.',
        sql: `SELECT uniqExact(server) AS servers FROM ${t.events} FINAL WHERE ${scope()} AND server != ''`,
        span: 6,
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Tools',
        description: 'Distinct server/tool pairs listed or called.',
        sql: `SELECT uniqExact(tool_server, tool) AS tools FROM (
  SELECT tool_server, tool FROM (${listedTools})
  UNION ALL
  SELECT server AS tool_server, tool_name AS tool FROM ${t.toolCalls} FINAL WHERE ${scope()}
)`,
        span: 6,
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Tool poisoning findings',
        description:
          'Tool definitions that try to steer the model (hidden instructions, shadowing, confusable names).',
        sql: `SELECT count() AS poisoning_findings FROM ${t.findings} FINAL WHERE ${scope({ detector: 'detector_id' })} AND ${detectorFamily.poisoning}`,
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
        span: 6,
      }),
    )
    .withPanel(
      panelDefaults.stat({
        title: 'Rug pulls',
        description: 'Tool definitions that changed after they were first seen or pinned.',
        sql: `SELECT count() AS rug_pulls FROM ${t.findings} FINAL WHERE ${scope({ detector: 'detector_id' })} AND ${detectorFamily.rugPull}`,
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
        span: 6,
      }),
    )
    .withRow(new dashboard.RowBuilder('Inventory'))
    .withPanel(
      panelDefaults.table({
        title: 'MCP servers',
        description: 'Servers agents talked to, with how much they were used.',
        sql: `SELECT server, uniqExact(tenant_id) AS tenants, uniqExact(agent_id) AS agents,
  uniqExact(tenant_id, session_id) AS sessions, countIf(kind = 'tool_call') AS tool_calls,
  countIf(kind = 'tool_definitions') AS tool_lists, min(event_time) AS first_seen, max(event_time) AS last_seen
FROM ${t.events} FINAL
WHERE ${scope()} AND server != ''
GROUP BY server
ORDER BY last_seen DESC, server
LIMIT 200`,
        span: 24,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'MCP tools',
        description:
          'Tools listed by a server or called by an agent. More than one definition means the description or schema changed.',
        sql: `SELECT if(tool_server = '', '(unknown server)', tool_server) AS mcp_server, tool,
  sum(listed) AS times_listed, max(definitions) AS definitions, sum(calls) AS calls, sum(blocked_calls) AS blocked_calls,
  max(last_seen) AS last_seen
FROM (
  SELECT tool_server, tool, count() AS listed, uniqExact(definition_hash) AS definitions, toUInt64(0) AS calls,
    toUInt64(0) AS blocked_calls, max(event_time) AS last_seen
  FROM (${listedTools})
  GROUP BY tool_server, tool
  UNION ALL
  SELECT tool_server, tool, toUInt64(0) AS listed, toUInt64(0) AS definitions, count() AS calls,
    toUInt64(countIf(blocked = 1)) AS blocked_calls, max(event_time) AS last_seen
  FROM (${calledTools})
  GROUP BY tool_server, tool
)
GROUP BY mcp_server, tool
ORDER BY definitions DESC, blocked_calls DESC, calls DESC, mcp_server, tool
LIMIT 500`,
        span: 24,
        height: 10,
      }),
    )
    .withRow(new dashboard.RowBuilder('Attacks through tool definitions'))
    .withPanel(
      panelDefaults.table({
        title: 'Tool poisoning',
        description:
          'Findings on tool definitions that carry instructions for the model. Click a session to drill down.',
        sql: mcpFindings(detectorFamily.poisoning),
        span: 24,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Rug pulls (detector findings)',
        description:
          'Definitions that differ from their pinned or first-seen version, as the rug-pull detector reported them.',
        sql: mcpFindings(detectorFamily.rugPull),
        span: 12,
      }),
    )
    .withPanel(
      panelDefaults.table({
        title: 'Changed tool definitions',
        description:
          'Computed from the listed definitions themselves: tools whose description, schema or annotations changed in the time range.',
        sql: `SELECT if(tool_server = '', '(unknown server)', tool_server) AS mcp_server, tool,
  uniqExact(definition_hash) AS versions, uniqExact(tenant_id, session_id) AS sessions,
  min(event_time) AS first_seen, max(event_time) AS last_seen,
  substringUTF8(argMin(tool_description, timestamp_ms), 1, 200) AS first_description,
  substringUTF8(argMax(tool_description, timestamp_ms), 1, 200) AS latest_description
FROM (${listedTools})
GROUP BY mcp_server, tool
HAVING versions > 1
ORDER BY last_seen DESC, mcp_server, tool
LIMIT 200`,
        span: 12,
      }),
    );
}
