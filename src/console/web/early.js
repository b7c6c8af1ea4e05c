// Loaded beside app.js (async): starts the API requests of the page's view at once, so they run
// while the rest of the console's modules load (~0.2 s of a first visit, a few levels of
// imports) instead of after. The view's own requests take these responses (http.js).
import { parseHash } from './hash.js';
import { startEarly } from './http.js';
import { earlyRequests } from './first-requests.js';

for (const [path, params] of earlyRequests(parseHash(location.hash))) startEarly(path, params);
