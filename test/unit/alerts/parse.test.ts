import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWardenError } from '../../../src/core/index.js';
import { DEFAULT_ALERT_RULES, defaultAlertConfig, formatAlertProblems, loadAlertsFile, parseAlertsText } from '../../../src/alerts/index.js';

const DESIGN_EXAMPLE = `
repeat_interval: 4h
targets:
  ops:   { type: webhook, url: "http://127.0.0.1:9000/hook", headers: { Authorization: "Bearer s3cr3t-token" } }
  chat:  { type: slack, url: "https://hooks.example/services/T0001/B0002/abcdefghijklmnop" }
  pager: { type: alertmanager, url: "http://alertmanager:9093" }
rules:
  - name: runaway-writes
    when: { calls_per_minute: { above: 60 }, risk: [write, execute, destructive] }
    for: 0s
    severity: critical
    notify: [ops, pager]
  - name: anomalies
    when: { anomaly: [bulk_write_burst, lifecycle_violation, repeat_loop, deny_storm], severity_at_least: high }
    notify: [ops, chat]
`;

test('the design.md example parses into rules, targets and durations', () => {
  const r = parseAlertsText(DESIGN_EXAMPLE, { sourceName: 'alerts.yaml' });
  assert.ok(r.ok, r.ok ? '' : formatAlertProblems(r.error));
  const c = r.value;
  assert.equal(c.repeatIntervalMs, 4 * 3_600_000);
  assert.deepEqual(c.targets.map((t) => [t.name, t.type]), [['ops', 'webhook'], ['chat', 'slack'], ['pager', 'alertmanager']]);
  assert.deepEqual(c.targets[0]?.headers, { Authorization: 'Bearer s3cr3t-token' });
  const [writes, anomalies] = c.rules;
  assert.deepEqual(writes?.condition, { kind: 'calls_per_minute', above: 60, windowS: 60, filter: { risk: ['write', 'execute', 'destructive'] }, perTool: false });
  assert.equal(writes?.forMs, 0);
  assert.equal(writes?.severity, 'critical');
  assert.deepEqual(writes?.notify, ['ops', 'pager']);
  assert.equal(writes?.repeatIntervalMs, 4 * 3_600_000);
  assert.equal(anomalies?.condition.kind, 'anomaly');
  assert.equal(anomalies?.condition.kind === 'anomaly' && anomalies.condition.severityAtLeast, 'high');
  assert.equal(anomalies?.severity, 'high');
});

test('without a file (or with only targets) the default rules apply', () => {
  const d = defaultAlertConfig();
  assert.deepEqual(d.rules.map((r) => r.name), DEFAULT_ALERT_RULES.map((r) => r.name));
  assert.ok(d.rules.some((r) => r.condition.kind === 'would_deny_per_minute'));
  assert.ok(d.rules.some((r) => r.condition.kind === 'deny_storm'));
  assert.ok(d.rules.some((r) => r.condition.kind === 'anomaly'));
  const onlyTargets = parseAlertsText('targets: { ops: { type: webhook, url: "http://127.0.0.1:1/x" } }');
  assert.ok(onlyTargets.ok);
  assert.equal(onlyTargets.value.rules.length, DEFAULT_ALERT_RULES.length);
  const empty = parseAlertsText('rules: []');
  assert.ok(empty.ok);
  assert.equal(empty.value.rules.length, 0);
});

