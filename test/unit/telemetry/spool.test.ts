import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger, silentLogger } from '../../../src/core/index.js';
import { DiskSpool, SpoolingOtlpExporter, createTelemetry, type CallContext, type DeliveryOutcome, ownerToken, processStart } from '../../../src/telemetry/index.js';
import { OtlpReceiver } from '../../helpers/otlp-receiver.js';
import { eventually } from '../../helpers/eventually.js';

const root = mkdtempSync(join(tmpdir(), 'warden-spool-'));
after(() => rmSync(root, { recursive: true, force: true }));

const ctx: CallContext = { agent: 'a', upstream: 'u', mode: 'audit', policyHash: 'h' };
const allow = { decision: 'allow', rule: 'default', reason: 'allowed by default', risk: 'read' } as const;

describe('disk spool', () => {
  it('writes files atomically, keeps the oldest first, and drops the oldest only past the bound, counting spans', async () => {
    const dir = join(root, 'bound');
    const warnings: string[] = [];
    const spool = new DiskSpool(dir, 250, createLogger({ write: (l) => void warnings.push(l) }));
    spool.add(new Uint8Array(100), 3);
    spool.add(new Uint8Array(100), 4);
    assert.equal(spool.dropped, 0);
    spool.add(new Uint8Array(100), 5);
    assert.equal(spool.dropped, 3);
    assert.equal(spool.pendingSpans, 9);
    assert.match(warnings.join('\n'), /dropped the oldest spans dropped=3/);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.tmp')), []);
    const claimed = await spool.claimOldest();
    assert.equal(claimed?.entry.spans, 4);
    await spool.release(claimed!);
    const reopened = new DiskSpool(dir, 250, silentLogger);
    await reopened.init();
    assert.equal(reopened.pendingSpans, 9, 'a restart finds what is waiting');
  });

  it('is private: the directory 0700 (tightened if it existed), its files 0600, whatever the umask', async () => {
    const dir = join(root, 'private');
    mkdirSync(dir, { mode: 0o755 });
    const previous = process.umask(0o000);
    try {
      const spool = new DiskSpool(dir, 10_000, silentLogger);
      spool.add(new Uint8Array(10), 1);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      for (const name of readdirSync(dir)) assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600, name);
    } finally {
      process.umask(previous);
    }
  });

  it('releases claims left by a dead process on start', async () => {
    const dir = join(root, 'claims');
    const spool = new DiskSpool(dir, 1000, silentLogger);
    spool.add(new Uint8Array(10), 2);
    const [name] = readdirSync(dir);
    rmSync(join(dir, name as string));
    writeFileSync(join(dir, `${name}.claim-999999999`), new Uint8Array(10));
    const reopened = new DiskSpool(dir, 1000, silentLogger);
    await reopened.init();
    assert.equal(reopened.pendingSpans, 2);
  });

  it("releases a dead process's claim even when its pid now belongs to a live process, and keeps a live owner's claim", async (t) => {
    // A live process stands in for both: the proxy that claimed a file and is still sending it,
    // and (with another start time) an unrelated process that got a dead proxy's pid.
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    t.after(() => live.kill('SIGKILL'));
    const pid = live.pid as number;
    const start = processStart(pid);
    if (start === undefined) assert.fail('this test needs /proc (Linux)');
    const dir = join(root, 'reused-pid');
    mkdirSync(dir, { recursive: true });
    const stale = `000000000000001-${pid}.1-000000-3.otlp`;
    const sending = `000000000000002-${pid}.${start}-000001-4.otlp`;
    writeFileSync(join(dir, `${stale}.claim-${pid}.${Number(start) - 1}`), new Uint8Array(10));
    writeFileSync(join(dir, `${sending}.claim-${ownerToken(pid)}`), new Uint8Array(10));
    const spool = new DiskSpool(dir, 1000, silentLogger);
    await spool.init();
    assert.deepEqual(readdirSync(dir).sort(), [stale, `${sending}.claim-${pid}.${start}`]);
    const claimed = await spool.claimOldest();
    assert.equal(claimed?.entry.name, stale, 'the released file is delivered');
    assert.equal(await spool.claimOldest(), undefined, "the live owner's file is not sent twice");
  });
});

