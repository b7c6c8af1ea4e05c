/**
 * The alert loop inside `warden serve`: every interval, evaluate the rules, advance the
 * state machine, persist the changes, then hand notifications to the per-target queues
 * without waiting for them. State is saved before anything is sent, so a restart never
 * re-sends what was already decided (at most once per transition, by design).
 */
import { errorMessage, silentLogger, systemClock, type Clock, type Logger } from '../core/index.js';
import type { StoreDriver } from '../storage/index.js';
import { ruleDefinitions } from './definitions.js';
import { TargetQueue, type DeliveryOutcome } from './delivery.js';
import { evaluateRules, type AnomalySource } from './evaluate.js';
import { groupNotifications } from './payloads.js';
import { publicTarget, type PublicTarget } from './redact.js';
import { AlertRepository, type AlertEventRow } from './repository.js';
import { stepAlerts, type AlertState, type Notification } from './state.js';
import type { AlertConfig } from './types.js';

export const DEFAULT_ALERT_INTERVAL_MS = 15_000;

export interface AlertLoopOptions {
  store: StoreDriver;
  config: AlertConfig;
  intervalMs?: number;
  anomalies?: AnomalySource | undefined;
  logger?: Logger;
  clock?: Clock;
  /** Link receivers get back to this serve's alert list (a function: the port may be known only later). */
  generatorUrl?: string | (() => string);
  /** How long stop() lets queued deliveries finish. */
  stopGraceMs?: number;
}

export interface EvaluationSummary {
  atMs: number;
  durationMs: number;
  firing: number;
  pending: number;
  notifications: number;
  failures: Array<{ rule: string; error: string }>;
}

/** What GET /api/v1/alerts shows; no target secret is reachable from here. */
export interface AlertsSnapshot {
  source: string;
  interval_ms: number;
  last_evaluation: EvaluationSummary | undefined;
  alerts: AlertState[];
  rules: Array<{ name: string; severity: string; for_ms: number; notify: string[]; condition: string; labels: Record<string, string> }>;
  targets: PublicTarget[];
}

export interface AlertsView {
  snapshot(): AlertsSnapshot;
  recentNotifications(opts: { limit: number; fingerprint?: string | undefined; agent?: string | undefined }): Promise<AlertEventRow[]>;
}

export class AlertLoop implements AlertsView {
  readonly intervalMs: number;
  private readonly repo: AlertRepository;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly queues: Map<string, TargetQueue>;
  private states = new Map<string, AlertState>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<EvaluationSummary> | undefined;
  private lastEvaluation: EvaluationSummary | undefined;
  private stopped = false;
  /** Last failure logged per rule, so a persistent failure is logged once, not every interval. */
  private readonly loggedFailures = new Map<string, string>();
  private loaded = false;

