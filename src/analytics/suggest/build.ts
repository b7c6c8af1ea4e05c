/**
 * Turns learned usage into a policy document:
 * - default deny; every used tool listed; offered-but-unused tools hidden;
 * - a per-agent ("grant" scope) rolling limit per tool = ceil(largest rolling count of any
 *   agent × headroom), with a per-class floor for tools seen rarely;
 * - an agent whose peak is far above the others' gets its own limit in `grants`, so one busy
 *   batch agent does not loosen the limit for everyone;
 * - risk ordering: floors shrink from read to write/execute to destructive/financial, and the
 *   headroom for write-class and destructive tools is never larger than for read tools;
 * - a destructive or financial tool used rarely and irregularly (fewer than `rareCalls` calls,
 *   on fewer than `approveMinDays` days) gets `action: approve`: its few calls cost a human
 *   little, and its history is too thin for a limit to tell a legitimate call from a harmful one.
 */
import type { LimitSpec, PolicyDocument, ToolPolicy } from '../../policy/index.js';
import { RISK_CLASSES, windowOfSeconds } from '../../policy/index.js';
import { DEFAULT_SUGGEST_HEADROOM } from '../../config/index.js';
import { median } from '../stats.js';
import type { OfferedTool, ToolUsage } from './learn.js';

export interface SuggestOptions {
  headroom: number;
  windowS: number;
  /** Fewer calls than this (or seen on one day only) = rarely seen: the class floor applies. */
  rareCalls: number;
  /** An agent whose peak exceeds this × the median peak of all agents using the tool gets a grant. */
  grantFactor: number;
  /** Peaks must be set and the tool first seen at least this long before `to` to be stable. */
  stabilizationMs: number;
  /** A risky tool seen on fewer days than this (and rarely) is proposed for approval. */
  approveMinDays: number;
}

export const DEFAULT_SUGGEST_OPTIONS: SuggestOptions = { headroom: DEFAULT_SUGGEST_HEADROOM, windowS: 60, rareCalls: 20, grantFactor: 3, stabilizationMs: 86_400_000, approveMinDays: 3 };

/** Risk classes whose rare, irregular use is proposed for approval rather than a limit. */
export const APPROVAL_RISKS: ReadonlySet<string> = new Set(['destructive', 'financial']);

/** Whether the tool's use is rare and irregular enough that a human should confirm each call. */
export function needsApproval(evidence: Pick<Evidence, 'calls' | 'days_seen' | 'risk'>, opts: SuggestOptions): boolean {
  return APPROVAL_RISKS.has(evidence.risk) && evidence.calls < opts.rareCalls && evidence.days_seen < opts.approveMinDays;
}

/** Floors per risk class for rarely seen tools: never looser for riskier classes. */
export const CLASS_FLOOR: Record<string, number> = { read: 10, write: 5, execute: 5, destructive: 2, financial: 2 };
const RISK_ORDER: readonly string[] = RISK_CLASSES;

export function classHeadroom(risk: string, headroom: number): number {
  // Destructive and financial tools get at most 1.25× what was seen, whatever was asked for.
  return risk === 'destructive' || risk === 'financial' ? Math.min(headroom, 1.25) : headroom;
}

export function limitFor(peak: number, calls: number, daysSeen: number, risk: string, opts: SuggestOptions): number {
  const learned = Math.max(1, Math.ceil(peak * classHeadroom(risk, opts.headroom) - 1e-9));
  const rare = calls < opts.rareCalls || daysSeen < 2;
  return rare ? Math.max(learned, CLASS_FLOOR[risk] ?? CLASS_FLOOR.write ?? 5) : learned;
}

export interface Evidence {
  calls: number;
  agents: number;
  days_seen: number;
  first_seen: string;
  last_seen: string;
  observed_max: number;
  p99: number;
  window_s: number;
  risk: string;
  excluded_calls: number;
  peak_at: string;
}

export interface SuggestedRule {
  path: string;
  change: string;
  evidence?: Evidence;
  confidence?: { score: number; level: 'low' | 'medium' | 'high' };
  stable?: boolean;
}

export function confidence(calls: number, daysSeen: number): { score: number; level: 'low' | 'medium' | 'high' } {
  const score = Math.round((0.5 * Math.min(1, daysSeen / 7) + 0.5 * Math.min(1, Math.log10(calls + 1) / 3)) * 100) / 100;
  return { score, level: score >= 0.75 ? 'high' : score >= 0.4 ? 'medium' : 'low' };
}

function worstRisk(usages: readonly ToolUsage[]): string {
  let worst = -1;
  for (const u of usages) worst = Math.max(worst, RISK_ORDER.indexOf(u.risk || 'write'));
  return RISK_ORDER[worst] ?? 'write';
}

function windowName(windowS: number): LimitSpec['window'] {
  return windowOfSeconds(windowS);
}

