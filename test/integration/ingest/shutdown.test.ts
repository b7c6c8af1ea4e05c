// A real `warden serve` child process: it holds the store's lock while running, and on
// SIGTERM stops accepting, writes every accepted span, and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ChdbDriver, qualified } from '../../../src/storage/index.js';
import { assertExported, toolCallSpans } from './serve-helpers.js';

test('SIGTERM flushes accepted spans; a second process meanwhile gets the lock error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-shutdown-'));
  const child = spawn(process.execPath, ['src/cli/bin.js', 'serve', '--store', dir, '--listen', '127.0.0.1:0', '--flush-interval', '60s'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) resolve(match[1] as string);
      });
      void exited.then((code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
    });

    const second = spawnSync(process.execPath, ['src/cli/bin.js', 'migrate', '--store', dir], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(second.status, 1);
    assert.match(second.stderr, new RegExp(`is in use by another process \\(pid ${child.pid}: .*serve`));
    assert.match(second.stderr, /lock file .*\/status/);

    const exporter = new OTLPTraceExporter({ url: `${url}/v1/traces` });
    await assertExported(exporter, await toolCallSpans('agent-shutdown', 50));
    await exporter.shutdown();
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /warden_ingest_queue_rows 50\n/, 'still queued: only the shutdown flush can write them');

    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    const store = await ChdbDriver.open({ path: dir, database: 'warden' });
    try {
      const [row] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${qualified('warden', 'tool_calls')} FINAL WHERE agent = 'agent-shutdown'`);
      assert.equal(row?.n, 50);
    } finally {
      await store.close();
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
