/**
 * The frontend half of query interpolation, as the ClickHouse plugin's
 * `applyTemplateVariables` does it: `$__conditionalAll` first (it needs to know whether a
 * variable is "All"), then Grafana's template replacement with the plugin's value formatter.
 */

export const ALL_VALUE = '$__all';

/** A dashboard variable's current state. `options` are what "All" stands for. */
export interface VariableState {
  value: string | readonly string[];
  options?: readonly string[];
  allValue?: string;
}

export type VariableStates = Record<string, VariableState>;

/** The arguments of `name(…)` starting at the `(` at `openIndex`; [] when unbalanced (plugin's getMacroArgs). */
function macroArgs(query: string, openIndex: number): string[] {
  const args: string[] = [];
  const text = query.substring(openIndex);
  const re = /\(|\)|,/g;
  let depth = 0;
  let lastEnd = 1;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0] === '(') depth++;
    else if (m[0] === ')') depth--;
    if (m[0] === ',' && depth === 1) {
      args.push(text.substring(lastEnd, re.lastIndex - 1));
      lastEnd = re.lastIndex;
    }
    if (depth === 0) {
      args.push(text.substring(lastEnd, re.lastIndex - 1));
      return args;
    }
  }
  return [];
}

/** `$__conditionalAll(cond, $var)` → `1=1` when `$var` is All or empty, else `cond`; innermost-last first. */
export function applyConditionalAll(sql: string, vars: VariableStates): string {
  const macro = '$__conditionalAll(';
  let out = sql;
  let index = out.lastIndexOf(macro);
  while (index !== -1) {
    const params = macroArgs(out, index + macro.length - 1);
    if (params.length !== 2) return out;
    const [condition, variableParam] = params as [string, string];
    const name = /(?<=\$\{)[\w\d]+(?=\})|(?<=\$)[\w\d]+/.exec(variableParam.trim())?.[0];
    let phrase = condition;
    if (name !== undefined) {
      const current = vars[name]?.value;
      const text = current === undefined ? undefined : String(current);
      if (text === '' || text === ALL_VALUE) phrase = '1=1';
    }
    out = out.replace(`${macro}${condition},${variableParam})`, phrase);
    index = out.lastIndexOf(macro);
  }
  return out;
}

const VARIABLE_REFERENCE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/g;

const quoteSingle = (v: string): string => `'${v.replace(/'/g, "\\'")}'`;
// RFC 3986 component encoding: encodeURIComponent plus the sub-delims it leaves (! ' ( ) *).
const encodeStrict = (v: string): string =>
  encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function formatValue(value: string | readonly string[], format: string | undefined): string {
  const list = typeof value === 'string' ? undefined : value;
  switch (format) {
    case undefined:
      // The plugin's own formatter: lists become a quoted list, a single value goes in raw.
      return list ? `'${list.join("','")}'` : (value as string);
    case 'singlequote':
      return (list ?? [value as string]).map(quoteSingle).join(',');
    case 'doublequote':
      return (list ?? [value as string]).map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'percentencode':
      // A list is glob-joined first, then encoded as a whole: {a,b} → %7Ba%2Cb%7D.
      return encodeStrict(list ? `{${list.join(',')}}` : (value as string));
    case 'csv':
      return (list ?? [value as string]).join(',');
    case 'raw':
      return list ? list.join(',') : (value as string);
    default:
      throw new Error(`variable format ${format} is not reproduced`);
  }
}

function isAll(value: string | readonly string[]): boolean {
  return typeof value === 'string' ? value === ALL_VALUE : value.includes(ALL_VALUE);
}

/** Grafana's templateSrv.replace: unknown names stay as written (so `$__timeFilter` reaches the backend). */
export function replaceVariables(sql: string, vars: VariableStates): string {
  return sql.replace(VARIABLE_REFERENCE, (match, bare, bracket, bracketFmt, braced, _field, bracedFmt) => {
    const name = (bare ?? bracket ?? braced) as string;
    const state = vars[name];
    if (!state) return match;
    const format = (bracketFmt ?? bracedFmt) as string | undefined;
    if (isAll(state.value)) {
      if (state.allValue !== undefined) return format === undefined ? state.allValue : formatValue(state.allValue, format);
      return formatValue(state.options ?? [], format);
    }
    return formatValue(state.value, format);
  });
}

export function interpolateFrontend(sql: string, vars: VariableStates): string {
  return replaceVariables(applyConditionalAll(sql, vars), vars);
}
