/**
 * Canonical policy.json text: known keys in a fixed reading order, maps (tools, grants,
 * properties) sorted by name, two-space indent. The same document always gives the same
 * text, and the text loads back to an equal document.
 */
import type { PolicyDocument } from './schema.js';

const KEY_ORDER = [
  '$schema', 'version', 'name', 'description', 'default', 'mode', 'hide', 'all_tools', 'tools', 'grants',
  'action', 'reason', 'risk', 'rate_limit', 'limits', 'require', 'deny_if', 'args',
  'counter', 'window', 'max', 'scope', 'path', 'op', 'value', 'on_deny',
  'type', 'title', 'format', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const',
  'minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems',
  'default', 'examples',
];
const RANK = new Map<string, number>();
KEY_ORDER.forEach((key, i) => {
  if (!RANK.has(key)) RANK.set(key, i);
});
/** Objects whose keys are names chosen by the author, not schema keywords. */
const NAME_MAPS = new Set(['tools', 'grants', 'properties']);

function orderValue(value: unknown, parentKey: string | undefined, insideUserValue: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => orderValue(v, undefined, insideUserValue));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const byName = parentKey !== undefined && NAME_MAPS.has(parentKey) && !insideUserValue;
  const keys = Object.keys(record).sort(byName || insideUserValue ? undefined : compareKeys);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    // Condition values, enum/const/default members are data: sort their keys plainly.
    const userValue = insideUserValue || (!byName && (key === 'value' || key === 'enum' || key === 'const' || key === 'default' || key === 'examples'));
    out[key] = orderValue(record[key], byName ? undefined : key, userValue);
  }
  return out;
}

function compareKeys(a: string, b: string): number {
  const ra = RANK.get(a) ?? Number.MAX_SAFE_INTEGER;
  const rb = RANK.get(b) ?? Number.MAX_SAFE_INTEGER;
  return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
}

export function policyToJson(doc: PolicyDocument): string {
  return JSON.stringify(orderValue(doc, undefined, false), null, 2) + '\n';
}
