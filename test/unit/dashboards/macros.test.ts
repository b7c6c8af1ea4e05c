import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandBackendMacros, parseMacroArgs, type QueryTimeContext } from '../../helpers/grafana/index.js';

// 2026-11-25T10:00:00.250Z → 2026-11-25T16:30:05.999Z
const ctx: QueryTimeContext = { from: new Date(1795600800250), to: new Date(1795624205999), intervalMs: 300_000 };

test('time filters expand to second and millisecond bounds as the plugin backend writes them', () => {
  assert.equal(expandBackendMacros('WHERE $__timeFilter(ts)', ctx), 'WHERE ts >= toDateTime(1795600800) AND ts <= toDateTime(1795624205)');
  assert.equal(
    expandBackendMacros('WHERE $__timeFilter_ms(ts)', ctx),
    'WHERE ts >= fromUnixTimestamp64Milli(1795600800250) AND ts <= fromUnixTimestamp64Milli(1795624205999)',
  );
  assert.equal(expandBackendMacros('$__fromTime $__toTime $__fromTime_ms $__toTime_ms', ctx),
    'toDateTime(1795600800) toDateTime(1795624205) fromUnixTimestamp64Milli(1795600800250) fromUnixTimestamp64Milli(1795624205999)');
  assert.equal(expandBackendMacros('$__dateFilter(d)', ctx), "d >= toDate('2026-11-25') AND d <= toDate('2026-11-25')");
  assert.equal(expandBackendMacros('$__dt(d, t)', ctx),
    "(d >= toDate('2026-11-25') AND d <= toDate('2026-11-25')) AND (t >= toDateTime(1795600800) AND t <= toDateTime(1795624205))");
});

test('intervals: seconds truncated, at least 1; milliseconds for the _ms form', () => {
  assert.equal(expandBackendMacros('$__timeInterval(ts)', ctx), 'toStartOfInterval(toDateTime(ts), INTERVAL 300 second)');
  assert.equal(expandBackendMacros('$__timeInterval_ms(ts)', ctx), 'toStartOfInterval(toDateTime64(ts, 3), INTERVAL 300000 millisecond)');
  assert.equal(expandBackendMacros('x / $__interval_s', { ...ctx, intervalMs: 1500 }), 'x / 1');
  assert.equal(expandBackendMacros('x / $__interval_s', { ...ctx, intervalMs: 20 }), 'x / 1');
  assert.equal(expandBackendMacros('$__timeInterval_ms(ts)', { ...ctx, intervalMs: 0 }), 'toStartOfInterval(toDateTime64(ts, 3), INTERVAL 1 millisecond)');
});

test('longer macro names win over their prefixes, and every occurrence is replaced', () => {
  const sql = 'a: $__timeFilter_ms(ts) b: $__timeFilter(ts) c: $__timeFilter(ts) d: $__interval_s e: $__interval_ms';
  assert.equal(
    expandBackendMacros(sql, ctx),
    'a: ts >= fromUnixTimestamp64Milli(1795600800250) AND ts <= fromUnixTimestamp64Milli(1795624205999) ' +
      'b: ts >= toDateTime(1795600800) AND ts <= toDateTime(1795624205) c: ts >= toDateTime(1795600800) AND ts <= toDateTime(1795624205) ' +
      'd: 300 e: 300000',
  );
});

test('arguments: nested parentheses and top-level commas, trimmed', () => {
  assert.deepEqual(parseMacroArgs('(toDateTime(a, b) , c)rest'), { args: ['toDateTime(a, b)', 'c'], length: 22 });
  assert.deepEqual(parseMacroArgs(' no list'), { args: [], length: 0 });
  assert.equal(parseMacroArgs('(unclosed').length, -1);
  assert.equal(expandBackendMacros('$__timeFilter(toDateTime(x, \'UTC\'))', ctx),
    "toDateTime(x, 'UTC') >= toDateTime(1795600800) AND toDateTime(x, 'UTC') <= toDateTime(1795624205)");
});

test('errors are the plugin\'s: wrong arity, unclosed bracket; unreproduced macros are refused', () => {
  assert.throws(() => expandBackendMacros('$__timeFilter(a, b)', ctx), /expected 1 argument, received 2/);
  assert.throws(() => expandBackendMacros('$__timeFilter', ctx), /expected 1 argument, received 0/);
  assert.throws(() => expandBackendMacros('$__timeFilter(ts', ctx), /missing close bracket/);
  assert.throws(() => expandBackendMacros('GROUP BY $__timeGroup(ts, 5m)', ctx), /not reproduced/);
});
