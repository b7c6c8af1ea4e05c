// The console's hash routes as data, with no framework: parsed here for the app (route.js) and
// for early.js, which starts a view's first request before the app has loaded.
//   #/agents?from=-24h&to=now   #/agent/<name>?from=…   #/anomalies?severity=high …

export const DEFAULT_RANGE = { from: '-24h', to: 'now' };

/** `#/agent/x%2Fy?from=-1h` → { view: 'agent', arg: 'x/y', query: { from: '-1h' } } */
export function parseHash(hash) {
  const text = hash.replace(/^#\/?/, '');
  const q = text.indexOf('?');
  const path = q < 0 ? text : text.slice(0, q);
  const [view = '', ...rest] = path.split('/');
  const query = Object.fromEntries(new URLSearchParams(q < 0 ? '' : text.slice(q + 1)));
  return { view: view || 'agents', arg: rest.length ? decodeURIComponent(rest.join('/')) : undefined, query };
}

/** The hash for a view; `query` keys with empty values are left out. */
export function routeHref(view, arg, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const search = params.toString();
  return `#/${view}${arg === undefined ? '' : `/${encodeURIComponent(arg)}`}${search ? `?${search}` : ''}`;
}

/** The range part of a route's query, with defaults. */
export const rangeOf = (query) => ({ from: query.from || DEFAULT_RANGE.from, to: query.to || DEFAULT_RANGE.to });
