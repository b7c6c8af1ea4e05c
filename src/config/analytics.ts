/**
 * Defaults the suggested policy shares between the CLI, the API and the analytics that use
 * them (here, low in the layers, so the CLI need not load the analytics to show a default).
 */

/** Suggested limits are this multiple of the largest observed rolling count. */
export const DEFAULT_SUGGEST_HEADROOM = 1.5;

/** How much recorded history `warden suggest` learns from and `warden simulate` replays, unless told. */
export const DEFAULT_ANALYTICS_SINCE = '7d';
