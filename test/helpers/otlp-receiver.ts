import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeOtlpTraces, type OtelTraceRow } from '../../src/ingest/index.js';

/** A received span as the store will see it (attribute values are strings, as in ClickHouse). */
export interface DecodedSpan {
  traceId: string;
  spanId: string;
  name: string;
  /** 'Server', 'Internal', … */
  kind: string;
  attributes: Record<string, string>;
  events: Array<{ name: string; attributes: Record<string, string> }>;
  status: { code: string; message: string };
  resource: Record<string, string>;
}

function fromRow(row: OtelTraceRow): DecodedSpan {
  return {
    traceId: row.TraceId,
    spanId: row.SpanId,
    name: row.SpanName,
    kind: row.SpanKind,
    attributes: row.SpanAttributes,
    events: row['Events.Name'].map((name, i) => ({ name, attributes: row['Events.Attributes'][i] ?? {} })),
    status: { code: row.StatusCode, message: row.StatusMessage },
    resource: row.ResourceAttributes,
  };
}

/**
 * A local OTLP/HTTP endpoint for tests: decodes every request posted to /v1/traces with the
 * receiving side's own decoder (src/ingest), so what the proxy emits is checked against what
 * the store reads; it can go down and come back on the same port.
 */
export class OtlpReceiver {
  readonly spans: DecodedSpan[] = [];
  requests = 0;
  private server: Server | undefined;

  private constructor(public port: number) {}

  static async start(port = 0): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver(port);
    await receiver.up();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url !== '/v1/traces' || req.method !== 'POST') return void res.writeHead(404).end();
        const decoded = decodeOtlpTraces(Buffer.concat(chunks), req.headers['content-type'], req.headers['content-encoding']);
        if (!decoded.ok) return void res.writeHead(400).end(decoded.error);
        this.requests++;
        this.spans.push(...decoded.value.rows.map(fromRow));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  named(name: string): DecodedSpan[] {
    return this.spans.filter((s) => s.name === name);
  }

  /** What has arrived so far, for a timeout message. */
  describe(): string {
    return `have ${this.spans.length} spans: ${this.spans.map((s) => s.name).join(', ')}`;
  }
}
