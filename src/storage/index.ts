export * from './driver.js';
export * from './schema.js';
export * from './chdb-driver.js';
export * from './migrations.js';