describe('spooling OTLP export (real OTel SDK, OTLP/HTTP protobuf to a real receiver)', () => {
  it('spools while the endpoint is down and delivers every span exactly once when it returns', async () => {
    const receiver = await OtlpReceiver.start();
    await receiver.down();
    const spoolDir = join(root, 'deliver');
    const { recorder, spool } = createTelemetry({
      recordArgs: 'hash', logger: silentLogger, tracesUrl: `${receiver.url}/v1/traces`, spoolDir,
      scheduledDelayMillis: 50, retryIntervalMs: 200,
    });
    try {
      for (let i = 0; i < 5; i++) recorder.toolCall(ctx, { tool: `t${i}`, requestId: i, args: { i }, decision: allow, enforced: true }).end();
      await recorder.forceFlush();
      assert.equal(spool?.pendingSpans, 5, 'all five spans are on disk');
      assert.equal(receiver.spans.length, 0);

      await receiver.up();
      await eventually('spans at the receiver', () => receiver.spans.length >= 5, { detail: () => receiver.describe() });
      for (let i = 5; i < 8; i++) recorder.toolCall(ctx, { tool: `t${i}`, requestId: i, args: { i }, decision: allow, enforced: true }).end();
      await recorder.forceFlush();
      await eventually('spans at the receiver', () => receiver.spans.length >= 8, { detail: () => receiver.describe() });
      await new Promise((r) => setTimeout(r, 300));
      const ids = receiver.spans.map((s) => s.spanId);
      assert.equal(ids.length, 8);
      assert.equal(new Set(ids).size, 8, 'no span delivered twice');
      assert.deepEqual(receiver.spans.map((s) => s.name).sort(), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `tools/call t${i}`));
      assert.equal(spool?.pendingFiles, 0);
      assert.deepEqual(readdirSync(spoolDir), [], 'delivered files are removed');
      assert.equal(receiver.spans[0]?.resource['service.name'], 'warden-proxy');
    } finally {
      await recorder.shutdown();
      await receiver.down();
    }
  });

  it('drops a batch the endpoint refuses as malformed (400) with a warning, instead of spooling it forever', async () => {
    const server = createServer((req, res) => req.resume().on('end', () => res.writeHead(400).end('bad request')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const spoolDir = join(root, 'rejected');
    const lines: string[] = [];
    const { recorder, spool } = createTelemetry({
      recordArgs: 'hash', logger: createLogger({ write: (l) => void lines.push(l) }), spoolDir, scheduledDelayMillis: 50,
      tracesUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    });
    try {
      recorder.toolCall(ctx, { tool: 't', requestId: 1, args: {}, decision: allow, enforced: true }).end();
      await recorder.forceFlush();
      assert.equal(spool?.pendingSpans, 0);
      assert.match(lines.join('\n'), /rejected spans; dropping them spans=1/);
    } finally {
      await recorder.shutdown();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('spooling exporter and a slow endpoint', () => {
  it('keeps at most maxLiveInFlight batches on their way; the rest go through the spool and each is delivered once', async () => {
    const dir = join(root, 'slow');
    const spool = new DiskSpool(dir, 1_000_000, silentLogger);
    const open: { body: string; live: boolean; answer: (o: DeliveryOutcome) => void }[] = [];
    const delivered: { body: string; live: boolean }[] = [];
    let mostLiveOpen = 0;
    const exporter = new SpoolingOtlpExporter({
      spool, retryIntervalMs: 60_000, maxLiveInFlight: 2, logger: silentLogger,
      deliver: (body, live) => new Promise((answer) => {
        open.push({ body: Buffer.from(body).toString(), live, answer });
        mostLiveOpen = Math.max(mostLiveOpen, open.filter((c) => c.live).length);
      }),
    });
    exporter.start();
    for (let i = 0; i < 5; i++) exporter.exportBody(Buffer.from(`batch ${i}`), 1);
    assert.deepEqual(open.map((c) => [c.body, c.live]), [['batch 0', true], ['batch 1', true]], 'two go out live at once');
    assert.equal(spool.pendingFiles, 5, 'every batch is on disk the moment it is handed over, live ones too');
    assert.equal(spool.queuedFiles, 3, 'three wait for the drain');
    while (delivered.length < 5) {
      await eventually('a delivery in flight', () => open.length > 0, { intervalMs: 5 });
      const call = open.shift()!; // the slow endpoint answers one request at a time
      delivered.push({ body: call.body, live: call.live });
      call.answer('delivered');
    }
    await eventually('an empty spool', () => spool.pendingFiles === 0, { intervalMs: 5 });
    await exporter.shutdown();
    assert.equal(mostLiveOpen, 2, 'never more than two live batches on their way');
    assert.deepEqual(delivered.map((d) => d.body).sort(), [0, 1, 2, 3, 4].map((i) => `batch ${i}`), 'each batch delivered once');
    assert.deepEqual(delivered.filter((d) => !d.live).map((d) => d.body).sort(), ['batch 2', 'batch 3', 'batch 4'], 'the rest came from the spool');
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(open.length, 0, 'nothing was sent twice');
  });
});
