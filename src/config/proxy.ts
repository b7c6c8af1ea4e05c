import { z } from 'zod';
import type { WardenEnv } from './env.js';
import { readSecretFile, resolveSecret } from './secrets.js';
import { invalid, parseByteSize, parsePositiveDuration, positiveInt, wholeNumber } from './values.js';
import { DEFAULT_API_URL } from './store.js';

/** Typed options of `warden proxy`, from its flags and the environment (design.md, "Commands"). */
export const RECORD_ARGS_MODES = ['none', 'hash', 'redacted', 'full'] as const;
export type RecordArgsMode = (typeof RECORD_ARGS_MODES)[number];
export type ProxyMode = 'audit' | 'enforce';

/** Spans go to a `warden serve` on this machine unless told otherwise. */
export const DEFAULT_OTLP_ENDPOINT = DEFAULT_API_URL;
export const DEFAULT_RECORD_ARGS: RecordArgsMode = 'hash';
export const DEFAULT_SPOOL_ROOT = '.warden/spool';
export const DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_PROXY_TIMEOUT = '60s';
/**
 * The proxy's span export batch: sent this long after its first span, or once it holds this
 * many spans. A batch is on disk (the spool) from the moment it is sent until serve takes it,
 * so a SIGKILLed proxy loses at most the batch still being filled (OTEL_BSP_SCHEDULE_DELAY,
 * OTEL_BSP_MAX_EXPORT_BATCH_SIZE change them; the OTel SDK's own defaults are 5 s and 512).
 */
export const DEFAULT_EXPORT_DELAY_MS = 200;
export const DEFAULT_EXPORT_BATCH_SPANS = 512;
/** How long a call held for approval waits for a person before it ends as `expired`. */
export const DEFAULT_APPROVAL_TIMEOUT = '5m';

/** What a proxy does with a limited call while its shared limit store (`--limits`) cannot answer. */
export const LIMIT_FALLBACKS = ['local', 'deny', 'allow'] as const;
export type LimitFallback = (typeof LIMIT_FALLBACKS)[number];
/** How long a decision waits for the shared limit store before the fallback decides. */
export const DEFAULT_LIMITS_TIMEOUT = '50ms';
export const DEFAULT_LIMIT_FALLBACK: LimitFallback = 'local';
/**
 * Synthetic calls a proxy runs through its own relay while its upstream starts, so V8 has
 * compiled the call path before the agent's first calls (BENCHMARKS.md, proxy: a fresh proxy).
 */
export const DEFAULT_PROXY_WARMUP_CALLS = 1000;

/** Flags as commander hands them over (all strings). */
export interface ProxyFlags {
  policy?: string;
  mode?: string;
  agent?: string;
  recordArgs?: string;
  spool?: string;
  spoolMaxBytes?: string;
  timeout?: string;
  otlp?: string;
  upstreamUrl?: string;
  header?: string[];
  bearer?: string;
  bearerFile?: string;
  listen?: string;
  tokens?: string;
  approvalTimeout?: string;
  approvalsUrl?: string;
  passEnv?: string[];
  argsHashKeyFile?: string;
  maxSessions?: string;
  maxSessionsPerAgent?: string;
  sessionIdle?: string;
  limits?: string;
  limitsFallback?: string;
  limitsTimeout?: string;
}

/** `--limits`: grant, session and global counters kept in Redis, shared by every proxy using it. */
export interface SharedLimitsConfig {
  /** redis://[user:password@]host[:port][/db] or rediss://… */
  url: string;
  fallback: LimitFallback;
  timeoutMs: number;
}

export type UpstreamConfig =
  | { kind: 'stdio'; command: string; args: string[]; env: Record<string, string> }
  | { kind: 'http'; url: string; headers: Record<string, string> };

export interface ListenAddress {
  host: string;
  port: number;
}

export interface ProxyConfig {
  policyFile: string | undefined;
  /** Undefined when `--mode` was not given: the policy file's `mode` applies. */
  mode: ProxyMode | undefined;
  agent: string | undefined;
  recordArgs: RecordArgsMode;
  spoolDir: string;
  spoolMaxBytes: number;
  /** The span export batch (OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_MAX_EXPORT_BATCH_SIZE). */
  exportDelayMs: number;
  exportBatchSpans: number;
  timeoutMs: number;
  otlpTracesUrl: string;
  /** Sent with every OTLP request, live or from the spool (e.g. serve's bearer token). */
  otlpHeaders: Record<string, string>;
  upstream: UpstreamConfig;
  listen: ListenAddress | undefined;
  tokensFile: string | undefined;
  approvalTimeoutMs: number;
  /** The `warden serve` that operators decide approvals on (default: the OTLP endpoint's origin). */
  approvalsUrl: string;
  /** Key of a keyed argument hash (`--args-hash-key-file`, env WARDEN_ARGS_HASH_KEY); undefined: plain sha256. */
  argsHashKey: Buffer | undefined;
  /** `--listen` session bounds (trust rule 4). */
  sessionLimits: { maxSessions: number; maxSessionsPerAgent: number; idleMs: number };
  /** Undefined without `--limits`/WARDEN_LIMITS_URL: counters are the process's own. */
  limits: SharedLimitsConfig | undefined;
  /** WARDEN_PROXY_WARMUP: synthetic calls through the relay at start (0: none). */
  warmUpCalls: number;
}

