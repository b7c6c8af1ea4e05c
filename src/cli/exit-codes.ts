/** Exit codes, documented in README ("Exit codes"). */
export const EXIT = {
  OK: 0,
  /** The input was checked and found wanting (invalid policy, failed check). */
  FAILURE: 1,
  /** The command line itself was wrong. */
  USAGE: 2,
  /** A bug or an unexpected fault. */
  INTERNAL: 70,
} as const;
