import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/** The Grafana ClickHouse datasource plugin and the version Warden's dashboards are written against. */
export const CLICKHOUSE_PLUGIN_ID = 'grafana-clickhouse-datasource';
export const CLICKHOUSE_PLUGIN_VERSION = '4.20.0';

/**
 * A fixed uid so provisioned dashboards and alert rules find the datasource by uid,
 * whatever name a user gives it.
 */
export const DATASOURCE_UID = 'warden-clickhouse';
export const DATASOURCE_NAME = 'Warden ClickHouse';

export const datasourceRef: DataSourceRef = { type: CLICKHOUSE_PLUGIN_ID, uid: DATASOURCE_UID };

/** Query result shapes of the plugin (sqlds `format`). */
export const QueryFormat = {
  TIME_SERIES: 0,
  TABLE: 1,
  LOGS: 2,
  TRACE: 3,
} as const;
export type QueryFormatValue = (typeof QueryFormat)[keyof typeof QueryFormat];

/** The plugin's `queryType` per format (only Explore reads it, but the editor shows it). */
export const QUERY_TYPE_BY_FORMAT: Record<QueryFormatValue, string> = {
  0: 'timeseries',
  1: 'table',
  2: 'logs',
  3: 'traces',
};
