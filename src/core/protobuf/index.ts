// Protobuf wire format: the one reader and the one writer, and OTLP's field numbers.
export * from './wire.js';
export * from './reader.js';
export * from './writer.js';
export * from './otlp-fields.js';
