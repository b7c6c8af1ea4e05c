import { randomBytes } from 'node:crypto';

/** A random lowercase hex id of `bytes` bytes (16 → trace id, 8 → span id). */
export function randomHexId(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
