// A uPlot time-series chart as a Preact component. uPlot is loaded as a classic script
// (window.uPlot); it writes series labels with textContent, so names stay text.
import { useEffect, useRef } from 'preact/hooks';
import { html } from './html.js';

export const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c', '#4f46e5'];

/** Tick labels as the tables write time: UTC, 24 h, the date under the first tick of each day. */
function utcTicks(u, splits) {
  return splits.map((ts, i) => {
    const iso = new Date(ts * 1000).toISOString();
    const newDay = i === 0 || new Date(splits[i - 1] * 1000).toISOString().slice(0, 10) !== iso.slice(0, 10);
    return newDay ? `${iso.slice(11, 16)}\n${iso.slice(0, 10)}` : iso.slice(11, 16);
  });
}

/**
 * times: epoch seconds; series: [{ label, values, color?, dash? }] (dash: a limit line).
 * `data-points` on the container says how many x values were drawn (tests and the bench read it).
 */
export function TimeChart({ times, series, height = 260, yLabel = '' }) {
  const ref = useRef(null);
  useEffect(() => {
    const el = ref.current;
    const opts = {
      width: Math.max(300, el.clientWidth),
      height,
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [{ values: utcTicks, space: 60 }, { label: yLabel, size: 60 }],
      series: [{ label: 'time (UTC)' }, ...series.map((s, i) => ({
        label: s.label, stroke: s.color ?? PALETTE[i % PALETTE.length], width: s.dash ? 1 : 1.5, dash: s.dash, points: { show: false },
      }))],
    };
    const plot = new window.uPlot(opts, [times, ...series.map((s) => s.values)], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, height, yLabel]);
  return html`<div class="chart" ref=${ref} data-points=${times.length}></div>`;
}