function evidenceOf(usages: readonly ToolUsage[], risk: string, windowS: number): Evidence {
  const peakOf = usages.reduce((best, u) => (u.peak > best.peak ? u : best), usages[0] as ToolUsage);
  return {
    calls: usages.reduce((n, u) => n + u.calls, 0),
    agents: usages.length,
    days_seen: Math.max(...usages.map((u) => u.daysSeen)),
    first_seen: new Date(Math.min(...usages.map((u) => u.firstMs))).toISOString(),
    last_seen: new Date(Math.max(...usages.map((u) => u.lastMs))).toISOString(),
    observed_max: peakOf.peak,
    p99: Math.max(...usages.map((u) => u.p99)),
    window_s: windowS,
    risk,
    excluded_calls: usages.reduce((n, u) => n + u.excluded, 0),
    peak_at: new Date(peakOf.peakMs).toISOString(),
  };
}

export interface BuildInput {
  usage: readonly ToolUsage[];
  offered: readonly OfferedTool[];
  /** Tools an anomaly flagged as new for some agent: never "stable". */
  newTools: ReadonlySet<string>;
  toMs: number;
}

export function buildSuggestedPolicy(input: BuildInput, opts: SuggestOptions): { policy: PolicyDocument; rules: SuggestedRule[] } {
  const byTool = new Map<string, ToolUsage[]>();
  for (const u of input.usage) if (u.calls > 0) byTool.set(u.tool, [...(byTool.get(u.tool) ?? []), u]);
  const tools: Record<string, ToolPolicy> = {};
  const grants: Record<string, { tools: Record<string, ToolPolicy> }> = {};
  const rules: SuggestedRule[] = [{ path: 'default', change: 'deny every tool not listed (only tools seen in use are allowed)' }];
  const per = windowName(opts.windowS);
  for (const [tool, usages] of [...byTool].sort(([a], [b]) => a.localeCompare(b))) {
    const risk = worstRisk(usages);
    const counter = `${tool}_per_${typeof per === 'number' ? `${per}s` : per}`;
    const limitOf = (u: ToolUsage) => limitFor(u.peak, u.calls, u.daysSeen, risk, opts);
    const med = median(usages.map((u) => u.peak));
    const granted = usages.length > 1 ? usages.filter((u) => u.peak > opts.grantFactor * Math.max(med, 1) && limitOf(u) > 2 * opts.headroom) : [];
    const rest = usages.filter((u) => !granted.includes(u));
    const baseMax = Math.max(...rest.map(limitOf));
    const stable = (us: readonly ToolUsage[]) =>
      !input.newTools.has(tool) && us.every((u) => u.firstMs <= input.toMs - opts.stabilizationMs && u.peakMs <= input.toMs - opts.stabilizationMs);
    tools[tool] = { limits: [{ counter, window: per, max: baseMax, scope: 'grant' }] };
    const evidence = evidenceOf(rest, risk, opts.windowS);
    rules.push({
      path: `tools.${tool}.limits[0]`,
      change: `allow ${tool} (${risk}), at most ${baseMax} calls per ${typeof per === 'number' ? `${per}s` : per} per agent`,
      evidence, confidence: confidence(evidence.calls, evidence.days_seen), stable: stable(rest),
    });
    const all = evidenceOf(usages, risk, opts.windowS);
    if (needsApproval(all, opts)) {
      tools[tool] = { ...tools[tool], action: 'approve', approver: 'operator', reason: `${tool} is ${risk} and rarely used` };
      rules.push({
        path: `tools.${tool}.action`,
        change: `require an operator's approval for each ${tool} call (${risk}; ${all.calls} call(s) on ${all.days_seen} day(s) in the range: too rare and irregular for a limit to tell a normal call from a harmful one)`,
        evidence: all, confidence: confidence(all.calls, all.days_seen), stable: stable(usages),
      });
    }
    for (const u of granted) {
      const max = limitOf(u);
      grants[u.agent] = { tools: { ...(grants[u.agent]?.tools ?? {}), [tool]: { limits: [{ counter, window: per, max, scope: 'grant' }] } } };
      const ev = evidenceOf([u], risk, opts.windowS);
      rules.push({
        path: `grants.${u.agent}.tools.${tool}.limits[0]`,
        change: `${u.agent} may call ${tool} up to ${max} per ${typeof per === 'number' ? `${per}s` : per} (its peak ${u.peak} is over ${opts.grantFactor}× the median agent's ${med})`,
        evidence: ev, confidence: confidence(ev.calls, ev.days_seen), stable: stable([u]),
      });
    }
  }
  const hide = [...new Set(input.offered.map((o) => o.tool))].filter((t) => !byTool.has(t)).sort();
  for (const t of hide) {
    const offeredBy = input.offered.filter((o) => o.tool === t).map((o) => o.upstream);
    rules.push({ path: 'hide', change: `hide ${t} (offered by ${offeredBy.join(', ')}, never called in the range)` });
  }
  const policy: PolicyDocument = { version: '1', default: 'deny', ...(hide.length ? { hide } : {}), tools, ...(Object.keys(grants).length ? { grants } : {}) };
  return { policy, rules };
}
