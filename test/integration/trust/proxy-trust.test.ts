// Trust rules 1, 2, 3 and 5 against the real `warden proxy` process, with a byte-level agent
// (raw lines on its stdin) and a byte-level upstream that logs exactly what it receives.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OtlpReceiver } from '../../helpers/otlp-receiver.js';
import { INIT, INITIALIZED, call, startRawAgent, type RawAgent } from '../../helpers/raw-agent.js';
import { eventually } from '../../helpers/eventually.js';

const POLICY = { version: '1', default: 'allow', mode: 'enforce', tools: { danger: { action: 'deny', reason: 'never' } } };
let receiver: OtlpReceiver;
before(async () => {
  receiver = await OtlpReceiver.start();
});
after(async () => {
  await receiver.down();
});

async function session(agentName: string, args: string[] = [], env: Record<string, string> = {}): Promise<RawAgent> {
  const agent = startRawAgent({ policy: POLICY, otlp: receiver.url, args, env });
  agent.send(INIT(agentName));
  await agent.reply('init');
  agent.send(INITIALIZED);
  return agent;
}

const spansOf = (agent: string) => receiver.spans.filter((s) => s.attributes['gen_ai.agent.id'] === agent);
const toolCallsUpstream = (a: RawAgent) => a.upstreamLines().filter((l) => l.includes('"tools/call"'));

test('one reading: duplicate, case-folded and NFKC-folded keys anywhere are refused, recorded and never forwarded', async () => {
  const a = await session('dup-agent');
  try {
    const hostile = [
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"danger","arguments":{},"name":"safe"}}',
      '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"safe","Name":"danger","arguments":{}}}',
      '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"ｎａｍｅ":"danger","name":"safe","arguments":{}}}',
      '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"safe","arguments":{"path":"/tmp","Path":"/etc"}}}',
      '{"jsonrpc":"2.0","id":5,"method":"tools/call","method":"tools/call","params":{"name":"safe","arguments":{}}}',
      '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"na\\u006de":"danger","name":"safe","arguments":{}}}',
    ];
    for (const line of hostile) a.send(line);
    for (let id = 1; id <= hostile.length; id++) {
      const reply = await a.reply(id);
      assert.equal(reply.error?.code, -32600, JSON.stringify(reply));
      assert.match(reply.error?.message ?? '', /duplicate key/);
    }
    a.send(call(7, 'safe'));
    assert.equal((await a.reply(7)).result?.content?.[0]?.text, 'ran safe');
    const forwarded = toolCallsUpstream(a);
    assert.equal(forwarded.length, 1, forwarded.join('\n'));
    assert.deepEqual(JSON.parse(forwarded[0] as string).params, { name: 'safe', arguments: {} });
    await eventually('spans at the receiver', () => spansOf('dup-agent').filter((s) => s.name.startsWith('tools/call')).length >= 7, { detail: () => receiver.describe() });
    const refused = spansOf('dup-agent').filter((s) => s.attributes['warden.rule'] === 'protocol');
    assert.equal(refused.length, 6);
    for (const s of refused) {
      assert.equal(s.attributes['warden.decision'], 'deny');
      assert.equal(s.attributes['warden.enforced'], 'true');
      assert.match(s.attributes['warden.reason'] ?? '', /duplicate key/);
    }
  } finally {
    await a.close();
  }
});

test('one call per id: a reused in-flight id and a tools/call notification are refused, recorded, not forwarded', async () => {
  const a = await session('id-agent');
  try {
    a.send(call(10, 'slow'));
    a.send(call(10, 'danger'));
    const second = await a.reply(10);
    assert.match(second.error?.message ?? '', /request id 10 already in flight/);
    a.send(call('10', 'danger'));
    assert.match((await a.reply('10')).error?.message ?? '', /request id "10" already in flight/, '"10" and 10 are one id to a lenient server');
    a.send('{"jsonrpc":"2.0","method":"tools/call","params":{"name":"safe","arguments":{}}}');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(toolCallsUpstream(a).length, 1, 'only the first id-10 call and no notification went upstream');
    await eventually('spans at the receiver', () => spansOf('id-agent').filter((s) => s.name.startsWith('tools/call')).length >= 4, { detail: () => receiver.describe() });
    const calls = spansOf('id-agent').filter((s) => s.name.startsWith('tools/call'));
    const forwarded = calls.filter((s) => s.attributes['warden.decision'] === 'allow');
    assert.equal(forwarded.length, toolCallsUpstream(a).length, 'spans allowed == calls the upstream received');
    assert.deepEqual(calls.filter((s) => s.attributes['warden.rule'] === 'protocol').map((s) => s.attributes['warden.reason']).sort(),
      ['request id "10" already in flight', 'request id 10 already in flight', 'tools/call without an id']);
  } finally {
    await a.close();
  }
});

test('identity is fixed: a second initialize is refused and the first identity stays', async () => {
  const a = await session('alice');
  try {
    a.send(INIT('bob', 'init-2'));
    assert.match((await a.reply('init-2')).error?.message ?? '', /session already initialized/);
    a.send(call(20, 'safe'));
    await a.reply(20);
    await eventually('spans at the receiver', () => spansOf('alice').some((s) => s.name === 'tools/call safe'), { detail: () => receiver.describe() });
    assert.equal(spansOf('bob').filter((s) => s.name.startsWith('tools/call')).length, 0);
    assert.equal(a.upstreamLines().filter((l) => l.includes('"initialize"')).length, 1);
    assert.ok(spansOf('alice').some((s) => s.name === 'initialize' && s.attributes['warden.reason'] === 'session already initialized'));
  } finally {
    await a.close();
  }
});

test('the wrapped server does not inherit WARDEN_* or OTEL_* secrets, except what --pass-env names', async () => {
  const a = await session('env-agent', ['--pass-env', 'WARDEN_FOR_SERVER'], {
    WARDEN_API_TOKEN: 'secret-1', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer secret-2', WARDEN_UPSTREAM_BEARER: 'secret-3',
    WARDEN_FOR_SERVER: 'handed-on', UNRELATED_VAR: 'kept',
  });
  try {
    const names = (a.upstreamStarts()[0] ?? '').split(' ')[2]?.split(',') ?? [];
    assert.ok(names.includes('UNRELATED_VAR') && names.includes('WARDEN_FOR_SERVER') && names.includes('PATH'));
    for (const secret of ['WARDEN_API_TOKEN', 'OTEL_EXPORTER_OTLP_HEADERS', 'WARDEN_UPSTREAM_BEARER']) assert.ok(!names.includes(secret), secret);
  } finally {
    await a.close();
  }
});
