import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWardenError } from '../../../src/core/index.js';
import { mad, median, parseTimeRange, poissonTail, poissonThreshold, robustZ } from '../../../src/analytics/index.js';

test('median and MAD', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(mad([1, 1, 2, 2, 4, 6, 9]), 1);
  assert.equal(median([]), 0);
});

test('robust z never divides by a zero MAD', () => {
  assert.deepEqual(robustZ(10, 4, 0), { z: 3, scale: 2 });
  assert.equal(robustZ(10, 0, 0).scale, 1);
});

test('Poisson upper tail matches a direct sum', () => {
  const direct = (x: number, l: number) => {
    let cdf = 0;
    let term = Math.exp(-l);
    for (let k = 0; k < x; k++) {
      cdf += term;
      term *= l / (k + 1);
    }
    return 1 - cdf;
  };
  for (const [x, l] of [[3, 1], [5, 2.5], [1, 0.3], [2, 4]] as const) assert.ok(Math.abs(poissonTail(x, l) - direct(x, l)) < 1e-12, `${x} ${l}`);
  assert.ok(poissonTail(400, 1) < 1e-300 || poissonTail(400, 1) === 0);
  const thr = poissonThreshold(1, 1e-6);
  assert.ok(poissonTail(thr, 1) < 1e-6 && poissonTail(thr - 1, 1) >= 1e-6);
});

test('time ranges: defaults, relative, and errors naming the field', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  assert.deepEqual(parseTimeRange({}, now), { fromMs: now - 86_400_000, toMs: now });
  assert.deepEqual(parseTimeRange({ from: '-2h', to: 'now' }, now), { fromMs: now - 7_200_000, toMs: now });
  assert.deepEqual(parseTimeRange({ from: '2026-11-25T00:00:00Z', to: '-1h' }, now), { fromMs: Date.parse('2026-11-25T00:00:00Z'), toMs: now - 3_600_000 });
  const bad: Array<[Record<string, string>, string]> = [[{ from: 'soon' }, 'from'], [{ to: 'later' }, 'to'], [{ from: '-1h', to: '-2h' }, 'from'], [{ from: '-400d' }, 'from']];
  for (const [input, field] of bad) {
    assert.throws(() => parseTimeRange(input, now), (e: unknown) => isWardenError(e, 'WARDEN_BAD_REQUEST') && (e.details as { field: string }).field === field && e.message.startsWith(field));
  }
});
