// Console bench: the assets' total size (raw and gzipped), and each view's time-to-data in a
// real headless Chromium against `warden serve` on a large embedded store (the busy-organisation
// workload, default 10 M calls over 30 days ending now). A view that shows no data within its
// time limit is recorded as a timeout, never left out.
// Run: node --import tsx bench/console.bench.ts [N]   (e.g. 1000000 for a quick run)
//   BENCH_STORE=dir   keep the store in dir; a later run reuses what it holds (no load)
//   BENCH_RUNS=3      runs per view (p50 reported)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServe, type RunningServe } from '../src/cli/serve-runner.js';
import { resolveServeConfig } from '../src/config/index.js';
import { gzippedSize, loadConsoleAssets } from '../src/console/index.js';
import { Tables, qualified } from '../src/storage/index.js';
import { planBusyOrg, writeBusyOrg } from '../examples/workload/busy-org.js';
import { foldClosedDays } from './closed-days.js';
import { launchBrowser } from '../test/helpers/browser.js';

const N = Number(process.argv[2] ?? process.env.WARDEN_BENCH_CALLS ?? 10_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const s = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

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
  /** The `data-ready` marker the view sets once its data is on screen. */
  ready: string;
  /** Time limit for the data to show. */
  limitMs: number;
  /** An action after the page is up (Simulate: submit a policy); timed from the action. */
  act?: (page: Page) => Promise<void>;
}

const SIMULATE_POLICY = JSON.stringify({ version: '1', default: 'allow', tools: { session_close: { limits: [{ counter: 'c', window: 'minute', max: 3 }] } } });
const simulate = async (page: Page) => {
  await page.getByLabel('Policy (JSON or YAML)').fill(SIMULATE_POLICY);
  await page.getByRole('button', { name: 'Simulate' }).click();
};
const VIEW_LIMIT_MS = 60_000;
/** The replays (every call in the range through the policy) get longer. */
const REPLAY_LIMIT_MS = 300_000;

const VIEWS: ViewCase[] = [
  { name: 'Agents', hash: '#/agents?from=-24h&to=now', ready: 'agents', limitMs: VIEW_LIMIT_MS },
  { name: 'Agent: chart', hash: '#/agent/agent-00?from=-24h&to=now', ready: 'agent-chart', limitMs: VIEW_LIMIT_MS },
  { name: 'Agent: sessions', hash: '#/agent/agent-00?from=-24h&to=now', ready: 'agent-sessions', limitMs: VIEW_LIMIT_MS },
  { name: 'Anomalies', hash: '#/anomalies?from=-24h&to=now', ready: 'anomalies', limitMs: VIEW_LIMIT_MS },
  { name: 'Policy: suggested policy + diff', hash: '#/policy?from=-24h&to=now', ready: 'policy', limitMs: VIEW_LIMIT_MS },
  { name: 'Policy: backtest + forward test', hash: '#/policy?from=-24h&to=now', ready: 'forward-test', limitMs: REPLAY_LIMIT_MS },
  { name: 'Policy: suggested policy + diff', hash: '#/policy?from=-7d&to=now', ready: 'policy', limitMs: VIEW_LIMIT_MS },
  { name: 'Policy: backtest + forward test', hash: '#/policy?from=-7d&to=now', ready: 'forward-test', limitMs: REPLAY_LIMIT_MS },
  { name: 'Simulate', hash: '#/simulate?from=-24h&to=now', ready: 'simulate', limitMs: VIEW_LIMIT_MS, act: simulate },
  { name: 'Approvals', hash: '#/approvals', ready: 'approvals', limitMs: VIEW_LIMIT_MS },
  { name: 'Alerts', hash: '#/alerts', ready: 'alerts', limitMs: VIEW_LIMIT_MS },
];

interface Run {
  /** Time to data on screen, or undefined: none within the view's limit (or an error instead). */
  ms: number | undefined;
  /** The error the view showed instead of its data. */
  error?: string | undefined;
  /** The longest finished `/api/v1/*` request of the page (Resource Timing). */
  slowestApiMs: number;
  /** After a timeout: the `/api/v1/*` requests still open (its culprits). */
  open: string[];
}

