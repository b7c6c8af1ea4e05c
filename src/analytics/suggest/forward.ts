/**
 * The forward test: the policy learned on the earlier part of the range, replayed over the
 * later part it never saw. Each replayed call is either
 * - runaway excess: inside a window anomaly detection flagged (the same keys learning left
 *   out, see exclusions.ts) — a good policy refuses these;
 * - normal: everything else, less the calls the recorded policy already refused in enforce
 *   mode (refusing them again is no regression) — a good policy refuses none of these.
 */
import type { PolicyDocument } from '../../policy/index.js';
import { isoRange, type TimeRange } from '../range.js';
import type { RecordedCall } from '../replay-source.js';
import type { AnalyticsContext } from '../context.js';
import { PerAgentTool, RefusalSamples, byAgentTool, decideReplayed, type ReplayLane, type ReplayPolicy, type SimulationSample } from '../simulate.js';
import type { ExclusionIndex } from './exclusions.js';

export interface ForwardRow {
  agent: string;
  tool: string;
  calls: number;
  normal_refused: number;
  runaway_calls: number;
  runaway_refused: number;
}

export interface ForwardTest {
  learned_on: { from: string; to: string };
  replayed_on: { from: string; to: string };
  policy_hash: string;
  /** The policy learned on `learned_on` alone (the returned policy learns on the whole range). */
  policy: PolicyDocument;
  calls: number;
  normal: { calls: number; refused: number; refused_share: number; examples: SimulationSample[] };
  runaway_excess: { calls: number; refused: number; refused_share: number | null };
  by_agent_tool: ForwardRow[];
  note: string;
}

const NOTE = 'normal = replayed calls outside the windows anomaly detection flagged, less refusals the recorded policy already enforced; runaway excess = calls inside the flagged windows';
const EXAMPLES = 20;
const EXAMPLES_PER_TOOL = 3;

export class ForwardLane implements ReplayLane {
  readonly fromMs: number;
  readonly toMs: number;
  private readonly rows = new PerAgentTool<ForwardRow>();
  private readonly examples = new RefusalSamples(EXAMPLES, EXAMPLES_PER_TOOL);
  private calls = 0;
  private normal = 0;
  private normalRefused = 0;
  private runaway = 0;
  private runawayRefused = 0;

  constructor(
    private readonly policy: ReplayPolicy,
    private readonly doc: PolicyDocument,
    private readonly learnedOn: TimeRange,
    private readonly replayedOn: TimeRange,
    private readonly flagged: ExclusionIndex,
  ) {
    this.fromMs = replayedOn.fromMs;
    this.toMs = replayedOn.toMs;
  }

  add(c: RecordedCall): void {
    const d = decideReplayed(this.policy, c);
    const refused = d.decision !== 'allow';
    const row = this.row(c);
    this.calls++;
    row.calls++;
    if (this.flagged.has(c.a, c.o, c.s, c.t)) {
      this.runaway++;
      row.runaway_calls++;
      if (refused) { this.runawayRefused++; row.runaway_refused++; }
      return;
    }
    if (c.d !== 'allow' && c.e) return;
    this.normal++;
    if (!refused) return;
    this.normalRefused++;
    row.normal_refused++;
    this.examples.offer(c, d);
  }

  private row(c: RecordedCall): ForwardRow {
    return this.rows.get(c) ?? this.rows.set(c, { agent: c.a, tool: c.o, calls: 0, normal_refused: 0, runaway_calls: 0, runaway_refused: 0 });
  }

  async result(ctx: AnalyticsContext): Promise<ForwardTest> {
    const examples = await this.examples.withSpanIds(ctx);
    return {
      learned_on: isoRange(this.learnedOn),
      replayed_on: isoRange(this.replayedOn),
      policy_hash: this.policy.hash,
      policy: this.doc,
      calls: this.calls,
      normal: { calls: this.normal, refused: this.normalRefused, refused_share: share(this.normalRefused, this.normal) ?? 0, examples },
      runaway_excess: { calls: this.runaway, refused: this.runawayRefused, refused_share: share(this.runawayRefused, this.runaway) },
      by_agent_tool: byAgentTool(this.rows.values()),
      note: NOTE,
    };
  }
}

function share(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 1e6) / 1e6 : null;
}
