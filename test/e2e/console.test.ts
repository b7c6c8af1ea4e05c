// The web console in a real browser (headless Chromium from @sparticuz/chromium, driven by
// playwright-core) on a token-protected `warden serve` holding a labelled workload: one
// runaway agent (cursor's session_close storm) and one agent whose name is an HTML payload.
// Screenshots of every view go to .tmp/console-screenshots/ (not in git).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startServe, type RunningServe } from '../../src/cli/serve-runner.js';
import { resolveServeConfig } from '../../src/config/index.js';
import { Tables, qualified } from '../../src/storage/index.js';
import { generateWorkload, INTERACTIVE_AGENTS, type Workload } from '../../examples/workload/generate.js';
import { postWorkloadOtlp } from '../../examples/workload/writers.js';
import { testDataDir, uniqueDatabase } from '../helpers/store.js';
import { launchBrowser, watchedPage, type WatchedPage } from '../helpers/browser.js';

const TOKEN = 'console-test-token';
const HOSTILE = '<img src=x onerror=alert(1)>';
const SHOTS = join('.tmp', 'console-screenshots');

let serve: RunningServe;
let browser: Browser;
let w: Workload;
let tab: WatchedPage;

async function api<T>(path: string): Promise<{ status: number; text: string; json: () => T }> {
  const res = await fetch(new URL(path, serve.url), { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as T };
}

async function waitForRows(n: number): Promise<void> {
  const table = qualified(serve.queryStore.database, Tables.TOOL_CALLS);
  for (let i = 0; i < 300; i++) {
    const [row] = await serve.queryStore.query<{ n: number }>(`SELECT count() AS n FROM ${table} FINAL`);
    if (row?.n === n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the workload did not arrive in tool_calls');
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: testDataDir(), clickhouseDatabase: uniqueDatabase('console'), flushInterval: '100ms', apiToken: TOKEN }, {});
  [serve, browser] = await Promise.all([startServe({ config }), launchBrowser()]);
  const agents = [...INTERACTIVE_AGENTS.filter((a) => a.agent === 'cursor' || a.agent === 'claude-desktop'), { agent: HOSTILE, perDay: 3, fromHour: 0, toHour: 24 }];
  w = generateWorkload({ seed: 18, days: 2, endMs: Math.floor(Date.now() / 60_000) * 60_000, agents, scenarios: ['session_close_storm', 'identical_call_loop'] });
  await postWorkloadOtlp(serve.url, w, { token: TOKEN });
  await waitForRows(w.calls.length);
  tab = await watchedPage(browser, new URL(serve.url).origin);
});

after(async () => {
  await browser?.close();
  await serve?.close();
});

/** Opens a view by its hash route and waits for its data. */
async function show(hash: string, ready: string, shot: string): Promise<void> {
  // Callbacks run in the page: typed loosely, as the tests are checked without the DOM library.
  const route = await tab.page.evaluate((h) => {
    (globalThis as any).location.hash = h;
    return (globalThis as any).location.hash as string;
  }, hash);
  // The view for this route (not the one before it) has its data.
  const viewHasData = ([r, name]: string[]) => {
    const main = (globalThis as any).document.querySelector('main');
    return main?.dataset.route === r && main.querySelector(`[data-ready="${name}"]`) !== null;
  };
  await tab.page.waitForFunction(viewHasData, [route, ready], { timeout: 30_000 });
  await tab.page.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage: true });
}

/** Every part of the view has loaded (nothing shows "Loading…"): for a screenshot of the whole view. */
async function settled(): Promise<void> {
  await tab.page.waitForFunction(() => (globalThis as any).document.querySelector('main [aria-busy="true"]') === null, undefined, { timeout: 30_000 });
}

