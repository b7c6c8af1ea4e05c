/**
 * A protobuf wire-format writer into one growing Buffer (OTLP export, OTLP/HTTP replies). Nested messages
 * reserve one length byte and move their body only when it turns out longer than 127 bytes.
 * ASCII strings (all of Warden's keys and nearly all values) are copied byte by byte:
 * for short strings that beats any encoder call.
 */
import { varintSize, type WireTypeValue } from './wire.js';

export class ProtoWriter {
  private buf: Buffer;
  pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** The bytes written so far (a view; the writer must not be reused while it is in use). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /**
   * Starts over (call only once what finish() returned is no longer used). The buffer is kept
   * for the next use unless it grew past `keepBytes`: one batch of huge spans should not pin
   * megabytes for the life of the process.
   */
  reset(keepBytes = Infinity): void {
    this.pos = 0;
    if (this.buf.length > keepBytes) this.buf = Buffer.allocUnsafe(keepBytes);
  }

  tag(field: number, wire: WireTypeValue): void {
    this.varint((field << 3) | wire);
  }

  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    let v = value >>> 0;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  /** A signed integer as a 64-bit varint (two's complement for negatives, as int64 requires). */
  int64(value: number): void {
    if (value >= 0 && value <= 0xffffffff) return this.varint(value);
    let big = BigInt.asUintN(64, BigInt(Math.trunc(value)));
    this.ensure(10);
    while (big > 0x7fn) {
      this.buf[this.pos++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    this.buf[this.pos++] = Number(big);
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  /** An OTel HrTime ([seconds, nanoseconds]) as fixed64 nanoseconds since the epoch. */
  hrTime(time: readonly [number, number]): void {
    // seconds × 10⁹ passes 2⁵³, so the product is split: 10⁹ = 2⁹ × 1953125.
    const seconds = Math.trunc(time[0]);
    const nanos = Math.trunc(time[1]);
    const scaled = seconds * 1953125; // < 2⁵³ for any seconds below 4.6 × 10⁹
    const lowPart = (scaled % 0x800000) * 512 + nanos; // low 23 bits of scaled, shifted by 9, plus nanos
    const high = Math.floor(scaled / 0x800000) + Math.floor(lowPart / 0x100000000);
    this.ensure(8);
    this.buf.writeUInt32LE(lowPart % 0x100000000 >>> 0, this.pos);
    this.buf.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  string(value: string): void {
    const n = value.length;
    this.ensure(n * 3 + 5);
    if (n < 128 && isAscii(value)) {
      const buf = this.buf;
      buf[this.pos++] = n;
      for (let i = 0; i < n; i++) buf[this.pos++] = value.charCodeAt(i);
      return;
    }
    const start = this.begin();
    this.pos += this.buf.write(value, this.pos, 'utf8');
    this.end(start);
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** Bytes written earlier (by copyFrom, or another writer), as they are. */
  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    if (n > 64) {
      this.buf.set(bytes, this.pos);
      this.pos += n;
      return;
    }
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = bytes[i] as number;
    this.pos = pos;
  }

  /** A copy of what was written from `start` on. */
  copyFrom(start: number): Uint8Array {
    return Uint8Array.prototype.slice.call(this.buf, start, this.pos);
  }

  /** A hex id (trace or span id) as raw bytes. */
  hexBytes(hex: string): void {
    this.ensure(hex.length / 2 + 1);
    this.buf[this.pos++] = hex.length >>> 1;
    this.pos += this.buf.write(hex, this.pos, 'hex');
  }

  /** Starts a length-delimited body; pass the result to end(). */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  end(start: number): void {
    const length = this.pos - start - 1;
    if (length < 0x80) {
      this.buf[start] = length;
      return;
    }
    const extra = varintSize(length) - 1;
    this.ensure(extra);
    this.buf.copyWithin(start + 1 + extra, start + 1, this.pos);
    this.pos += extra;
    let v = length;
    let at = start;
    while (v > 0x7f) {
      this.buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[at] = v;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}
