/**
 * `warden suggest` and `warden simulate`. Both talk to a running `warden serve` (--api URL,
 * probed at /readyz) and open the store directly only when none answers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AnalyticsContext, ForwardTest, SimulationResult, SuggestResult } from '../../analytics/index.js';
import { DEFAULT_ANALYTICS_SINCE, DEFAULT_API_URL, DEFAULT_SUGGEST_HEADROOM, type StoreFlags } from '../../config/index.js';
import { ErrorCodes, WardenError, parseDurationMs, systemClock } from '../../core/index.js';
import { formatProblems, parsePolicyDocument, policyToJson } from '../../policy/index.js';
import { ApiClient, cliApiToken } from '../api-client.js';
import { createProgress } from '../progress.js';
import { addStoreOptions, openStoreForReading, storeConfigFromFlags } from '../store.js';

/** Loaded only when no serve answers and the store is opened here. */
type Analytics = typeof import('../../analytics/index.js');

interface CommonFlags extends StoreFlags {
  api: string;
  tokenFile?: string;
  since: string;
  json?: boolean;
}

interface SuggestFlags extends CommonFlags {
  headroom: string;
  out?: string;
  current?: string;
  backtest: boolean;
  holdout?: string;
}

interface SimulateFlags extends CommonFlags {
  policy: string;
}

export function registerAnalyticsCommands(program: Command): void {
  const suggest = program
    .command('suggest')
    .description('print a tightened policy learned from recorded usage (policy.json), with evidence, a diff and a backtest')
    .option('--since <duration>', 'learn from this much history', DEFAULT_ANALYTICS_SINCE)
    .option('--headroom <x>', 'multiplier over the largest observed rolling count', String(DEFAULT_SUGGEST_HEADROOM))
    .option('--out <file>', 'write the policy file here instead of stdout')
    .option('--current <file>', 'the policy in force, to diff against')
    .option('--holdout <part>', 'the later part of the range the forward test replays unseen: a share (20%), a duration (2d) or none (default: the last 20 %, at least a day when the range allows)')
    .option('--no-backtest', 'skip the replays (backtest over the same history, forward test over the holdout)')
    .option('--json', 'print the whole result (policy, rules, diff, backtest, forward_test) as JSON');
  addCommonOptions(suggest).action(async (flags: SuggestFlags) => runSuggest(flags));

  const simulate = program
    .command('simulate')
    .description('replay recorded calls against a candidate policy: decisions per agent and tool, first refusals, change vs recorded')
    .requiredOption('--policy <file>', 'candidate policy (JSON or YAML)')
    .option('--since <duration>', 'replay this much history', DEFAULT_ANALYTICS_SINCE)
    .option('--json', 'print the whole result as JSON');
  addCommonOptions(simulate).action(async (flags: SimulateFlags) => runSimulate(flags));
}

function addCommonOptions(cmd: Command): Command {
  return addStoreOptions(cmd
    .option('--api <url>', 'a running warden serve', DEFAULT_API_URL)
    .option('--token-file <file>', 'a file holding serve\'s bearer token (else env WARDEN_API_TOKEN)'));
}

function sinceToFrom(since: string): string {
  parseDurationMs(since); // fails early with a clear message
  return `-${since.trim()}`;
}

function readPolicyFile(file: string, field: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new WardenError(ErrorCodes.POLICY_NOT_FOUND, `cannot read ${field} policy ${file}: ${(e as Error).message}`);
  }
  const doc = parsePolicyDocument(text, file);
  if (!doc.ok) throw new WardenError(ErrorCodes.POLICY_INVALID, `${file}: ${formatProblems(doc.error).split('\n').join('; ')}`);
  return doc.value;
}

/** Runs `viaApi` against a live serve, else `direct` on a store opened here (and closed after). */
async function withBackend<T>(flags: CommonFlags, viaApi: (api: ApiClient) => Promise<T>, direct: (analytics: Analytics, ctx: AnalyticsContext) => Promise<T>): Promise<T> {
  const api = new ApiClient(flags.api, cliApiToken(flags.tokenFile));
  if (await api.probe()) return viaApi(api);
  const analytics: Analytics = await import('../../analytics/index.js');
  const store = await openStoreForReading(storeConfigFromFlags(flags));
  try {
    return await direct(analytics, analytics.analyticsContext(store));
  } finally {
    await store.close();
  }
}

async function runSuggest(flags: SuggestFlags): Promise<void> {
  const headroom = Number(flags.headroom);
  if (!Number.isFinite(headroom) || headroom < 1) throw new WardenError(ErrorCodes.BAD_REQUEST, `--headroom must be a number ≥ 1, got "${flags.headroom}"`);
  const from = sinceToFrom(flags.since);
  const current = flags.current ? readPolicyFile(flags.current, 'current') : undefined;
  const request = { from, headroom, backtest: flags.backtest, ...(flags.holdout !== undefined ? { holdout: flags.holdout } : {}), ...(current !== undefined ? { current } : {}) };
  const result = await createProgress().step(`learning a policy from the last ${flags.since} of calls`, () => withBackend<SuggestResult>(
    flags,
    (api) => api.post<SuggestResult>('/api/v1/policy/suggested', request),
    (a, ctx) => a.suggestPolicy(ctx, a.parseTimeRange({ from }, systemClock.nowMs()), request),
  ));
  if (learnedFromNothing(result)) {
    // A policy learned from no calls denies everything: refuse to hand that out as a suggestion.
    throw new WardenError(ErrorCodes.NOT_FOUND, `no recorded calls from ${result.range.from} to ${result.range.to}: there is nothing to learn a policy from`, {
      hint: 'widen --since, or record calls first: run your agents through `warden proxy` with `warden serve` running (or try `warden demo`)',
    });
  }
  const policyText = policyToJson(result.policy);
  if (flags.out) writeFileSync(flags.out, policyText);
  if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else if (!flags.out) process.stdout.write(policyText);
  if (!flags.json) process.stderr.write(suggestReport(result, flags.out));
}

