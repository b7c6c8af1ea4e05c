// The console's requests as Preact state (useApi); the requests themselves are in http.js.
import { useEffect, useState } from 'preact/hooks';
import { request } from './http.js';

export * from './http.js';

/**
 * `{data, error, loading}` for a GET (or a POST when `body` is given) that re-runs when
 * `key` changes (a string built from everything the request depends on). A newer request
 * cancels the one in flight; no `path`, no request. `keepPrevious`: while a new key loads,
 * keep showing the last answer (for periodic refreshes of the same question).
 */
export function useApi(path, params, key, body, { keepPrevious = false } = {}) {
  const [state, setState] = useState({ key: undefined, data: undefined, error: undefined });
  useEffect(() => {
    if (!path) return undefined;
    const abort = new AbortController();
    request(path, { params, body, signal: abort.signal }).then(
      (data) => setState({ key, data, error: undefined }),
      (error) => abort.signal.aborted || setState({ key, data: undefined, error }),
    );
    return () => abort.abort();
  }, [path, key]);
  if (state.key === key) return { ...state, loading: false };
  // An answer for an earlier key is never shown as this one's (e.g. another agent's data),
  // unless the caller refreshes the same question (keepPrevious) and wants no flicker.
  return keepPrevious ? { ...state, loading: true } : { data: undefined, error: undefined, loading: true };
}
