import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { CLICKHOUSE_PLUGIN_VERSION, QUERY_TYPE_BY_FORMAT, QueryFormat, datasourceRef, type QueryFormatValue } from './datasource.js';

/** The target model the ClickHouse plugin stores for a raw-SQL query. */
export interface ClickHouseDataquery extends cog.Dataquery {
  refId: string;
  datasource: DataSourceRef;
  editorType: 'sql';
  rawSql: string;
  format: QueryFormatValue;
  queryType: string;
  pluginVersion: string;
  /** Only alert queries: the interval the backend's $__timeInterval / $__interval_s use. */
  intervalMs?: number;
  maxDataPoints?: number;
}

/**
 * The foundation SDK ships no ClickHouse (or generic SQL) dataquery, so this small builder
 * produces the plugin's target model; pass it to `.withTarget()` or an alert query's `.model()`.
 */
export class ClickHouseQueryBuilder implements cog.Builder<ClickHouseDataquery> {
  private query: Omit<ClickHouseDataquery, '_implementsDataqueryVariant'>;

  constructor(rawSql: string) {
    this.query = {
      refId: 'A',
      datasource: { ...datasourceRef },
      editorType: 'sql',
      rawSql,
      format: QueryFormat.TABLE,
      queryType: QUERY_TYPE_BY_FORMAT[QueryFormat.TABLE],
      pluginVersion: CLICKHOUSE_PLUGIN_VERSION,
    };
  }

  refId(refId: string): this {
    this.query.refId = refId;
    return this;
  }

  format(format: QueryFormatValue): this {
    this.query.format = format;
    this.query.queryType = QUERY_TYPE_BY_FORMAT[format];
    return this;
  }

  timeSeries(): this {
    return this.format(QueryFormat.TIME_SERIES);
  }

  table(): this {
    return this.format(QueryFormat.TABLE);
  }

  intervalMs(intervalMs: number): this {
    this.query.intervalMs = intervalMs;
    return this;
  }

  maxDataPoints(maxDataPoints: number): this {
    this.query.maxDataPoints = maxDataPoints;
    return this;
  }

  build(): ClickHouseDataquery {
    // A fresh object each time so one builder can feed several panels without aliasing.
    return { ...this.query, datasource: { ...this.query.datasource }, _implementsDataqueryVariant() {} };
  }
}

export function clickhouseQuery(rawSql: string): ClickHouseQueryBuilder {
  return new ClickHouseQueryBuilder(rawSql);
}
