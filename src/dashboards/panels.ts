import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as text from '@grafana/grafana-foundation-sdk/text';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { clickhouseQuery, type ClickHouseQueryBuilder } from './clickhouse-query.js';
import { datasourceRef } from './datasource.js';

/** Colours used consistently for decisions across every dashboard. */
export const OutcomeColor = { allow: 'green', denied: 'red', 'would-deny': 'orange' } as const;

export interface Box {
  w: number;
  h: number;
}

/** Threshold steps from a base colour and `[value, colour]` pairs. */
export function thresholds(base: string, steps: ReadonlyArray<readonly [number, string]> = []): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([{ value: null, color: base }, ...steps.map(([value, color]) => ({ value, color }))]);
}

function legend(asTable: boolean, calcs: string[]): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(asTable ? common.LegendDisplayMode.Table : common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom)
    .calcs(calcs);
}

/** A time series panel with its legend on (the SDK's default hides it) and a shared tooltip. */
export function timeSeriesPanel(title: string, description: string, box: Box, unit: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(datasourceRef)
    .gridPos({ x: 0, y: 0, ...box })
    .unit(unit)
    .min(0)
    .legend(legend(true, ['mean', 'max', 'lastNotNull']))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending))
    .fillOpacity(10)
    .lineWidth(1)
    .showPoints(common.VisibilityMode.Never)
    .interval('1m');
}

export function stackedBars(panel: timeseries.PanelBuilder): timeseries.PanelBuilder {
  return panel
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80)
    .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
}

export function tablePanel(title: string, description: string, box: Box): table.PanelBuilder {
  return new table.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(datasourceRef)
    .gridPos({ x: 0, y: 0, ...box })
    .showHeader(true)
    .filterable(true)
    .cellHeight(common.TableCellHeight.Sm);
}

export function statPanel(title: string, description: string, box: Box, unit: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(datasourceRef)
    .gridPos({ x: 0, y: 0, ...box })
    .unit(unit)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

export function heatmapPanel(title: string, description: string, box: Box): heatmap.PanelBuilder {
  return new heatmap.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(datasourceRef)
    .gridPos({ x: 0, y: 0, ...box })
    .interval('1m')
    .calculate(false)
    .showLegend()
    .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme('Oranges').steps(64).exponent(0.5))
    .yAxis(new heatmap.YAxisConfigBuilder().axisPlacement(common.AxisPlacement.Left))
    .cellGap(1);
}

export function textPanel(title: string, box: Box, markdown: string): text.PanelBuilder {
  return new text.PanelBuilder().title(title).gridPos({ x: 0, y: 0, ...box }).mode(text.TextMode.Markdown).content(markdown);
}

export function rowPanel(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title).gridPos({ x: 0, y: 0, w: 24, h: 1 });
}

/** A colour override for the series or column named `name`. */
export function colorOf(name: string, color: string): { matcher: { id: string; options: string }; properties: dashboard.DynamicConfigValue[] } {
  return { matcher: { id: 'byName', options: name }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: color } }] };
}

/** A per-column link (Grafana data link) in a table. */
export function linkProperty(title: string, url: string): dashboard.DynamicConfigValue {
  return { id: 'links', value: [{ title, url, targetBlank: true }] };
}

export function unitProperty(unit: string): dashboard.DynamicConfigValue {
  return { id: 'unit', value: unit };
}

/** Shorthand for a raw-SQL ClickHouse target. */
export function sqlTarget(rawSql: string, refId = 'A'): ClickHouseQueryBuilder {
  return clickhouseQuery(rawSql).refId(refId);
}
