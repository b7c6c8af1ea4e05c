/** Policy paths and problems in one notation: `tools.session_close.limits[0].max`. */
import type { PolicyProblem } from './types.js';

/** zod's own wording; anything else is a message written in our schema and kept as is. */
const ZOD_DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized)/;
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Joins path segments JSON-pointer-ish: `.key`, `[0]`, and `["odd.key"]` for keys that need quoting. */
export function formatPath(segments: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      out += PLAIN_KEY.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** One `path: message` line per problem (just the message when the path is the whole document). */
export function formatProblems(problems: PolicyProblem[]): string {
  return problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`)).join('\n');
}

interface ZodLikeIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  input?: unknown;
  keys?: string[];
  expected?: string;
  values?: unknown[];
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  origin?: string;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `${typeof value} ${String(value)}`;
}

function sizeMessage(issue: ZodLikeIssue, bound: number | bigint, atLeast: boolean): string {
  if ((issue.origin === 'string' || issue.origin === 'array') && atLeast && Number(bound) === 1) return 'must not be empty';
  const sign = atLeast ? (issue.inclusive === false ? '>' : '≥') : issue.inclusive === false ? '<' : '≤';
  return `must be ${sign} ${String(bound)}`;
}

/** Turns zod issues into problems, one per unknown key, in Warden's own words. */
export function problemsFromIssues(issues: ReadonlyArray<ZodLikeIssue>): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.path);
    if (issue.code !== 'unrecognized_keys' && !ZOD_DEFAULT_MESSAGE.test(issue.message)) {
      out.push({ path, message: issue.message });
      continue;
    }
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys ?? []) out.push({ path: formatPath([...issue.path, key]), message: 'unknown key' });
        break;
      case 'invalid_type':
        out.push({
          path,
          message:
            issue.input === undefined
              ? 'is required'
              : issue.expected === 'int'
                ? 'must be a whole number'
                : `expected ${issue.expected ?? 'another type'}, got ${describeType(issue.input)}`,
        });
        break;
      case 'invalid_value':
        if (issue.input === undefined) out.push({ path, message: 'is required' });
        else out.push({ path, message: `must be one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}` });
        break;
      case 'too_small':
        out.push({ path, message: sizeMessage(issue, issue.minimum ?? 0, true) });
        break;
      case 'too_big':
        out.push({ path, message: sizeMessage(issue, issue.maximum ?? 0, false) });
        break;
      default:
        out.push({ path, message: issue.message });
    }
  }
  return out;
}
