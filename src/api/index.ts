export * from './app.js';
export * from './auth.js';
export * from './errors.js';
export * from './routes/otlp.js';
export * from './routes/health.js';
export * from './routes/alerts.js';
export * from './routes/analytics.js';
export * from './routes/policy.js';
