/** Time source seam: the proxy reads the wall clock, replays read each call's own timestamp. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock that moves only when told to; for tests and deterministic replays. */
export class ManualClock implements Clock {
  constructor(private current = 0) {}
  nowMs(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
