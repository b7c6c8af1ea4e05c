export * from './types.js';
export * from './repository.js';
export * from './registry.js';
export * from './notify.js';
