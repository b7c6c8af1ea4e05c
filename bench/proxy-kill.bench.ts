// What a `warden proxy` killed with SIGKILL loses (trust rule 6: at most the spans of its last
// export interval). A real proxy in front of the example server, with --spool, sends spans to a
// real `warden serve` child; an MCP client calls a tool in a loop; the proxy is SIGKILLed after a
// few seconds. The next run's proxy starts on the same spool (and a last one after the runs), so
// what a killed proxy had on disk is delivered, as a restarted proxy would. Lost = calls answered
// to the client − calls stored (tool_calls FINAL). Repeated.
// Usage: node --import tsx bench/proxy-kill.bench.ts [--runs 5] [--seconds 3]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ChdbDriver, Tables, qualified } from '../src/storage/index.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const RUNS = option('--runs', 5);
const SECONDS = option('--seconds', 3);
const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
const SERVER = fileURLToPath(new URL('../examples/total-recall-server.ts', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'warden-bench-proxy-kill-'));
const store = join(work, 'store');
const spool = join(work, 'spool');

const serve = spawn(process.execPath, [BIN, 'serve', '--store', store, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve) => {
  let out = '';
  serve.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1] as string);
  });
});

async function connect(agent: string): Promise<{ client: Client; transport: StdioClientTransport }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'proxy', '--agent', agent, '--otlp', url, '--spool', spool, '--', process.execPath, '--import', 'tsx', SERVER],
    env: { ...(process.env as Record<string, string>), WARDEN_LOG_LEVEL: 'error' },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'kill-bench', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

const results: Array<{ agent: string; calls: number; seconds: number }> = [];
for (let run = 0; run < RUNS; run++) {
  const agent = `kill-${run}`;
  const { client, transport } = await connect(agent);
  let calls = 0;
  const started = performance.now();
  while (performance.now() - started < SECONDS * 1000) {
    await client.callTool({ name: 'task_list', arguments: {} });
    calls += 1;
  }
  process.kill(transport.pid as number, 'SIGKILL');
  results.push({ agent, calls, seconds: (performance.now() - started) / 1000 });
  await client.close().catch(() => undefined);
}
// A last proxy on the same spool delivers what the last killed one left, then stops cleanly.
const last = await connect('drain');
while (readdirSync(spool).some((name) => name.includes('.otlp'))) await sleep(100);
await last.client.close();
await sleep(1500);
serve.kill('SIGTERM');
await new Promise((resolve) => serve.once('exit', resolve));

const db = await ChdbDriver.open({ path: store, database: 'warden' });
console.log(`\n| run | calls answered | calls/s | stored | lost | lost as ms of calls |`);
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of results) {
  const [row] = await db.query<{ n: number }>(`SELECT count() AS n FROM ${qualified('warden', Tables.TOOL_CALLS)} FINAL WHERE agent = {a:String}`, { params: { a: r.agent } });
  const stored = row?.n ?? 0;
  const rate = r.calls / r.seconds;
  console.log(`| ${r.agent} | ${r.calls} | ${Math.round(rate)} | ${stored} | ${r.calls - stored} | ${Math.round(((r.calls - stored) / rate) * 1000)} |`);
}
await db.close();
rmSync(work, { recursive: true, force: true });
