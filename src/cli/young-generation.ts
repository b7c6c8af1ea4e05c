import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The proxy's young generation once it has grown: two 8 MiB semi-spaces. */
export const PROXY_YOUNG_GENERATION_BYTES = 16 * 1024 * 1024;

function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Stops V8 growing the young generation past `limitBytes`. Under a steady stream of calls V8
 * doubles it (16 → 32 MiB on Node 20/22) and never gives it back while the load lasts, which
 * alone takes a proxy past its memory budget; the calls' garbage dies young at either size.
 * The heap-size flags are read only at start-up, so this sets the growth factor, which V8
 * reads each time it grows the space: once the space reaches the limit, it stops growing.
 * An operator can still choose sizes with NODE_OPTIONS=--max-semi-space-size.
 */
export function holdYoungGeneration(limitBytes = PROXY_YOUNG_GENERATION_BYTES): void {
  const hold = () => setFlagsFromString('--semi-space-growth-factor=1');
  if (youngGenerationBytes() >= limitBytes) return hold();
  const observer = new PerformanceObserver(() => {
    if (youngGenerationBytes() < limitBytes) return;
    hold();
    observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}
