export * from './env.js';
export * from './store.js';
export * from './proxy.js';
export { parseByteSize } from './values.js';
export * from './serve.js';
export * from './tokens-file.js';
export * from './secrets.js';
export * from './analytics.js';
