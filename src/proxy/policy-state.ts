import { readFile } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import { ErrorCodes, WardenError, err, ok, type Logger, type Result } from '../core/index.js';
import {
  PolicyEngine, ReloadablePolicy, formatProblems, parsePolicyText, type CompiledPolicy, type Decision, type PolicyMode, type SharedLimits, type ToolCall,
} from '../policy/index.js';
import type { DecisionRecorder } from '../telemetry/index.js';

/** Without `--policy`: allow everything, still decide (and so record) every call. */
export const ALLOW_ALL_POLICY_TEXT = '{"version":"1","default":"allow"}';

export interface PolicyStateOptions {
  file: string | undefined;
  /** `--mode`; when absent the policy file's `mode` applies, else audit. */
  modeOverride: PolicyMode | undefined;
  recorder: DecisionRecorder;
  logger: Logger;
  /** `--limits`: counters shared through a store (Redis); absent, the process's own. */
  sharedLimits?: SharedLimits;
}

/**
 * The policy in force for one proxy process: the engine (whose counters survive reloads),
 * the effective mode and hash, and hot reload from the file (SIGHUP or a change on disk).
 * A reload that fails validation keeps the old policy and says why on stderr and in a span event.
 */
export class PolicyState {
  readonly engine: PolicyEngine;
  private readonly reloadable: ReloadablePolicy;
  private watching = false;
  /**
   * Decides one call. On the process's own counters the answer is immediate; with shared
   * limits a limited call waits for the store (bounded by its timeout). Chosen once here so
   * the local path pays nothing for the shared one.
   */
  readonly decide: (call: ToolCall) => Decision | Promise<Decision>;

  private constructor(initial: CompiledPolicy, private readonly opts: PolicyStateOptions) {
    this.engine = new PolicyEngine(initial);
    this.reloadable = new ReloadablePolicy(initial, { engine: this.engine });
    const shared = opts.sharedLimits;
    const engine = this.engine;
    this.decide = shared === undefined ? (call) => engine.decide(call) : (call) => engine.decideShared(call, shared);
  }

  static async load(opts: PolicyStateOptions): Promise<PolicyState> {
    const text = opts.file === undefined ? ALLOW_ALL_POLICY_TEXT : await readPolicyFile(opts.file);
    const parsed = parsePolicyText(text, opts.file);
    if (!parsed.ok) {
      throw new WardenError(ErrorCodes.POLICY_INVALID, `policy ${opts.file ?? '(built-in)'} is invalid:\n${formatProblems(parsed.error)}`, {
        details: parsed.error,
        hint: `check it with: warden policy check ${opts.file ?? ''}`.trim(),
      });
    }
    return new PolicyState(parsed.value, opts);
  }

  get mode(): PolicyMode {
    return this.opts.modeOverride ?? this.reloadable.current.mode ?? 'audit';
  }

  get hash(): string {
    return this.reloadable.current.hash;
  }

  get file(): string | undefined {
    return this.opts.file;
  }

  /** Re-reads the policy file; `source` says what triggered it (for the log line and the span event). */
  async reload(source: string): Promise<Result<{ changed: boolean; hash: string }, string>> {
    const file = this.opts.file;
    if (file === undefined) return ok({ changed: false, hash: this.hash });
    let outcome: Result<{ changed: boolean; hash: string }, string>;
    try {
      const text = await readSettled(file);
      if (text === undefined) {
        this.opts.logger.debug('policy file still being written; will read it again', { file });
        return ok({ changed: false, hash: this.hash });
      }
      const reloaded = this.reloadable.tryReload(text, file);
      outcome = reloaded.ok
        ? ok({ changed: reloaded.value.changed, hash: reloaded.value.policy.hash })
        : err(formatProblems(reloaded.error));
    } catch (error) {
      outcome = err(`cannot read ${file}: ${(error as Error).message}`);
    }
    this.report(file, source, outcome);
    return outcome;
  }

  /** Polls the file's mtime (robust to editors that save by rename); returns a stop function. */
  watch(intervalMs = 500): () => void {
    const file = this.opts.file;
    if (file === undefined || this.watching) return () => {};
    this.watching = true;
    const listener = (now: { mtimeMs: number }, before: { mtimeMs: number }) => {
      if (now.mtimeMs !== before.mtimeMs) void this.reload('file change');
    };
    watchFile(file, { interval: intervalMs, persistent: false }, listener);
    return () => {
      unwatchFile(file, listener);
      this.watching = false;
    };
  }

  private report(file: string, source: string, outcome: Result<{ changed: boolean; hash: string }, string>): void {
    if (!outcome.ok) {
      this.opts.logger.warn(`policy reload rejected (${source}); keeping the previous policy`, { file, reason: outcome.error, hash: this.hash });
      this.opts.recorder.policyReload({ ok: false, source: file, reason: outcome.error, hash: this.hash });
      return;
    }
    if (!outcome.value.changed) return;
    this.opts.logger.info(`policy reloaded (${source})`, { file, hash: outcome.value.hash, mode: this.mode });
    this.opts.recorder.policyReload({ ok: true, source: file, hash: outcome.value.hash });
  }
}

/** How long a policy file must stay the same before a reload reads it as whole. */
const SETTLE_MS = 50;

/**
 * The file's text once two reads SETTLE_MS apart agree, else undefined (a writer is still at
 * it: an editor that truncates and rewrites in place can leave a prefix that parses, e.g. a
 * YAML policy cut after a whole line). The watcher sees the next change and reads again.
 */
async function readSettled(file: string): Promise<string | undefined> {
  const first = await readFile(file, 'utf8');
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const second = await readFile(file, 'utf8');
  return first === second ? second : undefined;
}

async function readPolicyFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new WardenError(ErrorCodes.POLICY_NOT_FOUND, `cannot read policy file ${file}: ${(error as Error).message}`);
  }
}
