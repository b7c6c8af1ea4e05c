/** Reading generated dashboards back: every SQL a dashboard will send, for tests and checks. */

export interface DashboardQuery {
  panel: string;
  refId: string;
  rawSql: string;
  format: number;
}

export interface VariableQuery {
  name: string;
  rawSql: string;
  multi: boolean;
  includeAll: boolean;
}

interface PanelJson {
  title?: string;
  type?: string;
  targets?: Array<{ refId?: string; rawSql?: string; format?: number }>;
}

interface DashboardJson {
  panels?: PanelJson[];
  templating?: { list?: Array<{ name: string; type: string; multi?: boolean; includeAll?: boolean; query?: unknown }> };
}

export function dashboardQueries(board: DashboardJson): DashboardQuery[] {
  return (board.panels ?? []).flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({ panel: panel.title ?? '', refId: t.refId ?? 'A', rawSql: t.rawSql ?? '', format: t.format ?? 1 })));
}

export function variableQueries(board: DashboardJson): VariableQuery[] {
  return (board.templating?.list ?? []).flatMap((v) => {
    if (v.type !== 'query') return [];
    const q = v.query;
    const rawSql = typeof q === 'string' ? q : ((q as { rawSql?: string } | undefined)?.rawSql ?? '');
    return [{ name: v.name, rawSql, multi: v.multi ?? false, includeAll: v.includeAll ?? false }];
  });
}
