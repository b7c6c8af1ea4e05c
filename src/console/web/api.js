// The one way the console talks to warden serve: the public /api/v1/* endpoints, with the
// bearer token the user entered (kept for this tab only, in sessionStorage).
import { useEffect, useState } from 'preact/hooks';

const TOKEN_KEY = 'warden.token';
const unauthorizedListeners = new Set();

export const getToken = () => sessionStorage.getItem(TOKEN_KEY) ?? '';
export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Called with no argument whenever the API answers 401 (no token, or a wrong one). */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function apiUrl(path, params = {}) {
  const url = new URL(path, document.baseURI);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url;
}

/** GET (or POST with a JSON body) and return the parsed body, or throw an ApiError. */
export async function request(path, { params, body, signal, as = 'json' } = {}) {
  const headers = { accept: as === 'json' ? 'application/json' : '*/*' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(apiUrl(path, params), { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  const text = await res.text();
  if (!res.ok) {
    let error = {};
    try {
      error = JSON.parse(text).error ?? {};
    } catch {
      // not JSON: keep the status line
    }
    if (res.status === 401) unauthorizedListeners.forEach((listener) => listener());
    throw new ApiError(res.status, error.code ?? `HTTP_${res.status}`, error.message ?? `${res.status} ${res.statusText}`);
  }
  return as === 'json' ? JSON.parse(text) : text;
}

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