/**
 * Runs in the page before its own scripts (plain JavaScript: tsx would add helpers a function's
 * source needs). Records, on the page's clock (ms since navigation started), when each
 * `data-ready` marker appeared, taken after the frame that paints it (a timer queued from that
 * frame's requestAnimationFrame), and when the last click was. Timing by Playwright's `waitFor`
 * instead added 0–500 ms: it checks the page after 0, 20, 50, 100 and 100 ms, then every 500 ms
 * (playwright-core 1.57, server/frames.js), so a view drawn 0.8 s after navigation was
 * reported at ~1.1 s.
 */
const RECORD_READY_TIMES = `
  window.__ready = {};
  addEventListener('click', () => { window.__click = performance.now(); }, true);
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('[data-ready]')) {
      const key = el.getAttribute('data-ready');
      if (key in window.__ready) continue;
      window.__ready[key] = -1;
      requestAnimationFrame(() => setTimeout(() => { window.__ready[key] = performance.now(); }));
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready'] });`;

/** When `key` was painted, from navigation or (clicked) from the last click (see RECORD_READY_TIMES). */
async function paintedAfter(page: Page, key: string, clicked: boolean): Promise<number> {
  await page.waitForFunction((k) => ((globalThis as any).__ready[k] ?? -1) >= 0, key, { polling: 'raf' });
  return page.evaluate(([k, c]) => (globalThis as any).__ready[k as string] - (c ? (globalThis as any).__click : 0), [key, clicked] as const);
}

/** Time from navigation (or the action's click) to the view's data painted, within its limit. */
async function timeView(browser: Browser, url: string, v: ViewCase): Promise<Run> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  await context.addInitScript(RECORD_READY_TIMES);
  const page = await context.newPage();
  const open = new Set<string>();
  page.on('request', (r) => r.url().includes('/api/v1/') && open.add(r.url()));
  page.on('requestfinished', (r) => open.delete(r.url()));
  page.on('requestfailed', (r) => open.delete(r.url()));
  try {
    const start = performance.now();
    await page.goto(`${url}/${v.hash}`);
    if (v.act) {
      await page.locator('[data-ready="simulate-form"]').waitFor({ timeout: v.limitMs });
      await v.act(page);
    }
    // The data, or an error the view shows instead (e.g. a query past its budget), whichever comes first.
    const outcome = page.locator(`[data-ready="${v.ready}"], .error[role="alert"]`).first();
    const shown = await outcome.waitFor({ timeout: Math.max(1, v.limitMs - (performance.now() - start)) }).then(() => true, () => false);
    const error = shown && (await outcome.getAttribute('role')) === 'alert' ? ((await outcome.textContent()) ?? 'error') : undefined;
    const ms = shown && !error ? await paintedAfter(page, v.ready, v.act !== undefined) : undefined;
    const slowestApiMs = await page.evaluate(() =>
      Math.max(0, ...(globalThis as any).performance.getEntriesByType('resource').filter((e: any) => e.name.includes('/api/v1/')).map((e: any) => e.responseEnd - e.startTime)));
    const run = { ms, error, slowestApiMs, open: shown ? [] : [...open].map((u) => new URL(u).pathname + new URL(u).search) };
    // The page's later requests (the Policy view's replays) finish before the next run starts.
    await requestsDone(open, REPLAY_LIMIT_MS);
    return run;
  } finally {
    await context.close();
  }
}

