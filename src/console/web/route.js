// Hash routes, so every view is a shareable URL with its time range in it (parsed in hash.js).
import { useEffect, useState } from 'preact/hooks';
import { parseHash, routeHref } from './hash.js';

export { DEFAULT_RANGE, parseHash, rangeOf, routeHref } from './hash.js';

export function useRoute() {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** Same view, some query keys changed (a filter, the range): a new history entry. */
export function navigate(route, changes) {
  location.hash = routeHref(route.view, route.arg, { ...route.query, ...changes });
}
