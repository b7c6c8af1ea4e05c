// A byte-level agent: `warden proxy` as a child process, raw lines in, parsed lines out. The
// SDK client cannot send malformed or hostile messages, so the trust tests speak bytes.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WARDEN_BIN } from './processes.js';
import { tempDir } from './temp.js';

export const RAW_UPSTREAM = 'test/helpers/raw-upstream.mjs';

export interface RawReply {
  id?: string | number | null;
  result?: { content?: Array<{ text?: string }>; isError?: boolean };
  error?: { code: number; message: string };
}

export interface RawAgent {
  child: ChildProcess;
  dir: string;
  send(line: string): void;
  /** The reply with this id (waits for it). */
  reply(id: string | number, timeoutMs?: number): Promise<RawReply>;
  /** Lines the upstream received, as received (without the start line). */
  upstreamLines(): string[];
  /** The upstream's start lines ("start <pid> <env names>"). */
  upstreamStarts(): string[];
  close(): Promise<void>;
}

export interface RawAgentOptions {
  policy: unknown;
  args?: string[];
  env?: Record<string, string>;
  otlp: string;
}

export function startRawAgent(opts: RawAgentOptions): RawAgent {
  const dir = tempDir('raw');
  const log = join(dir, 'upstream.log');
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(opts.policy));
  writeFileSync(log, '');
  const child = spawn(process.execPath, [
    WARDEN_BIN, 'proxy', '--policy', join(dir, 'policy.json'), '--otlp', opts.otlp, '--spool', join(dir, 'spool'), ...(opts.args ?? []),
    '--', process.execPath, RAW_UPSTREAM,
  ], { env: { ...process.env, WARDEN_LOG_LEVEL: 'error', RAW_LOG: log, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const replies: RawReply[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      replies.push(JSON.parse(buffer.slice(0, nl)) as RawReply);
      buffer = buffer.slice(nl + 1);
    }
    for (const wake of waiters) wake();
  });
  const lines = () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');
  return {
    child,
    dir,
    send: (line) => void child.stdin?.write(`${line}\n`),
    reply: (id, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reply with id ${id}; got ${JSON.stringify(replies)}`)), timeoutMs);
        const check = () => {
          const found = replies.find((r) => r.id === id);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      }),
    upstreamLines: () => lines().filter((l) => !l.startsWith('start ')),
    upstreamStarts: () => lines().filter((l) => l.startsWith('start ')),
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin?.end();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const INIT = (name: string, id: string | number = 'init') =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name, version: '1' } } });
export const INITIALIZED = '{"jsonrpc":"2.0","method":"notifications/initialized"}';
export const call = (id: string | number, name: string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });
