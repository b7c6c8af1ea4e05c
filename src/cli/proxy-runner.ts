/**
 * The running side of `warden proxy`: wires the policy engine, the OTel pipeline (OTLP + disk
 * spool) and the MCP relay; owns signals (SIGHUP reloads the policy; SIGTERM/SIGINT/stdin close
 * shut down cleanly, flushing spans and ending the child).
 */
import { ErrorCodes, WardenError, createLogger, isLoopbackHost, silentLogger, systemClock, type Logger, type LogLevel } from '../core/index.js';
import { readEnv, resolveProxyConfig, type ProxyConfig, type ProxyFlags, type WardenEnv } from '../config/index.js';
import {
  PolicyState, ServeApprovalGate, TokenDirectory, startHttpProxy, startStdioProxy, upstreamFactory, warmUpRelay, type ProxyDeps, type RelayApprovals,
  type RunningProxy,
} from '../proxy/index.js';
import { Attr, argsAttributes, createTelemetry, type Telemetry } from '../telemetry/index.js';
import type { RedisCounters } from '../limits/index.js';
import type { SharedLimits } from '../policy/index.js';
import { EXIT } from './exit-codes.js';
import { holdYoungGeneration } from './young-generation.js';

const SHUTDOWN_GRACE_MS = 8_000;
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export async function runProxy(command: string[], flags: ProxyFlags): Promise<number> {
  const env = readEnv();
  const config = resolveProxyConfig(flags, command, env);
  const logger = proxyLogger(env);
  const telemetry = createTelemetry({
    recordArgs: config.recordArgs,
    argsHashKey: config.argsHashKey,
    logger,
    tracesUrl: config.otlpTracesUrl,
    headers: config.otlpHeaders,
    spoolDir: config.spoolDir,
    spoolMaxBytes: config.spoolMaxBytes,
    scheduledDelayMillis: config.exportDelayMs,
    maxBatchSpans: config.exportBatchSpans,
  });
  let running: RunningProxy | undefined;
  let stopWatching = () => {};
  const shared = await sharedLimitsFor(config, logger);
  const shutdown = once(async () => {
    setTimeout(() => process.exit(process.exitCode ?? EXIT.OK), SHUTDOWN_GRACE_MS).unref();
    stopWatching();
    await running?.close();
    await telemetry.recorder.shutdown();
    await shared?.counters.close();
  });
  try {
    const policy = await PolicyState.load({
      file: config.policyFile, modeOverride: config.mode, recorder: telemetry.recorder, logger, ...(shared ? { sharedLimits: shared } : {}),
    });
    running = await startFront(config, policy, telemetry, logger);
    holdYoungGeneration();
    stopWatching = policy.watch();
    process.on('SIGHUP', () => void policy.reload('SIGHUP'));
    process.once('SIGTERM', () => void shutdown());
    process.once('SIGINT', () => void shutdown());
    await running.done;
  } finally {
    await shutdown();
  }
  return EXIT.OK;
}

async function startFront(config: ProxyConfig, policy: PolicyState, telemetry: Telemetry, logger: Logger): Promise<RunningProxy> {
  const deps: ProxyDeps = {
    policy,
    recorder: telemetry.recorder,
    upstream: upstreamFactory(config.upstream),
    clock: systemClock,
    logger,
    timeoutMs: config.timeoutMs,
    agentId: config.agent,
    approvals: approvalsFor(config, logger),
    warmUp: config.warmUpCalls > 0 ? (stop) => warmUp(config, stop, logger) : undefined,
  };
  if (!config.listen) {
    if (policy.mode === 'enforce' && config.agent === undefined) {
      logger.warn('enforce mode without --agent: the client\'s self-declared name is used as its identity');
    }
    return startStdioProxy(deps, { stdin: process.stdin, stdout: process.stdout });
  }
  if (!isLoopbackHost(config.listen.host) && !config.tokensFile) {
    throw new WardenError(ErrorCodes.CONFIG_INVALID, `listening on ${config.listen.host} (not loopback) requires --tokens`, {
      hint: 'map each agent to the sha256 of its bearer token in a tokens file: {"agents": {"a1": {"token_sha256": "…"}}}',
    });
  }
  const tokens = config.tokensFile ? await TokenDirectory.load(config.tokensFile) : TokenDirectory.empty();
  const requireToken = config.tokensFile !== undefined || !isLoopbackHost(config.listen.host);
  const proxy = await startHttpProxy(deps, { ...config.listen, tokens, requireToken, limits: config.sessionLimits });
  logger.info(`listening on ${proxy.url}`, { mode: policy.mode, policy: config.policyFile ?? '(none: allow all)' });
  return proxy;
}

