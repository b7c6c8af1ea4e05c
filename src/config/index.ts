export * from './env.js';
export * from './store.js';
