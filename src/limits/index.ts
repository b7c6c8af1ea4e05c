/** Limit counters shared between proxy processes (Redis); the engine sees them as `SharedCounters`. */
export { RedisCounters, DEFAULT_KEY_PREFIX, redactUrl, type RedisCountersOptions } from './redis-counters.js';
export { ADMIT_SCRIPT } from './admit-script.js';
