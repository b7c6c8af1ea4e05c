import type { FastifyInstance } from 'fastify';
import { ErrorCodes, errorMessage, type Result } from '../../core/index.js';
import { pendingMigrations, type StoreDriver } from '../../storage/index.js';

export interface HealthRouteOptions {
  /** The connection readiness is checked on (not the ingest one, which may be busy inserting). */
  store: StoreDriver;
  /** Prometheus text sources, concatenated by /metrics. */
  metrics: ReadonlyArray<() => string>;
  /** Why ingest is not ready (the store refuses writes, the WAL is being replayed), or undefined. */
  ingestNotReady?: () => string | undefined;
}

/** Ready = the store answers and every migration is applied (checked until it first holds). */
export function storeReadiness(store: StoreDriver): () => Promise<Result<void, string>> {
  let migrated = false;
  return async () => {
    const ping = await store.ping();
    if (!ping.ok) return { ok: false, error: `store unreachable: ${ping.error}` };
    if (!migrated) {
      try {
        const pending = await pendingMigrations(store);
        if (pending.length > 0) return { ok: false, error: `${pending.length} migration(s) not applied: ${pending.map((m) => m.name).join(', ')}` };
      } catch (e) {
        return { ok: false, error: errorMessage(e) };
      }
      migrated = true;
    }
    return { ok: true, value: undefined };
  };
}

/** Resident and heap memory, under the names Prometheus client libraries use. */
export function processMetrics(): string {
  const memory = process.memoryUsage();
  return [
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${memory.rss}`,
    '# HELP nodejs_heap_size_used_bytes V8 heap in use, in bytes.',
    '# TYPE nodejs_heap_size_used_bytes gauge',
    `nodejs_heap_size_used_bytes ${memory.heapUsed}`,
    '# HELP nodejs_external_memory_bytes Memory of C++ objects bound to JavaScript objects (Buffers), in bytes.',
    '# TYPE nodejs_external_memory_bytes gauge',
    `nodejs_external_memory_bytes ${memory.external}`,
  ].join('\n') + '\n';
}

/** `/healthz` (the process serves), `/readyz` (store reachable and migrated, ingest writing), `/metrics`. */
export async function healthRoutes(app: FastifyInstance, opts: HealthRouteOptions): Promise<void> {
  const ready = storeReadiness(opts.store);
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['health'] } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness: store reachable and migrated', tags: ['health'] } }, async (_request, reply) => {
    const result = await ready();
    if (!result.ok) return reply.status(503).send({ status: 'not_ready', error: { code: ErrorCodes.STORE_UNREACHABLE, message: result.error } });
    const ingest = opts.ingestNotReady?.();
    if (ingest !== undefined) return reply.status(503).send({ status: 'not_ready', error: { code: ErrorCodes.INGEST_NOT_READY, message: ingest } });
    return { status: 'ready', store: opts.store.kind, location: opts.store.location };
  });
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['health'] } }, async (_request, reply) => {
    const text = opts.metrics.map((source) => source()).join('') + processMetrics();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
}
