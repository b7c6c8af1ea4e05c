import { sqlStringLiteral } from '../storage/schema.js';
import { DEFAULT_DATABASE, Tables, assertIdent } from '../storage/schema.js';

/**
 * A small SELECT builder for panel SQL. Panels are read by people in Grafana's editor,
 * so the output is laid out one clause per line; identifiers come from storage/schema.ts.
 */
export interface SelectSpec {
  with?: readonly string[];
  select: readonly string[];
  from: string;
  final?: boolean;
  where?: readonly string[];
  groupBy?: readonly string[];
  having?: readonly string[];
  orderBy?: readonly string[];
  limit?: number;
}

export function select(spec: SelectSpec): string {
  const lines: string[] = [];
  if (spec.with?.length) lines.push(`WITH ${spec.with.join(',\n  ')}`);
  lines.push(`SELECT\n  ${spec.select.join(',\n  ')}`);
  lines.push(`FROM ${spec.from}${spec.final ? ' FINAL' : ''}`);
  if (spec.where?.length) lines.push(`WHERE ${spec.where.join('\n  AND ')}`);
  if (spec.groupBy?.length) lines.push(`GROUP BY ${spec.groupBy.join(', ')}`);
  if (spec.having?.length) lines.push(`HAVING ${spec.having.join(' AND ')}`);
  if (spec.orderBy?.length) lines.push(`ORDER BY ${spec.orderBy.join(', ')}`);
  if (spec.limit !== undefined) lines.push(`LIMIT ${Math.trunc(spec.limit)}`);
  return lines.join('\n');
}

/** A subquery usable as `FROM (…)`, indented one level. */
export function subquery(spec: SelectSpec): string {
  return `(\n  ${select(spec).split('\n').join('\n  ')}\n)`;
}

/** `db.table` references for the tables panels read, in the database the dashboards target. */
export interface TableRefs {
  database: string;
  otelTraces: string;
  toolCalls: string;
  toolCalls1m: string;
  toolInventory: string;
}

export function tableRefs(database: string = DEFAULT_DATABASE): TableRefs {
  const db = assertIdent(database);
  return {
    database: db,
    otelTraces: `${db}.${Tables.OTEL_TRACES}`,
    toolCalls: `${db}.${Tables.TOOL_CALLS}`,
    toolCalls1m: `${db}.${Tables.TOOL_CALLS_1M}`,
    toolInventory: `${db}.${Tables.TOOL_INVENTORY}`,
  };
}

/** A SQL string literal for constant text written into panels (never user input). */
export function literal(text: string): string {
  return sqlStringLiteral(text);
}

export function inList(values: readonly string[]): string {
  return `(${values.map(literal).join(', ')})`;
}

/** `$__conditionalAll(cond, $var)`: the plugin's frontend drops `cond` when the variable is All. */
export function conditionalAll(condition: string, variable: string): string {
  return `$__conditionalAll(${condition}, $${assertIdent(variable)})`;
}

/**
 * Names (agents, tools, upstreams) are hostile data, so no variable carries one into SQL as
 * text. A variable's options are the names themselves, or their URL encoding when a name holds
 * a byte that could end or split a value (`%` `,` `{` `}`, a control byte, invalid UTF-8) or `$`
 * (an agent named `$__all` would otherwise be Grafana's "All"); panels
 * receive the selection through Grafana's `percentencode` format, whose output is only
 * `[A-Za-z0-9._~%-]` (for a list: `{a,b}` encoded as a whole), and decode it in SQL. Whatever the
 * value (an option, or anything a crafted `?var-agent=` URL sets), the SQL text stays a plain
 * literal, and an option decodes to exactly the bytes of its name.
 */
export function variableOption(column: string): string {
  return `if(isValidUTF8(${column}) AND NOT match(${column}, '[%,{}$[:cntrl:]]'), ${column}, encodeURLComponent(${column}))`;
}

/** The names a single- or multi-value variable selects, as an Array(String) expression. */
export function selectedNames(variable: string): string {
  const encoded = `'\${${assertIdent(variable)}:percentencode}'`;
  return `arrayMap(x -> decodeURLComponent(x), splitByChar(',', trim(BOTH '{}' FROM decodeURLComponent(${encoded}))))`;
}

/** `column` is one of the variable's selected names (`has` keeps the primary-key index in use). */
export function selectedBy(column: string, variable: string): string {
  return `has(${selectedNames(variable)}, ${column})`;
}
