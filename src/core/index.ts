export * from './errors.js';
export * from './result.js';
export * from './clock.js';
export * from './duration.js';
export * from './hash.js';
export * from './ids.js';
export * from './logger.js';
export * from './protobuf.js';