/** Nothing went wrong in the page; `expectedStatus`: a status the test caused on purpose (its console line is allowed, then forgotten). */
function assertClean(expectedStatus?: number): void {
  assert.deepEqual(tab.pageErrors, [], 'uncaught errors in the page');
  assert.deepEqual(tab.dialogs, [], 'a dialog opened (script injected?)');
  assert.deepEqual(tab.offOrigin, [], 'requests left the origin');
  const errors = tab.consoleErrors.filter((e) => !(expectedStatus && e.includes(`status of ${expectedStatus}`)));
  assert.deepEqual(errors, [], 'console errors');
  tab.consoleErrors.length = 0;
}

test('a token-protected serve asks for the token, refuses a wrong one, then shows the console', async () => {
  const { page } = tab;
  await page.goto(serve.url + '/');
  await page.getByTestId('token-form').waitFor();
  await page.screenshot({ path: join(SHOTS, 'token.png') });
  await page.getByLabel('API token').fill('wrong');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('The token was refused').waitFor();
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('[data-ready="agents"]').waitFor();
  // Kept for the tab: a reload needs no token.
  await page.reload();
  await page.locator('[data-ready="agents"]').waitFor();
  assertClean(401);
});

test('Agents: every agent, hostile names as text, a sparkline each', async () => {
  await show('#/agents?from=-24h&to=now', 'agents', 'agents');
  const rows = tab.page.locator('[data-testid="agents-table"] tbody tr');
  const expected = new Set(w.calls.filter((c) => c.tsMs >= Date.now() - 86_400_000).map((c) => c.agent));
  assert.equal(await rows.count(), expected.size);
  const hostile = tab.page.locator('[data-testid="agents-table"] a', { hasText: HOSTILE });
  assert.equal(await hostile.textContent(), HOSTILE);
  assert.equal(await tab.page.locator('img').count(), 0, 'the agent name became an element');
  await tab.page.locator('svg.spark polyline').first().waitFor();
  assert.equal(await tab.page.locator('svg.spark').count(), expected.size);
  assertClean();
});

test('Agent: a uPlot chart with data, decisions and rates; the hostile agent page too', async () => {
  await show(`#/agent/cursor?from=-24h&to=now`, 'agent-chart', 'agent');
  const chart = tab.page.locator('[data-ready="agent-chart"] .chart');
  assert.ok(Number(await chart.getAttribute('data-points')) > 100);
  // Pixels of session_close's colour (from its legend marker) on the plot canvas: the storm was drawn.
  const drawn = await tab.page.evaluate(() => {
    // Runs in the page; the tests are type-checked without the DOM library (hence `any`).
    const { document, getComputedStyle } = globalThis as any;
    const row = [...document.querySelectorAll('.u-legend tr')].find((tr: any) => tr.textContent.includes('session_close'));
    const rgb: number[] = getComputedStyle(row.querySelector('.u-marker')).borderColor.match(/\d+/g).map(Number);
    const canvas = document.querySelector('[data-ready="agent-chart"] canvas');
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if ([0, 1, 2].every((c) => Math.abs(data[i + c] - rgb[c]!) < 24)) n++;
    return n;
  });
  assert.ok(drawn > 50, `the session_close line is drawn (${drawn} pixels)`);
  await tab.page.locator('[data-testid="rates-table"] tbody tr').first().waitFor();
  // Sessions, busiest first: the storm's session (start, load_context, 400 closes) on top.
  await tab.page.locator('[data-ready="agent-sessions"]').waitFor();
  const storm = w.labels.find((l) => l.kind === 'session_close_storm')!;
  const stormSession = w.calls.find((c) => c.spanId === storm.spanIds[0])!.session;
  const first = tab.page.locator('[data-testid="sessions-table"] tbody tr').first();
  assert.match((await first.textContent()) ?? '', new RegExp(`${stormSession}402`));
  const listed = (await api<{ total: number }>('/api/v1/agents/cursor/sessions?from=-24h&to=now')).json();
  assert.equal(await tab.page.locator('[data-testid="sessions-table"] tbody tr').count(), Math.min(listed.total, 50));
  await settled();
  await tab.page.screenshot({ path: join(SHOTS, 'agent.png'), fullPage: true });
  await show(`#/agent/${encodeURIComponent(HOSTILE)}?from=-24h&to=now`, 'agent-chart', 'agent-hostile');
  await tab.page.locator('[data-ready="agent-sessions"]').waitFor();
  await settled();
  await tab.page.screenshot({ path: join(SHOTS, 'agent-hostile.png'), fullPage: true });
  assert.equal(await tab.page.locator('[data-testid="sessions-table"] tbody tr').count(), new Set(w.calls.filter((c) => c.agent === HOSTILE && c.tsMs >= Date.now() - 86_400_000).map((c) => c.session)).size);
  assert.equal(await tab.page.locator('h1 .name').textContent(), HOSTILE);
  assert.equal(await tab.page.locator('img').count(), 0);
  assertClean();
});

