import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import swagger from '@fastify/swagger';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { ErrorCodes, silentLogger, type Logger } from '../core/index.js';
import type { OtlpReceiver } from '../ingest/index.js';
import type { StoreDriver } from '../storage/index.js';
import { bearerAuth, loopbackHostCheck, type OperatorTokens } from './auth.js';
import { createErrorHandler, sendError } from './errors.js';
import { healthRoutes } from './routes/health.js';
import { otlpRoutes } from './routes/otlp.js';

export interface AppConfig {
  /** When set, every route but /healthz and /readyz requires `Authorization: Bearer <token>`. */
  apiToken?: string | undefined;
  /** Listening on loopback: refuse requests whose Host or Origin is not this machine (DNS rebinding). */
  loopbackOnly?: boolean;
  /** Operators' tokens (sha256 hex → name): they authenticate too, and decisions carry their name. */
  operators?: OperatorTokens | undefined;
  /** Limit on a POST /v1/traces body as sent. */
  maxBodyBytes: number;
  version?: string;
}

export interface AppDeps {
  config: AppConfig;
  /** The OTLP receiver (decode → de-dup → batch writer). */
  ingest: OtlpReceiver;
  /** A query connection (not the ingest one): readiness, and what route plugins query. */
  store: StoreDriver;
  /**
   * More route groups (analytics `/api/v1/*`, alerts), each registered as an encapsulated
   * plugin under the same auth, error handler and OpenAPI document.
   */
  routes?: FastifyPluginAsync[];
  /** More Prometheus text sources for /metrics (the receiver's are always included). */
  metrics?: ReadonlyArray<() => string>;
  logger?: Logger;
}

export type WardenApp = FastifyInstance;

/**
 * The HTTP app, apart from listening (tests use `app.inject`). Zod schemas validate and
 * document routes; errors come out as `{"error":{"code","message"}}` with a 4xx/5xx status.
 */
export function buildApp(deps: AppDeps): WardenApp {
  const logger = deps.logger ?? silentLogger;
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(createErrorHandler(logger));
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, ErrorCodes.NOT_FOUND, `no route for ${request.method} ${request.url.split('?')[0]}`));
  if (deps.config.loopbackOnly) app.addHook('onRequest', loopbackHostCheck());
  app.addHook('onRequest', bearerAuth(deps.config.apiToken, deps.config.operators));

  void app.register(swagger, {
    openapi: {
      info: { title: 'Warden', version: deps.config.version ?? '0.1.0', description: 'OTLP receiver and audit analytics for MCP tool calls' },
      ...(deps.config.apiToken ? { components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }, security: [{ bearer: [] }] } : {}),
    },
    transform: jsonSchemaTransform,
  });
  void app.register(otlpRoutes, { receiver: deps.ingest, maxBodyBytes: deps.config.maxBodyBytes });
  void app.register(healthRoutes, {
    store: deps.store,
    metrics: [() => deps.ingest.metrics.toPrometheus(), ...(deps.metrics ?? [])],
    ingestNotReady: () => deps.ingest.writer.notReadyReason,
  });
  for (const routes of deps.routes ?? []) void app.register(routes);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
