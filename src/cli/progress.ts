/**
 * Progress for long commands: step lines with timings on a terminal (stderr), nothing at
 * all when stderr is piped, so scripted output stays clean.
 */
export interface Progress {
  step<T>(label: string, work: () => Promise<T>, done?: (value: T) => string): Promise<T>;
  note(text: string): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, enabled = stream.isTTY === true): Progress {
  const write = (text: string) => {
    if (enabled) stream.write(text);
  };
  return {
    async step(label, work, done) {
      const started = performance.now();
      write(`  … ${label}\r`);
      try {
        const value = await work();
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        write(`\x1b[2K  ✓ ${done ? done(value) : label} (${seconds}s)\n`);
        return value;
      } catch (e) {
        write(`\x1b[2K  ✗ ${label}\n`);
        throw e;
      }
    },
    note(text) {
      write(`    ${text}\n`);
    },
  };
}