test('Anomalies: the runaway agent is there, with its explanation and evidence', async () => {
  await show('#/anomalies?from=-24h&to=now', 'anomalies', 'anomalies');
  const runaway = tab.page.locator('[data-testid="anomaly"][data-agent="cursor"][data-type="bulk_write_burst"]');
  assert.ok((await runaway.count()) >= 1);
  const text = (await runaway.first().textContent()) ?? '';
  assert.match(text, /session_close/);
  assert.match(text, /observed/);
  const listed = (await api<{ anomalies: unknown[] }>('/api/v1/anomalies?from=-24h')).json();
  assert.equal(await tab.page.getByTestId('anomaly').count(), listed.anomalies.length);
  assertClean();
});

test('a first visit starts its view\'s API requests while the console\'s modules still load, each once', async () => {
  const { page } = tab;
  // Anomalies last: the Policy test after this one expects to arrive from another view.
  const cases = [['#/policy?from=-24h&to=now', 'policy', '^/api/v1/policy/suggested\\?.*backtest=false'], ['#/anomalies?from=-24h&to=now', 'anomalies', '^/api/v1/anomalies\\?']] as const;
  for (const [hash, ready, request] of cases) {
    await page.evaluate((h) => {
      (globalThis as any).location.hash = h;
    }, hash);
    await page.reload();
    await page.locator(`[data-ready="${ready}"]`).waitFor({ timeout: 30_000 });
    const timing = await page.evaluate((pattern) => {
      // No named functions in here: the page has no __name helper for them.
      const entries = ((globalThis as any).performance.getEntriesByType('resource') as Array<{ name: string; startTime: number; responseEnd: number }>)
        .map((e) => ({ url: new URL(e.name), startTime: e.startTime, responseEnd: e.responseEnd }));
      return {
        starts: entries.filter((e) => new RegExp(pattern).test(e.url.pathname + e.url.search)).map((e) => e.startTime),
        lastModule: Math.max(...entries.filter((e) => /^\/console\/.*\.js$/.test(e.url.pathname)).map((e) => e.responseEnd)),
      };
    }, request);
    assert.equal(timing.starts.length, 1, `${hash}: the view's data is asked for once`);
    // Without early.js the view asks only once app.js and every module it imports have loaded.
    assert.ok((timing.starts[0] ?? Infinity) < timing.lastModule, `${hash}: asked at ${timing.starts[0]} ms, the last module arrived at ${timing.lastModule} ms`);
    await settled(); // the Policy view's replays too
  }
  assertClean();
});

