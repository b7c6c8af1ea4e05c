// One vocabulary: risk classes, the legacy `rate_limit` expansion, SQL string literals and the
// suggest headroom each have one home; these fail when a consumer drifts from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAlertsText } from '../../../src/alerts/index.js';
import { DEFAULT_ANOMALY_THRESHOLDS } from '../../../src/analytics/config.js';
import { diffPolicies } from '../../../src/analytics/suggest/diff.js';
import { DEFAULT_SUGGEST_OPTIONS } from '../../../src/analytics/suggest/build.js';
import { DEFAULT_SUGGEST_HEADROOM } from '../../../src/config/index.js';
import { WRITE_RISKS } from '../../../src/dashboards/exprs.js';
import { RISK_CLASSES, WRITE_RISK_CLASSES, parsePolicyDocument, type PolicyDocument } from '../../../src/policy/index.js';
import { buildProgram } from '../../../src/cli/main.js';
import { ChdbDriver } from '../../../src/storage/index.js';
import { sqlStringLiteral } from '../../../src/storage/schema.js';
import { testDataDir, uniqueDatabase } from '../../helpers/store.js';

test('risk classes: the alerts file and policy.schema.json accept exactly the policy\'s classes', () => {
  const alerts = (risk: string) => parseAlertsText(`rules:\n  - { name: r, when: { calls_per_minute: { above: 1 }, risk: [${JSON.stringify(risk)}] } }\n`).ok;
  for (const risk of RISK_CLASSES) assert.ok(alerts(risk), risk);
  assert.equal(alerts('dangerous'), false);
  const schema = readFileSync(new URL('../../../policy.schema.json', import.meta.url), 'utf8');
  const enums = [...schema.matchAll(/"risk": \{[^}]*?"enum": (\[[^\]]*\])/g)].map((m) => JSON.parse(m[1] as string) as string[]);
  assert.ok(enums.length > 0);
  for (const e of enums) assert.deepEqual(e, [...RISK_CLASSES]);
  assert.deepEqual([...WRITE_RISK_CLASSES], RISK_CLASSES.filter((r) => r !== 'read'));
  assert.deepEqual([...WRITE_RISKS], [...WRITE_RISK_CLASSES]);
  assert.deepEqual([...DEFAULT_ANOMALY_THRESHOLDS.burstRisks], [...WRITE_RISK_CLASSES]);
});

test('legacy rate_limit: suggest\'s diff reads it as the engine compiles it (tool_rate, per grant)', () => {
  const legacy = parsePolicyDocument(JSON.stringify({ version: '1', default: 'deny', tools: { t: { action: 'allow', rate_limit: '10/minute' } } }), 'p');
  const modern = parsePolicyDocument(JSON.stringify({ version: '1', default: 'deny', tools: { t: { action: 'allow', limits: [{ counter: 't_rate', max: 10, window: 'minute', scope: 'grant' }] } } }), 'p');
  assert.ok(legacy.ok && modern.ok);
  const entries = diffPolicies(legacy.value as PolicyDocument, modern.value as PolicyDocument);
  assert.ok(entries.length > 0 && entries.every((e) => e.change === 'unchanged'), JSON.stringify(entries));
});

test('the suggest headroom default is one number for the CLI, the API and the analytics', () => {
  assert.equal(DEFAULT_SUGGEST_OPTIONS.headroom, DEFAULT_SUGGEST_HEADROOM);
  const suggest = buildProgram().commands.find((c) => c.name() === 'suggest');
  assert.equal(suggest?.options.find((o) => o.long === '--headroom')?.defaultValue, String(DEFAULT_SUGGEST_HEADROOM));
});

test('a SQL string literal keeps every character as data on ClickHouse (quotes, backslashes, NUL, newlines, unicode)', async () => {
  const store = await ChdbDriver.open({ path: testDataDir(), database: uniqueDatabase('lit') });
  try {
    for (const text of ["!x\\') OR 1=1 --", "'", '\\', "\\'", 'a\u0000b\nc\rd\te', 'ünï 🚀', '${agent}', '']) {
      const rows = await store.query<{ h: string }>(`SELECT hex(${sqlStringLiteral(text)}) AS h`);
      assert.equal(rows[0]?.h, Buffer.from(text, 'utf8').toString('hex').toUpperCase(), JSON.stringify(text));
    }
  } finally {
    await store.close();
  }
});
