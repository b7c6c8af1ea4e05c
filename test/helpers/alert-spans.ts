/** otel_traces rows for tools/call spans, as the OTel Collector exporter (or Warden's receiver) writes them. */
import { randomBytes } from 'node:crypto';

export interface CallSpec {
  tsMs: number;
  agent: string;
  tool: string;
  risk?: string;
  decision?: string;
  enforced?: boolean;
  mode?: 'audit' | 'enforce';
  spanId?: string;
  /** The MCP session id (mcp.session.id), when the call had one. */
  session?: string;
}

/** "YYYY-MM-DD hh:mm:ss.nnnnnnnnn" is zone-less; a decimal ns string is exact in any TZ. */
export function callRow(c: CallSpec): Record<string, unknown> {
  const mode = c.mode ?? 'audit';
  const decision = c.decision ?? 'allow';
  return {
    Timestamp: `${BigInt(Math.round(c.tsMs)) * 1_000_000n}`,
    TraceId: randomBytes(16).toString('hex'),
    SpanId: c.spanId ?? randomBytes(8).toString('hex'),
    SpanName: `tools/call ${c.tool}`,
    SpanKind: 'Server',
    ServiceName: 'warden-proxy',
    SpanAttributes: {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': c.tool,
      'gen_ai.agent.id': c.agent,
      'warden.decision': decision,
      'warden.enforced': String(c.enforced ?? (mode === 'enforce' || decision === 'allow')),
      'warden.mode': mode,
      'warden.tool.risk': c.risk ?? 'write',
      ...(c.session ? { 'mcp.session.id': c.session } : {}),
    },
    Duration: 1_000_000,
    StatusCode: 'Unset',
  };
}

/** `n` calls spread evenly over [fromMs, toMs). */
export function burst(n: number, fromMs: number, toMs: number, spec: Omit<CallSpec, 'tsMs'>): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => callRow({ ...spec, tsMs: fromMs + ((toMs - fromMs) * i) / n }));
}