test('an early response the view never took (the route changed before the console loaded) is not shown on a later visit', async () => {
  const { page } = tab;
  const stale = '#/anomalies?from=-24h&to=now&severity=low';
  const asked: string[] = [];
  const onRequest = (r: { url(): string }) => {
    if (r.url().includes('/api/v1/anomalies?') && r.url().includes('severity=low')) asked.push(r.url());
  };
  page.on('request', onRequest);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/console/app.js', async (route) => {
    await held;
    await route.continue();
  });
  try {
    // A fresh load of the page (from another document: a hash change alone would not reload it).
    await page.goto('about:blank');
    const early = page.waitForRequest((r) => r.url().includes('severity=low'));
    await page.goto(`${serve.url}/${stale}`, { waitUntil: 'commit' });
    await early;
    // Before the console has loaded, the user moves on; the first view is Alerts.
    await page.evaluate(() => {
      (globalThis as any).location.hash = '#/alerts';
    });
    release();
    await page.locator('[data-ready="alerts"]').waitFor({ timeout: 30_000 });
    // Coming back later asks again: the answer from page load is not shown as current.
    await show(stale, 'anomalies', 'anomalies-later');
    assert.equal(asked.length, 2, asked.join('\n'));
  } finally {
    release();
    await page.unroute('**/console/app.js');
    page.off('request', onRequest);
  }
  assertClean();
});

test('Policy: the policy first (no replay), then the backtest in a second request, shown computing meanwhile; the download equals suggested.json', async () => {
  // The replay request is held until the test has seen the policy and the "computing" state.
  const asked: Array<{ backtest: string | null; from: string | null; to: string | null; holdout: string | null }> = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await tab.page.route('**/api/v1/policy/suggested?*', async (route) => {
    const url = new URL(route.request().url());
    asked.push({ backtest: url.searchParams.get('backtest'), from: url.searchParams.get('from'), to: url.searchParams.get('to'), holdout: url.searchParams.get('holdout') });
    if (url.searchParams.get('backtest') === 'true') await held;
    await route.continue();
  });
  try {
    // Held out: the last 8 h, where the session_close storm (6 h ago) is.
    await show('#/policy?from=-24h&to=now&holdout=8h', 'policy', 'policy-computing');
    assert.match((await tab.page.getByTestId('computing').first().textContent()) ?? '', /^Computing the backtest/);
    assert.equal(await tab.page.locator('[data-ready="backtest"]').count(), 0);
    assert.deepEqual(asked.map((a) => a.backtest), ['false', 'true'], 'the policy comes without replays; the replays are asked for next');
    // The replays are asked for the first answer's absolute range, so "now" does not move between the two.
    const shown = (await tab.page.locator('[data-ready="policy"] p.muted').first().textContent()) ?? '';
    assert.equal(shown.slice(0, shown.indexOf(';')), `Learned from ${asked[1]!.from} to ${asked[1]!.to}`);
    assert.ok(JSON.parse((await tab.page.getByTestId('policy-json').textContent()) ?? '{}').version, 'the policy is on screen');
    release();
    await tab.page.locator('[data-ready="backtest"]').waitFor({ timeout: 30_000 });
    await tab.page.locator('[data-ready="forward-test"]').waitFor({ timeout: 30_000 });
    assert.equal(await tab.page.getByTestId('computing').count(), 0);
  } finally {
    release();
    await tab.page.unroute('**/api/v1/policy/suggested?*');
  }
  await tab.page.getByTestId('by-agent-tool').waitFor();
  await tab.page.screenshot({ path: join(SHOTS, 'policy.png'), fullPage: true });
  // The forward test as the API gives it for the same request: normal calls refused (share and
  // examples), and the runaway's excess refused.
  const { backtest, from, to, holdout } = asked[1]!;
  assert.deepEqual([backtest, holdout], ['true', '8h']);
  type Forward = { calls: number; normal: { calls: number; refused: number; examples: unknown[] }; runaway_excess: { calls: number; refused: number; refused_share: number } };
  const f = (await api<{ forward_test: Forward }>(`/api/v1/policy/suggested?from=${from}&to=${to}&headroom=1.5&holdout=8h`)).json().forward_test;
  assert.ok(f.runaway_excess.calls >= 399, `the storm is in the held-out part (${JSON.stringify(f.runaway_excess)})`);
  const normal = (await tab.page.getByTestId('forward-normal').textContent()) ?? '';
  assert.match(normal, new RegExp(`${f.normal.refused.toLocaleString('en-US')} of ${f.normal.calls.toLocaleString('en-US')}`));
  assert.equal(await tab.page.locator('[data-testid="forward-examples"] tbody tr').count(), f.normal.examples.length);
  const runaway = (await tab.page.getByTestId('forward-runaway').textContent()) ?? '';
  assert.match(runaway, new RegExp(`${Math.round(f.runaway_excess.refused_share * 10_000) / 100}%`));
  assert.match(runaway, new RegExp(`${f.runaway_excess.refused.toLocaleString('en-US')} of ${f.runaway_excess.calls.toLocaleString('en-US')}`));
  const [download] = await Promise.all([tab.page.waitForEvent('download'), tab.page.getByTestId('download').click()]);
  const saved = readFileSync((await download.path())!, 'utf8');
  const file = await api('/api/v1/policy/suggested.json?from=-24h&to=now&headroom=1.5');
  assert.equal(file.status, 200);
  assert.equal(saved, file.text);
  assert.equal(download.suggestedFilename(), 'policy.json');
  assertClean();
});