/**
 * Defaults of the `--listen` session bounds (trust rule 4): sessions at once (each has its own
 * upstream connection, a child process for a stdio upstream), per identity (anonymous clients
 * share one budget), and how long a session may sit without a request before it is closed.
 */
export const DEFAULT_SESSION_LIMITS = { maxSessions: 256, maxSessionsPerAgent: 32, idleMs: 15 * 60_000 } as const;

/**
 * Environment variables a wrapped server never inherits (trust rule 5): Warden's own secrets
 * (WARDEN_API_TOKEN, WARDEN_UPSTREAM_BEARER…) and the OTLP exporter's (OTEL_EXPORTER_OTLP_HEADERS
 * carries serve's bearer token). `--pass-env NAME` hands one through on purpose.
 */
export const SCRUBBED_ENV_PREFIXES = ['WARDEN_', 'OTEL_'] as const;

const ModeSchema = z.enum(['audit', 'enforce']);
const LimitFallbackSchema = z.enum(LIMIT_FALLBACKS);
const RecordArgsSchema = z.enum(RECORD_ARGS_MODES);

/**
 * Resolves `warden proxy` options. `command` is everything after `--`;
 * `processEnv` is handed to a stdio upstream so the wrapped server sees the same environment.
 */
export function resolveProxyConfig(flags: ProxyFlags, command: string[], env: WardenEnv, processEnv: NodeJS.ProcessEnv = process.env): ProxyConfig {
  const mode = flags.mode === undefined ? undefined : parseEnum(ModeSchema, flags.mode, '--mode');
  const recordArgs = parseEnum(RecordArgsSchema, flags.recordArgs ?? DEFAULT_RECORD_ARGS, '--record-args');
  const agent = flags.agent ?? env.WARDEN_AGENT_ID;
  const listen = flags.listen === undefined ? undefined : parseListenAddress(flags.listen);
  const otlpTracesUrl = resolveTracesUrl(flags.otlp, env);
  return {
    policyFile: flags.policy,
    mode,
    agent,
    recordArgs,
    spoolDir: flags.spool ?? `${DEFAULT_SPOOL_ROOT}/${safePathPart(agent ?? (listen ? `listen-${listen.port}` : 'default'))}`,
    spoolMaxBytes: flags.spoolMaxBytes === undefined ? DEFAULT_SPOOL_MAX_BYTES : parseByteSize(flags.spoolMaxBytes),
    exportDelayMs: positiveInt(env.OTEL_BSP_SCHEDULE_DELAY ?? DEFAULT_EXPORT_DELAY_MS, 'OTEL_BSP_SCHEDULE_DELAY'),
    exportBatchSpans: positiveInt(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ?? DEFAULT_EXPORT_BATCH_SPANS, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
    timeoutMs: parseTimeout(flags.timeout ?? DEFAULT_PROXY_TIMEOUT),
    otlpTracesUrl,
    otlpHeaders: resolveOtlpHeaders(env),
    upstream: resolveUpstream(flags, command, env, processEnv),
    listen,
    tokensFile: flags.tokens,
    approvalTimeoutMs: parsePositiveDuration(flags.approvalTimeout ?? DEFAULT_APPROVAL_TIMEOUT, '--approval-timeout'),
    argsHashKey: resolveArgsHashKey(flags.argsHashKeyFile, env),
    sessionLimits: {
      maxSessions: positiveInt(flags.maxSessions ?? DEFAULT_SESSION_LIMITS.maxSessions, '--max-sessions'),
      maxSessionsPerAgent: positiveInt(flags.maxSessionsPerAgent ?? DEFAULT_SESSION_LIMITS.maxSessionsPerAgent, '--max-sessions-per-agent'),
      idleMs: flags.sessionIdle === undefined ? DEFAULT_SESSION_LIMITS.idleMs : parsePositiveDuration(flags.sessionIdle, '--session-idle'),
    },
    approvalsUrl: new URL(checkUrl(flags.approvalsUrl ?? otlpTracesUrl, flags.approvalsUrl ? '--approvals-url' : 'the OTLP endpoint')).origin,
    limits: resolveSharedLimits(flags, env),
    warmUpCalls: env.WARDEN_PROXY_WARMUP === undefined ? DEFAULT_PROXY_WARMUP_CALLS : wholeNumber(env.WARDEN_PROXY_WARMUP, 'WARDEN_PROXY_WARMUP'),
  };
}

export function resolveSharedLimits(flags: ProxyFlags, env: WardenEnv): SharedLimitsConfig | undefined {
  const url = flags.limits ?? env.WARDEN_LIMITS_URL;
  if (url === undefined) return undefined;
  const what = flags.limits === undefined ? 'WARDEN_LIMITS_URL' : '--limits';
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw invalid(`${what} is not a URL: "${url}"`, 'e.g. --limits redis://127.0.0.1:6379');
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw invalid(`${what} must be a redis:// or rediss:// URL, got "${protocol}"`);
  return {
    url,
    fallback: parseEnum(LimitFallbackSchema, flags.limitsFallback ?? env.WARDEN_LIMITS_FALLBACK ?? DEFAULT_LIMIT_FALLBACK, '--limits-fallback'),
    timeoutMs: parsePositiveDuration(flags.limitsTimeout ?? env.WARDEN_LIMITS_TIMEOUT ?? DEFAULT_LIMITS_TIMEOUT, '--limits-timeout'),
  };
}

function parseEnum<T extends string>(schema: z.ZodEnum<{ [K in T]: K }>, value: string, flag: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(`${flag} must be one of ${schema.options.join('|')}, got "${value}"`);
  return parsed.data as T;
}

function parseTimeout(text: string): number {
  return parsePositiveDuration(text, '--timeout');
}

/** A key shorter than this would be guessable, which is what a keyed hash is for. */
const MIN_ARGS_HASH_KEY_BYTES = 16;

function resolveArgsHashKey(file: string | undefined, env: WardenEnv): Buffer | undefined {
  let key: Buffer | undefined;
  if (file !== undefined) {
    key = Buffer.from(readSecretFile(file, '--args-hash-key-file'), 'utf8');
  } else if (env.WARDEN_ARGS_HASH_KEY) {
    key = Buffer.from(env.WARDEN_ARGS_HASH_KEY, 'utf8');
  }
  if (key !== undefined && key.length < MIN_ARGS_HASH_KEY_BYTES) throw invalid(`the argument hash key must be at least ${MIN_ARGS_HASH_KEY_BYTES} bytes`, 'e.g. head -c 32 /dev/urandom | base64 > hash.key');
  return key;
}

/** The OTLP base URL gets `/v1/traces` appended; the traces-specific variable is used as is (OTel SDK rules). */
export function resolveTracesUrl(flag: string | undefined, env: WardenEnv): string {
  if (flag === undefined && env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return checkUrl(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = checkUrl(flag ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? DEFAULT_OTLP_ENDPOINT, flag ? '--otlp' : 'OTEL_EXPORTER_OTLP_ENDPOINT');
  return base.endsWith('/v1/traces') ? base : `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * OTLP headers per the OTel SDK rules ("k=v,k2=v2", URL-encoded; the traces-specific variable
 * wins per key). WARDEN_API_TOKEN, when set, becomes the bearer token `warden serve` expects.
 */
export function resolveOtlpHeaders(env: WardenEnv): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const raw of [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS]) {
    for (const pair of (raw ?? '').split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      headers[decodeURIComponent(pair.slice(0, eq).trim()).toLowerCase()] = decodeURIComponent(pair.slice(eq + 1).trim());
    }
  }
  if (env.WARDEN_API_TOKEN && headers.authorization === undefined) headers.authorization = `Bearer ${env.WARDEN_API_TOKEN}`;
  return headers;
}

function checkUrl(text: string, what: string): string {
  if (!z.url({ protocol: /^https?$/ }).safeParse(text).success) throw invalid(`${what} is not an http(s) URL: "${text}"`);
  return text;
}

function resolveUpstream(flags: ProxyFlags, command: string[], env: WardenEnv, processEnv: NodeJS.ProcessEnv): UpstreamConfig {
  if (flags.upstreamUrl !== undefined && command.length > 0) {
    throw invalid('give either --upstream-url or a command after --, not both');
  }
  if (flags.upstreamUrl !== undefined) {
    const headers = parseHeaders(flags.header ?? []);
    const bearer = resolveSecret({ value: flags.bearer, file: flags.bearerFile, env: env.WARDEN_UPSTREAM_BEARER, flag: '--bearer', fileFlag: '--bearer-file' });
    if (bearer) headers['Authorization'] = `Bearer ${bearer}`;
    return { kind: 'http', url: checkUrl(flags.upstreamUrl, '--upstream-url'), headers };
  }
  const [program, ...args] = command;
  if (program === undefined) {
    throw invalid('no upstream MCP server given', 'warden proxy [options] -- CMD ARGS…   or   warden proxy --upstream-url URL');
  }
  const passed = new Set(flags.passEnv ?? []);
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(processEnv)) {
    if (value === undefined) continue;
    if (!passed.has(key) && SCRUBBED_ENV_PREFIXES.some((prefix) => key.startsWith(prefix))) continue;
    childEnv[key] = value;
  }
  return { kind: 'stdio', command: program, args, env: childEnv };
}

function parseHeaders(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw invalid(`--header must look like "Name: value", got "${line}"`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** "127.0.0.1:8080", "[::1]:8080", ":8080" or "8080" (loopback when the host is omitted). */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid(`--listen must be HOST:PORT, got "${text}"`, 'e.g. --listen 127.0.0.1:7331');
  }
  return { host: match[1] || match[2] || '127.0.0.1', port };
}

function safePathPart(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_') || 'default';
}
