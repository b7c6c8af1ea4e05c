/**
 * `warden proxy`: wires the policy engine, the OTel pipeline (OTLP + disk spool) and the
 * MCP relay; owns signals (SIGHUP reloads the policy; SIGTERM/SIGINT/stdin close shut down
 * cleanly, flushing spans and ending the child).
 */
import type { Command } from 'commander';
import {
  DEFAULT_APPROVAL_TIMEOUT, DEFAULT_LIMIT_FALLBACK, DEFAULT_LIMITS_TIMEOUT, DEFAULT_OTLP_ENDPOINT, DEFAULT_PROXY_TIMEOUT, DEFAULT_RECORD_ARGS,
  DEFAULT_SESSION_LIMITS, DEFAULT_SPOOL_MAX_BYTES, DEFAULT_SPOOL_ROOT, RECORD_ARGS_MODES, type ProxyFlags,
} from '../../config/index.js';

export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description('wrap an MCP server: decide every tools/call against a policy and record each decision as an OpenTelemetry span')
    .argument('[command...]', 'the upstream MCP server to spawn (stdio), after --')
    .option('--policy <file>', 'policy file (JSON or YAML); without it every call is allowed and recorded')
    .option('--mode <mode>', 'audit | enforce (default: the policy file\'s mode, else audit)')
    .option('--agent <id>', 'agent identity for stdio (or WARDEN_AGENT_ID)')
    .option('--record-args <how>', RECORD_ARGS_MODES.join(' | '), DEFAULT_RECORD_ARGS)
    .option('--spool <dir>', `where spans wait while the OTLP endpoint is down (default ${DEFAULT_SPOOL_ROOT}/<agent>)`)
    .option('--spool-max-bytes <size>', `bound of the spool; the oldest spans are dropped past it (default ${DEFAULT_SPOOL_MAX_BYTES / 2 ** 20}MiB)`)
    .option('--timeout <duration>', 'cut upstream requests that go this long without an answer or progress (initialize gets at least 60s: the server may still be starting)', DEFAULT_PROXY_TIMEOUT)
    .option('--otlp <url>', `OTLP/HTTP endpoint (default ${DEFAULT_OTLP_ENDPOINT}; OTEL_EXPORTER_OTLP_ENDPOINT honoured)`)
    .option('--upstream-url <url>', 'Streamable HTTP upstream instead of a command')
    .option('--header <name:value>', 'header sent to the HTTP upstream (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
    .option('--bearer-file <file>', 'a file holding the bearer token for the HTTP upstream (or env WARDEN_UPSTREAM_BEARER)')
    .option('--bearer <token>', 'the token itself (visible in ps: prefer --bearer-file or the environment)')
    .option('--listen <host:port>', 'serve agents over Streamable HTTP at /mcp instead of stdio')
    .option('--tokens <file>', 'with --listen: agents and the sha256 of their bearer tokens')
    .option('--args-hash-key-file <file>', 'key the argument hash (HMAC-SHA256) so a guessed value cannot be confirmed from the record (or env WARDEN_ARGS_HASH_KEY)')
    .option('--pass-env <name>', 'hand this environment variable to the wrapped server even though it starts with WARDEN_ or OTEL_ (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
    .option('--max-sessions <n>', `with --listen: agent sessions at once, each with its own upstream (default ${DEFAULT_SESSION_LIMITS.maxSessions})`)
    .option('--max-sessions-per-agent <n>', `with --listen: sessions at once per identity (default ${DEFAULT_SESSION_LIMITS.maxSessionsPerAgent})`)
    .option('--session-idle <duration>', `with --listen: close a session idle this long (default ${DEFAULT_SESSION_LIMITS.idleMs / 60_000}m)`)
    .option('--approval-timeout <duration>', 'enforce mode: how long a call to an `action: approve` tool waits for a person', DEFAULT_APPROVAL_TIMEOUT)
    .option('--approvals-url <url>', 'the warden serve where operators decide approvals (default: the OTLP endpoint\'s origin)')
    .option('--limits <url>', 'share rate-limit counters with every proxy using this Redis: redis://[:password@]host:6379 or rediss://… (or WARDEN_LIMITS_URL)')
    .option('--limits-fallback <how>', `while Redis cannot answer: local (per-process counters) | deny | allow (default ${DEFAULT_LIMIT_FALLBACK}; or WARDEN_LIMITS_FALLBACK)`)
    .option('--limits-timeout <duration>', `how long a decision waits for Redis before the fallback decides (default ${DEFAULT_LIMITS_TIMEOUT}; or WARDEN_LIMITS_TIMEOUT)`)
    .addHelpText('after', '\nExamples:\n  warden proxy --policy policy.json --agent nightly-batch -- npx -y @avi-total-recall/total-recall\n  warden proxy --listen 127.0.0.1:7331 --tokens tokens.json --upstream-url http://127.0.0.1:3001/mcp')
    .action(async (command: string[], flags: ProxyFlags) => {
      // Loaded on use: the MCP SDK and the OTel SDK are the proxy's alone.
      const { runProxy } = await import('../proxy-runner.js');
      process.exitCode = await runProxy(command, flags);
    });
}
