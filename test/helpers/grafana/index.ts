/** Test-only emulation of Grafana's ClickHouse query path: reading dashboards, frontend variables, backend macros. */
export * from './macros.js';
export * from './template-vars.js';
export * from './inspect.js';
