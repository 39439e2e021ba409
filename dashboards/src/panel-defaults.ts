import { PanelBuilder as BarGaugePanelBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';
import * as text from '@grafana/grafana-foundation-sdk/text';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { CLICKHOUSE_DATASOURCE } from './clickhouse-datasource.js';
import { ClickHouseQueryBuilder } from './clickhouse-query-builder.js';

/** Colors of decisions, strictest reddest; the same in every panel and in the HTML report. */
export const DECISION_COLORS: Readonly<Record<string, string>> = {
  allow: 'green',
  alert: 'yellow',
  require_approval: 'orange',
  block: 'red',
};

/** Colors of severities. */
export const SEVERITY_COLORS: Readonly<Record<string, string>> = {
  info: 'blue',
  low: 'green',
  medium: 'yellow',
  high: 'orange',
  critical: 'red',
};

/** Maps a severity rank (0-4) to its name and color, for stats that show the worst severity. */
export const SEVERITY_RANK_MAPPINGS: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: Object.fromEntries(
      Object.entries(SEVERITY_COLORS).map(([name, color], rank) => [
        String(rank),
        { text: name, color, index: rank },
      ]),
    ),
  },
];

/** Where a panel sits: width in grid columns (of 24) and height in grid rows. */
export interface PanelSize {
  span?: number;
  height?: number;
}

/** What every panel factory takes. `columns` lists what the SQL must return (checked by the tests). */
export interface PanelSpec extends PanelSize {
  title: string;
  description: string;
  sql: string;
}

/** Link from a `session_id` cell to the session drill-down, keeping the time range. */
export const SESSION_LINK_URL =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana data-link variables, not JavaScript.
  '/d/bulwark-session?var-tenant=${__data.fields.tenant_id}&var-session=${__value.raw}&${__url_time_range}';

const fixedColor = (color: string): dashboard.DynamicConfigValue => ({
  id: 'color',
  value: { mode: dashboard.FieldColorModeId.Fixed, fixedColor: color },
});

function valueColors(colors: Readonly<Record<string, string>>): dashboard.ValueMapping[] {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  Object.entries(colors).forEach(([value, color], index) => {
    options[value] = { color, index };
  });
  return [{ type: dashboard.MappingType.ValueToText, options }];
}

function target(sql: string, type: 'table' | 'timeSeries'): ClickHouseQueryBuilder {
  return new ClickHouseQueryBuilder(sql).refId('A').queryType(type);
}

function thresholds(steps: dashboard.Threshold[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps);
}

/**
 * Panel factories with the defaults every Bulwark dashboard shares: the ClickHouse data source, one raw
 * SQL target, decision and severity colors, legends at the bottom, tooltips across series.
 *
 * @example
 * panelDefaults.stat({ title: 'Blocked', description: '...', sql: 'SELECT count() AS blocked ...', span: 4 });
 */
