import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { silentLogger } from '../../../src/core/index.js';
import { PolicyState } from '../../../src/proxy/index.js';
import { describe, it } from 'node:test';
import { createTotalRecallServer } from '../../../examples/total-recall/index.js';
import { EVENT_POLICY_RELOAD_REJECTED, EVENT_POLICY_RELOADED, createTelemetry } from '../../../src/telemetry/index.js';
import { startHarness } from '../../helpers/proxy-harness.js';
import { eventually } from '../../helpers/eventually.js';
import { tempDir } from '../../helpers/temp.js';

const allowDoctor = JSON.stringify({ version: '1', default: 'allow', mode: 'enforce' });
const denyDoctor = JSON.stringify({ version: '1', default: 'allow', mode: 'enforce', tools: { doctor: { action: 'deny', reason: 'repairs are run by operators' } } });

describe('policy reload', () => {
  it('applies a good policy, rejects a bad one and keeps the old, with span events', async () => {
    const h = await startHarness({ upstream: createTotalRecallServer(), agentId: 'a', policyText: allowDoctor });
    try {
      assert.equal((await h.client.callTool({ name: 'doctor', arguments: {} })).isError, undefined);
      const firstHash = h.policy.hash;
      writeFileSync(h.policyFile as string, denyDoctor);
      const good = await h.policy.reload('SIGHUP');
      assert.ok(good.ok && good.value.changed);
      assert.notEqual(h.policy.hash, firstHash);
      assert.equal((await h.client.callTool({ name: 'doctor', arguments: {} })).isError, true);

      writeFileSync(h.policyFile as string, '{"version": "1", "default": "sometimes"}');
      const bad = await h.policy.reload('SIGHUP');
      assert.equal(bad.ok, false);
      assert.match(bad.ok ? '' : bad.error, /default/);
      assert.equal((await h.client.callTool({ name: 'doctor', arguments: {} })).isError, true, 'the previous policy stays');

      const reloads = (await h.spans()).filter((s) => s.name === 'warden.policy.reload');
      assert.deepEqual(reloads.map((s) => s.events[0]?.name), [EVENT_POLICY_RELOADED, EVENT_POLICY_RELOAD_REJECTED]);
      assert.match(String(reloads[1]?.events[0]?.attributes?.['warden.reload.reason']), /default/);
      const doctorHashes = (await h.spans()).filter((s) => s.name === 'tools/call doctor').map((s) => s.attributes['warden.policy.hash']);
      assert.deepEqual(doctorHashes, [firstHash, h.policy.hash, h.policy.hash]);
    } finally {
      await h.close();
    }
  });

  it('reloads when the file changes on disk', async () => {
    const h = await startHarness({ upstream: createTotalRecallServer(), agentId: 'a', policyText: allowDoctor });
    const stop = h.policy.watch(20);
    try {
      const before = h.policy.hash;
      await new Promise((r) => setTimeout(r, 50));
      writeFileSync(h.policyFile as string, denyDoctor);
      await eventually('the policy to reload', () => h.policy.hash !== before, { timeoutMs: 5_000 });
      assert.equal((await h.client.callTool({ name: 'doctor', arguments: {} })).isError, true);
    } finally {
      stop();
      await h.close();
    }
  });

  it('never applies a half-written file: a YAML prefix that parses while the writer is still at it is not loaded', async () => {
    const full = 'version: "1"\ndefault: allow\nmode: enforce\ntools:\n  doctor: { action: deny, reason: no }\n  sync: { action: deny, reason: no }\n';
    const prefix = full.slice(0, full.indexOf('  sync:')); // valid YAML, one denial fewer
    const file = join(tempDir('reload'), 'policy.yaml');
    writeFileSync(file, 'version: "1"\ndefault: allow\n');
    const state = await PolicyState.load({ file, modeOverride: undefined, recorder: createTelemetry({ recordArgs: 'hash', logger: silentLogger, exporter: new InMemorySpanExporter() }).recorder, logger: silentLogger });
    const decide = (tool: string) => state.engine.decide({ tsMs: 0, agent: 'a', tool }).decision;
    writeFileSync(file, prefix);
    const reading = state.reload('file change');
    await new Promise((r) => setTimeout(r, 15));
    writeFileSync(file, full);
    await reading;
    assert.equal(decide('doctor'), 'allow', 'the prefix never became the policy');
    const settled = await state.reload('file change');
    assert.ok(settled.ok && settled.value.changed);
    assert.deepEqual([decide('doctor'), decide('sync')], ['deny', 'deny'], 'the whole file is applied once it is still');
  });
});