test('Simulate: a pasted policy shows what it would refuse, by agent and tool', async () => {
  await show('#/simulate?from=-24h&to=now', 'simulate-form', 'simulate-empty');
  const policy = { version: '1', default: 'allow', tools: { session_close: { limits: [{ counter: 'c', window: 'minute', max: 5 }] } } };
  await tab.page.getByLabel('Policy (JSON or YAML)').fill(JSON.stringify(policy));
  await tab.page.getByRole('button', { name: 'Simulate' }).click();
  await tab.page.locator('[data-ready="simulate"]').waitFor({ timeout: 30_000 });
  await tab.page.screenshot({ path: join(SHOTS, 'simulate.png'), fullPage: true });
  const row = tab.page.locator('[data-testid="by-agent-tool"] tbody tr', { hasText: 'cursor' }).filter({ hasText: 'session_close' });
  assert.equal(await row.count(), 1);
  assert.ok((await tab.page.locator('[data-testid="samples"] tbody tr').count()) > 0);
  await tab.page.getByLabel('Policy (JSON or YAML)').fill('{"version": "1", "default": "sometimes"}');
  await tab.page.getByRole('button', { name: 'Simulate' }).click();
  await tab.page.locator('.error', { hasText: 'default' }).waitFor();
  assertClean(400);
});

test('Approvals: a held call is listed and approved from the console, as the token holder', async () => {
  const held = await fetch(new URL('/api/v1/approvals', serve.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ agent: HOSTILE, tool: 'export_knowledge', rule: 'tools.export_knowledge', reason: 'exports the whole knowledge base', timeout_ms: 120_000 }),
  });
  assert.equal(held.status, 201);
  const { id } = (await held.json()) as { id: string };
  await show('#/approvals', 'approvals', 'approvals');
  const row = tab.page.locator('[data-testid="pending-table"] tbody tr', { hasText: 'export_knowledge' });
  assert.equal(await row.count(), 1);
  assert.equal(await row.locator('a').first().textContent(), HOSTILE);
  await row.getByLabel(`reason for ${id}`).fill('checked with the owner');
  await row.getByTestId('approve').click();
  await tab.page.locator('[data-testid="recent-approvals"] tbody tr', { hasText: 'checked with the owner' }).waitFor();
  const after = (await api<{ status: string; decided_by: string; decision_reason: string }>(`/api/v1/approvals/${id}`)).json();
  assert.deepEqual([after.status, after.decided_by, after.decision_reason], ['approved', 'api-token', 'checked with the owner']);
  assert.equal(await tab.page.locator('img').count(), 0);
  assertClean();
});

test('Alerts: states, rules and notifications render', async () => {
  await show('#/alerts', 'alerts', 'alerts');
  assert.ok((await tab.page.locator('[data-testid="rules"] tbody tr').count()) > 0);
  assertClean();
});
