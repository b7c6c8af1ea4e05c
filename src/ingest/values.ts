/**
 * Attribute values as the Collector's ClickHouse exporter stores them: pdata's
 * `Value.AsString()`. Strings as they are; bools `true|false`; ints in decimal; doubles in
 * ES6 number form; bytes as standard base64; arrays and maps as Go `encoding/json` output
 * of the raw value (map keys sorted, `<`, `>`, `&`, U+2028/9 escaped, bytes as base64).
 */

/** pdata's float64AsString: ES6 number text, with Go's wording for NaN and infinities. */
export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return 'json: unsupported value: NaN';
  if (value === Infinity) return 'json: unsupported value: +Inf';
  if (value === -Infinity) return 'json: unsupported value: -Inf';
  return Object.is(value, -0) ? '-0' : String(value);
}

/** A double inside Go JSON: the same text, but `null` stands in where Go's marshal would fail. */
export function jsonDouble(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  return Object.is(value, -0) ? '-0' : String(value);
}

const GO_ESCAPES = /[<>&\u2028\u2029]/g;
const GO_ESCAPE_TEXT: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A JSON string literal as Go's encoding/json writes it (HTML-safe escaping). */
export function goJsonString(text: string): string {
  const json = JSON.stringify(text);
  return GO_ESCAPES.test(json) ? json.replace(GO_ESCAPES, (c) => GO_ESCAPE_TEXT[c] as string) : json;
}

/** A JSON object from already-encoded member values, keys sorted as Go sorts map keys (bytewise). */
export function goJsonObject(members: Array<[string, string]>): string {
  members.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  // Go keeps the last value for a repeated key; after a stable sort it is the last of its run.
  const parts: string[] = [];
  for (let i = 0; i < members.length; i++) {
    const m = members[i] as [string, string];
    const next = members[i + 1];
    if (next && next[0] === m[0]) continue;
    parts.push(`${goJsonString(m[0])}:${m[1]}`);
  }
  return `{${parts.join(',')}}`;
}

/** Int64 from a protobuf varint's low and high 32-bit halves, in decimal. */
export function int64ToString(lo: number, hi: number): string {
  const high = hi >>> 0;
  if (high === 0) return String(lo >>> 0);
  if (high <= 0x1fffff) return String(high * 4294967296 + (lo >>> 0));
  return BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(lo >>> 0)).toString();
}
