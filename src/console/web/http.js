// The one way the console talks to warden serve: the public /api/v1/* endpoints, with the
// bearer token the user entered (kept for this tab only, in sessionStorage). No framework
// here: early.js uses it before the rest of the console has loaded.

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

function headersFor(as, body) {
  const headers = { accept: as === 'json' ? 'application/json' : '*/*' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return headers;
}

/** Responses to GETs started by startEarly, by URL, until the first view asks for them. */
const early = new Map();
/**
 * Set by the console's first request. The first view makes its requests together, in one pass
 * of effects: after that pass an unclaimed early response (the route changed before the view
 * loaded) is dropped, never handed to a later visit as if it were fresh.
 */
let firstViewAsked = false;

/**
 * Starts a GET the view for the page's route will make, while the console's modules are still
 * loading (~0.2 s of a first visit): the view's own request for that URL takes this response.
 */
export function startEarly(path, params) {
  const url = apiUrl(path, params).href;
  if (firstViewAsked || early.has(url)) return; // the view was quicker and asked itself
  const response = fetch(url, { headers: headersFor('json') });
  response.catch(() => undefined); // the view's request reports a failure; unclaimed, it is dropped
  early.set(url, response);
}

function claimEarly(url) {
  const response = early.get(url);
  early.delete(url);
  return response;
}

/** GET (or POST with a JSON body) and return the parsed body, or throw an ApiError. */
export async function request(path, { params, body, signal, as = 'json' } = {}) {
  if (!firstViewAsked) {
    firstViewAsked = true;
    setTimeout(() => early.clear(), 0);
  }
  const url = apiUrl(path, params);
  const started = body === undefined && as === 'json' ? claimEarly(url.href) : undefined;
  const res = await (started ?? fetch(url, { method: body === undefined ? 'GET' : 'POST', headers: headersFor(as, body), body: body === undefined ? undefined : JSON.stringify(body), signal }));
  signal?.throwIfAborted();
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
