import type { DecisionKind } from '../../policy/index.js';

export interface DemoAgentRow {
  agent: string;
  calls: number;
  denied: number;
  would_deny: number;
  tools: number;
  peak_per_minute: number;
}

export interface DemoAnomaly {
  type: string;
  severity: string;
  agent: string;
  tool: string;
  observed: number;
  baseline: number;
  threshold: number;
  method: string;
  explanation: string;
}

export interface DemoBacktestRow {
  agent: string;
  tool: string;
  calls: number;
  newly_refused: number;
  allow: number;
}

export interface DemoSuggested {
  policy: Record<string, unknown>;
  rules: Array<{ path: string; change: string }>;
  diff: { against: string; counts: Record<string, number> };
  backtest: { summary: { calls: number; decisions: Record<DecisionKind, number> }; by_agent_tool: DemoBacktestRow[] } | null;
  forward_test: DemoForwardTest | null;
}

/** The forward test as the report reads it (a subset of the API's `forward_test`). */
export interface DemoForwardTest {
  learned_on: { from: string; to: string };
  replayed_on: { from: string; to: string };
  calls: number;
  normal: { calls: number; refused: number; refused_share: number };
  runaway_excess: { calls: number; refused: number; refused_share: number | null };
  by_agent_tool: Array<{ agent: string; calls: number; normal_refused: number; runaway_calls: number; runaway_refused: number }>;
}

export interface DemoReport {
  apiUrl: string;
  store: string;
  policyFile: string;
  historyCalls: number;
  live: Array<{ agent: string; calls: number }>;
  agents: DemoAgentRow[];
  anomalies: DemoAnomaly[];
  alert: { rule: string; body: unknown; latencyMs: number } | undefined;
  suggested: DemoSuggested;
}

/** Refusals per agent in the backtest: what the suggested policy would have refused. */
export function backtestByAgent(s: DemoSuggested): Array<{ agent: string; calls: number; refused: number }> {
  const byAgent = new Map<string, { agent: string; calls: number; refused: number }>();
  for (const row of s.backtest?.by_agent_tool ?? []) {
    const entry = byAgent.get(row.agent) ?? { agent: row.agent, calls: 0, refused: 0 };
    entry.calls += row.calls;
    entry.refused += row.calls - row.allow;
    byAgent.set(row.agent, entry);
  }
  return [...byAgent.values()].sort((a, b) => b.refused - a.refused || a.agent.localeCompare(b.agent));
}

/** Per agent in the forward test: calls replayed, normal calls refused, runaway excess refused. */
export function forwardByAgent(f: DemoForwardTest): Array<{ agent: string; calls: number; normalRefused: number; runaway: number; runawayRefused: number }> {
  const byAgent = new Map<string, { agent: string; calls: number; normalRefused: number; runaway: number; runawayRefused: number }>();
  for (const row of f.by_agent_tool) {
    const e = byAgent.get(row.agent) ?? { agent: row.agent, calls: 0, normalRefused: 0, runaway: 0, runawayRefused: 0 };
    e.calls += row.calls;
    e.normalRefused += row.normal_refused;
    e.runaway += row.runaway_calls;
    e.runawayRefused += row.runaway_refused;
    byAgent.set(row.agent, e);
  }
  return [...byAgent.values()].sort((a, b) => b.runaway - a.runaway || a.agent.localeCompare(b.agent));
}

const percent = (share: number | null) => (share === null ? 'n/a' : `${(share * 100).toFixed(2)} %`);

function forwardSection(f: DemoForwardTest | null): string[] {
  if (!f) return [];
  return [
    '', `Forward test: learned on ${f.learned_on.from} → ${f.learned_on.to}, then replayed the ${f.calls} calls after it, unseen`,
    table(['agent', 'replayed', 'normal refused', 'runaway excess', 'runaway refused'],
      forwardByAgent(f).map((a) => [a.agent, a.calls, a.normalRefused, a.runaway, a.runawayRefused])),
    `Normal calls refused: ${f.normal.refused} of ${f.normal.calls} (${percent(f.normal.refused_share)}); runaway excess refused: ${f.runaway_excess.refused} of ${f.runaway_excess.calls} (${percent(f.runaway_excess.refused_share)})`,
  ];
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return cells.map(line).join('\n');
}

function describeLimits(policy: Record<string, unknown>): string[] {
  const tools = (policy.tools ?? {}) as Record<string, { limits?: Array<{ max: number; window: string | number }>; risk?: string }>;
  return Object.entries(tools).map(([name, t]) => {
    const limit = t.limits?.[0];
    return `${name}${t.risk ? ` (${t.risk})` : ''}${limit ? `: ≤ ${limit.max} per ${limit.window}` : ''}`;
  });
}

export function formatReport(r: DemoReport, kept: boolean): string {
  const out: string[] = [];
  out.push('Agents (7 days of history + the live run)');
  out.push(table(['agent', 'calls', 'would deny', 'denied', 'tools', 'peak/min'],
    r.agents.map((a) => [a.agent, a.calls, a.would_deny, a.denied, a.tools, a.peak_per_minute])));
  out.push('', `Anomalies in the last hour (${r.anomalies.length})`);
  for (const a of r.anomalies) {
    out.push(`  [${a.severity}] ${a.type}  agent=${a.agent} tool=${a.tool}`);
    out.push(`      ${a.explanation}`);
  }
  out.push('', 'Alert');
  out.push(r.alert
    ? `  FIRED ${r.alert.rule}: delivered to the demo webhook ${(r.alert.latencyMs / 1000).toFixed(1)}s after the runaway's first call`
    : '  none arrived (see GET /api/v1/alerts)');
  const s = r.suggested;
  out.push('', `Suggested policy (default ${String(s.policy.default)}; ${Object.keys((s.policy.tools ?? {}) as object).length} tools allowed; hidden: ${((s.policy.hide ?? []) as string[]).join(', ') || 'none'})`);
  for (const line of describeLimits(s.policy)) out.push(`  ${line}`);
  const grants = Object.keys((s.policy.grants ?? {}) as object);
  if (grants.length > 0) out.push(`  grants: ${grants.join(', ')}`);
  out.push(`  diff against ${s.diff.against === 'request' ? 'the starter policy the proxies ran' : 'no policy'}: ${Object.entries(s.diff.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ')}`);
  out.push('', 'Backtest: the suggested policy replayed over the same history');
  out.push(table(['agent', 'calls', 'would refuse'], backtestByAgent(s).map((b) => [b.agent, b.calls, b.refused])));
  out.push(...forwardSection(s.forward_test));
  out.push('', 'Where things are');
  out.push(`  console:         ${r.apiUrl}/${kept ? '  (open it in a browser)' : '  [stopped; run with --keep to leave it up]'}`);
  out.push(`  API:             ${r.apiUrl}/api/v1/agents  (OpenAPI: ${r.apiUrl}/openapi.json)${kept ? '' : '  [stopped; run with --keep to leave it up]'}`);
  out.push(`  suggested policy: ${r.policyFile}  (check it: warden policy check ${r.policyFile})`);
  if (kept) out.push(`  store:           ${r.store}`);
  return out.join('\n') + '\n';
}
