// Turning /api/v1/rates/series answers (empty buckets omitted) into dense arrays for charts.

/** Bucket starts (epoch seconds) covering the answer's range, aligned as the API aligns them. */
export function bucketTimes(answer) {
  const step = answer.step_s;
  const first = Math.floor(Date.parse(answer.from) / 1000 / step) * step;
  const last = Math.floor((Date.parse(answer.to) - 1) / 1000 / step) * step;
  const times = [];
  for (let t = first; t <= last; t += step) times.push(t);
  return times;
}

/** Dense values per bucket of `times`, summing `pick(point)` over the given series. */
export function denseValues(times, seriesList, pick = (p) => p.calls) {
  const index = new Map(times.map((t, i) => [t, i]));
  const values = new Array(times.length).fill(0);
  for (const s of seriesList) {
    for (const p of s.points) {
      const i = index.get(Date.parse(p.t) / 1000);
      if (i !== undefined) values[i] += pick(p);
    }
  }
  return values;
}

/** Series grouped by a key (e.g. agent), in first-seen order. */
export function groupBy(seriesList, key) {
  const groups = new Map();
  for (const s of seriesList) {
    const k = s[key];
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(s);
  }
  return groups;
}

/** Decision totals over all points of all series. */
export function decisionTotals(seriesList) {
  const totals = {};
  for (const s of seriesList) for (const p of s.points) for (const [d, n] of Object.entries(p.by_decision)) totals[d] = (totals[d] ?? 0) + n;
  return totals;
}
