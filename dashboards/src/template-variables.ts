import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { CLICKHOUSE_DATASOURCE } from './clickhouse-datasource.js';
import { ALL_VALUE, panelSql } from './panel-sql.js';

const { t, inVariable } = panelSql;

/** The plugin's variable query model (`CHVariableQuery`): custom SQL, run with the dashboard time range. */
function variableQuery(name: string, rawSql: string): Record<string, unknown> {
  return { refId: name, queryType: 'sql', editorType: 'sql', rawSql };
}

function multiValue(
  name: string,
  label: string,
  sql: string,
  description: string,
): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource({ ...CLICKHOUSE_DATASOURCE })
    .query(variableQuery(name, sql))
    .definition(sql)
    .multi(true)
    .includeAll(true)
    .allValue(ALL_VALUE)
    .current({ selected: true, text: ['All'], value: ['$__all'] })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalCaseInsensitiveAsc);
}

/** Sessions in range with their agent and worst severity (from the `sessions` aggregate). */
const sessionsInRange = `SELECT tenant_id, session_id,
    maxMerge(agent_id) AS agent,
    maxMerge(last_seen_ms) AS last_seen,
    maxMerge(max_severity_rank) AS severity_rank
  FROM ${t.sessions}
  WHERE $__dateFilter(event_date) AND ${inVariable('tenant_id', 'tenant')}
  GROUP BY tenant_id, session_id`;

/**
 * Dashboard variables as factories. `tenant`, `agent` and `detector` are multi-value with an All option
 * (custom all value {@link ALL_VALUE}); `session` is single-valued for the drill-down.
 *
 * @example
 * new DashboardBuilder('x').withVariable(templateVariables.tenant()).withVariable(templateVariables.agent());
 */
export const templateVariables = {
  tenant(): dashboard.QueryVariableBuilder {
    return multiValue(
      'tenant',
      'Tenant',
      `SELECT DISTINCT tenant_id FROM ${t.sessions} WHERE $__dateFilter(event_date) ORDER BY tenant_id`,
      'Tenants with activity in the time range',
    );
  },

  agent(): dashboard.QueryVariableBuilder {
    return multiValue(
      'agent',
      'Agent',
      `SELECT DISTINCT agent FROM (${sessionsInRange}) WHERE agent != '' ORDER BY agent`,
      'Agents of the selected tenants with activity in the time range',
    );
  },

  detector(): dashboard.QueryVariableBuilder {
    return multiValue(
      'detector',
      'Detector',
      `SELECT detector_id FROM (
  SELECT DISTINCT detector_id FROM ${t.decisionsPerMinute} WHERE $__timeFilter(minute) AND ${inVariable('tenant_id', 'tenant')}
  UNION ALL
  SELECT DISTINCT detector_id FROM ${t.findings} WHERE $__timeFilter(event_time) AND ${inVariable('tenant_id', 'tenant')}
) WHERE detector_id != '' GROUP BY detector_id ORDER BY detector_id`,
      'Detectors that decided or found something in the time range',
    );
  },

  session(): dashboard.QueryVariableBuilder {
    const sql = `SELECT session_id FROM (${sessionsInRange})
WHERE ${inVariable('agent', 'agent')}
ORDER BY severity_rank DESC, last_seen DESC
LIMIT 500`;
    return new dashboard.QueryVariableBuilder('session')
      .label('Session')
      .description('Riskiest sessions first; any session id can be typed in')
      .datasource({ ...CLICKHOUSE_DATASOURCE })
      .query(variableQuery('session', sql))
      .definition(sql)
      .multi(false)
      .includeAll(false)
      .allowCustomValue(true)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged);
  },
};
