// Runs the README's workflow block literally, line by line, in a scratch directory with
// `warden` on PATH (as `npm link` would put it), so the README cannot drift from the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from '../helpers/eventually.js';

const REPO = resolve(import.meta.dirname, '../..');
const API = 'http://127.0.0.1:4318';

function workflowLines(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const block = /```sh workflow\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README.md has a ```sh workflow block');
  return block.split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('#'));
}

function scratchDir(): { cwd: string; env: NodeJS.ProcessEnv } {
  const cwd = mkdtempSync(join(tmpdir(), 'warden-readme-'));
  for (const name of ['examples', 'node_modules']) symlinkSync(join(REPO, name), join(cwd, name));
  const bin = join(cwd, '.bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'warden'), `#!/bin/sh\nexec "${process.execPath}" "${join(REPO, 'src/cli/bin.js')}" "$@"\n`);
  chmodSync(join(bin, 'warden'), 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
  for (const name of ['CLICKHOUSE_URL', 'WARDEN_STORE', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'WARDEN_API_TOKEN']) delete env[name];
  return { cwd, env };
}

async function getJson(path: string): Promise<unknown> {
  const res = await fetch(API + path);
  assert.equal(res.status, 200, `GET ${path}`);
  return res.json();
}


/** Every span the receiver accepted has been written (the writer batches for up to a second). */
async function drained(): Promise<boolean> {
  const metrics = await (await fetch(`${API}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? NaN);
  return value('warden_ingest_queue_rows') === 0 && value('warden_ingest_spans_accepted_total') === value('warden_ingest_rows_written_total');
}

test('the README workflow runs as written: serve, audit, suggest, simulate, check, enforce', { timeout: 240_000 }, async () => {
  const { cwd, env } = scratchDir();
  let serve: ChildProcess | undefined;
  const outputs: string[] = [];
  try {
    for (const line of workflowLines()) {
      if (line.endsWith('&')) {
        serve = spawn('bash', ['-c', `exec ${line.slice(0, -1)}`], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
        await eventually(`${line} to be ready`, async () => (await fetch(`${API}/readyz`)).status === 200, { timeoutMs: 30_000, intervalMs: 200 });
        continue;
      }
      const run = spawnSync('bash', ['-c', line], { cwd, env, encoding: 'utf8', timeout: 90_000 });
      assert.equal(run.status, 0, `README line failed: ${line}\n${run.stdout}\n${run.stderr}`);
      outputs.push(run.stdout);
      await eventually('the receiver to drain', drained, { timeoutMs: 30_000, intervalMs: 200 });
    }
    const anomalies = outputs.find((o) => o.includes('"anomalies"'));
    assert.match(anomalies ?? '', /"type":"lifecycle_violation"[^}]*"agent":"runaway"|"agent":"runaway"[^}]*"type":"lifecycle_violation"/);
    const suggested = JSON.parse(readFileSync(join(cwd, 'policy.suggested.json'), 'utf8')) as { default: string; tools: Record<string, unknown> };
    assert.equal(suggested.default, 'deny');
    assert.ok('session_close' in suggested.tools && !('doctor' in suggested.tools), 'used tools allowed, unused ones not');

    // The enforce run at the end used the suggested policy: the researcher was refused nothing.
    const { agents } = (await getJson('/api/v1/agents?from=-1h')) as { agents: Array<{ agent: string; calls: number; denied: number }> };
    const researcher = agents.find((a) => a.agent === 'researcher');
    assert.ok(researcher && researcher.calls >= 12, 'both researcher runs were recorded');
    assert.equal(researcher.denied, 0);
    assert.ok(existsSync(join(cwd, '.warden/data')), 'serve created the default store');
  } finally {
    serve?.kill('SIGTERM');
    if (serve && serve.exitCode === null) await new Promise((r) => serve?.once('exit', r));
    rmSync(cwd, { recursive: true, force: true });
  }
});
