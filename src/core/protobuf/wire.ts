/**
 * Protobuf wire format basics shared by the reader and the writer (source: the Protocol
 * Buffers encoding guide, https://protobuf.dev/programming-guides/encoding/).
 */

/** Wire types: the low three bits of a field's tag. */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;
export type WireTypeValue = (typeof WireType)[keyof typeof WireType];

/** A field's tag: its number shifted past the three wire-type bits. */
export function fieldTag(field: number, wire: WireTypeValue): number {
  return (field << 3) | wire;
}

/** Bytes a non-negative 32-bit value takes as a varint. */
export function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

export class ProtoDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoDecodeError';
  }
}

export function expectWire(actual: number, expected: number, what: string, pos: number): void {
  if (actual !== expected) throw new ProtoDecodeError(`${what} has wire type ${actual}, expected ${expected} (byte ${pos})`);
}

export function truncated(pos: number): ProtoDecodeError {
  return new ProtoDecodeError(`truncated message at byte ${pos}`);
}
