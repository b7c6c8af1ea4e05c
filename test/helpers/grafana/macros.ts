/**
 * Reproduces how Grafana turns a ClickHouse panel's rawSql into the SQL ClickHouse runs,
 * so tests can execute every panel: first the plugin's frontend (`$__conditionalAll`, then
 * dashboard variables), then the plugin backend's macros (pkg/macros + sqlutil.Interpolate).
 */

/** The time range and interval of one query, as the backend receives them. */
export interface QueryTimeContext {
  from: Date;
  to: Date;
  /** The request's interval (Grafana derives it from range, width and the panel's min interval). */
  intervalMs: number;
}

type MacroFn = (ctx: QueryTimeContext, args: readonly string[]) => string;

const unixSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);
const toDateTime = (d: Date): string => `toDateTime(${unixSeconds(d)})`;
const toDateTime64Ms = (d: Date): string => `fromUnixTimestamp64Milli(${d.getTime()})`;
// Go formats in the time's location; Grafana hands plugins UTC-based ranges on UTC hosts.
const toDate = (d: Date): string => `toDate('${d.toISOString().slice(0, 10)}')`;
const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const intervalSeconds = (ctx: QueryTimeContext): number => Math.trunc(Math.max(ctx.intervalMs / 1000, 1));

function arity(name: string, args: readonly string[], n: number): void {
  if (args.length !== n) {
    throw new Error(`$__${name}: unexpected number of arguments: expected ${n} argument${n === 1 ? '' : 's'}, received ${args.length}`);
  }
}

function oneArg(name: string, render: (column: string, ctx: QueryTimeContext) => string): MacroFn {
  return (ctx, args) => {
    arity(name, args, 1);
    return render(args[0] as string, ctx);
  };
}

/** The plugin's macros (pkg/macros/macros.go) plus the sqlutil defaults it inherits. */
const BACKEND_MACROS: Record<string, MacroFn> = {
  fromTime: (ctx) => toDateTime(ctx.from),
  toTime: (ctx) => toDateTime(ctx.to),
  fromTime_ms: (ctx) => toDateTime64Ms(ctx.from),
  toTime_ms: (ctx) => toDateTime64Ms(ctx.to),
  timeFilter: oneArg('timeFilter', (c, ctx) => `${c} >= ${toDateTime(ctx.from)} AND ${c} <= ${toDateTime(ctx.to)}`),
  timeFilter_ms: oneArg('timeFilter_ms', (c, ctx) => `${c} >= ${toDateTime64Ms(ctx.from)} AND ${c} <= ${toDateTime64Ms(ctx.to)}`),
  dateFilter: oneArg('dateFilter', (c, ctx) => `${c} >= ${toDate(ctx.from)} AND ${c} <= ${toDate(ctx.to)}`),
  dateTimeFilter: dateTimeFilter('dateTimeFilter'),
  dt: dateTimeFilter('dt'),
  timeInterval: oneArg('timeInterval', (c, ctx) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${intervalSeconds(ctx)} second)`),
  timeInterval_ms: oneArg('timeInterval_ms', (c, ctx) =>
    `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${Math.trunc(Math.max(ctx.intervalMs, 1))} millisecond)`),
  interval_s: (ctx) => String(intervalSeconds(ctx)),
  // sqlutil defaults the plugin does not override
  interval_ms: (ctx) => String(Math.trunc(ctx.intervalMs)),
  timeFrom: oneArg('timeFrom', (c, ctx) => `${c} >= '${rfc3339(ctx.from)}'`),
  timeTo: oneArg('timeTo', (c, ctx) => `${c} <= '${rfc3339(ctx.to)}'`),
};

function dateTimeFilter(name: string): MacroFn {
  return (ctx, args) => {
    arity(name, args, 2);
    const [d, t] = args as [string, string];
    return `(${d} >= ${toDate(ctx.from)} AND ${d} <= ${toDate(ctx.to)}) AND (${t} >= ${toDateTime(ctx.from)} AND ${t} <= ${toDateTime(ctx.to)})`;
  };
}

/** Macros Grafana knows but whose expansion is not reproduced here; panels must not use them. */
const UNREPRODUCED = ['interval', 'timeGroup', 'table', 'column'];

/**
 * A bracketed argument list at the start of `text`: trimmed args split on top-level commas
 * and the length consumed; length 0 = no list; -1 = an unclosed bracket (as sqlutil's parseArgs).
 */
export function parseMacroArgs(text: string): { args: string[]; length: number } {
  if (!text.startsWith('(')) return { args: [], length: 0 };
  const args: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '(') {
      depth++;
      if (depth === 1) continue;
    } else if (ch === ')') {
      depth--;
      if (depth === 0) {
        args.push(current.trim());
        return { args, length: i + 1 };
      }
    } else if (ch === ',' && depth === 1) {
      args.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  return { args: [], length: -1 };
}

/** The backend step: every `$__macro(args)` replaced, longest macro names first, as sqlutil.Interpolate does. */
export function expandBackendMacros(sql: string, ctx: QueryTimeContext): string {
  for (const name of UNREPRODUCED) {
    if (new RegExp(`\\$__${name}\\b`).test(sql)) throw new Error(`$__${name} is not reproduced by this expander; use a ClickHouse macro instead`);
  }
  const names = Object.keys(BACKEND_MACROS).sort((a, b) => b.length - a.length);
  let out = sql;
  for (const name of names) {
    const macro = BACKEND_MACROS[name] as MacroFn;
    const pattern = new RegExp(`\\$__${name}\\b`, 'g');
    const matches: { full: string; args: string[] }[] = [];
    for (const m of out.matchAll(pattern)) {
      const end = (m.index ?? 0) + m[0].length;
      const { args, length } = parseMacroArgs(out.slice(end));
      if (length < 0) throw new Error(`$__${name}: failed to parse macro arguments (missing close bracket?)`);
      matches.push({ full: out.slice(m.index ?? 0, end + length), args });
    }
    for (const match of matches) out = out.split(match.full).join(macro(ctx, match.args));
  }
  return out;
}
