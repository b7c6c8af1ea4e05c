// The serve side of approvals through the real HTTP API on a real embedded store: register,
// long-poll, decide (once), expire, survive a restart, notify the alert targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../../../src/core/index.js';
import { startWebhookReceiver } from '../../../src/cli/demo/webhook-receiver.js';
import { startTestServe } from '../ingest/serve-helpers.js';
import { testDataDir, uniqueDatabase } from '../../helpers/store.js';
import { tempDir } from '../../helpers/temp.js';

const API_TOKEN = 'proxy-token-123';
const ALICE_TOKEN = 'alice-secret-456';

function operatorsFile(): string {
  const dir = tempDir('ops');
  const file = join(dir, 'operators.json');
  writeFileSync(file, JSON.stringify({ operators: { alice: { token_sha256: sha256Hex(ALICE_TOKEN) } } }));
  return file;
}

interface ApprovalJson { id: string; status: string; decided_by: string; decision_reason: string; agent: string; args: string }

function api(base: string) {
  const call = async (method: string, path: string, token: string | undefined, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return {
    create: (extra: Record<string, unknown> = {}) => call('POST', '/api/v1/approvals', API_TOKEN, { agent: 'a1', tool: 'export_knowledge', session: 's1', reason: 'exports everything', args: 'sha256:abc', timeout_ms: 60_000, ...extra }),
    get: (id: string, wait?: string, token: string | undefined = API_TOKEN) => call('GET', `/api/v1/approvals/${id}${wait ? `?wait=${wait}` : ''}`, token),
    list: (status: string) => call('GET', `/api/v1/approvals?status=${status}`, API_TOKEN),
    decide: (id: string, body: unknown, token: string | undefined) => call('POST', `/api/v1/approvals/${id}/decision`, token, body),
  };
}

test('approvals: register, long-poll, decide once (409 after), 404/400/401, named decider', async () => {
  const serve = await startTestServe({ apiToken: API_TOKEN, operators: operatorsFile() });
  try {
    const a = api(serve.url);
    const created = await a.create();
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    assert.equal(created.body.status, 'pending');
    assert.deepEqual(((await a.list('pending')).body.approvals as ApprovalJson[]).map((x) => x.id), [id]);

    // A long-poll returns as soon as the decision is made, not when its wait ends.
    const started = Date.now();
    const waiting = a.get(id, '20s');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await a.decide(id, { decision: 'approve' }, undefined)).status, 401, 'no token, no decision');
    const decided = await a.decide(id, { decision: 'approve', reason: 'ok for today' }, ALICE_TOKEN);
    assert.equal(decided.status, 200);
    assert.equal(decided.body.decided_by, 'alice');
    const polled = await waiting;
    assert.equal(polled.body.status, 'approved');
    assert.ok(Date.now() - started < 5_000, 'the long-poll woke on the decision');

    const second = await a.decide(id, { decision: 'deny' }, API_TOKEN);
    assert.equal(second.status, 409);
    assert.match(JSON.stringify(second.body), /already approved \(by alice\)/);
    assert.equal((await a.get(id)).body.status, 'approved', 'the first decision stands');

    assert.equal((await a.decide('apr_000000000000000000000000', { decision: 'deny' }, API_TOKEN)).status, 404);
    assert.equal((await a.decide('nope', { decision: 'deny' }, API_TOKEN)).status, 400);
    const other = (await a.create()).body.id as string;
    for (const bad of [{ decision: 'maybe' }, {}, '{"decision":']) {
      const res = await a.decide(other, bad, API_TOKEN);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal((res.body.error as { code: string }).code, 'WARDEN_BAD_REQUEST');
    }
    assert.equal((await a.get(other)).body.status, 'pending', 'a malformed decision decides nothing');
    // Two decisions racing: exactly one wins.
    const race = await Promise.all([a.decide(other, { decision: 'approve' }, API_TOKEN), a.decide(other, { decision: 'deny' }, ALICE_TOKEN)]);
    assert.deepEqual(race.map((r) => r.status).sort(), [200, 409]);

    // Per agent and tool: two held calls, both decided (one each way or both approved, after the race).
    const stats = await fetch(`${serve.url}/api/v1/approvals/stats?from=-1h`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    const rows = ((await stats.json()) as { stats: Array<Record<string, number | string>> }).stats;
    assert.equal(rows.length, 1);
    const row = rows[0] as Record<string, number | string>;
    assert.deepEqual([row.agent, row.tool, row.requested, row.pending, row.expired], ['a1', 'export_knowledge', 2, 0, 0]);
    assert.equal(Number(row.approved) + Number(row.denied), 2);
    assert.equal(row.approval_rate, Number(row.approved) / 2);
    assert.ok(Number(row.wait_max_ms) >= 200, 'the first approval waited for the long-poll test');
  } finally {
    await serve.close();
  }
});

