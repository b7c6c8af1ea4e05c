// A tiny protobuf writer for hand-built OTLP messages (values the SDK cannot produce,
// and deliberately broken wire data). Fields are written in the order given.
export type Field =
  | { n: number; varint: number | bigint }
  | { n: number; fixed64: bigint }
  | { n: number; double: number }
  | { n: number; bytes: Buffer | string }
  | { n: number; msg: Field[] };

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export function encode(fields: Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    if ('varint' in f) parts.push(Buffer.from([...varint(f.n << 3), ...varint(f.varint)]));
    else if ('fixed64' in f) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(f.fixed64);
      parts.push(Buffer.from(varint((f.n << 3) | 1)), b);
    } else if ('double' in f) {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(f.double);
      parts.push(Buffer.from(varint((f.n << 3) | 1)), b);
    } else {
      const payload = 'msg' in f ? encode(f.msg) : Buffer.isBuffer(f.bytes) ? f.bytes : Buffer.from(f.bytes, 'utf8');
      parts.push(Buffer.from([...varint((f.n << 3) | 2), ...varint(payload.length)]), payload);
    }
  }
  return Buffer.concat(parts);
}

/** ExportTraceServiceRequest with one resource, one scope and the given spans. */
export function request(spans: Field[][], resource: Field[] = []): Buffer {
  return encode([{ n: 1, msg: [{ n: 1, msg: resource }, { n: 2, msg: [{ n: 1, msg: [{ n: 1, bytes: 'scope' }] }, ...spans.map((s) => ({ n: 2, msg: s }))] }] }]);
}

/** A KeyValue as field `n` (9 = Span.attributes, 1 = Resource.attributes). */
export function kv(key: string, value: Field[], n = 9): Field {
  return { n, msg: [{ n: 1, bytes: key }, { n: 2, msg: value }] };
}

export const hex = (h: string): Buffer => Buffer.from(h, 'hex');
