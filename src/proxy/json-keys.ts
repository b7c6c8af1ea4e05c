/**
 * Finds keys that two JSON readers could read differently. JSON.parse keeps the last of
 * duplicate keys; other readers keep the first, and some match keys case-insensitively (Go's
 * encoding/json does). So an object holding "name" twice, or "name" and "Name" (or a key equal
 * to another after Unicode NFKC normalisation and case folding), could be decided as one tool
 * and executed as another. The proxy refuses any such message (trust rule 1).
 *
 * The text must already be valid JSON (it is scanned after JSON.parse accepted it).
 */
export interface KeyCollision {
  /** Dotted path of the object holding the keys, e.g. `params.arguments` ('' at the top). */
  path: string;
  first: string;
  second: string;
}

const QUOTE = 34;
const BACKSLASH = 92;

/** Keys compare equal after NFKC and case folding (upper then lower folds ß to ss, K to k). */
export function foldKey(key: string): string {
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) > 0x7e) return key.normalize('NFKC').toUpperCase().toLowerCase();
  }
  return key.toLowerCase();
}

interface Frame {
  /** Folded key → key as written; undefined for an array. */
  keys: Map<string, string> | undefined;
  key: string;
}

/** The first collision in document order, or undefined when every object's keys are distinct. */
export function findKeyCollision(text: string): KeyCollision | undefined {
  const stack: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        const folded = foldKey(key);
        const seen = top.keys.get(folded);
        if (seen !== undefined) return { path: pathOf(stack), first: seen, second: key };
        top.keys.set(folded, key);
        top.key = key;
        expectKey = false;
      }
      i = end;
    } else if (c === 123 /* { */) {
      stack.push({ keys: new Map(), key: '' });
      expectKey = true;
    } else if (c === 91 /* [ */) {
      stack.push({ keys: undefined, key: '' });
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
    } else if (c === 44 /* , */) {
      expectKey = stack[stack.length - 1]?.keys !== undefined;
    }
  }
  return undefined;
}

/** Index of the quote closing the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return text.length;
}

function pathOf(stack: Frame[]): string {
  return stack.slice(0, -1).map((f) => f.key || '[]').join('.');
}

export function describeCollision(c: KeyCollision): string {
  const where = c.path ? ` in ${c.path}` : '';
  return c.first === c.second ? `duplicate key "${c.first}"${where}` : `duplicate key: "${c.first}" and "${c.second}" read as the same key${where}`;
}
