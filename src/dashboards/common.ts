import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { TableRefs } from './sql.js';

/** What every dashboard is generated for. */
export interface DashboardContext {
  tables: TableRefs;
  /** Default base URL of Warden's API for links (editable in the dashboard's `warden_api` box). */
  wardenApiUrl: string;
}

export const DASHBOARD_TAG = 'warden';
export const WARDEN_API_VARIABLE = 'warden_api';

/** A dashboard with the settings all of Warden's share: tag, time, refresh, cross-links. */
export function baseDashboard(uid: string, title: string, description: string, ctx: DashboardContext): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([DASHBOARD_TAG])
    .editable()
    .timezone('browser')
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(
      new dashboard.DashboardLinkBuilder('Warden dashboards')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([DASHBOARD_TAG])
        .asDropdown(true)
        .includeVars(false)
        .keepTime(true)
        .targetBlank(false)
        .icon('external link')
        .tooltip('')
    )
    .withVariable(
      new dashboard.TextBoxVariableBuilder(WARDEN_API_VARIABLE)
        .label('Warden API')
        .description('Base URL of `warden serve` for links to its API (anomalies, suggested policy, simulate)')
        .defaultValue(ctx.wardenApiUrl)
        .current({ text: ctx.wardenApiUrl, value: ctx.wardenApiUrl })
    );
}

/** Grafana data-link placeholders. A field's value is hostile data: it goes into a URL percent-encoded. */
export const Link = {
  api: `\${${WARDEN_API_VARIABLE}}`,
  queryValue: (name: string) => `\${__data.fields.${name}:percentencode}`,
  from: '${__from:date:iso}',
  to: '${__to:date:iso}',
} as const;
