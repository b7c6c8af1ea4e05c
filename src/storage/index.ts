export * from './driver.js';
export * from './schema.js';
export * from './chdb-driver.js';
export * from './migrations.js';
export * from './server-version.js';
export * from './server-driver.js';
export * from './cluster.js';
export * from './retention.js';
