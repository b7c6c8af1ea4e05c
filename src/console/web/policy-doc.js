// Reading limits out of a policy document (the format in README "Policy file"), and the
// "current policy" the user gave the console (kept for this tab, like the token).

const WINDOW_S = { second: 1, minute: 60, hour: 3_600, day: 86_400 };
const CURRENT_KEY = 'warden.currentPolicy';

export const getCurrentPolicyText = () => sessionStorage.getItem(CURRENT_KEY) ?? '';
export function setCurrentPolicyText(text) {
  if (text && text.trim()) sessionStorage.setItem(CURRENT_KEY, text);
  else sessionStorage.removeItem(CURRENT_KEY);
}

/** The current policy as a document when it is JSON (YAML is parsed by the server only), else undefined. */
export function currentPolicyDocument() {
  try {
    const doc = JSON.parse(getCurrentPolicyText());
    return doc && typeof doc === 'object' ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** The entry that governs `tool` for `agent`: a grant's entry replaces the top-level one. */
export function toolEntry(policy, agent, tool) {
  return policy?.grants?.[agent]?.tools?.[tool] ?? policy?.tools?.[tool];
}

/** Limits of an entry with their window in seconds (the older `rate_limit` form included). */
export function limitsOf(entry, tool) {
  if (!entry) return [];
  const limits = [...(entry.limits ?? [])];
  if (entry.rate_limit) limits.push({ counter: `${tool}_rate`, window: entry.rate_limit.window, max: entry.rate_limit.max, scope: 'grant' });
  return limits.map((l) => ({ ...l, scope: l.scope ?? 'grant', window_s: typeof l.window === 'number' ? l.window : WINDOW_S[l.window] }));
}

/** The limits on `tool` for `agent`: its own, then the ones on all tools. */
export function limitsFor(policy, agent, tool) {
  const allTools = policy?.grants?.[agent]?.all_tools ?? policy?.all_tools;
  return [...limitsOf(toolEntry(policy, agent, tool), tool), ...limitsOf(allTools, '*').map((l) => ({ ...l, all_tools: true }))];
}

/** The tightest per-tool limit with a one-minute window (what a calls-per-minute chart can show), or undefined. */
export function minuteLimit(policy, agent, tool) {
  const own = limitsOf(toolEntry(policy, agent, tool), tool).filter((l) => l.window_s === 60);
  return own.length ? Math.min(...own.map((l) => l.max)) : undefined;
}
