import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ManualClock, systemClock, silentLogger, type Clock } from '../../src/core/index.js';
import type { RecordArgsMode } from '../../src/config/index.js';
import { McpRelay, PolicyState, upstreamFactory, type UpstreamConnection } from '../../src/proxy/index.js';
import { NetworkTransport, createTelemetry, type Telemetry } from '../../src/telemetry/index.js';
import { tempDir } from './temp.js';

export const MEMORY_SERVER = 'node_modules/@modelcontextprotocol/server-memory/dist/index.js';
export const EVERYTHING_SERVER = 'node_modules/@modelcontextprotocol/server-everything/dist/index.js';
export const FAULT_SERVER = 'test/helpers/fault-server.ts';
export const FULL_CLIENT_CAPS: ClientOptions = { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } };

export interface HarnessOptions {
  /** An in-memory MCP server, or a stdio command for a real child. */
  upstream: McpServer | { command: string; args: string[]; env?: Record<string, string> };
  policyText?: string;
  mode?: 'audit' | 'enforce';
  agentId?: string;
  recordArgs?: RecordArgsMode;
  timeoutMs?: number;
  clock?: Clock;
  clientOptions?: ClientOptions;
  clientName?: string;
}

export interface Harness {
  client: Client;
  relay: McpRelay;
  policy: PolicyState;
  telemetry: Telemetry;
  policyFile: string | undefined;
  upstream: UpstreamConnection;
  spans(): Promise<ReadableSpan[]>;
  close(): Promise<void>;
}

/** The proxy in-process: SDK Client ⇄ in-memory pair ⇄ McpRelay ⇄ upstream (in-memory server or real child). */
export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const dir = tempDir('proxy');
  const policyFile = opts.policyText === undefined ? undefined : join(dir, 'policy.json');
  if (policyFile) writeFileSync(policyFile, opts.policyText as string);
  const exporter = new InMemorySpanExporter();
  const telemetry = createTelemetry({ recordArgs: opts.recordArgs ?? 'hash', logger: silentLogger, exporter });
  const policy = await PolicyState.load({ file: policyFile, modeOverride: opts.mode, recorder: telemetry.recorder, logger: silentLogger });
  const upstream = await connectUpstream(opts.upstream);
  const [clientSide, agentSide] = InMemoryTransport.createLinkedPair();
  const relay = new McpRelay({
    agent: agentSide,
    upstream: upstream.transport,
    policy,
    recorder: telemetry.recorder,
    clock: opts.clock ?? systemClock,
    logger: silentLogger,
    timeoutMs: opts.timeoutMs ?? 10_000,
    agentId: opts.agentId,
    allowClientInfoName: true,
    upstreamLabel: upstream.label,
    networkTransport: NetworkTransport.PIPE,
    sessionId: 'test-session',
    answerMalformed: { agent: true, upstream: upstream.byteStream },
    relateServerMessages: false,
  });
  await relay.start();
  const client = new Client({ name: opts.clientName ?? 'harness-client', version: '1.0.0' }, opts.clientOptions);
  await client.connect(clientSide);
  return {
    client,
    relay,
    policy,
    telemetry,
    policyFile,
    upstream,
    spans: async () => {
      await telemetry.recorder.forceFlush();
      return exporter.getFinishedSpans();
    },
    close: async () => {
      await client.close();
      await relay.close();
      await telemetry.recorder.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function connectUpstream(upstream: HarnessOptions['upstream']): Promise<UpstreamConnection> {
  if ('command' in upstream) {
    return upstreamFactory({ kind: 'stdio', command: upstream.command, args: upstream.args, env: { PATH: process.env.PATH ?? '', ...upstream.env } })();
  }
  const [proxySide, serverSide] = InMemoryTransport.createLinkedPair();
  void upstream.connect(serverSide);
  return { transport: proxySide, label: 'in-memory', byteStream: false };
}

export { ManualClock };

/** Attributes of the spans with this name, in end order. */
export function attrsOf(spans: ReadableSpan[], name: string): Array<Record<string, unknown>> {
  return spans.filter((s) => s.name === name).map((s) => ({ ...s.attributes }));
}
