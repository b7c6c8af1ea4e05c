import { sha256Hex } from '../../core/index.js';
import type { TimeRange } from '../range.js';
import type { Anomaly, AnomalyType, Severity } from './types.js';

export type AnomalyDraft = Omit<Anomaly, 'id' | 'start' | 'end'> & { startMs: number; endMs: number };

export function finishAnomaly(draft: AnomalyDraft): Anomaly {
  const { startMs, endMs, ...rest } = draft;
  const id = sha256Hex([draft.type, draft.agent, draft.tool, draft.session ?? '', String(startMs)].join('\u0000')).slice(0, 16);
  return { id, ...rest, start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString() };
}

/** observed/threshold at least this → that severity (highest first); below all → low. */
export const SEVERITY_RATIOS: ReadonlyArray<readonly [number, Severity]> = [[10, 'critical'], [3, 'high'], [1.5, 'medium']];

/** observed/threshold ≥ 10 → critical, ≥ 3 → high, ≥ 1.5 → medium, else low. */
export function severityByRatio(observed: number, threshold: number): Severity {
  const ratio = threshold > 0 ? observed / threshold : Infinity;
  return SEVERITY_RATIOS.find(([min]) => ratio >= min)?.[1] ?? 'low';
}

/**
 * A write burst at least twice its threshold is at least high: "hundreds of times a minute"
 * against a ceiling of 120 must page someone even though the ratio alone says medium.
 */
export function burstSeverity(observed: number, threshold: number): Severity {
  const byRatio = severityByRatio(observed, threshold);
  return observed >= 2 * threshold && (byRatio === 'low' || byRatio === 'medium') ? 'high' : byRatio;
}

export function severityByRisk(risk: string): Severity {
  if (risk === 'destructive' || risk === 'financial') return 'high';
  if (risk === 'write' || risk === 'execute') return 'medium';
  return 'low';
}

export const DAY_MS = 86_400_000;

/**
 * Baselines are trailing: a point in day-block k (blocks of one day from `range.from`) is
 * judged against the history in [blockStart − lookback, blockStart). So a long range (e.g.
 * the 7 days `suggest` learns from) is judged day by day, and anomalous traffic never raises
 * its own baseline.
 */
export function dayBlocks(range: TimeRange): Array<{ startMs: number; endMs: number }> {
  const blocks: Array<{ startMs: number; endMs: number }> = [];
  for (let s = range.fromMs; s < range.toMs; s += DAY_MS) blocks.push({ startMs: s, endMs: Math.min(s + DAY_MS, range.toMs) });
  return blocks;
}

/** Buckets of one series: time (ms) → value; merges flagged neighbours into episodes. */
export interface Flagged {
  startMs: number;
  endMs: number;
  value: number;
  threshold: number;
  baseline: number;
  method: string;
  calls: number;
  samples: string[];
}

/** Joins flagged points no more than `gapMs` apart; keeps the peak's explanation. */
export function mergeEpisodes(points: Flagged[], gapMs: number, maxSamples: number): Flagged[] {
  const sorted = [...points].sort((a, b) => a.startMs - b.startMs);
  const out: Flagged[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && p.startMs - last.endMs <= gapMs) {
      last.endMs = Math.max(last.endMs, p.endMs);
      last.calls += p.calls;
      if (p.value > last.value) Object.assign(last, { value: p.value, threshold: p.threshold, baseline: p.baseline, method: p.method });
      for (const s of p.samples) if (last.samples.length < maxSamples) last.samples.push(s);
    } else {
      out.push({ ...p, samples: p.samples.slice(0, maxSamples) });
    }
  }
  return out;
}

export function seriesKey(agent: string, tool: string): string {
  return `${agent}\u0000${tool}`;
}

export function splitKey(key: string): [string, string] {
  const [a, t] = key.split('\u0000');
  return [a ?? '', t ?? ''];
}

export type DetectorName = AnomalyType;
