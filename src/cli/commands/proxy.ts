/**
 * `warden proxy`: wires the policy engine, the OTel pipeline (OTLP + disk spool) and the
 * MCP relay; owns signals (SIGHUP reloads the policy; SIGTERM/SIGINT/stdin close shut down
 * cleanly, flushing spans and ending the child).
 */
import type { Command } from 'commander';
import { createLogger, systemClock, type Logger, type LogLevel } from '../../core/index.js';
import { readEnv, resolveProxyConfig, type ProxyConfig, type ProxyFlags, type WardenEnv } from '../../config/index.js';
import { PolicyState, TokenDirectory, startHttpProxy, startStdioProxy, upstreamFactory, type ProxyDeps, type RunningProxy } from '../../proxy/index.js';
import { createTelemetry, type Telemetry } from '../../telemetry/index.js';
import { EXIT } from '../exit-codes.js';

const SHUTDOWN_GRACE_MS = 8_000;
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description('wrap an MCP server: decide every tools/call against a policy and record each decision as an OpenTelemetry span')
    .argument('[command...]', 'the upstream MCP server to spawn (stdio), after --')
    .option('--policy <file>', 'policy file (JSON or YAML); without it every call is allowed and recorded')
    .option('--mode <mode>', 'audit | enforce (default: the policy file\'s mode, else audit)')
    .option('--agent <id>', 'agent identity for stdio (or WARDEN_AGENT_ID)')
    .option('--record-args <how>', 'none | hash | redacted | full', 'hash')
    .option('--spool <dir>', 'where spans wait while the OTLP endpoint is down (default .warden/spool/<agent>)')
    .option('--spool-max-bytes <size>', 'bound of the spool; the oldest spans are dropped past it', '64MiB')
    .option('--timeout <duration>', 'cut upstream requests that take longer', '60s')
    .option('--otlp <url>', 'OTLP/HTTP endpoint (default http://127.0.0.1:4318; OTEL_EXPORTER_OTLP_ENDPOINT honoured)')
    .option('--upstream-url <url>', 'Streamable HTTP upstream instead of a command')
    .option('--header <name:value>', 'header sent to the HTTP upstream (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
    .option('--bearer <token>', 'bearer token for the HTTP upstream (or WARDEN_UPSTREAM_BEARER)')
    .option('--listen <host:port>', 'serve agents over Streamable HTTP at /mcp instead of stdio')
    .option('--tokens <file>', 'with --listen: agents and the sha256 of their bearer tokens')
    .addHelpText('after', '\nExamples:\n  warden proxy --policy policy.json --agent nightly-batch -- npx -y @avi-total-recall/total-recall\n  warden proxy --listen 127.0.0.1:7331 --tokens tokens.json --upstream-url http://127.0.0.1:3001/mcp')
    .action(async (command: string[], flags: ProxyFlags) => {
      process.exitCode = await runProxy(command, flags);
    });
}

async function runProxy(command: string[], flags: ProxyFlags): Promise<number> {
  const env = readEnv();
  const config = resolveProxyConfig(flags, command, env);
  const logger = proxyLogger(env);
  const telemetry = createTelemetry({
    recordArgs: config.recordArgs,
    logger,
    tracesUrl: config.otlpTracesUrl,
    spoolDir: config.spoolDir,
    spoolMaxBytes: config.spoolMaxBytes,
  });
  let running: RunningProxy | undefined;
  let stopWatching = () => {};
  const shutdown = once(async () => {
    setTimeout(() => process.exit(process.exitCode ?? EXIT.OK), SHUTDOWN_GRACE_MS).unref();
    stopWatching();
    await running?.close();
    await telemetry.recorder.shutdown();
  });
  try {
    const policy = await PolicyState.load({ file: config.policyFile, modeOverride: config.mode, recorder: telemetry.recorder, logger });
    running = await startFront(config, policy, telemetry, logger);
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
  };
  if (!config.listen) {
    if (policy.mode === 'enforce' && config.agent === undefined) {
      logger.warn('enforce mode without --agent: the client\'s self-declared name is used as its identity');
    }
    return startStdioProxy(deps, { stdin: process.stdin, stdout: process.stdout });
  }
  const tokens = config.tokensFile ? await TokenDirectory.load(config.tokensFile) : TokenDirectory.empty();
  const proxy = await startHttpProxy(deps, { ...config.listen, tokens });
  if (!['127.0.0.1', 'localhost', '::1'].includes(config.listen.host) && !config.tokensFile) {
    logger.warn('listening on a non-loopback address without --tokens: anyone who can reach it can call tools');
  }
  logger.info(`listening on ${proxy.url}`, { mode: policy.mode, policy: config.policyFile ?? '(none: allow all)' });
  return proxy;
}

function proxyLogger(env: WardenEnv): Logger {
  const level = LOG_LEVELS.find((l) => l === env.WARDEN_LOG_LEVEL) ?? 'info';
  return createLogger({ level, json: env.WARDEN_LOG_FORMAT === 'json' });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let started: Promise<void> | undefined;
  return () => (started ??= fn());
}
