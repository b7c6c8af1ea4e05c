import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { datasourceRef } from './datasource.js';
import { select, variableOption } from './sql.js';

/** A query variable over one column of a table, refreshed with the time range; panels read it with selectedBy(). */
export interface ColumnVariableSpec {
  name: string;
  label: string;
  table: string;
  column: string;
  timeColumn: string;
  where?: readonly string[];
  multi: boolean;
}

export function columnVariableSql(spec: ColumnVariableSpec): string {
  return select({
    select: [`DISTINCT ${variableOption(spec.column)} AS name`],
    from: spec.table,
    where: [`$__timeFilter(${spec.timeColumn})`, `${spec.column} != ''`, ...(spec.where ?? [])],
    orderBy: ['name'],
    limit: 1000,
  });
}

export function columnVariable(spec: ColumnVariableSpec): dashboard.QueryVariableBuilder {
  const rawSql = columnVariableSql(spec);
  const v = new dashboard.QueryVariableBuilder(spec.name)
    .label(spec.label)
    .datasource(datasourceRef)
    .query({ editorType: 'sql', rawSql, format: 1 })
    .definition(rawSql)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(spec.multi)
    .includeAll(spec.multi);
  return spec.multi ? v.current({ text: ['All'], value: ['$__all'] }) : v;
}
