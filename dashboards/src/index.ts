export type { DashboardDefinition, DashboardJson } from './all-dashboards.js';
export { allDashboards, dashboardFileText } from './all-dashboards.js';
export type { BulwarkDashboardOptions } from './bulwark-dashboard.js';
export { bulwarkDashboard } from './bulwark-dashboard.js';
export { CLICKHOUSE_DATASOURCE, CLICKHOUSE_PLUGIN_ID } from './clickhouse-datasource.js';
export type { ClickHouseQuery, ClickHouseQueryType } from './clickhouse-query-builder.js';
export { ClickHouseQueryBuilder } from './clickhouse-query-builder.js';
export { exfiltration } from './dashboards/exfiltration.js';
export { mcpInventory } from './dashboards/mcp-inventory.js';
export { sessionDrilldown } from './dashboards/session-drilldown.js';
export { socOverview } from './dashboards/soc-overview.js';
export { toolSequenceAnomalies } from './dashboards/tool-sequence-anomalies.js';
export { DashboardsError, GrafanaSqlError } from './errors.js';
export type { GrafanaQueryContext, GrafanaVariableState } from './expand-grafana-sql.js';
export { expandGrafanaSql } from './expand-grafana-sql.js';
export type { PanelSize, PanelSpec } from './panel-defaults.js';
export { DECISION_COLORS, panelDefaults, SEVERITY_COLORS, SEVERITY_RANK_MAPPINGS } from './panel-defaults.js';
export type { ScopeColumns, ScopeVariable } from './panel-sql.js';
export { ALL_VALUE, panelSql } from './panel-sql.js';
export { escapeHtml } from './report/escape-html.js';
export type { ReportResult } from './report/generate-report.js';
export { generateReport } from './report/generate-report.js';
export type {
  ReportBlock,
  ReportData,
  ReportDataResult,
  ReportEnforced,
  ReportEnforcedCall,
  ReportIncident,
  ReportOptions,
  ReportRefusedCall,
  ReportSession,
  ReportSessionDetail,
  ReportTimelineVerdict,
} from './report/load-report-data.js';
export {
  afterTheFactFlags,
  bucketFor,
  incidentBlocks,
  incidentTitle,
  loadReportData,
  REFUSED_CALLS_LIMIT,
  TIMELINE_LIMIT,
} from './report/load-report-data.js';
export {
  bucketLabel,
  REPORT_CSS,
  REPORT_DECISION_COLORS,
  renderReport,
  verdictOriginHtml,
} from './report/render-report.js';
export type {
  BlockRow,
  CallVerdictRow,
  DecisionBucketRow,
  SessionAgentRow,
} from './report/report-queries.js';
export { REPORT_QUERIES } from './report/report-queries.js';
export type { ChartSeries, HorizontalBar, StackedBucket } from './report/svg-charts.js';
export { formatUtc, formatUtcFull, horizontalBarChart, stackedBarChart } from './report/svg-charts.js';
export { templateVariables } from './template-variables.js';
