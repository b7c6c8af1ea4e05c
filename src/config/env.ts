/**
 * The only reader of process.env. Every variable Warden honours is named here.
 */
export interface WardenEnv {
  WARDEN_AGENT_ID?: string;
  WARDEN_API_TOKEN?: string;
  WARDEN_STORE?: string;
  /** `warden serve --engine-memory`: the embedded engine's memory budget, e.g. 2GiB. */
  WARDEN_ENGINE_MEMORY?: string;
  WARDEN_LOG_LEVEL?: string;
  WARDEN_LOG_FORMAT?: string;
  CLICKHOUSE_URL?: string;
  CLICKHOUSE_USER?: string;
  CLICKHOUSE_PASSWORD?: string;
  CLICKHOUSE_DATABASE?: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_HEADERS?: string;
  OTEL_EXPORTER_OTLP_TRACES_HEADERS?: string;
  /** `warden proxy`: how long a span waits in the export batch at most (ms), and the batch's span cap (OTel SDK names). */
  OTEL_BSP_SCHEDULE_DELAY?: string;
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE?: string;
  /** Bearer token `warden proxy` sends to a Streamable HTTP upstream (kept off the command line). */
  WARDEN_UPSTREAM_BEARER?: string;
  /** Key of the proxy's keyed argument hash (HMAC-SHA256), or use --args-hash-key-file. */
  WARDEN_ARGS_HASH_KEY?: string;
  /** `warden proxy --limits`, `--limits-fallback`, `--limits-timeout`. */
  WARDEN_LIMITS_URL?: string;
  WARDEN_LIMITS_FALLBACK?: string;
  WARDEN_LIMITS_TIMEOUT?: string;
  /** Synthetic calls `warden proxy` runs through itself at start (0: none). */
  WARDEN_PROXY_WARMUP?: string;
}

const NAMES: ReadonlyArray<keyof WardenEnv> = [
  'WARDEN_AGENT_ID', 'WARDEN_API_TOKEN', 'WARDEN_STORE', 'WARDEN_LOG_LEVEL', 'WARDEN_LOG_FORMAT',
  'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_DATABASE',
  'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'WARDEN_UPSTREAM_BEARER',
  'WARDEN_ENGINE_MEMORY',
  'WARDEN_ARGS_HASH_KEY',
  'WARDEN_LIMITS_URL', 'WARDEN_LIMITS_FALLBACK', 'WARDEN_LIMITS_TIMEOUT',
  'WARDEN_PROXY_WARMUP',
];

export function readEnv(source: NodeJS.ProcessEnv = process.env): WardenEnv {
  const env: WardenEnv = {};
  for (const name of NAMES) {
    const value = source[name];
    if (value !== undefined && value !== '') env[name] = value;
  }
  return env;
}

/**
 * Values for `${NAME}` references in the alerts file, so receiver URLs and tokens can stay
 * out of the file. Any variable may be referenced there; the file names which.
 */
export function referenceEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  return { ...source };
}