function learnedFromNothing(r: SuggestResult): boolean {
  return Object.keys(r.policy.tools ?? {}).length === 0 && r.rules.every((rule) => !rule.evidence) && r.excluded.calls === 0;
}

function suggestReport(r: SuggestResult, out: string | undefined): string {
  const lines = [`warden: suggested policy from ${r.range.from} to ${r.range.to}${out ? ` written to ${out}` : ''}`];
  for (const rule of r.rules) {
    const ev = rule.evidence ? ` [${rule.evidence.calls} calls, ${rule.evidence.days_seen} day(s), peak ${rule.evidence.observed_max}/${rule.evidence.window_s}s, p99 ${rule.evidence.p99}]` : '';
    const conf = rule.confidence ? ` confidence ${rule.confidence.level}${rule.stable === false ? ', not yet stable' : ''}` : '';
    lines.push(`  ${rule.path}: ${rule.change}${ev}${conf}`);
  }
  const c = r.diff.counts;
  lines.push(`  diff vs ${r.diff.against === 'request' ? 'current policy' : 'no policy'}: ${c.tighter} tighter, ${c.looser} looser, ${c.new} new, ${c.removed} removed, ${c.unchanged} unchanged`);
  lines.push(`  excluded from learning: ${r.excluded.calls} calls in ${r.excluded.anomalies} anomalies`);
  if (r.backtest) lines.push(`  backtest: ${backtestLine(r.backtest)} (in-sample: the history it learned from)`);
  if (r.forward_test) lines.push(...forwardLines(r.forward_test));
  return lines.join('\n') + '\n';
}

const pct = (share: number | null) => (share === null ? 'n/a' : `${(share * 100).toFixed(2)} %`);

/** The forward test in a few lines: what tomorrow's normal traffic and a new runaway would meet. */
export function forwardLines(f: ForwardTest): string[] {
  const lines = [
    `  forward test: learned on ${f.learned_on.from} → ${f.learned_on.to}, replayed ${f.calls} unseen calls of ${f.replayed_on.from} → ${f.replayed_on.to}`,
    `    normal calls refused: ${f.normal.refused} of ${f.normal.calls} (${pct(f.normal.refused_share)})`,
    `    runaway excess refused: ${f.runaway_excess.refused} of ${f.runaway_excess.calls} (${pct(f.runaway_excess.refused_share)})`,
  ];
  for (const e of f.normal.examples.slice(0, 5)) lines.push(`      e.g. ${e.ts} ${e.agent} ${e.tool} → ${e.decision} (${e.rule})`);
  return lines;
}

function backtestLine(s: SimulationResult): string {
  const d = s.summary.decisions;
  const refused = s.summary.calls - d.allow;
  return `${s.summary.calls} calls replayed: ${d.allow} allowed, ${refused} refused (${d.deny} deny, ${d.rate_limited} rate_limited, ${d.approval_required} approval_required, ${d.invalid_arguments} invalid_arguments); ${s.summary.newly_refused} newly refused, ${s.summary.newly_allowed} newly allowed`;
}

async function runSimulate(flags: SimulateFlags): Promise<void> {
  const policy = readPolicyFile(flags.policy, 'candidate');
  const from = sinceToFrom(flags.since);
  const result = await createProgress().step(`replaying the last ${flags.since} of calls`, () => withBackend<SimulationResult>(
    flags,
    (api) => api.post<SimulationResult>('/api/v1/policy/simulate', { policy, from }),
    (a, ctx) => a.simulatePolicy(ctx, policy, a.parseTimeRange({ from }, systemClock.nowMs())),
  ));
  if (flags.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  process.stdout.write(simulateReport(result));
}

function simulateReport(r: SimulationResult): string {
  const lines = [`${r.summary.from} → ${r.summary.to}, policy ${r.summary.policy_hash.slice(0, 12)}: ${backtestLine(r)}`];
  if (r.summary.calls === 0) lines.push(`note: no recorded calls in this range; widen --since, or record calls first with \`warden serve\` (or try \`warden demo\`)`);
  if (r.summary.args_unchecked > 0) lines.push(`note: ${r.summary.args_unchecked} calls: ${r.summary.note}`);
  lines.push('', 'agent\ttool\tcalls\tallow\tdeny\trate_limited\tapproval\tinvalid_args\tnewly_refused\tnewly_allowed');
  for (const x of r.by_agent_tool) {
    lines.push([x.agent, x.tool, x.calls, x.allow, x.deny, x.rate_limited, x.approval_required, x.invalid_arguments, x.newly_refused, x.newly_allowed].join('\t'));
  }
  if (r.samples.length > 0) {
    lines.push('', 'first refused calls:');
    for (const s of r.samples) lines.push(`  ${s.ts} ${s.agent} ${s.tool} → ${s.decision} (${s.rule}: ${s.reason}); recorded ${s.actual_decision}; span ${s.span_id}`);
  }
  return lines.join('\n') + '\n';
}
