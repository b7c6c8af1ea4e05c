// `warden policy check | eval | schema` as a user runs them: a real child process per command.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parsePolicyText } from '../../../src/policy/index.js';
import { randomCalls } from '../../helpers/random-calls.js';

const ROOT = join(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'src/cli/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'warden-policy-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function warden(args: string[], stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const POLICYLAYER = `{
  "version": "1",
  "default": "deny",
  "tools": {
    "session_close": {
      "limits": [ { "counter": "session_close_rate", "window": "minute", "max": 2, "scope": "grant" } ]
    }
  }
}
`;

test('check: a valid policy exits 0 with a one-line summary', async () => {
  const path = file('policylayer.json', POLICYLAYER);
  const r = await warden(['policy', 'check', path]);
  assert.equal(r.code, 0, r.stderr);
  const compiled = parsePolicyText(POLICYLAYER);
  assert.ok(compiled.ok);
  assert.equal(r.stdout, `ok: policylayer.json: 1 tool, 1 limit, 0 grants, default deny, mode audit (unset), hash ${compiled.value.hash.slice(0, 12)}\n`);
});

test('check: an invalid YAML policy exits 1 with every problem as path: message', async () => {
  const path = file('bad.yaml', 'version: "1"\ndefault: deny\ntools:\n  t:\n    limits: [ { counter: c, window: fortnight, max: -1 } ]\n    deny_if: [ { path: args.q, op: regex, value: "(" } ]\n    colour: red\n');
  const r = await warden(['policy', 'check', path]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0] as string, /bad\.yaml is not a valid policy \(4 problems\)/);
  assert.deepEqual(lines.slice(1), [
    'tools.t.limits[0].window: must be "second", "minute", "hour", "day" or a whole number of seconds > 0',
    'tools.t.limits[0].max: must be ≥ 0',
    'tools.t.deny_if[0].value: error parsing regexp: missing closing ): `(`',
    'tools.t.colour: unknown key',
  ]);
});

test('check: a missing file is one clear error line with a hint', async () => {
  const r = await warden(['policy', 'check', join(dir, 'nope.json')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^warden: cannot read policy .*nope\.json: no such file\nhint: /);
});

test('eval: NDJSON in, decisions out; bad lines reported with their number and skipped', async () => {
  const policy = file('eval.json', POLICYLAYER);
  const line = (ts: string, tool: string, extra = '') => `{"ts":"2026-11-25T10:00:${ts}Z","agent":"a1","tool":"${tool}"${extra}}`;
  const input = [
    line('00.000', 'session_close', ',"args":{"id":1},"session":"s1"'),
    'not json at all',
    line('01.000', 'session_close'),
    '{"ts":"2026-11-25T10:00:01.500Z","agent":"a1"}',
    '',
    line('02.000', 'session_close'),
    line('03.000', 'load_context'),
    '{"ts":"yesterday","agent":"a1","tool":"x"}',
    line('60.000', 'session_close').replace('10:00:60.000', '10:01:00.000'),
  ].join('\n');
  const r = await warden(['policy', 'eval', '--policy', policy], input);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(out.map((o) => [o.decision, o.rule, o.enforced]), [
    ['allow', 'tools.session_close', true],
    ['allow', 'tools.session_close', true],
    ['rate_limited', 'tools.session_close.limits[0]', false],
    ['deny', 'default', false],
    ['allow', 'tools.session_close', true],
  ]);
  assert.deepEqual(out[0], {
    ts: '2026-11-25T10:00:00.000Z', agent: 'a1', tool: 'session_close', args: { id: 1 }, session: 's1',
    decision: 'allow', rule: 'tools.session_close', reason: 'allowed by policy', risk: 'write', enforced: true,
    limit: { counter: 'session_close_rate', count: 1, max: 2, windowS: 60 },
  });
  assert.deepEqual(out[2]?.limit, { counter: 'session_close_rate', count: 2, max: 2, windowS: 60, retryAfterMs: 58000 });
  assert.match(out[2]?.reason as string, /^rate limited: 2 calls per minute per agent \(counter session_close_rate\); retry in 58s$/);
  const errors = r.stderr.trim().split('\n');
  assert.match(errors[0] as string, /^warden: line 2: not valid JSON/);
  assert.equal(errors[1], 'warden: line 4: missing "tool" (a non-empty string); skipped');
  assert.equal(errors[2], 'warden: line 8: "ts" is not a valid time: "yesterday"; skipped');
  assert.match(errors[3] as string, /evaluated 5 calls in audit mode \(allow 3, deny 1, rate_limited 1\); 3 bad lines skipped/);
});

test('eval: --mode enforce changes only "enforced", never a decision', async () => {
  const policy = file('props.json', JSON.stringify((await import('../../helpers/random-calls.js')).PROPERTY_POLICY));
  const input = randomCalls(5, 3000).map((c) => JSON.stringify({ ...c, ts: new Date(c.tsMs).toISOString(), tsMs: undefined })).join('\n') + '\n';
  const [audit, enforce] = await Promise.all([
    warden(['policy', 'eval', '--policy', policy, '--mode', 'audit'], input),
    warden(['policy', 'eval', '--policy', policy, '--mode', 'enforce'], input),
  ]);
  assert.equal(audit.code, 0, audit.stderr);
  assert.equal(enforce.code, 0, enforce.stderr);
  const a = audit.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const e = enforce.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(a.length, 3000);
  assert.deepEqual(a.map(({ enforced: _x, ...rest }) => rest), e.map(({ enforced: _x, ...rest }) => rest));
  assert.ok(e.every((o) => o.enforced === true));
  assert.ok(a.every((o) => o.enforced === (o.decision === 'allow')));
  assert.ok(a.some((o) => o.decision === 'rate_limited'));
});

test('eval: an invalid policy exits 1 and evaluates nothing', async () => {
  const policy = file('invalid.json', '{"version":"1"}');
  const r = await warden(['policy', 'eval', '--policy', policy], '{"ts":0,"agent":"a","tool":"t"}\n');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /\ndefault: is required\n/);
});

test('schema: writes the generated JSON Schema; --check fails on a stale file', async () => {
  const out = join(dir, 'policy.schema.json');
  assert.equal((await warden(['policy', 'schema', '--out', out])).code, 0);
  assert.equal(readFileSync(out, 'utf8'), readFileSync(join(ROOT, 'policy.schema.json'), 'utf8'));
  assert.equal((await warden(['policy', 'schema', '--check', '--out', out])).code, 0);
  writeFileSync(out, '{}\n');
  const stale = await warden(['policy', 'schema', '--check', '--out', out]);
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /is out of date\nhint: run `warden policy schema/);
});

test('policy check --json: the summary for a valid file, every problem for an invalid one (exit 1)', async () => {
  const good = await warden(['policy', 'check', '--json', file('json-good.json', JSON.stringify({ version: '1', default: 'deny', tools: { a: {} } }))]);
  assert.equal(good.code, 0, good.stderr);
  const report = JSON.parse(good.stdout) as { ok: boolean; default: string; summary: { tools: number }; hash: string };
  assert.deepEqual([report.ok, report.default, report.summary.tools, report.hash.length], [true, 'deny', 1, 64]);
  const bad = await warden(['policy', 'check', '--json', file('json-bad.json', JSON.stringify({ version: '1', default: 'maybe', tools: { a: { limits: [{ counter: 'c', window: 'fortnight', max: -1 }] } } }))]);
  assert.equal(bad.code, 1);
  const problems = (JSON.parse(bad.stdout) as { ok: boolean; problems: Array<{ path: string }> }).problems.map((p) => p.path);
  assert.ok(problems.includes('default') && problems.some((p) => p.startsWith('tools.a.limits[0]')), problems.join(', '));
});
