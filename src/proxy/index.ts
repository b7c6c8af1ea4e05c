export * from './messages.js';
export * from './policy-state.js';
export * from './relay.js';
export * from './upstream.js';
export * from './identity.js';
export * from './http-front.js';
export * from './proxy.js';
