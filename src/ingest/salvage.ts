import { classifyInsertFailure, describeStoreFailure } from '../storage/index.js';

export interface SalvageOutcome {
  /** Rows now in the store. */
  landed: number;
  /** Rows the store refused one by one, handed to `deadLetter`. */
  deadLettered: number;
  /** Rows not tried yet because the store stopped taking writes (retry them later), with why. */
  pending: { lines: string[]; error: unknown } | undefined;
}

/**
 * A batch the store refused as bad data: split it in halves until the good rows are in and
 * each refused row is alone, then hand the refused rows (with the store's reasons) to
 * `deadLetter`. A store fault part-way stops the search; what was not tried yet is returned.
 * Cost: about 2·log2(n) inserts per bad row.
 */
export async function insertSalvaging(
  lines: readonly string[],
  insert: (text: string) => Promise<void>,
  deadLetter: (lines: string[], reason: string) => Promise<void>,
): Promise<SalvageOutcome> {
  const stack: Array<readonly string[]> = [lines];
  const refused: string[] = [];
  const reasons = new Set<string>();
  let landed = 0;
  let pending: SalvageOutcome['pending'];
  while (stack.length > 0) {
    const part = stack.pop() as readonly string[];
    try {
      await insert(part.join('\n'));
      landed += part.length;
    } catch (e) {
      if (classifyInsertFailure(e) === 'store_fault') {
        pending = { lines: [...part, ...stack.reverse().flat()], error: e };
        break;
      }
      if (part.length === 1) {
        refused.push(part[0] as string);
        reasons.add(describeStoreFailure(e));
      } else {
        const mid = Math.ceil(part.length / 2);
        stack.push(part.slice(mid), part.slice(0, mid));
      }
    }
  }
  if (refused.length > 0) await deadLetter(refused, [...reasons].join('\n'));
  return { landed, deadLettered: refused.length, pending };
}
