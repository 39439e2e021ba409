import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { templateVariables } from './template-variables.js';

/** Options of one Bulwark dashboard. */
export interface BulwarkDashboardOptions {
  uid: string;
  title: string;
  description: string;
  /** Extra tags besides `bulwark`. */
  tags?: string[];
  /** Default time range start, e.g. `now-24h`. */
  from?: string;
  /** Adds the single-valued `session` variable after tenant and agent. */
  withSession?: boolean;
}

/**
 * A dashboard with what every Bulwark dashboard shares: tags, time range and refresh, shared crosshair, links
 * to the other Bulwark dashboards (keeping time and variables), and the tenant, agent and detector variables.
 *
 * @example
 * bulwarkDashboard({ uid: 'bulwark-x', title: 'X', description: '...' }).withPanel(panel);
 */
export function bulwarkDashboard(options: BulwarkDashboardOptions): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder(options.title)
    .uid(options.uid)
    .description(options.description)
    .tags(['bulwark', 'security', ...(options.tags ?? [])])
    .editable()
    .time({ from: options.from ?? 'now-24h', to: 'now' })
    .timezone('browser')
    .refresh('1m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(
      new dashboard.DashboardLinkBuilder('Bulwark')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(['bulwark'])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true)
        .icon('external link')
        .tooltip('Other Bulwark dashboards')
        .targetBlank(false),
    )
    .withVariable(templateVariables.tenant())
    .withVariable(templateVariables.agent());
  if (options.withSession) builder.withVariable(templateVariables.session());
  return builder.withVariable(templateVariables.detector());
}
