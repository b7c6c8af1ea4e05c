import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/core/index.js';
import { RecordingDecisionRecorder, type CallContext, type RecordSink, type TelemetryRecord } from '../../../src/telemetry/index.js';

const allow = { decision: 'allow', rule: 'default', reason: 'allowed by default', risk: 'read' } as const;

function collecting(): RecordSink & { records: TelemetryRecord[] } {
  const records: TelemetryRecord[] = [];
  return { records, write: (r) => void records.push(r), forceFlush: async () => {}, shutdown: async () => {} };
}

describe('RecordingDecisionRecorder', () => {
  it('records a call as the session was when it came in, with its start and end times, when it ends', () => {
    const sink = collecting();
    const recorder = new RecordingDecisionRecorder(sink, createLogger({ level: 'silent' }));
    const ctx: CallContext = { agent: 'a1', upstream: 'srv', mode: 'audit', policyHash: 'h1' };
    const before = performance.timeOrigin + performance.now();
    const open = recorder.toolCall(ctx, { tool: 'forget', requestId: 7, args: { id: 1 }, decision: allow, enforced: false });
    ctx.policyHash = 'h2'; // a reload while the call is in flight
    ctx.mode = 'enforce';
    assert.equal(sink.records.length, 0, 'nothing is recorded before the call ends');
    open.end({ errorType: 'tool_error', message: 'no such id' });
    const after = performance.timeOrigin + performance.now();
    const [record] = sink.records;
    assert.equal(record?.kind, 'call');
    if (record?.kind !== 'call') return;
    assert.deepEqual(record.ctx, { agent: 'a1', upstream: 'srv', mode: 'audit', policyHash: 'h1' });
    assert.equal(record.call.tool, 'forget');
    assert.deepEqual(record.outcome, { errorType: 'tool_error', message: 'no such id' });
    assert.ok(before <= record.startTime && record.startTime <= record.endTime && record.endTime <= after);
  });

  it('never throws into the proxy when the sink fails, and says so once', () => {
    const lines: string[] = [];
    const failing: RecordSink = { write: () => { throw new Error('disk on fire'); }, forceFlush: async () => {}, shutdown: async () => {} };
    const recorder = new RecordingDecisionRecorder(failing, createLogger({ write: (l) => void lines.push(l) }));
    const ctx: CallContext = { agent: 'a1', upstream: 'srv', mode: 'audit', policyHash: 'h1' };
    for (let i = 0; i < 3; i++) recorder.toolCall(ctx, { tool: 't', requestId: i, args: {}, decision: allow, enforced: false }).end();
    recorder.toolsList(ctx, 9).end([{ name: 't', risk: 'read' }]);
    recorder.policyReload({ ok: false, source: 'SIGHUP', reason: 'bad' });
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /telemetry failed.*disk on fire/);
  });
});
