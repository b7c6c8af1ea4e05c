import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger, silentLogger } from '../../../src/core/index.js';
import { DiskSpool, SpoolingOtlpExporter, type DeliveryOutcome, ownerToken } from '../../../src/telemetry/index.js';
import { eventually } from '../../helpers/eventually.js';

const root = mkdtempSync(join(tmpdir(), 'warden-spool-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** An exporter whose endpoint answers each send when the test says so. */
function exporterWith(spool: DiskSpool, logger = silentLogger) {
  const open: { body: string; live: boolean; answer: (o: DeliveryOutcome) => void }[] = [];
  const exporter = new SpoolingOtlpExporter({
    spool, retryIntervalMs: 60_000, logger,
    deliver: (body, live) => new Promise((answer) => open.push({ body: Buffer.from(body).toString(), live, answer })),
  });
  return { exporter, open };
}

describe('spooling exporter: a batch is on disk from the moment it is handed over', () => {
  it('claims the file of a live send, removes it on 2xx and on 400, and puts it back in the queue on a failure', async () => {
    const dir = join(root, 'live');
    const spool = new DiskSpool(dir, 1_000_000, silentLogger);
    const { exporter, open } = exporterWith(spool);
    for (const name of ['ok', 'bad', 'down']) exporter.exportBody(Buffer.from(name), 1);
    const files = () => readdirSync(dir).map((n) => n.replace(/^\d+-[\d.]+-/, '')).sort();
    const claimed = (seq: number) => `00000${seq}-1.otlp.claim-${ownerToken()}`;
    assert.deepEqual(files(), [claimed(0), claimed(1), claimed(2)], 'three claimed files before any answer');
    open[2]!.answer('retry');
    await eventually('a failed send back in the queue', () => files().includes('000002-1.otlp'), { intervalMs: 5 });
    assert.deepEqual(files(), [claimed(0), claimed(1), '000002-1.otlp']);
    assert.equal(spool.queuedFiles, 1);
    open[1]!.answer('rejected');
    await eventually('a body refused as malformed not kept', () => files().length === 2, { intervalMs: 5 });
    assert.deepEqual(files(), [claimed(0), '000002-1.otlp']);
    open[0]!.answer('delivered');
    // The endpoint took a batch: the queue is offered again, oldest first.
    await eventually('the queued batch offered again', () => open.length === 4, { intervalMs: 5 });
    assert.deepEqual([open[3]!.body, open[3]!.live], ['down', false]);
    open[3]!.answer('delivered');
    await eventually('an empty spool', () => readdirSync(dir).length === 0, { intervalMs: 5 });
    await exporter.shutdown();
  });

  it('a restart releases the claims of a dead process (or of an earlier process with its pid) and removes its half-written files', async () => {
    const dir = join(root, 'restart');
    const first = new DiskSpool(dir, 1_000_000, silentLogger);
    first.add(Buffer.from('sent, no answer yet'), 4, true);
    first.add(Buffer.from('waiting'), 2);
    writeFileSync(join(dir, '.tmp-000000000000001-999999999-000000-7.otlp'), 'torn');
    writeFileSync(join(dir, '000000000000002-999999999-000001-3.otlp.claim-999999999'), 'claimed by a dead process');
    const restarted = new DiskSpool(dir, 1_000_000, silentLogger);
    await restarted.init();
    assert.equal(restarted.pendingSpans, 4 + 2 + 3, 'every batch not acknowledged is queued again');
    assert.equal(restarted.queuedFiles, 3);
    assert.ok(!readdirSync(dir).some((n) => n.startsWith('.tmp-') || n.includes('.claim-')), readdirSync(dir).join(', '));
  });

  it('sends a batch live, with a warning, when the spool cannot be written', async () => {
    const file = join(root, 'not-a-directory');
    writeFileSync(file, '');
    const lines: string[] = [];
    const { exporter, open } = exporterWith(new DiskSpool(join(file, 'spool'), 1_000_000, silentLogger), createLogger({ write: (l) => void lines.push(l) }));
    exporter.exportBody(Buffer.from('batch'), 1);
    await eventually('the live send', () => open.length === 1, { intervalMs: 5 });
    open[0]!.answer('delivered');
    await exporter.forceFlush();
    assert.match(lines.join('\n'), /could not write spans to the spool; sending them without a copy on disk/);
    await exporter.shutdown();
  });
});
