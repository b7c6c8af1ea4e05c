import { OverBudgetError } from './collector.js';

/**
 * The span budget for an OTLP/JSON body, checked before `JSON.parse` builds its objects: a
 * structural scan over the bytes that counts the elements of every
 * `resourceSpans[].scopeSpans[].spans` array (camelCase or proto names) and throws
 * OverBudgetError at the (budget + 1)th, so nothing past it is read or parsed. It does not
 * parse values: strings, numbers and literals are stepped over byte by byte (no structural byte
 * of JSON occurs inside a UTF-8 multi-byte sequence), and only the keys of the objects on the
 * span path are decoded. For well-formed OTLP/JSON the count is exact; a body that names an array
 * twice (duplicate keys, or both spellings) is counted for both, which can only refuse early.
 * Malformed JSON is left to `JSON.parse`, which reports it. The scan also stops as soon as the
 * bytes left are too few to hold the spans that would go over the budget (n spans take at
 * least 3n − 1 bytes, `{},` each), so a body far below the budget is scanned only in part.
 */
export function checkJsonSpanBudget(body: Buffer, budget: number): void {
  if (Number.isFinite(budget)) new SpanScan(body, budget).run();
}

const enum Role { Other, Root, ResourceSpansArray, ResourceSpans, ScopeSpansArray, ScopeSpans, SpansArray }

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** The array a key opens, in the object of each role (the decoder's `pick(camel, snake)`). */
const ARRAY_KEYS: ReadonlyMap<Role, { keys: readonly string[]; role: Role }> = new Map([
  [Role.Root, { keys: ['resourceSpans', 'resource_spans'], role: Role.ResourceSpansArray }],
  [Role.ResourceSpans, { keys: ['scopeSpans', 'scope_spans'], role: Role.ScopeSpansArray }],
  [Role.ScopeSpans, { keys: ['spans'], role: Role.SpansArray }],
]);

/** The object an element of each array role is. */
const ELEMENT_ROLE: ReadonlyMap<Role, Role> = new Map([
  [Role.ResourceSpansArray, Role.ResourceSpans],
  [Role.ScopeSpansArray, Role.ScopeSpans],
]);

class SpanScan {
  private readonly roles: Role[] = [];
  /** The last string read: an object's key once a colon follows it. */
  private stringStart = 0;
  private stringEnd = 0;
  private key = '';
  private spans = 0;
  /** From here on the rest of the body cannot hold the spans still missing to go over. */
  private stopAt: number;

  constructor(private readonly body: Buffer, private readonly budget: number) {
    this.stopAt = this.body.length - 3 * budget - 1;
  }

  run(): void {
    const { body } = this;
    for (let i = 0; i < this.stopAt; i++) {
      const c = body[i];
      if (c === QUOTE) i = this.skipString(i);
      else if (c === COLON) this.readKey();
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) this.open(c);
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) this.roles.pop();
    }
  }

  /** Keys matter only in the objects on the span path; elsewhere they are not even decoded. */
  private readKey(): void {
    const role = this.roles.at(-1);
    if (role !== undefined && ARRAY_KEYS.has(role)) this.key = this.lastString();
  }

  private open(c: number): void {
    const parent = this.roles.at(-1);
    let role = Role.Other;
    if (parent === undefined) role = c === OPEN_OBJECT ? Role.Root : Role.Other;
    else if (c === OPEN_OBJECT && parent === Role.SpansArray) this.countSpan();
    else if (c === OPEN_OBJECT) role = ELEMENT_ROLE.get(parent) ?? Role.Other;
    else {
      const opens = ARRAY_KEYS.get(parent);
      if (opens?.keys.includes(this.key)) role = opens.role;
    }
    this.roles.push(role);
  }

  private countSpan(): void {
    this.spans += 1;
    if (this.spans > this.budget) throw new OverBudgetError(this.budget);
    this.stopAt += 3;
  }

  /** Index of the closing quote of the string opening at `start` (the body's end if none). */
  private skipString(start: number): number {
    const { body } = this;
    let end = start + 1;
    // A byte loop, not Buffer#indexOf: most strings here are a few bytes long, shorter than a native call costs.
    while (end < body.length && body[end] !== QUOTE) end += body[end] === BACKSLASH ? 2 : 1;
    if (end >= body.length) return body.length;
    this.stringStart = start;
    this.stringEnd = end;
    return end;
  }

  /** The last string's text; escapes (rare in keys) are undone by JSON itself. */
  private lastString(): string {
    const raw = this.body.subarray(this.stringStart, this.stringEnd + 1);
    if (!raw.includes(BACKSLASH)) return raw.toString('utf8', 1, raw.length - 1);
    try {
      return JSON.parse(raw.toString('utf8')) as string;
    } catch {
      return '';
    }
  }
}
