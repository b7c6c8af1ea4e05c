export * from './assets.js';
export * from './routes.js';
