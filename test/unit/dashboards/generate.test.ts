import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { DEFAULT_ALERT_RULES } from '../../../src/alerts/parse.js';
import { parseAlertsText } from '../../../src/alerts/parse.js';
import { CLICKHOUSE_PLUGIN_ID, DATASOURCE_UID, ProvisioningFiles, diffArtifacts, generateArtifacts } from '../../../src/dashboards/index.js';
import { dashboardQueries } from '../../helpers/grafana/index.js';

const REPO_DASHBOARDS = new URL('../../../dashboards/', import.meta.url).pathname;

test('generation is deterministic and equals the committed files', () => {
  const first = generateArtifacts({ alertRules: DEFAULT_ALERT_RULES });
  const second = generateArtifacts({ alertRules: DEFAULT_ALERT_RULES });
  assert.deepEqual([...first.entries()], [...second.entries()]);
  assert.deepEqual(diffArtifacts(REPO_DASHBOARDS, first), [], 'run `npm run dashboards` and commit the result');
  for (const content of first.values()) {
    assert.doesNotMatch(content, /\b20\d\d-\d\d-\d\dT\d\d:\d\d/, 'no timestamps in generated files');
  }
});

test('another database changes only the table references (what the panel tests run is what is committed)', () => {
  const committed = generateArtifacts({ alertRules: DEFAULT_ALERT_RULES });
  const other = generateArtifacts({ database: 'other_db', alertRules: DEFAULT_ALERT_RULES });
  for (const [file, content] of other) {
    const back = content.replaceAll('other_db', 'warden');
    assert.equal(back, committed.get(file), file);
  }
});

test('dashboards: unique uids and panel ids, ClickHouse targets, legends on, units set', () => {
  const artifacts = generateArtifacts({ alertRules: DEFAULT_ALERT_RULES });
  const uids = new Set<string>();
  for (const file of ['overview.json', 'agent.json', 'rollout.json']) {
    const board = JSON.parse(artifacts.get(file) as string) as { uid: string; panels: Array<Record<string, any>> };
    assert.ok(!uids.has(board.uid));
    uids.add(board.uid);
    const ids = board.panels.map((p) => p.id as number);
    assert.equal(new Set(ids).size, ids.length, `${file}: panel ids`);
    for (const panel of board.panels) {
      if (panel.type === 'row' || panel.type === 'text') continue;
      assert.equal(panel.datasource?.uid, DATASOURCE_UID, `${file} ${panel.title}`);
      for (const t of panel.targets) assert.equal(t.datasource.type, CLICKHOUSE_PLUGIN_ID);
      if (panel.type === 'timeseries') {
        assert.equal(panel.options.legend.showLegend, true, `${file} ${panel.title}: legend`);
        assert.ok(panel.fieldConfig.defaults.unit, `${file} ${panel.title}: unit`);
      }
    }
    const honoursRange = (sql: string) => sql.includes('$__timeFilter(') || (sql.includes('$__fromTime_ms') && sql.includes('$__toTime_ms'));
    assert.ok(dashboardQueries(board).every((q) => honoursRange(q.rawSql)), `${file}: every query honours the time range`);
  }
  assert.deepEqual([...uids].sort(), ['warden-agent', 'warden-overview', 'warden-rollout']);
});

test('alert rules: one Grafana rule per metric rule of an alerts file, anomaly rules left to warden serve', () => {
  const config = parseAlertsText([
    'rules:',
    '  - name: close-storm',
    '    when: { calls_per_minute: { above: 30 }, tool: [session_close], per_tool: true }',
    '    for: 2m',
    '    severity: critical',
    '  - name: loops',
    '    when: { anomaly: [repeat_loop] }',
  ].join('\n'));
  assert.ok(config.ok);
  const file = parse(generateArtifacts({ alertRules: config.value.rules }).get(ProvisioningFiles.ALERTING) as string);
  const rules = file.groups[0].rules;
  assert.deepEqual(rules.map((r: { title: string }) => r.title), ['close-storm']);
  const [rule] = rules;
  assert.equal(rule.for, '2m');
  assert.equal(rule.condition, 'C');
  assert.equal(rule.labels.severity, 'critical');
  assert.equal(rule.data[0].datasourceUid, DATASOURCE_UID);
  assert.deepEqual(rule.data[0].relativeTimeRange, { from: 60, to: 0 });
  assert.match(rule.data[0].model.rawSql, /tool IN \('session_close'\)/);
  assert.deepEqual(rule.data[2].model.conditions[0].evaluator, { type: 'gt', params: [30] });
  assert.equal(file.groups[0].interval, '1m');
  assert.equal(file.groups[0].folder, 'Warden');
});

test('provisioning: datasource with a fixed uid, OTel trace settings and env-supplied host and credentials', () => {
  const artifacts = generateArtifacts({ alertRules: DEFAULT_ALERT_RULES });
  const ds = parse(artifacts.get(ProvisioningFiles.DATASOURCE) as string).datasources[0];
  assert.equal(ds.uid, DATASOURCE_UID);
  assert.equal(ds.type, CLICKHOUSE_PLUGIN_ID);
  assert.equal(ds.jsonData.defaultDatabase, 'warden');
  assert.deepEqual(ds.jsonData.traces, {
    defaultDatabase: 'warden', defaultTable: 'otel_traces', otelEnabled: true, otelVersion: 'latest',
    durationUnit: 'nanoseconds', traceTimestampTableSuffix: '_trace_id_ts',
  });
  assert.match(ds.jsonData.host, /^\$\{\w+\}$/);
  assert.match(ds.secureJsonData.password, /^\$\{\w+\}$/);
});
