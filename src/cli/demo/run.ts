import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { generateWorkload, type AgentProfile } from '../../../examples/workload/generate.js';
import { postWorkloadOtlp } from '../../../examples/workload/writers.js';
import { DEFAULT_SUGGEST_HEADROOM, resolveServeConfig } from '../../config/index.js';
import type { Logger } from '../../core/index.js';
import type { Progress } from '../progress.js';
import { startServe, type RunningServe } from '../serve-runner.js';
import { demoAlertsYaml, DEMO_ALERT_RULE } from './alerts.js';
import { ApiClient } from '../api-client.js';
import { waitForCalls } from './api.js';
import { STARTER_POLICY, runLiveAgent, type LiveAgent, type LiveAgentResult } from './live-agents.js';
import type { DemoReport } from './report.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

/** History agents, paced like the live ones below so their baselines fit what they do now. */
const HISTORY_AGENTS: readonly AgentProfile[] = [
  { agent: 'researcher', perDay: 6, fromHour: 0, toHour: 24, gapMs: [100, 2_000] },
  { agent: 'writer', perDay: 8, fromHour: 0, toHour: 24, gapMs: [100, 2_000] },
];

const LIVE_AGENTS: readonly LiveAgent[] = [
  { role: 'researcher', options: { conversations: 1, pauseMs: 50 } },
  { role: 'writer', options: { conversations: 1, pauseMs: 50 } },
  { role: 'nightly-batch', options: { conversations: 20, pauseMs: 20 } },
  { role: 'runaway', options: { loopCalls: 300, pauseMs: 5 } },
];

export interface DemoOptions {
  /** Leave `warden serve` running on the demo store until interrupted. */
  keep: boolean;
  /** Store directory; a temporary one (removed at the end) when absent. */
  storeDir?: string;
  /** Where the suggested policy file is written. */
  policyOut: string;
  progress: Progress;
  logger: Logger;
}

export interface RunningDemo {
  report: DemoReport;
  serve: RunningServe;
  /** Stops serve and the receiver and removes a temporary store. */
  close(): Promise<void>;
}

/** The whole system on an embedded store: serve, history, live agents through proxies, analytics. */
export async function runDemo(opts: DemoOptions): Promise<RunningDemo> {
  const { progress } = opts;
  const temporary = opts.storeDir === undefined;
  const root = opts.storeDir ? resolve(opts.storeDir) : mkdtempSync(join(tmpdir(), 'warden-demo-'));
  mkdirSync(root, { recursive: true });
  const receiver = await startWebhookReceiver();
  let serve: RunningServe | undefined;
  const close = async () => {
    await serve?.close();
    await receiver.close();
    if (temporary) rmSync(root, { recursive: true, force: true });
  };
  try {
    serve = await progress.step('starting warden serve on an embedded ClickHouse', () => startDemoServe(root, receiver, opts.logger), (s) => `warden serve listening on ${s.url}`);
    const report = await driveDemo(serve, receiver, root, opts);
    return { report, serve, close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function startDemoServe(root: string, receiver: WebhookReceiver, logger: Logger): Promise<RunningServe> {
  const alertsFile = join(root, 'alerts.yaml');
  writeFileSync(alertsFile, demoAlertsYaml(receiver.url));
  // An empty environment: the demo always runs on its own embedded store, whatever CLICKHOUSE_URL says.
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: join(root, 'data'), alerts: alertsFile, alertInterval: '1s', flushInterval: '250ms' }, {});
  return startServe({ config, logger });
}

async function driveDemo(serve: RunningServe, receiver: WebhookReceiver, root: string, opts: DemoOptions): Promise<DemoReport> {
  const { progress } = opts;
  const history = generateWorkload({ seed: 7, days: 7, endMs: Date.now() - 20 * 60_000, scenarios: [], agents: HISTORY_AGENTS });
  await progress.step('backfilling 7 days of history through OTLP', () => postWorkloadOtlp(serve.url, history),
    () => `7 days of history: ${history.calls.length} calls from ${history.normalAgents.length} agents, sent as OTLP/protobuf`);

  const live = await progress.step('running 4 agents through real warden proxy processes (audit mode)',
    () => Promise.all(LIVE_AGENTS.map((a) => runLiveAgent(a, serve.url, join(root, 'spool')))),
    (r) => `live agents through warden proxy: ${r.map((a) => `${a.agent} ${a.calls}`).join(', ')} calls`);
  const api = new ApiClient(serve.url);
  const expected = history.calls.length + live.reduce((n, a) => n + a.calls, 0);
  await progress.step('waiting for every span to be stored', () => waitForCalls(api, expected, 30_000), (n) => `${n} tool calls stored in ClickHouse`);

  const runaway = live.find((a) => a.agent === 'runaway') as LiveAgentResult;
  const alert = await progress.step('waiting for the runaway alert', () => receiver.waitFor((n) => firesRule(n.body, DEMO_ALERT_RULE, 'runaway'), 30_000),
    (n) => (n ? `alert delivered to the webhook ${((n.receivedAtMs - runaway.firstCallAtMs) / 1000).toFixed(1)}s after the runaway's first call` : 'no alert arrived'));

  const [agents, anomalies, suggested] = await progress.step('computing rates, anomalies and the suggested policy', () => Promise.all([
    api.get<{ agents: DemoReport['agents'] }>('/api/v1/agents', { from: '-8d' }),
    api.get<{ anomalies: DemoReport['anomalies'] }>('/api/v1/anomalies', { from: '-1h' }),
    api.post<DemoReport['suggested']>('/api/v1/policy/suggested', { from: '-8d', headroom: DEFAULT_SUGGEST_HEADROOM, current: JSON.parse(readFileSync(STARTER_POLICY, 'utf8')) }),
  ]));
  mkdirSync(dirname(resolve(opts.policyOut)), { recursive: true });
  writeFileSync(opts.policyOut, JSON.stringify(suggested.policy, null, 2) + '\n');
  return {
    apiUrl: serve.url,
    store: join(root, 'data'),
    policyFile: resolve(opts.policyOut),
    historyCalls: history.calls.length,
    live: live.map((a) => ({ agent: a.agent, calls: a.calls })),
    agents: agents.agents,
    anomalies: anomalies.anomalies,
    alert: alert ? { rule: DEMO_ALERT_RULE, body: alert.body, latencyMs: alert.receivedAtMs - runaway.firstCallAtMs } : undefined,
    suggested,
  };
}

/** The generic webhook payload: one agent, one status, and the alerts it groups (src/alerts/payloads.ts). */
function firesRule(body: unknown, rule: string, agent: string): boolean {
  const payload = body as { status?: string; agent?: string; alerts?: Array<{ rule?: string }> };
  return payload.status === 'firing' && payload.agent === agent && (payload.alerts ?? []).some((a) => a.rule === rule);
}
