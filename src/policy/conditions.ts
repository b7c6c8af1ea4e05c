/**
 * Conditions `{path, op, value}` (PolicyLayer / Intercept wording), compiled once into closures.
 * A condition on a field the call does not have never matches, except `exists`.
 */
import { RE2JS } from 're2js';
import { canonicalJson } from '../core/index.js';
import type { ToolCall } from './types.js';

export type ConditionOp = 'eq' | 'neq' | 'in' | 'not_in' | 'lt' | 'lte' | 'gt' | 'gte' | 'regex' | 'contains' | 'exists';

export interface ConditionValueProblem {
  field: 'path' | 'value';
  message: string;
}

export interface CompiledCondition {
  test(call: ToolCall): boolean;
  /** e.g. `args.reason regex "(?i)drop|wipe"`; used in reasons. */
  readonly text: string;
}

const SCALAR_ROOTS = new Set(['agent', 'tool', 'session']);
const ORDERED_OPS = new Set(['lt', 'lte', 'gt', 'gte']);
/**
 * The longest text a policy regex is run on. RE2 matching is linear, so this bounds one call's
 * matching work (~25 ms at this size on a 2-vCPU machine); a longer value is not matched at all
 * and fails closed: it counts as matching a `deny_if` and as failing a `require` or an args
 * `pattern`.
 */
export const MAX_REGEX_INPUT_CHARS = 65_536;

/** A compiled policy regex: `test` finds a match anywhere in the text, like RegExp#test. */
export interface LinearRegex {
  test(text: string): boolean;
}

/**
 * Compiles a policy regex with RE2 semantics (the syntax PolicyLayer's Go engine uses: inline
 * flags such as a leading `(?i)`, no backreferences or lookaround), so matching takes time
 * linear in the text however hostile the argument. Throws on a pattern RE2 cannot compile.
 */
export function compileRegex(source: string): LinearRegex {
  const re = RE2JS.compile(source);
  return { test: (text) => re.matcher(text).find() };
}

/** Problems with a condition's path or value for its operator (empty when it is well-formed). */
export function checkConditionValue(path: string, op: ConditionOp, value: unknown): ConditionValueProblem[] {
  const problems: ConditionValueProblem[] = [];
  const pathProblem = checkPath(path);
  if (pathProblem) problems.push({ field: 'path', message: pathProblem });
  const valueProblem = checkValue(op, value);
  if (valueProblem) problems.push({ field: 'value', message: valueProblem });
  return problems;
}

function checkPath(path: string): string | undefined {
  const segments = path.split('.');
  const root = segments[0] as string;
  if (SCALAR_ROOTS.has(root)) return segments.length === 1 ? undefined : `"${root}" is a string and has no fields`;
  if (root !== 'args') return `must start with "args." (e.g. args.session_id), or be agent, tool or session`;
  if (segments.some((s) => s === '')) return 'has an empty segment';
  return undefined;
}

function checkValue(op: ConditionOp, value: unknown): string | undefined {
  if (op === 'exists') return value === undefined || typeof value === 'boolean' ? undefined : 'exists takes no value, or true/false';
  if (value === undefined) return `${op} needs a value`;
  if (op === 'in' || op === 'not_in') return Array.isArray(value) ? undefined : `${op} needs a list of values`;
  if (ORDERED_OPS.has(op)) return typeof value === 'number' || typeof value === 'string' ? undefined : `${op} needs a number or a string`;
  if (op === 'regex') {
    if (typeof value !== 'string') return 'regex needs a string pattern';
    try {
      compileRegex(value);
    } catch (e) {
      return (e as Error).message;
    }
  }
  return undefined;
}

/** Returns a reader for `path`; `undefined` means the call has no such field. */
function compilePath(path: string): (call: ToolCall) => unknown {
  const segments = path.split('.');
  const root = segments[0];
  if (root === 'agent') return (call) => call.agent;
  if (root === 'tool') return (call) => call.tool;
  if (root === 'session') return (call) => call.session;
  const rest = segments.slice(1);
  if (rest.length === 1) {
    const key = rest[0] as string;
    return (call) => readField(call.args, key);
  }
  return (call) => {
    let current: unknown = call.args;
    for (const key of rest) {
      current = readField(current, key);
      if (current === undefined) return undefined;
    }
    return current;
  };
}

function readField(container: unknown, key: string): unknown {
  if (container === null || typeof container !== 'object') return undefined;
  if (Array.isArray(container)) {
    const index = Number(key);
    return Number.isInteger(index) ? container[index] : undefined;
  }
  return Object.prototype.hasOwnProperty.call(container, key) ? (container as Record<string, unknown>)[key] : undefined;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return canonicalJson(a) === canonicalJson(b);
}

/** Orders a field against the condition's value; undefined when they are not comparable. */
function compareTo(field: unknown, value: number | string): number | undefined {
  if (typeof field === 'number' && typeof value === 'number') return field - value;
  if (typeof field === 'string' && typeof value === 'string') return field < value ? -1 : field > value ? 1 : 0;
  if (typeof field === 'string' && typeof value === 'number' && field.trim() !== '') {
    const n = Number(field);
    return Number.isFinite(n) ? n - value : undefined;
  }
  return undefined;
}

function buildMatcher(op: ConditionOp, value: unknown, overlong: boolean): (field: unknown) => boolean {
  switch (op) {
    case 'exists': {
      const wanted = value !== false;
      return (field) => (field !== undefined && field !== null) === wanted;
    }
    case 'eq':
      return (field) => sameValue(field, value);
    case 'neq':
      return (field) => !sameValue(field, value);
    case 'in': {
      const list = value as unknown[];
      return (field) => list.some((v) => sameValue(field, v));
    }
    case 'not_in': {
      const list = value as unknown[];
      return (field) => !list.some((v) => sameValue(field, v));
    }
    case 'regex': {
      const re = compileRegex(value as string);
      return (field) => {
        if (typeof field !== 'string' && typeof field !== 'number' && typeof field !== 'boolean') return false;
        const text = String(field);
        return text.length > MAX_REGEX_INPUT_CHARS ? overlong : re.test(text);
      };
    }
    case 'contains':
      return (field) =>
        typeof field === 'string' ? typeof value === 'string' && field.includes(value) : Array.isArray(field) && field.some((v) => sameValue(v, value));
    default:
      return buildOrderedMatcher(op, value as number | string);
  }
}

function buildOrderedMatcher(op: ConditionOp, value: number | string): (field: unknown) => boolean {
  const accept: (c: number) => boolean =
    op === 'lt' ? (c) => c < 0 : op === 'lte' ? (c) => c <= 0 : op === 'gt' ? (c) => c > 0 : (c) => c >= 0;
  return (field) => {
    const c = compareTo(field, value);
    return c !== undefined && accept(c);
  };
}

/**
 * `overlong` is what a regex condition answers for a value longer than MAX_REGEX_INPUT_CHARS:
 * true in a deny_if list and false in a require list, so an unmatched value always denies.
 */
export function compileCondition(spec: { path: string; op: ConditionOp; value?: unknown }, overlong = true): CompiledCondition {
  const read = compilePath(spec.path);
  const match = buildMatcher(spec.op, spec.value, overlong);
  const isExists = spec.op === 'exists';
  const text = spec.value === undefined ? `${spec.path} ${spec.op}` : `${spec.path} ${spec.op} ${JSON.stringify(spec.value)}`;
  return {
    text,
    test: (call) => {
      const field = read(call);
      if (field === undefined && !isExists) return false;
      return match(field);
    },
  };
}
