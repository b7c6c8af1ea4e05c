import { OtelTracesColumn as O, Tables } from '../storage/schema.js';
import { DATASOURCE_UID, QueryFormat, datasourceRef } from './datasource.js';
import { clickhouseQuery } from './clickhouse-query.js';
import type { TableRefs } from './sql.js';

const TRACE_ID_PLACEHOLDER = '__WARDEN_TRACE_ID__';

/**
 * One trace in the shape Grafana's trace view reads (the plugin's OTel trace mode):
 * traceID, spanID, parentSpanID, serviceName, operationName, startTime/duration in ms, tags.
 * Bounds come from the `_trace_id_ts` lookup, as the plugin does, so the scan stays small.
 */
export function traceByIdSql(t: TableRefs, traceIdExpr: string): string {
  const lookup = `${t.database}.${Tables.OTEL_TRACES_TRACE_ID_TS}`;
  const tags = (column: string) => `arrayMap(key -> map('key', key, 'value', ${column}[key]), mapKeys(${column}))`;
  return [
    `WITH ${traceIdExpr} AS trace_id,`,
    `  (SELECT min(Start) FROM ${lookup} WHERE TraceId = trace_id) AS trace_start,`,
    `  (SELECT max(End) + 1 FROM ${lookup} WHERE TraceId = trace_id) AS trace_end`,
    'SELECT',
    `  ${O.TRACE_ID} AS traceID,`,
    `  ${O.SPAN_ID} AS spanID,`,
    `  ${O.PARENT_SPAN_ID} AS parentSpanID,`,
    `  ${O.SERVICE_NAME} AS serviceName,`,
    `  ${O.SPAN_NAME} AS operationName,`,
    `  multiply(toUnixTimestamp64Nano(${O.TIMESTAMP}), 0.000001) AS startTime,`,
    `  multiply(${O.DURATION}, 0.000001) AS duration,`,
    `  ${tags(O.SPAN_ATTRIBUTES)} AS tags,`,
    `  ${tags(O.RESOURCE_ATTRIBUTES)} AS serviceTags,`,
    `  if(${O.STATUS_CODE} IN ('Error', 'STATUS_CODE_ERROR'), 2, 0) AS statusCode`,
    `FROM ${t.otelTraces}`,
    `WHERE ${O.TRACE_ID} = trace_id AND ${O.TIMESTAMP} >= trace_start AND ${O.TIMESTAMP} <= trace_end`,
    'ORDER BY startTime',
    'LIMIT 1000',
  ].join('\n');
}

/**
 * The trace id column as the link may use it. Grafana puts the cell's value into the link's SQL
 * literal as it is (no format can survive the URL's own decoding), so only lowercase hex, which
 * Warden's receiver and the OTel Collector write, may reach it; anything else shows blank.
 */
export function linkableTraceId(column: string): string {
  return `if(match(${column}, '^[0-9a-f]{32}$'), ${column}, '')`;
}

/**
 * A data-link URL opening a trace in Explore with the ClickHouse trace query. Everything is
 * URL-encoded except Grafana's `${__value.raw}` placeholder, which Grafana fills per row.
 */
export function traceExploreUrl(t: TableRefs): string {
  const query = clickhouseQuery(traceByIdSql(t, `'${TRACE_ID_PLACEHOLDER}'`)).format(QueryFormat.TRACE).build();
  const { _implementsDataqueryVariant: _, ...model } = query;
  const panes = {
    trace: {
      datasource: DATASOURCE_UID,
      queries: [{ ...model, datasource: { ...datasourceRef } }],
      range: { from: '${__from}', to: '${__to}' },
    },
  };
  const encoded = encodeURIComponent(JSON.stringify(panes))
    .replaceAll(TRACE_ID_PLACEHOLDER, '${__value.raw}')
    .replaceAll(encodeURIComponent('${__from}'), '${__from}')
    .replaceAll(encodeURIComponent('${__to}'), '${__to}');
  return `/explore?schemaVersion=1&orgId=1&panes=${encoded}`;
}
