/**
 * Rule-by-rule comparison of a proposed policy with the one in force. Limits are compared
 * as rates (max / window seconds) when windows differ. With no current policy, the baseline
 * is what `warden proxy` does without --policy: allow everything, no limits.
 */
import { legacyLimit, windowSeconds, type LimitSpec, type PolicyDocument, type ToolPolicy } from '../../policy/index.js';

export type ChangeKind = 'new' | 'removed' | 'tighter' | 'looser' | 'unchanged';

export interface PolicyDiffEntry {
  path: string;
  change: ChangeKind;
  before?: unknown;
  after?: unknown;
}

const ALLOW_ALL: PolicyDocument = { version: '1', default: 'allow' };

function effectiveLimits(spec: ToolPolicy | undefined, tool: string): LimitSpec[] {
  if (!spec) return [];
  const legacy = legacyLimit(tool, spec.rate_limit);
  return [...(spec.limits ?? []), ...(legacy ? [legacy] : [])];
}

function rate(l: LimitSpec): number {
  return l.max / windowSeconds(l.window);
}

function compareTool(path: string, tool: string, before: ToolPolicy | undefined, after: ToolPolicy | undefined): PolicyDiffEntry[] {
  if (!before && !after) return [];
  if (!before) return [{ path, change: 'new', after }];
  if (!after) return [{ path, change: 'removed', before }];
  const out: PolicyDiffEntry[] = [];
  const actionRank = { allow: 0, approve: 1, deny: 2 } as const;
  const a0 = actionRank[before.action ?? 'allow'];
  const a1 = actionRank[after.action ?? 'allow'];
  if (a0 !== a1) out.push({ path: `${path}.action`, change: a1 > a0 ? 'tighter' : 'looser', before: before.action ?? 'allow', after: after.action ?? 'allow' });
  const lb = effectiveLimits(before, tool);
  const la = effectiveLimits(after, tool);
  la.forEach((l, i) => {
    const match = lb.find((b) => windowSeconds(b.window) === windowSeconds(l.window) && (b.scope ?? 'grant') === (l.scope ?? 'grant'))
      ?? lb.find((b) => (b.scope ?? 'grant') === (l.scope ?? 'grant'));
    const change: ChangeKind = !match ? 'new' : rate(l) < rate(match) ? 'tighter' : rate(l) > rate(match) ? 'looser' : 'unchanged';
    out.push({ path: `${path}.limits[${i}]`, change, ...(match ? { before: match } : {}), after: l });
  });
  for (const b of lb) {
    if (!la.some((l) => (l.scope ?? 'grant') === (b.scope ?? 'grant'))) out.push({ path: `${path}.limits`, change: 'removed', before: b });
  }
  if (out.length === 0) out.push({ path, change: 'unchanged' });
  return out;
}

export function diffPolicies(current: PolicyDocument | undefined, next: PolicyDocument): PolicyDiffEntry[] {
  const cur = current ?? ALLOW_ALL;
  const out: PolicyDiffEntry[] = [];
  if (cur.default !== next.default) out.push({ path: 'default', change: next.default === 'deny' ? 'tighter' : 'looser', before: cur.default, after: next.default });
  else out.push({ path: 'default', change: 'unchanged', before: cur.default, after: next.default });
  const hb = new Set(cur.hide ?? []);
  const ha = new Set(next.hide ?? []);
  for (const t of ha) if (!hb.has(t)) out.push({ path: `hide.${t}`, change: 'tighter', after: 'hidden' });
  for (const t of hb) if (!ha.has(t)) out.push({ path: `hide.${t}`, change: 'looser', before: 'hidden' });
  const names = new Set([...Object.keys(cur.tools ?? {}), ...Object.keys(next.tools ?? {})]);
  for (const t of [...names].sort()) out.push(...compareTool(`tools.${t}`, t, cur.tools?.[t], next.tools?.[t]));
  const agents = new Set([...Object.keys(cur.grants ?? {}), ...Object.keys(next.grants ?? {})]);
  for (const agent of [...agents].sort()) {
    const gb = cur.grants?.[agent]?.tools ?? {};
    const ga = next.grants?.[agent]?.tools ?? {};
    for (const t of [...new Set([...Object.keys(gb), ...Object.keys(ga)])].sort()) {
      // A tool missing from one side of a grant falls back to the top-level entry there.
      out.push(...compareTool(`grants.${agent}.tools.${t}`, t, gb[t] ?? cur.tools?.[t], ga[t] ?? next.tools?.[t]));
    }
  }
  return out;
}

export function diffCounts(entries: readonly PolicyDiffEntry[]): Record<ChangeKind, number> {
  const counts: Record<ChangeKind, number> = { new: 0, removed: 0, tighter: 0, looser: 0, unchanged: 0 };
  for (const e of entries) counts[e.change]++;
  return counts;
}
