// The requests a view makes as soon as it shows, as [path, params] pairs built from the route
// alone: the view makes them, and early.js starts them while the view's code is still loading.
// One definition for both, so the early request and the view's are the same URL.
import { stepFor } from './format.js';
import { rangeOf } from './hash.js';
import { getCurrentPolicyText } from './policy-doc.js';

/** Points of an Agents sparkline. */
const SPARK_POINTS = 48;
/** The Agent chart: one-minute buckets up to a day; coarser beyond (then each point is a per-minute mean). */
const CHART_POINTS = 1440;
const DEFAULT_HEADROOM = '1.5';

export const agentsRequests = (range) => [
  ['api/v1/agents', range],
  ['api/v1/rates/series', { ...range, step: stepFor(range, SPARK_POINTS) }],
];

/** The Agent view's chart series, rolling rates and anomalies. */
export function agentRequests(agent, range) {
  const params = { ...range, agent };
  return [
    ['api/v1/rates/series', { ...params, step: stepFor(range, CHART_POINTS) }],
    ['api/v1/rates', { ...params, window: 60 }],
    ['api/v1/anomalies', params],
  ];
}

export const anomaliesRequest = (query, range) => ['api/v1/anomalies', { ...range, agent: query.agent, type: query.type, severity: query.severity }];

export const headroomOf = (query) => query.headroom || DEFAULT_HEADROOM;

/** The suggested policy without its replays (they follow in a second request). */
export const suggestionRequest = (query, range) => ['api/v1/policy/suggested', { ...range, headroom: headroomOf(query), backtest: 'false' }];

/** The GETs the route's view starts with (Policy with a current policy POSTs it instead: none). */
export function earlyRequests(route) {
  const range = rangeOf(route.query);
  switch (route.view) {
    case 'agents':
      return agentsRequests(range);
    case 'agent':
      return route.arg ? agentRequests(route.arg, range) : [];
    case 'anomalies':
      return [anomaliesRequest(route.query, range)];
    case 'policy':
      return getCurrentPolicyText() ? [] : [suggestionRequest(route.query, range)];
    default:
      return [];
  }
}
