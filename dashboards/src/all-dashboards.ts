import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { exfiltration } from './dashboards/exfiltration.js';
import { mcpInventory } from './dashboards/mcp-inventory.js';
import { sessionDrilldown } from './dashboards/session-drilldown.js';
import { socOverview } from './dashboards/soc-overview.js';
import { toolSequenceAnomalies } from './dashboards/tool-sequence-anomalies.js';

/** One dashboard and the file it is built to under `grafana/dashboards/`. */
export interface DashboardDefinition {
  file: string;
  build: () => dashboard.DashboardBuilder;
}

const DEFINITIONS: readonly DashboardDefinition[] = [
  { file: 'soc-overview.json', build: socOverview },
  { file: 'session-drilldown.json', build: sessionDrilldown },
  { file: 'tool-sequence-anomalies.json', build: toolSequenceAnomalies },
  { file: 'exfiltration.json', build: exfiltration },
  { file: 'mcp-inventory.json', build: mcpInventory },
];

/** A built dashboard as Grafana imports it. */
export type DashboardJson = dashboard.Dashboard & { panels?: unknown[] };

/**
 * Every Bulwark dashboard, built: panel ids assigned in order (stable, so links to `viewPanel=N` keep working)
 * and the JSON Grafana provisions. The files are written by `npm run build:dashboards`.
 *
 * @example
 * for (const { file, json } of allDashboards()) writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
 */
export function allDashboards(): { file: string; json: DashboardJson }[] {
  return DEFINITIONS.map(({ file, build }) => {
    const json = build().build() as DashboardJson;
    let id = 1;
    for (const panel of (json.panels ?? []) as { id?: number; panels?: { id?: number }[] }[]) {
      panel.id = id++;
      for (const inner of panel.panels ?? []) inner.id = id++;
    }
    // Round-trip drops the builders' function members and undefined fields: what is written is what is tested.
    return { file, json: JSON.parse(JSON.stringify(json)) as DashboardJson };
  });
}

/** The exact text of a dashboard file (2-space JSON and a final newline). */
export function dashboardFileText(json: unknown): string {
  return `${JSON.stringify(json, null, 2)}\n`;
}
