// Console bench: the assets' total size (raw and gzipped), and each view's time-to-data in a
// real headless Chromium against `warden serve` on a large embedded store (the busy-organisation
// workload, default 10 M calls over 30 days ending now).
// Run: node --import tsx bench/console.bench.ts [N]   (e.g. 1000000 for a quick run)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../src/cli/serve-runner.js';
import { resolveServeConfig } from '../src/config/index.js';
import { gzippedSize, loadConsoleAssets } from '../src/console/index.js';
import { planBusyOrg, writeBusyOrg } from '../examples/workload/busy-org.js';
import { launchBrowser } from '../test/helpers/browser.js';

const N = Number(process.argv[2] ?? process.env.WARDEN_BENCH_CALLS ?? 10_000_000);
const RUNS = 3;
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

function assetSizes(): void {
  const assets = loadConsoleAssets();
  const total = gzippedSize(assets);
  console.log('### Console assets (everything a first visit can download)\n');
  console.log('| file | bytes | gzipped |');
  console.log('|---|---:|---:|');
  for (const a of [...assets.values()].sort((x, y) => y.gzip.length - x.gzip.length)) console.log(`| ${a.path} | ${a.body.length} | ${a.gzip.length} |`);
  console.log(`| **total (${total.files} files)** | **${kb(total.bytes)} KiB** | **${kb(total.gzipBytes)} KiB** |\n`);
}

interface ViewCase {
  name: string;
  hash: string;
  ready: string;
  /** An action after the page is up (Simulate: submit a policy); timed from the action. */
  act?: (page: import('playwright-core').Page) => Promise<void>;
}

const SIMULATE_POLICY = JSON.stringify({ version: '1', default: 'allow', tools: { session_close: { limits: [{ counter: 'c', window: 'minute', max: 3 }] } } });

const VIEWS: ViewCase[] = [
  { name: 'Agents', hash: '#/agents?from=-24h&to=now', ready: 'agents' },
  { name: 'Agent (chart)', hash: '#/agent/agent-00?from=-24h&to=now', ready: 'agent-chart' },
  { name: 'Anomalies', hash: '#/anomalies?from=-24h&to=now', ready: 'anomalies' },
  { name: 'Policy (suggest + backtest, 24 h)', hash: '#/policy?from=-24h&to=now', ready: 'policy' },
  { name: 'Policy (suggest + backtest, 7 d)', hash: '#/policy?from=-7d&to=now', ready: 'policy' },
  {
    name: 'Simulate (24 h)', hash: '#/simulate?from=-24h&to=now', ready: 'simulate',
    act: async (page) => {
      await page.getByLabel('Policy (JSON or YAML)').fill(SIMULATE_POLICY);
      await page.getByRole('button', { name: 'Simulate' }).click();
    },
  },
  { name: 'Alerts', hash: '#/alerts', ready: 'alerts' },
];

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Time from navigation (or the action) to the view's data on screen; and its slowest API request. */
async function timeView(browser: import('playwright-core').Browser, url: string, v: ViewCase): Promise<{ ms: number; slowestApiMs: number }> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const t0 = performance.now();
  await page.goto(`${url}/${v.hash}`);
  let start = t0;
  if (v.act) {
    await page.locator('[data-ready="simulate-form"]').waitFor();
    start = performance.now();
    await v.act(page);
  }
  await page.locator(`[data-ready="${v.ready}"]`).first().waitFor({ timeout: 120_000 });
  const ms = performance.now() - start;
  const slowestApiMs = await page.evaluate(() =>
    Math.max(0, ...(globalThis as any).performance.getEntriesByType('resource').filter((e: any) => e.name.includes('/api/v1/')).map((e: any) => e.responseEnd - e.startTime)));
  await context.close();
  return { ms, slowestApiMs };
}

async function timeToData(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-console-'));
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: dir }, {});
  const serve = await startServe({ config });
  const browser = await launchBrowser();
  try {
    const org = planBusyOrg({ calls: N, endMs: Math.floor(Date.now() / 60_000) * 60_000 });
    const loadMs = await writeBusyOrg(serve.ingestStore, org);
    console.log(`### Time to data per view over ${org.normalCalls.toLocaleString('en')} calls (busy organisation, 40 agents, 30 days; embedded chDB)\n`);
    console.log(`Load: ${(loadMs / 1000).toFixed(0)} s. Each run is a fresh browser context (cold page, assets from serve); ${RUNS} runs, p50.\n`);
    console.log('| view | range | p50 to data on screen (ms) | runs (ms) | slowest API request in it (ms, p50) |');
    console.log('|---|---|---:|---|---:|');
    for (const v of VIEWS) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await timeView(browser, serve.url, v));
      const range = /from=([^&]+)/.exec(v.hash)?.[1] ?? '—';
      console.log(`| ${v.name} | ${range} | ${p50(runs.map((r) => r.ms)).toFixed(0)} | ${runs.map((r) => r.ms.toFixed(0)).join(', ')} | ${p50(runs.map((r) => r.slowestApiMs)).toFixed(0)} |`);
    }
    console.log('');
  } finally {
    await browser.close();
    await serve.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

assetSizes();
await timeToData();