test('an invalid file is refused with one path: message line per problem', () => {
  const r = parseAlertsText(`
targets:
  ops: { type: webhook, url: "ftp://x/hook", token: 1 }
rules:
  - name: a
    when: { calls_per_minute: { above: -1 }, risk: [writes] }
    for: soon
    notify: [ops, pagr]
  - name: a
    when: { anomaly: [rate_spike], calls_per_minute: { above: 3 } }
  - name: b
    when: { risk: [write], severity_at_least: high }
  - name: c
    when: { would_deny_per_minute: { above: 3, window: 500ms } }
`, { sourceName: 'alerts.yaml' });
  assert.ok(!r.ok);
  const lines = formatAlertProblems(r.error).split('\n');
  for (const expected of [
    'targets.ops.token: unknown key',
    'rules[0].when.calls_per_minute.above: must be ≥ 0',
    'rules[0].for: invalid duration "soon" (use e.g. 0s, 30s, 5m, 4h)',
    'rules[0].notify[1]: unknown target "pagr" (targets: ops)',
    'rules[1].name: duplicate rule name "a" (also rules[0])',
    'rules[1].when: has calls_per_minute and anomaly; a rule has exactly one condition (write two rules)',
    'rules[2].when: needs one of calls_per_minute, would_deny_per_minute, deny_storm, anomaly',
    'rules[2].when.severity_at_least: applies to anomaly rules only',
    'rules[3].when.would_deny_per_minute.window: must be whole seconds between 1s and 1h',
  ]) assert.ok(lines.includes(expected), `missing "${expected}" in:\n${lines.join('\n')}`);
  assert.ok(lines.some((l) => l.startsWith('rules[0].when.risk[0]: must be one of "read"')), lines.join('\n'));
});

test('target URLs must be http(s); ${VAR} references expand from the given environment', () => {
  const bad = parseAlertsText('targets: { ops: { type: webhook, url: "ftp://x/hook" } }');
  assert.ok(!bad.ok);
  assert.equal(formatAlertProblems(bad.error), 'targets.ops.url: must be an http:// or https:// URL');
  const text = 'targets: { chat: { type: slack, url: "${SLACK_URL}" }, ops: { type: webhook, url: "http://h/x", headers: { Authorization: "Bearer ${OPS_TOKEN}" } } }';
  const missing = parseAlertsText(text, { env: { SLACK_URL: 'https://hooks.example/T1/B2/c3' } });
  assert.ok(!missing.ok);
  assert.equal(formatAlertProblems(missing.error), 'targets.ops.headers.Authorization: environment variable OPS_TOKEN is not set');
  const okr = parseAlertsText(text, { env: { SLACK_URL: 'https://hooks.example/T1/B2/c3', OPS_TOKEN: 'tok' } });
  assert.ok(okr.ok);
  assert.equal(okr.value.targets[0]?.url, 'https://hooks.example/T1/B2/c3');
  assert.equal(okr.value.targets[1]?.headers.Authorization, 'Bearer tok');
});

test('loadAlertsFile throws WARDEN_ALERTS_INVALID naming the file and listing problems; YAML and JSON syntax errors say where', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-alerts-'));
  try {
    const yaml = join(dir, 'alerts.yaml');
    writeFileSync(yaml, 'rules:\n  - name: x\n    when: { calls_per_minute: { above: 1 } }\n    severity: loud\n');
    assert.throws(() => loadAlertsFile(yaml), (e: unknown) => {
      assert.ok(isWardenError(e, 'WARDEN_ALERTS_INVALID'));
      assert.equal(e.message, `invalid alerts file ${yaml}:\nrules[0].severity: must be one of "low", "medium", "high", "critical"`);
      return true;
    });
    writeFileSync(yaml, 'rules: [\n');
    assert.throws(() => loadAlertsFile(yaml), /not valid YAML: line \d+, column \d+/);
    const json = join(dir, 'alerts.json');
    writeFileSync(json, '{"rules": [}');
    assert.throws(() => loadAlertsFile(json), /not valid JSON/);
    writeFileSync(json, JSON.stringify({ rules: [{ name: 'j', when: { would_deny_per_minute: { above: 5 } } }] }));
    assert.equal(loadAlertsFile(json).rules[0]?.condition.kind, 'would_deny_per_minute');
    assert.throws(() => loadAlertsFile(join(dir, 'missing.yaml')), /cannot read the alerts file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
