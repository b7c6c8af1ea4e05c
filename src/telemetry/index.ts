export * from './semconv.js';
export * from './args.js';
export * from './redact.js';
export * from './recorder.js';
export * from './spool.js';
export * from './spooling-exporter.js';
export * from './provider.js';