test('approvals: an unanswered one expires; a pending one survives a serve restart', async () => {
  const flags = { apiToken: API_TOKEN, store: testDataDir(), clickhouseDatabase: uniqueDatabase('apr') };
  let serve = await startTestServe(flags);
  let id: string;
  try {
    const a = api(serve.url);
    const short = (await a.create({ timeout_ms: 300 })).body.id as string;
    const expired = await a.get(short, '5s');
    assert.equal(expired.body.status, 'expired');
    assert.equal(expired.body.decided_by, 'timeout');
    id = (await a.create({ agent: 'restart-agent' })).body.id as string;
  } finally {
    await serve.close();
  }
  serve = await startTestServe(flags);
  try {
    const a = api(serve.url);
    const after = await a.get(id);
    assert.equal(after.body.status, 'pending');
    assert.equal(after.body.agent, 'restart-agent');
    assert.equal((await a.decide(id, { decision: 'deny', reason: 'no' }, API_TOKEN)).body.decided_by, 'api-token');
  } finally {
    await serve.close();
  }
});

test('approvals: webhook and Slack targets are told, with a console link and hostile names escaped', async () => {
  const receiver = await startWebhookReceiver();
  const dir = tempDir('alerts');
  const alertsFile = join(dir, 'alerts.yaml');
  writeFileSync(alertsFile, `targets:\n  ops: { type: webhook, url: "${receiver.url}" }\n  chat: { type: slack, url: "${receiver.url}/slack" }\n`);
  const serve = await startTestServe({ apiToken: API_TOKEN, alerts: alertsFile });
  try {
    const id = (await api(serve.url).create({ agent: '<!channel> & <http://evil|click>' })).body.id as string;
    const webhook = await receiver.waitFor((n) => (n.body as { kind?: string }).kind === 'approval_request', 5_000);
    const slack = await receiver.waitFor((n) => typeof (n.body as { text?: string }).text === 'string', 5_000);
    assert.ok(webhook && slack);
    const hook = webhook.body as { approval: { id: string; agent: string }; console_url: string; decide_url: string };
    assert.equal(hook.approval.id, id);
    assert.equal(hook.approval.agent, '<!channel> & <http://evil|click>', 'webhook JSON carries the data as data');
    assert.equal(hook.console_url, `${serve.url}/#/approvals/${id}`);
    const text = (slack.body as { text: string }).text;
    assert.ok(!text.includes('<!channel>') && !text.includes('<http://evil'), text);
    assert.match(text, /&lt;!channel&gt; &amp; &lt;http:\/\/evil\|click&gt;/);
    assert.ok(text.includes(`<${serve.url}/#/approvals/${id}|open in the console>`));
  } finally {
    await serve.close();
    await receiver.close();
  }
});

test('warden approvals list / approve / deny: the CLI decides on a running serve with the token from the environment', async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const run = promisify(execFile);
  const serve = await startTestServe({ apiToken: API_TOKEN, operators: operatorsFile() });
  const cli = (args: string[], token: string | undefined) =>
    run(process.execPath, ['src/cli/bin.js', 'approvals', ...args, '--api', serve.url], { env: { ...process.env, WARDEN_API_TOKEN: token ?? '' } })
      .then((r) => ({ code: 0, out: r.stdout, err: r.stderr }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }));
  try {
    const a = api(serve.url);
    const one = (await a.create({ agent: 'cli-agent' })).body.id as string;
    const two = (await a.create({ agent: 'cli-agent' })).body.id as string;
    const listed = await cli(['list'], API_TOKEN);
    assert.equal(listed.code, 0, listed.err);
    assert.ok(listed.out.includes(one) && listed.out.includes(two));
    const approved = await cli(['approve', one, '--reason', 'looks fine'], ALICE_TOKEN);
    assert.equal(approved.code, 0, approved.err);
    assert.match(approved.out, new RegExp(`${one}\\tapproved\\tcli-agent\\texport_knowledge\\t.*by alice: looks fine`));
    const again = await cli(['deny', one], API_TOKEN);
    assert.notEqual(again.code, 0);
    assert.match(again.err, /already approved \(by alice\)/);
    const anonymous = await cli(['deny', two], undefined);
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.err, /missing bearer token/);
    assert.equal((await a.get(two)).body.status, 'pending');
  } finally {
    await serve.close();
  }
});
