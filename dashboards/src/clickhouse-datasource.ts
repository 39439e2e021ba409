import type * as common from '@grafana/grafana-foundation-sdk/common';

/**
 * The Grafana data source every Bulwark panel queries: the official ClickHouse plugin, provisioned by
 * `grafana/provisioning/datasources/clickhouse.yaml` under this uid.
 *
 * @example
 * new QueryVariableBuilder('tenant').datasource(CLICKHOUSE_DATASOURCE);
 */
export const CLICKHOUSE_DATASOURCE: Readonly<Required<common.DataSourceRef>> = Object.freeze({
  type: 'grafana-clickhouse-datasource',
  uid: 'bulwark-clickhouse',
});

/** The plugin id, for `GF_INSTALL_PLUGINS` and the provisioning file. */
export const CLICKHOUSE_PLUGIN_ID = CLICKHOUSE_DATASOURCE.type;
