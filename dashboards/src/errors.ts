import { BulwarkError } from '@bulwark/contracts';

/**
 * Errors of the dashboards package. `code` values are stable: `dashboards.<what>`.
 *
 * @example
 * throw new DashboardsError('invalid_dashboard', 'panel 3 has no SQL');
 */
export class DashboardsError extends BulwarkError {
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code.startsWith('dashboards.') ? code : `dashboards.${code}`, message, options);
    this.name = 'DashboardsError';
  }
}

/**
 * Panel SQL that cannot be expanded the way the Grafana ClickHouse plugin would: an unknown macro, a macro with
 * the wrong arguments, or a template variable the dashboard does not define. A bug in a dashboard, not input.
 *
 * @example
 * expandGrafanaSql('SELECT $__nope()', ctx); // throws GrafanaSqlError (dashboards.grafana_sql)
 */
export class GrafanaSqlError extends DashboardsError {
  constructor(message: string) {
    super('dashboards.grafana_sql', message, { retriable: false });
    this.name = 'GrafanaSqlError';
  }
}
