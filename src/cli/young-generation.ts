import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The proxy's young generation once it has grown: two 8 MiB semi-spaces. */
export const PROXY_YOUNG_GENERATION_BYTES = 16 * 1024 * 1024;

/** V8's own default: each growth doubles the young generation. */
const V8_GROWTH_FACTOR = 2;

function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Keeps V8's young generation at `limitBytes`. Under a steady stream of calls V8 doubles it
 * (16 → 32 MiB on Node 20/22) and keeps it doubled while the load lasts, which alone takes a
 * proxy past its memory budget; and after a quiet spell V8 may shrink it to 2 MiB, where
 * every call's garbage is promoted. The heap-size flags are read only at start-up, so this
 * steers the growth factor, which V8 reads each time it grows the space: it may grow while
 * below the limit and not past it. Checked after every collection (a few a second under
 * load), for the life of the process. An operator can still choose sizes with
 * NODE_OPTIONS=--max-semi-space-size.
 */
export function holdYoungGeneration(limitBytes = PROXY_YOUNG_GENERATION_BYTES): void {
  let held: boolean | undefined;
  const steer = () => {
    const hold = youngGenerationBytes() >= limitBytes;
    if (hold === held) return;
    held = hold;
    setFlagsFromString(`--semi-space-growth-factor=${hold ? 1 : V8_GROWTH_FACTOR}`);
  };
  steer();
  new PerformanceObserver(steer).observe({ entryTypes: ['gc'] });
}
