// Trust rule 6 on the proxy side, attacked the way a crash would: a real `warden proxy` (real
// OTel SDK pipeline, --spool) in front of the example server streams tools/call spans through a
// slow forwarder (each OTLP request held 30–250 ms, so batches are on their way most of the time)
// into a real `warden serve`. The proxy is SIGKILLed at random moments while a batch is in
// flight and restarted on the same spool directory, several times. With a batch of B spans and
// no timer (OTEL_BSP_SCHEDULE_DELAY of an hour), which spans were handed to the exporter is
// known exactly: the first B·⌊ended/B⌋. Every one of them must be in the record exactly once;
// only the batch still being filled may be lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChdbDriver, Tables, qualified } from '../../../src/storage/index.js';
import { eventually } from '../../helpers/eventually.js';
import { WARDEN_BIN, freePort, spawnProcess } from '../../helpers/processes.js';
import { INIT, INITIALIZED, call } from '../../helpers/raw-agent.js';

const BATCH = 16;
const KILLS = 4;

/**
 * An OTLP hop (think of a load balancer on a slow link) that holds each request a random
 * 30–250 ms, then passes it on to serve, unless its client has gone meanwhile: a request whose
 * sender died before any answer is not delivered, as with a hop that abandons the upstream
 * request when its client disconnects. So a batch is in the record only if its sender lived
 * to see the 2xx, or sent it again after a restart.
 */
class SlowForwarder {
  inFlight = 0;
  private readonly arrivals = new Set<() => void>();
  private server: Server | undefined;