/** Until the page has had no `/api/v1/*` request open for a second (or maxMs passed). */
async function requestsDone(open: ReadonlySet<string>, maxMs: number): Promise<void> {
  const t = performance.now();
  let quietSince = performance.now();
  while (performance.now() - t < maxMs) {
    if (open.size > 0) quietSince = performance.now();
    else if (performance.now() - quietSince >= 1_000) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** How long the store must run no query before the next run starts. */
const QUIET_MS = 3_000;

/**
 * A closed page leaves its requests' queries running in serve (after a timeout, or the Policy
 * view's replays once the policy is timed): wait for them so the next run starts on a quiet store.
 * One request runs several queries with work in Node between them, so one empty sample is not
 * enough: the store must stay idle for QUIET_MS (one sample let runs overlap the last run's replays).
 */
async function storeIdle(serve: RunningServe, maxMs = 900_000): Promise<void> {
  const t = performance.now();
  let quietSince = performance.now();
  while (performance.now() - t < maxMs) {
    const [row] = await serve.queryStore.query<{ n: number }>("SELECT count() AS n FROM system.processes WHERE query NOT LIKE '%system.processes%'");
    if (Number(row?.n ?? 0) > 0) quietSince = performance.now();
    else if (performance.now() - quietSince >= QUIET_MS) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** p50 with a timeout counted as slower than any time; a timeout stops the view's runs. */
function row(v: ViewCase, runs: Run[]): string {
  const times = runs.map((r) => r.ms ?? Infinity);
  const median = p50(times);
  const range = /from=([^&]+)/.exec(v.hash)?.[1] ?? '—';
  const cell = (r: Run) => (r.error ? `error: ${r.error}` : r.ms === undefined ? `timeout (> ${s(v.limitMs)})` : r.ms.toFixed(0));
  const open = [...new Set(runs.flatMap((r) => r.open))];
  const slowest = p50(runs.map((r) => r.slowestApiMs)).toFixed(0) + (open.length ? `; still open: ${open.map((u) => `\`${u}\``).join(', ')}` : '');
  return `| ${v.name} | ${range} | ${Number.isFinite(median) ? median.toFixed(0) : runs.some((r) => r.error) ? '**error**' : `**timeout** (> ${s(v.limitMs)})`} | ${runs.map(cell).join(', ')} | ${slowest} |`;
}

async function storeCalls(serve: RunningServe): Promise<number> {
  const [row] = await serve.queryStore.query<{ n: number }>(`SELECT count() AS n FROM ${qualified(serve.queryStore.database, Tables.TOOL_CALLS)}`);
  return Number(row?.n ?? 0);
}

async function timeToData(): Promise<void> {
  const kept = process.env.BENCH_STORE;
  const dir = kept ?? mkdtempSync(join(tmpdir(), 'warden-bench-console-'));
  const serve = await startServe({ config: resolveServeConfig({ listen: '127.0.0.1:0', store: dir }, {}) });
  const browser = await launchBrowser();
  try {
    const org = planBusyOrg({ calls: N, endMs: Math.floor(Date.now() / 60_000) * 60_000 });
    const have = kept ? await storeCalls(serve) : 0;
    // A kept store is reused as it is (retention may have dropped its oldest day since).
    const loadMs = have > 0 ? undefined : await writeBusyOrg(serve.ingestStore, org);
    await foldClosedDays(serve.ingestStore, Date.now());
    console.log(`### Time to data per view over ${(have || org.normalCalls).toLocaleString('en')} calls (busy organisation, 40 agents, 30 days; embedded chDB)\n`);
    console.log(`${loadMs === undefined ? `Store reused (${have.toLocaleString('en')} rows in tool_calls).` : `Load: ${s(loadMs)}.`} Each run is a fresh browser context (cold page, assets from serve); ${RUNS} runs, p50; a timeout is slower than any time.\n`);
    console.log('| view | range | p50 to data on screen (ms) | runs (ms) | slowest API request in it (ms, p50) |');
    console.log('|---|---|---:|---|---:|');
    for (const v of VIEWS) {
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++) {
        const run = await timeView(browser, serve.url, v);
        runs.push(run);
        await storeIdle(serve);
        if (run.ms === undefined) break;
      }
      console.log(row(v, runs));
    }
    console.log('');
  } finally {
    await browser.close();
    await serve.close();
    if (!kept) rmSync(dir, { recursive: true, force: true });
  }
}

assetSizes();
await timeToData();
