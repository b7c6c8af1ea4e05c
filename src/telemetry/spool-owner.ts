import { readFileSync } from 'node:fs';

/**
 * Who wrote or claimed a spool file: `<pid>.<start>`, the start being the process's start time in
 * clock ticks after boot (Linux `/proc/<pid>/stat`, field 22). A pid alone is not enough: after a
 * reboot, or on a busy host, a dead proxy's pid can belong to a live process, and its claims
 * would then never go back to the queue. Where /proc is missing the token is the pid alone.
 */
export function ownerToken(pid = process.pid): string {
  const start = processStart(pid);
  return start === undefined ? String(pid) : `${pid}.${start}`;
}

/** Field 22 of /proc/<pid>/stat; undefined when it cannot be read (no such process, no /proc). */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[22 - 3];
  } catch {
    return undefined;
  }
}

/**
 * Whether the process a token names still runs. Used before this process has written anything,
 * so a token with this process's pid is a dead process's (a reused pid).
 */
export function ownerAlive(token: string): boolean {
  const [pidText, start] = token.split('.');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !pidAlive(pid)) return false;
  if (start === undefined) return true;
  const now = processStart(pid);
  return now === undefined || now === start;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