  constructor(private readonly target: number) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.forward(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves while at least one request is being held. */
  somethingInFlight(): Promise<void> {
    return this.inFlight > 0 ? Promise.resolve() : new Promise((resolve) => this.arrivals.add(resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    let clientGone = false;
    res.once('close', () => {
      this.inFlight--;
      clientGone = true;
    });
    for (const wake of this.arrivals) wake();
    this.arrivals.clear();
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      await sleep(30 + Math.floor(Math.random() * 220));
      if (clientGone) return;
      const upstream = request({ host: '127.0.0.1', port: this.target, path: req.url, method: 'POST', headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(Buffer.concat(chunks));
    } catch {
      res.destroy();
    }
  }
}

/** One proxy run: an agent speaking JSON-RPC over its stdio, one tools/call at a time (ids 1, 2, …). */
class Incarnation {
  answered = 0;
  private child: ChildProcess;
  private buffer = '';
  private readonly waiting = new Map<number, () => void>();
  private readonly exited: Promise<void>;

  constructor(readonly agent: string, otlp: string, spool: string) {
    this.child = spawn(process.execPath, [WARDEN_BIN, 'proxy', '--agent', agent, '--otlp', otlp, '--spool', spool,
      '--', process.execPath, '--import', 'tsx', 'examples/total-recall-server.ts'], {
      env: { ...process.env, WARDEN_LOG_LEVEL: 'error', OTEL_BSP_SCHEDULE_DELAY: '3600000', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: String(BATCH) },
      stdio: ['pipe', 'pipe', 'ignore'], // an example server orphaned by a kill dies of EPIPE, loudly
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdout!.on('data', (chunk: Buffer) => this.read(chunk));
  }

  /** Calls until `running()` turns false or the process dies. */
  async callWhile(running: () => boolean): Promise<void> {
    await this.request(0, INIT(this.agent, 0));
    this.child.stdin!.write(`${INITIALIZED}\n`);
    for (let id = 1; running(); id++) {
      if (!(await this.request(id, call(id, 'task_list')))) return;
      this.answered = id;
    }
  }

  kill(): Promise<void> {
    this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Closing stdin is a clean stop: the proxy exports what it holds, then exits. */
  close(): Promise<void> {
    this.child.stdin!.end();
    return this.exited;
  }

  /** True once answered; false if the process died first. */
  private request(id: number, line: string): Promise<boolean> {
    const answered = new Promise<boolean>((resolve) => this.waiting.set(id, () => resolve(true)));
    this.child.stdin!.write(`${line}\n`, () => {});
    return Promise.race([answered, this.exited.then(() => false)]);
  }

  private read(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
    for (let nl = this.buffer.indexOf('\n'); nl !== -1; nl = this.buffer.indexOf('\n')) {
      const { id } = JSON.parse(this.buffer.slice(0, nl)) as { id?: number };
      this.buffer = this.buffer.slice(nl + 1);
      if (typeof id === 'number') this.waiting.get(id)?.();
    }
  }
}

interface Run {
  agent: string;
  answered: number;
  killed: boolean;
  /** A half-written spool file was left: the kill landed inside the write of a batch. */
  tornWrite: boolean;
  inFlightAtKill: number;
  /** Batches on disk right after the kill (waiting, or claimed by the dead process's sends). */
  leftOnDisk: number;
}

const spoolFiles = (dir: string) => readdirSync(dir).filter((n) => n.includes('.otlp'));

test('SIGKILL of the proxy during in-flight sends loses only the batch being filled; every batch handed over arrives once', { timeout: 180_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'warden-proxy-kill-'));
  const store = join(root, 'store');
  const spool = join(root, 'spool');
  const port = await freePort();
  const serve = spawnProcess(process.execPath, [WARDEN_BIN, 'serve', '--store', store, '--listen', `127.0.0.1:${port}`], { WARDEN_LOG_LEVEL: 'warn' });
  const forwarder = new SlowForwarder(port);
  const runs: Run[] = [];
  try {
    await serve.waitFor(/listening on/, 60_000);
    const otlp = await forwarder.start();
    for (let k = 0; k <= KILLS; k++) {
      const proxy = new Incarnation(`kill-${k}`, otlp, spool);
      let calling = true;
      const calls = proxy.callWhile(() => calling);
      await eventually('first calls answered', () => proxy.answered >= 2 * BATCH, { timeoutMs: 30_000 });
      await sleep(200 + Math.floor(Math.random() * 1000));
      if (k === KILLS) {
        calling = false;
        await calls;
        // What earlier runs left in the spool is delivered by this one; then a clean stop.
        await eventually('the spool delivered', () => spoolFiles(spool).length === 0, { timeoutMs: 60_000, detail: () => spoolFiles(spool).join(', ') });
        await proxy.close();
        runs.push({ agent: proxy.agent, answered: proxy.answered, killed: false, tornWrite: false, inFlightAtKill: 0, leftOnDisk: 0 });
        break;
      }
      await forwarder.somethingInFlight();
      await sleep(Math.random() * 20);
      const inFlightAtKill = forwarder.inFlight;
      await proxy.kill();
      calling = false;
      await calls;
      const tornWrite = readdirSync(spool).some((n) => n.startsWith('.tmp-'));
      runs.push({ agent: proxy.agent, answered: proxy.answered, killed: true, tornWrite, inFlightAtKill, leftOnDisk: spoolFiles(spool).length });
    }
    assert.deepEqual(spoolFiles(spool), [], 'the last proxy left nothing in the spool');
    await eventually('the forwarder idle', () => forwarder.inFlight === 0, { timeoutMs: 10_000 });
    assert.equal(await serve.stop('SIGTERM'), 0, serve.stderr());
    const stored = await storedCalls(store, runs.map((r) => r.agent));
    t.diagnostic(runs.map((r) => `${r.agent}: answered ${r.answered}, stored ${stored.get(r.agent)?.ids.length ?? 0}, batches on disk after the kill ${r.leftOnDisk}, requests in flight ${r.inFlightAtKill}`).join('; '));
    assert.deepEqual(runs.flatMap((run) => violations(run, stored.get(run.agent) ?? { ids: [], rows: 0, spans: 0 })), []);
    assert.ok(runs.some((r) => r.inFlightAtKill > 0 && r.leftOnDisk > 0), `a kill landed while batches were on their way (${JSON.stringify(runs)})`);
  } finally {
    await serve.stop('SIGKILL');
    await forwarder.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

interface Stored {
  /** Distinct jsonrpc.request.id values in otel_traces (the raw table may hold a resent span twice). */
  ids: number[];
  /** Rows of tool_calls FINAL and distinct span ids there. */
  rows: number;
  spans: number;
}

async function storedCalls(store: string, agents: string[]): Promise<Map<string, Stored>> {
  const db = await ChdbDriver.open({ path: store, database: 'warden' });
  try {
    const calls = await db.query<{ agent: string; rows: number; spans: number }>(
      `SELECT agent, count() AS rows, uniqExact(span_id) AS spans FROM ${qualified('warden', Tables.TOOL_CALLS)} FINAL WHERE agent IN {agents:Array(String)} GROUP BY agent`,
      { params: { agents } },
    );
    const ids = await db.query<{ agent: string; ids: number[] }>(
      `SELECT SpanAttributes['gen_ai.agent.id'] AS agent, arraySort(groupUniqArray(toUInt32(SpanAttributes['jsonrpc.request.id']))) AS ids
       FROM ${qualified('warden', Tables.OTEL_TRACES)} WHERE agent IN {agents:Array(String)} GROUP BY agent`,
      { params: { agents } },
    );
    return new Map(agents.map((agent) => {
      const counted = calls.find((r) => r.agent === agent);
      return [agent, { ids: ids.find((r) => r.agent === agent)?.ids.map(Number) ?? [], rows: Number(counted?.rows ?? 0), spans: Number(counted?.spans ?? 0) }];
    }));
  } finally {
    await db.close();
  }
}

/** What is wrong with one proxy run's record; empty when nothing is. */
function violations(run: Run, stored: Stored): string[] {
  const n = stored.ids.length;
  const found: string[] = [];
  if (stored.ids.some((id, i) => id !== i + 1)) found.push('the stored calls are not calls 1…n (a gap)');
  if (stored.spans !== n || stored.rows !== n) found.push(`tool_calls FINAL holds ${stored.rows} rows, ${stored.spans} span ids for ${n} calls`);
  if (!run.killed) {
    if (n !== run.answered) found.push('a clean stop lost calls');
  } else {
    // Answered c: spans 1…c−1 had surely ended (call c came in after they were recorded); call c+1
    // may have been answered and recorded just before the kill. Only whole batches leave the buffer.
    const least = BATCH * Math.floor((run.answered - 1) / BATCH) - (run.tornWrite ? BATCH : 0);
    const most = BATCH * Math.floor((run.answered + 1) / BATCH);
    if (n % BATCH !== 0) found.push('not whole batches');
    if (n < least || n > most) found.push(`expected ${least}…${most} calls (every batch handed to the exporter)`);
  }
  return found.map((what) => `${run.agent} (answered ${run.answered}, stored ${n}): ${what}`);
}
