/** Protobuf wire types (the low three bits of a field's tag), shared by the OTLP reader and writer. */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;
export type WireTypeValue = (typeof WireType)[keyof typeof WireType];
