import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { CLICKHOUSE_DATASOURCE } from './clickhouse-datasource.js';

/** How the plugin shapes a result: `timeSeries` turns long rows into one series per label set. */
export type ClickHouseQueryType = 'table' | 'timeSeries';

/** Grafana's result format number for each query type (sqlds: 0 time series, 1 table). */
const FORMAT: Readonly<Record<ClickHouseQueryType, number>> = { timeSeries: 0, table: 1 };

/**
 * A raw-SQL query of the Grafana ClickHouse plugin (v4 model: `editorType: 'sql'`, `rawSql`). The SDK ships
 * no builder for this third-party plugin, so this one follows the SDK's custom-query pattern.
 */
export interface ClickHouseQuery {
  refId?: string;
  hide?: boolean;
  datasource: { type: string; uid: string };
  editorType: 'sql';
  queryType: ClickHouseQueryType;
  format: number;
  rawSql: string;
  /** v4 marker: without it the plugin migrates the query as a v3 one. */
  pluginVersion: string;
  _implementsDataqueryVariant(): void;
}

/**
 * Builds one ClickHouse SQL target for a panel.
 *
 * @example
 * new TimeseriesPanelBuilder().withTarget(new ClickHouseQueryBuilder('SELECT ...').queryType('timeSeries'));
 */
export class ClickHouseQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: ClickHouseQuery;

  constructor(rawSql: string) {
    this.internal = {
      refId: 'A',
      datasource: { ...CLICKHOUSE_DATASOURCE },
      editorType: 'sql',
      queryType: 'table',
      format: FORMAT.table,
      rawSql,
      pluginVersion: '4.0.0',
      _implementsDataqueryVariant() {},
    };
  }

  build(): ClickHouseQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  hide(hide: boolean): this {
    this.internal.hide = hide;
    return this;
  }

  queryType(queryType: ClickHouseQueryType): this {
    this.internal.queryType = queryType;
    this.internal.format = FORMAT[queryType];
    return this;
  }
}
