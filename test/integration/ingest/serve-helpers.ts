// Shared pieces for the ingest integration tests: an in-process `warden serve` on a random
// port over the per-process chDB dir (unique database), and real OTel SDK spans + exporters.
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { FastifyPluginAsync } from 'fastify';
import { resolveServeConfig, type ServeFlags } from '../../../src/config/index.js';
import { startServe, type RunningServe } from '../../../src/cli/serve-runner.js';
import { qualified } from '../../../src/storage/index.js';
import { testDataDir, uniqueDatabase } from '../../helpers/store.js';

export async function startTestServe(flags: ServeFlags = {}, routes: FastifyPluginAsync[] = []): Promise<RunningServe> {
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: testDataDir(), clickhouseDatabase: uniqueDatabase('serve'), ...flags }, {});
  return startServe({ config, routes });
}

/** `n` finished tools/call spans for `agent`, made by the real SDK. */
export async function toolCallSpans(agent: string, n: number, tool = 'session_close'): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'warden-proxy' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('warden', '0.1.0');
  for (let i = 0; i < n; i++) {
    tracer.startSpan(`tools/call ${tool}`, {
      kind: SpanKind.SERVER,
      attributes: {
        'mcp.method.name': 'tools/call',
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': tool,
        'gen_ai.agent.id': agent,
        'mcp.session.id': `s-${i % 3}`,
        'warden.decision': i % 2 === 0 ? 'allow' : 'deny',
        'warden.enforced': i % 2 === 0,
        'warden.mode': 'enforce',
        'warden.tool.risk': 'write',
        'warden.args.bytes': 10 + i,
      },
    }).end();
  }
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/** Sends spans with a real OTLP exporter and resolves with its verdict. */
export function exportSpans(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

export async function assertExported(exporter: SpanExporter, spans: ReadableSpan[]): Promise<void> {
  const result = await exportSpans(exporter, spans);
  if (result.code !== ExportResultCode.SUCCESS) throw new Error(`export failed: ${result.error?.message ?? 'unknown'}`);
}

export async function countRows(serve: RunningServe, table: string, where = '1', params: Record<string, unknown> = {}): Promise<number> {
  const store = serve.queryStore;
  const final = table === 'tool_calls' ? ' FINAL' : '';
  const [row] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${qualified(store.database, table)}${final} WHERE ${where}`, { params });
  return row?.n ?? -1;
}
