import { Tables } from '../storage/schema.js';
import { ALERT_FOLDER } from './alert-rules.js';
import { CLICKHOUSE_PLUGIN_ID, DATASOURCE_NAME, DATASOURCE_UID } from './datasource.js';

/** Where docker-compose mounts the generated dashboards inside the Grafana container. */
export const GRAFANA_DASHBOARDS_PATH = '/var/lib/grafana/dashboards/warden';
export const DASHBOARD_FOLDER_UID = 'warden';
/** The native protocol port; a number, because the plugin reads `port` as one. */
export const CLICKHOUSE_NATIVE_PORT = 9000;

/**
 * Environment variables Grafana interpolates into the datasource file, so the same committed
 * file serves docker compose and an existing ClickHouse (set them on the Grafana process).
 */
export const GrafanaEnv = {
  HOST: 'WARDEN_CLICKHOUSE_HOST',
  USER: 'WARDEN_GRAFANA_CLICKHOUSE_USER',
  PASSWORD: 'WARDEN_GRAFANA_CLICKHOUSE_PASSWORD',
} as const;

export function datasourceProvisioning(database: string): object {
  return {
    apiVersion: 1,
    datasources: [{
      name: DATASOURCE_NAME,
      type: CLICKHOUSE_PLUGIN_ID,
      uid: DATASOURCE_UID,
      isDefault: true,
      editable: false,
      jsonData: {
        host: `\${${GrafanaEnv.HOST}}`,
        port: CLICKHOUSE_NATIVE_PORT,
        protocol: 'native',
        secure: false,
        username: `\${${GrafanaEnv.USER}}`,
        defaultDatabase: database,
        dialTimeout: '10',
        queryTimeout: '60',
        traces: {
          defaultDatabase: database,
          defaultTable: Tables.OTEL_TRACES,
          otelEnabled: true,
          otelVersion: 'latest',
          durationUnit: 'nanoseconds',
          traceTimestampTableSuffix: Tables.OTEL_TRACES_TRACE_ID_TS.slice(Tables.OTEL_TRACES.length),
        },
      },
      secureJsonData: { password: `\${${GrafanaEnv.PASSWORD}}` },
    }],
  };
}

export function dashboardsProvider(): object {
  return {
    apiVersion: 1,
    providers: [{
      name: 'warden',
      orgId: 1,
      folder: ALERT_FOLDER,
      folderUid: DASHBOARD_FOLDER_UID,
      type: 'file',
      disableDeletion: true,
      updateIntervalSeconds: 30,
      allowUiUpdates: false,
      options: { path: GRAFANA_DASHBOARDS_PATH, foldersFromFilesStructure: false },
    }],
  };
}
