/**
 * The one Lua script per decision. Redis runs a script to completion before any other
 * command, so checking every limit of a call and recording it cannot be interleaved with
 * another proxy's call: N proxies admit exactly `max` per window between them.
 *
 * Each counter is a sorted set: score = the admitted call's time in ms, member = a token
 * unique to that call (two calls in the same millisecond are two entries). Semantics are the
 * local engine's (src/policy/counters.ts):
 *  - a call at t counts the entries in (t − window, t] (ZCOUNT with an exclusive lower bound);
 *  - t never runs behind a counter's newest entry (so the log stays ordered in its own time);
 *  - every counter is checked before any is written: a refused call records nothing;
 *  - entries at or before t − horizon are dropped (horizon = the longest window counting in
 *    that set), and the set expires on its own (PEXPIRE horizon) once idle.
 *
 * KEYS: the counter sets. ARGV[1]: the call's time in ms, or '' to use the Redis server's
 * clock (TIME: one clock for every proxy, whatever their machines' clocks say). ARGV[2]: the
 * call's unique token. Then per key: window ms, max, horizon ms.
 * Reply: { full (0-based index, -1 = admitted), t, blocking score (-1 = none), {counts} }.
 */
export const ADMIT_SCRIPT = `
local now
if ARGV[1] == '' then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
else
  now = tonumber(ARGV[1])
end
local at = {}
local counts = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local window = tonumber(ARGV[i * 3])
  local max = tonumber(ARGV[i * 3 + 1])
  local horizon = tonumber(ARGV[i * 3 + 2])
  local t = now
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if newest[2] and tonumber(newest[2]) > t then t = tonumber(newest[2]) end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%d', t - horizon))
  local count = redis.call('ZCOUNT', key, '(' .. string.format('%d', t - window), '+inf')
  counts[i] = count
  if count >= max then
    local blocking = -1
    if max > 0 then blocking = tonumber(redis.call('ZRANGE', key, -max, -max, 'WITHSCORES')[2]) end
    return { i - 1, t, blocking, counts }
  end
  at[i] = t
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], string.format('%d', at[i]), ARGV[2] .. ':' .. i)
  redis.call('PEXPIRE', KEYS[i], ARGV[i * 3 + 2])
end
return { -1, now, -1, counts }
`;