export const panelDefaults = {
  /**
   * A time series of counts per interval, as stacked bars. `seriesColors` colors wide columns by name;
   * `labelDisplay` names long-format series by one label (e.g. `detector_id`).
   */
  timeSeries(
    spec: PanelSpec & {
      unit?: string;
      seriesColors?: Readonly<Record<string, string>>;
      labelDisplay?: string;
    },
  ): TimeseriesPanelBuilder {
    const panel = new TimeseriesPanelBuilder()
      .title(spec.title)
      .description(spec.description)
      .datasource({ ...CLICKHOUSE_DATASOURCE })
      .withTarget(target(spec.sql, 'timeSeries'))
      .span(spec.span ?? 12)
      .height(spec.height ?? 8)
      .unit(spec.unit ?? 'short')
      .min(0)
      .decimals(0)
      .drawStyle(common.GraphDrawStyle.Bars)
      .fillOpacity(80)
      .lineWidth(1)
      .barAlignment(common.BarAlignment.Center)
      .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
      .legend(
        new common.VizLegendOptionsBuilder()
          .showLegend(true)
          .displayMode(common.LegendDisplayMode.List)
          .placement(common.LegendPlacement.Bottom)
          .calcs(['sum']),
      )
      .tooltip(
        new common.VizTooltipOptionsBuilder()
          .mode(common.TooltipDisplayMode.Multi)
          .sort(common.SortOrder.Descending),
      );
    if (spec.labelDisplay) panel.displayName(`\${__field.labels.${spec.labelDisplay}}`);
    for (const [name, color] of Object.entries(spec.seriesColors ?? {}))
      panel.overrideByName(name, [fixedColor(color)]);
    return panel;
  },

  /** One number. `thresholds` colors it (first step is the base color). */
  stat(
    spec: PanelSpec & {
      unit?: string;
      decimals?: number;
      steps?: dashboard.Threshold[];
      colorMode?: common.BigValueColorMode;
      mappings?: dashboard.ValueMapping[];
    },
  ): StatPanelBuilder {
    const panel = new StatPanelBuilder()
      .title(spec.title)
      .description(spec.description)
      .datasource({ ...CLICKHOUSE_DATASOURCE })
      .withTarget(target(spec.sql, 'table'))
      .span(spec.span ?? 4)
      .height(spec.height ?? 4)
      .unit(spec.unit ?? 'short')
      .decimals(spec.decimals ?? 0)
      .noValue('0')
      .colorMode(spec.colorMode ?? common.BigValueColorMode.Value)
      .graphMode(common.BigValueGraphMode.None)
      .textMode(common.BigValueTextMode.Value)
      .justifyMode(common.BigValueJustifyMode.Center)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false).fields(''))
      .thresholds(thresholds(spec.steps ?? [{ value: null, color: 'text' }]));
    if (spec.mappings) panel.mappings(spec.mappings);
    return panel;
  },

  /**
   * A table. Columns named `decision`/`*_decision` and `severity`/`*_severity` are colored; `session_id` links to the session
   * drill-down (the row needs a `tenant_id` column); `hidden` columns are fetched but not shown.
   */
  table(
    spec: PanelSpec & { hidden?: string[]; sortBy?: { column: string; desc: boolean } },
  ): TablePanelBuilder {
    const panel = new TablePanelBuilder()
      .title(spec.title)
      .description(spec.description)
      .datasource({ ...CLICKHOUSE_DATASOURCE })
      .withTarget(target(spec.sql, 'table'))
      .span(spec.span ?? 12)
      .height(spec.height ?? 8)
      .cellHeight(common.TableCellHeight.Sm)
      .showHeader(true)
      .filterable(true)
      .overrideByRegexp('^(.*_)?decision$', [
        { id: 'mappings', value: valueColors(DECISION_COLORS) },
        { id: 'custom.cellOptions', value: { type: 'color-text' } },
      ])
      .overrideByRegexp('^(.*_)?severity$', [
        { id: 'mappings', value: valueColors(SEVERITY_COLORS) },
        { id: 'custom.cellOptions', value: { type: 'color-background', mode: 'basic' } },
      ])
      .overrideByName('session_id', [
        { id: 'links', value: [{ title: 'Open session drill-down', url: SESSION_LINK_URL }] },
      ]);
    for (const column of spec.hidden ?? [])
      panel.overrideByName(column, [{ id: 'custom.hidden', value: true }]);
    if (spec.sortBy) {
      panel.sortBy([
        new common.TableSortByFieldStateBuilder().displayName(spec.sortBy.column).desc(spec.sortBy.desc),
      ]);
    }
    return panel;
  },

  /** Horizontal bars, one per row: the first string column names the bar, the numeric one sizes it. */
  barGauge(spec: PanelSpec & { color?: string }): BarGaugePanelBuilder {
    return new BarGaugePanelBuilder()
      .title(spec.title)
      .description(spec.description)
      .datasource({ ...CLICKHOUSE_DATASOURCE })
      .withTarget(target(spec.sql, 'table'))
      .span(spec.span ?? 8)
      .height(spec.height ?? 8)
      .min(0)
      .decimals(0)
      .orientation(common.VizOrientation.Horizontal)
      .displayMode(common.BarGaugeDisplayMode.Gradient)
      .valueMode(common.BarGaugeValueMode.Color)
      .namePlacement(common.BarGaugeNamePlacement.Left)
      .showUnfilled(true)
      .reduceOptions(new common.ReduceDataOptionsBuilder().values(true).calcs([]).limit(20))
      .colorScheme(
        new dashboard.FieldColorBuilder()
          .mode(dashboard.FieldColorModeId.Fixed)
          .fixedColor(spec.color ?? 'red'),
      );
  },

  /** A short note in Markdown (what the dashboard shows and where the data comes from). */
  note(title: string, markdown: string, size: PanelSize = {}): text.PanelBuilder {
    return new text.PanelBuilder()
      .title(title)
      .span(size.span ?? 24)
      .height(size.height ?? 3)
      .mode(text.TextMode.Markdown)
      .content(markdown);
  },
};
