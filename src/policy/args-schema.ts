/**
 * Argument validation with a JSON Schema subset, compiled once into a tree of closures.
 * Returns the first problem ("args.session_id: expected string, got number") so the agent
 * learns what to fix; keywords outside the subset are rejected when the policy loads.
 */
import { canonicalJson } from '../core/index.js';
import { MAX_REGEX_INPUT_CHARS, compileRegex } from './conditions.js';
import type { ArgsSchema } from './schema.js';

/** Returns undefined when `value` conforms, else one human-readable problem. */
export type ArgsValidator = (value: unknown, path: string) => string | undefined;

type Check = ArgsValidator;

export function compileArgsSchema(schema: ArgsSchema): ArgsValidator {
  const checks: Check[] = [];
  if (schema.type !== undefined) checks.push(typeCheck(Array.isArray(schema.type) ? schema.type : [schema.type]));
  if (schema.enum !== undefined) checks.push(enumCheck(schema.enum));
  if (schema.const !== undefined) checks.push(enumCheck([schema.const]));
  checks.push(...numberChecks(schema), ...stringChecks(schema), ...arrayChecks(schema), ...objectChecks(schema));
  return (value, path) => {
    for (const check of checks) {
      const problem = check(value, path);
      if (problem !== undefined) return problem;
    }
    return undefined;
  };
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function typeCheck(types: string[]): Check {
  const accepts = (value: unknown, type: string): boolean => {
    if (type === 'integer') return Number.isInteger(value);
    if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
    return jsonTypeOf(value) === type;
  };
  return (value, path) =>
    types.some((t) => accepts(value, t)) ? undefined : `${path}: expected ${types.join(' or ')}, got ${jsonTypeOf(value)}`;
}

function enumCheck(allowed: unknown[]): Check {
  const keys = new Set(allowed.map((v) => canonicalJson(v)));
  const shown = allowed.map((v) => JSON.stringify(v)).join(', ');
  return (value, path) => (keys.has(canonicalJson(value)) ? undefined : `${path}: must be one of ${shown}`);
}

function numberChecks(s: ArgsSchema): Check[] {
  const bounds: Array<[number | undefined, (v: number, b: number) => boolean, string]> = [
    [s.minimum, (v, b) => v >= b, '≥'],
    [s.maximum, (v, b) => v <= b, '≤'],
    [s.exclusiveMinimum, (v, b) => v > b, '>'],
    [s.exclusiveMaximum, (v, b) => v < b, '<'],
  ];
  return bounds
    .filter((entry): entry is [number, (v: number, b: number) => boolean, string] => entry[0] !== undefined)
    .map(([bound, ok, sign]) => (value: unknown, path: string) =>
      typeof value !== 'number' || ok(value, bound) ? undefined : `${path}: must be ${sign} ${bound}`,
    );
}

function stringChecks(s: ArgsSchema): Check[] {
  const checks: Check[] = [];
  const { minLength, maxLength, pattern } = s;
  if (minLength !== undefined)
    checks.push((v, p) => (typeof v !== 'string' || v.length >= minLength ? undefined : `${p}: must be at least ${minLength} characters`));
  if (maxLength !== undefined)
    checks.push((v, p) => (typeof v !== 'string' || v.length <= maxLength ? undefined : `${p}: must be at most ${maxLength} characters`));
  if (pattern !== undefined) {
    const re = compileRegex(pattern);
    checks.push((v, p) => {
      if (typeof v !== 'string') return undefined;
      if (v.length > MAX_REGEX_INPUT_CHARS) return `${p}: longer than ${MAX_REGEX_INPUT_CHARS} characters, too long to check against /${pattern}/`;
      return re.test(v) ? undefined : `${p}: must match /${pattern}/`;
    });
  }
  return checks;
}

function arrayChecks(s: ArgsSchema): Check[] {
  const checks: Check[] = [];
  const { minItems, maxItems } = s;
  if (minItems !== undefined)
    checks.push((v, p) => (!Array.isArray(v) || v.length >= minItems ? undefined : `${p}: must have at least ${minItems} items`));
  if (maxItems !== undefined)
    checks.push((v, p) => (!Array.isArray(v) || v.length <= maxItems ? undefined : `${p}: must have at most ${maxItems} items`));
  if (s.items !== undefined) {
    const item = compileArgsSchema(s.items);
    checks.push((v, p) => {
      if (!Array.isArray(v)) return undefined;
      for (let i = 0; i < v.length; i++) {
        const problem = item(v[i], `${p}[${i}]`);
        if (problem !== undefined) return problem;
      }
      return undefined;
    });
  }
  return checks;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function objectChecks(s: ArgsSchema): Check[] {
  const checks: Check[] = [];
  const required = s.required ?? [];
  if (required.length > 0)
    checks.push((v, p) => {
      if (!isPlainObject(v)) return undefined;
      const missing = required.find((key) => v[key] === undefined);
      return missing === undefined ? undefined : `${p}.${missing}: is required`;
    });
  const properties = new Map(Object.entries(s.properties ?? {}).map(([k, sub]) => [k, compileArgsSchema(sub)] as const));
  const extra = s.additionalProperties;
  const extraCheck = isPlainObject(extra) ? compileArgsSchema(extra) : undefined;
  if (properties.size === 0 && extra === undefined) return checks;
  checks.push((v, p) => {
    if (!isPlainObject(v)) return undefined;
    for (const key of Object.keys(v)) {
      const sub = properties.get(key) ?? extraCheck;
      if (sub === undefined) {
        if (extra === false && !properties.has(key)) return `${p}.${key}: is not an accepted argument`;
        continue;
      }
      const problem = sub(v[key], `${p}.${key}`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  });
  return checks;
}
