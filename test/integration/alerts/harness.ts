/** A real `warden serve` (in process) plus the proxy's real span pipeline pointed at it. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type RunningServe } from '../../../src/cli/serve-runner.js';
import { resolveServeConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/core/index.js';
import { createTelemetry, type CallContext, type DecisionRecorder } from '../../../src/telemetry/index.js';
import { uniqueDatabase } from '../../helpers/store.js';

/** chDB allows one data directory per process: every serve in this process uses this one. */
let storeDir: string | undefined;
export function sharedStoreDir(): string {
  if (!storeDir) {
    storeDir = mkdtempSync(join(tmpdir(), 'warden-alerts-it-'));
    process.on('exit', () => rmSync(storeDir as string, { recursive: true, force: true }));
  }
  return storeDir;
}

export interface ServeHandle {
  serve: RunningServe;
  logs: string[];
}

export interface ServeSpec {
  alertsFile: string;
  database: string;
  interval: string;
  listen?: string;
}

export async function startWarden(spec: ServeSpec, logs: string[] = []): Promise<ServeHandle> {
  const config = resolveServeConfig({
    listen: spec.listen ?? '127.0.0.1:0',
    store: sharedStoreDir(),
    clickhouseDatabase: spec.database,
    alerts: spec.alertsFile,
    alertInterval: spec.interval,
    flushInterval: '100ms',
  }, {});
  const serve = await startServe({ config, logger: createLogger({ level: 'debug', write: (l) => logs.push(l) }) });
  return { serve, logs };
}

export function newDatabase(): string {
  return uniqueDatabase('alerts');
}

export function writeTemp(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-alerts-file-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The proxy's recorder (OTel SDK → OTLP/HTTP protobuf, spooled while serve is down). */
export function proxyTelemetry(tracesUrl: string): DecisionRecorder {
  const spoolDir = mkdtempSync(join(tmpdir(), 'warden-alerts-spool-'));
  process.on('exit', () => rmSync(spoolDir, { recursive: true, force: true }));
  return createTelemetry({ recordArgs: 'hash', logger: createLogger({ level: 'silent' }), tracesUrl, spoolDir, scheduledDelayMillis: 100, retryIntervalMs: 200 }).recorder;
}

export interface CallShape {
  agent: string;
  tool: string;
  risk: 'read' | 'write' | 'execute' | 'destructive';
  session?: string;
  decision?: 'allow' | 'deny';
  mode?: 'audit' | 'enforce';
}

let requestId = 0;
/** Records one decided tools/call exactly as the proxy does. */
export function recordCall(recorder: DecisionRecorder, c: CallShape): void {
  const mode = c.mode ?? 'audit';
  const decision = c.decision ?? 'allow';
  const ctx: CallContext = { agent: c.agent, upstream: 'total-recall', mode, policyHash: 'p'.repeat(64), sessionId: c.session, networkTransport: 'pipe' };
  recorder.toolCall(ctx, {
    tool: c.tool, requestId: ++requestId, args: { session_id: c.session ?? 'none', n: requestId },
    decision: { decision, rule: decision === 'allow' ? 'default' : `tools.${c.tool}`, reason: '', risk: c.risk },
    enforced: mode === 'enforce' || decision === 'allow',
  }).end();
}

/** Calls every `everyMs` until stopped. */
export function traffic(recorder: DecisionRecorder, shape: CallShape, everyMs: number): { stop(): void; count(): number; firstAtMs(): number | undefined } {
  let n = 0;
  let first: number | undefined;
  const timer = setInterval(() => {
    first ??= Date.now();
    recordCall(recorder, shape);
    n += 1;
  }, everyMs);
  return { stop: () => clearInterval(timer), count: () => n, firstAtMs: () => first };
}