  constructor(private readonly opts: AlertLoopOptions) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_ALERT_INTERVAL_MS;
    this.repo = new AlertRepository(opts.store);
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    const deps = {
      logger: this.logger,
      nowMs: () => this.clock.nowMs(),
      context: () => ({ nowMs: this.clock.nowMs(), generatorUrl: resolveUrl(opts.generatorUrl) }),
      onOutcome: (o: DeliveryOutcome) => this.repo.recordOutcome(o),
    };
    this.queues = new Map(opts.config.targets.map((t) => [t.name, new TargetQueue(t, opts.config.delivery, deps)]));
  }

  /** Loads persisted state, evaluates once right away, then every interval. */
  async start(): Promise<void> {
    await this.load();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight?.catch(() => undefined);
    const grace = this.opts.stopGraceMs ?? 2_000;
    await Promise.all([...this.queues.values()].map((q) => q.close(grace)));
  }

  /** One evaluation; concurrent callers share the one in flight. Never throws. */
  evaluateOnce(): Promise<EvaluationSummary> {
    this.inFlight ??= this.tick().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  snapshot(): AlertsSnapshot {
    return {
      source: this.opts.config.source,
      interval_ms: this.intervalMs,
      last_evaluation: this.lastEvaluation,
      alerts: [...this.states.values()].sort((a, b) => b.updatedMs - a.updatedMs),
      rules: ruleDefinitions(this.opts.config.rules).map((d) => ({
        name: d.rule.name, severity: d.rule.severity, for_ms: d.rule.forMs, notify: d.rule.notify, condition: d.summary, labels: d.labels,
      })),
      targets: this.opts.config.targets.map(publicTarget),
    };
  }

  recentNotifications(opts: { limit: number; fingerprint?: string | undefined; agent?: string | undefined }): Promise<AlertEventRow[]> {
    return this.repo.recentEvents(opts);
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    const rows = await this.repo.loadStates(this.clock.nowMs());
    this.states = new Map(rows.map((s) => [s.fingerprint, s]));
    this.loaded = true;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = this.clock.nowMs();
      void this.evaluateOnce().then(() => this.schedule(Math.max(0, this.intervalMs - (this.clock.nowMs() - started))));
    }, delayMs);
    this.timer.unref?.();
  }

  private async tick(): Promise<EvaluationSummary> {
    const atMs = this.clock.nowMs();
    const summary: EvaluationSummary = { atMs, durationMs: 0, firing: 0, pending: 0, notifications: 0, failures: [] };
    try {
      await this.load();
      const { config, store, anomalies } = this.opts;
      const found = await evaluateRules(store, config.rules, anomalies, atMs);
      summary.failures = found.failures;
      this.logFailures(found.failures, config.rules.map((r) => r.name));
      const step = stepAlerts(this.states, found.observations, config.rules, found.evaluated, atMs);
      // Only transitions and notifications are written; a changing value lives in memory.
      const transitions = step.changed.filter((s) => {
        const prev = this.states.get(s.fingerprint);
        return !prev || prev.status !== s.status || prev.lastNotifiedMs !== s.lastNotifiedMs;
      });
      for (const s of step.changed) this.states.set(s.fingerprint, s);
      for (const s of step.dropped) this.states.delete(s.fingerprint);
      await this.persist(transitions, step.dropped);
      this.dispatch(step.notifications);
      summary.notifications = step.notifications.length;
    } catch (e) {
      summary.failures.push({ rule: '*', error: errorMessage(e) });
      this.logger.warn('alert evaluation failed', { error: errorMessage(e) });
    }
    for (const s of this.states.values()) {
      if (s.status === 'firing') summary.firing += 1;
      else if (s.status === 'pending') summary.pending += 1;
    }
    summary.durationMs = this.clock.nowMs() - atMs;
    this.lastEvaluation = summary;
    return summary;
  }

  private logFailures(failures: Array<{ rule: string; error: string }>, rules: string[]): void {
    for (const f of failures) {
      if (this.loggedFailures.get(f.rule) !== f.error) this.logger.warn('alert rule evaluation failed', f);
      this.loggedFailures.set(f.rule, f.error);
    }
    for (const rule of rules) {
      if (this.loggedFailures.has(rule) && !failures.some((f) => f.rule === rule)) {
        this.loggedFailures.delete(rule);
        this.logger.info('alert rule evaluates again', { rule });
      }
    }
  }

  private async persist(changed: AlertState[], dropped: AlertState[]): Promise<void> {
    try {
      await this.repo.saveStates(changed, dropped);
    } catch (e) {
      // Still notify: a missed save risks one duplicate after a restart; a missed alert is worse.
      this.logger.warn('could not save alert state', { error: errorMessage(e) });
    }
  }

  private dispatch(notifications: Notification[]): void {
    for (const n of notifications) {
      const fields = { rule: n.rule.name, agent: n.alert.agent, tool: n.alert.tool || undefined, severity: n.alert.severity, summary: n.alert.summary };
      if (n.status === 'firing') this.logger.warn(n.repeat ? 'alert still firing' : 'alert firing', fields);
      else this.logger.info('alert resolved', fields);
    }
    for (const group of groupNotifications(notifications, this.opts.config.targets)) {
      this.queues.get(group.target.name)?.enqueue(group);
    }
  }
}

function resolveUrl(url: string | (() => string) | undefined): string {
  const value = typeof url === 'function' ? url() : url;
  return value ?? 'http://127.0.0.1:4318/api/v1/alerts';
}