/**
 * The synthetic calls of warmUpRelay, on a PolicyState of their own (the real counters never
 * see them) and a recorder that encodes its spans and drops them (nothing is exported).
 */
async function warmUp(config: ProxyConfig, stop: () => boolean, logger: Logger): Promise<void> {
  try {
    const { recorder } = createTelemetry({ recordArgs: config.recordArgs, argsHashKey: config.argsHashKey, logger: silentLogger, encodedSink: DISCARDED_SPANS });
    const policy = await PolicyState.load({ file: config.policyFile, modeOverride: config.mode, recorder, logger: silentLogger });
    await warmUpRelay({ policy, recorder, calls: config.warmUpCalls, stop });
    await recorder.shutdown();
  } catch (error) {
    // Only speed is at stake: the session itself goes on.
    logger.debug('proxy warm-up stopped', { error: String(error) });
  }
}

const DISCARDED_SPANS = { exportBody: () => {}, forceFlush: async () => {}, shutdown: async () => {} };

/** Held calls are registered with serve under the OTLP endpoint's credentials, arguments as the recording mode allows. */
function approvalsFor(config: ProxyConfig, logger: Logger): RelayApprovals {
  return {
    gate: new ServeApprovalGate({ baseUrl: config.approvalsUrl, headers: config.otlpHeaders, logger }),
    timeoutMs: config.approvalTimeoutMs,
    // Often enough that a client which resets its request timeout on progress never times out.
    progressEveryMs: Math.min(10_000, Math.max(100, Math.floor(config.approvalTimeoutMs / 10))),
    describeArgs: (args) => {
      const attrs = argsAttributes(config.recordArgs, args, {}, config.argsHashKey);
      const hash = String(attrs[Attr.ARGS_HASH] ?? '');
      const recorded = attrs[Attr.ARGS];
      return { text: recorded !== undefined ? String(recorded) : hash ? `sha256:${hash}` : `${attrs[Attr.ARGS_BYTES]} bytes (not recorded)`, hash };
    },
  };
}

/** How long start-up waits for the shared limit store; past it the fallback decides until Redis answers. */
const LIMITS_CONNECT_WAIT_MS = 2_000;

async function sharedLimitsFor(config: ProxyConfig, logger: Logger): Promise<(SharedLimits & { counters: RedisCounters }) | undefined> {
  if (config.limits === undefined) return undefined;
  // Loaded on use: ioredis is needed only with --limits.
  const { RedisCounters, redactUrl } = await import('../limits/index.js');
  const counters = new RedisCounters({ url: config.limits.url, timeoutMs: config.limits.timeoutMs, logger });
  if (await counters.connect(LIMITS_CONNECT_WAIT_MS)) {
    logger.info('rate-limit counters shared through Redis', { redis: redactUrl(config.limits.url), fallback: config.limits.fallback });
  }
  return { counters, name: 'redis', fallback: config.limits.fallback };
}

function proxyLogger(env: WardenEnv): Logger {
  const level = LOG_LEVELS.find((l) => l === env.WARDEN_LOG_LEVEL) ?? 'info';
  return createLogger({ level, json: env.WARDEN_LOG_FORMAT === 'json' });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let started: Promise<void> | undefined;
  return () => (started ??= fn());
}
