import { chmod, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/index.js';

/**
 * A bounded on-disk queue of OTLP export bodies, for when the endpoint is down.
 * Files are named `<ms>-<pid>-<seq>-<spans>.otlp` so the name order is the age order and
 * the span count survives a restart. Writes are atomic (temp file + rename). Before a
 * delivery a file is claimed by renaming it, so two proxies sharing a directory never send
 * the same file twice; a claim left by a dead process is released on start.
 */
export interface SpoolEntry {
  name: string;
  bytes: number;
  spans: number;
  /** Being delivered right now; the bound never drops it. */
  claimed?: boolean;
}

const SUFFIX = '.otlp';
const CLAIM = '.claim-';

/** Spooled spans hold agent names, tool names and argument hashes: readable by the proxy's user only. */
export const SPOOL_FILE_MODE = 0o600;
export const SPOOL_DIR_MODE = 0o700;

export class DiskSpool {
  private entries: SpoolEntry[] = [];
  private totalBytes = 0;
  private seq = 0;
  private droppedSpans = 0;
  private ready: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly logger: Logger,
  ) {}

  /** Spans dropped because the spool was past its bound (oldest first). */
  get dropped(): number {
    return this.droppedSpans;
  }

  get pendingSpans(): number {
    return this.entries.reduce((sum, e) => sum + e.spans, 0);
  }

  get pendingFiles(): number {
    return this.entries.length;
  }

  /** Creates the directory and indexes files left by earlier runs. */
  init(): Promise<void> {
    this.ready ??= this.scan();
    return this.ready;
  }

  async write(body: Uint8Array, spans: number): Promise<void> {
    await this.init();
    const name = `${String(Date.now()).padStart(15, '0')}-${process.pid}-${String(this.seq++).padStart(6, '0')}-${spans}${SUFFIX}`;
    const tmp = join(this.dir, `.tmp-${name}`);
    await writeFile(tmp, body, { mode: SPOOL_FILE_MODE });
    await rename(tmp, join(this.dir, name));
    this.entries.push({ name, bytes: body.byteLength, spans });
    this.totalBytes += body.byteLength;
    await this.enforceBound();
  }

  /** The oldest file, claimed for delivery; undefined when empty or another process took it. */
  async claimOldest(): Promise<{ entry: SpoolEntry; body: Buffer; claimedPath: string } | undefined> {
    await this.init();
    for (;;) {
      const entry = this.entries.find((e) => !e.claimed);
      if (!entry) return undefined;
      const claimedPath = join(this.dir, `${entry.name}${CLAIM}${process.pid}`);
      try {
        await rename(join(this.dir, entry.name), claimedPath);
        entry.claimed = true;
        return { entry, body: await readFile(claimedPath), claimedPath };
      } catch {
        this.forget(entry); // gone (delivered by another process or removed by hand)
      }
    }
  }

  /** After a successful delivery. */
  async remove(claimed: { entry: SpoolEntry; claimedPath: string }): Promise<void> {
    this.forget(claimed.entry);
    await unlink(claimed.claimedPath).catch(() => {});
  }

  /** After a failed delivery: the file goes back to the queue, still the oldest. */
  async release(claimed: { entry: SpoolEntry; claimedPath: string }): Promise<void> {
    claimed.entry.claimed = false;
    await rename(claimed.claimedPath, join(this.dir, claimed.entry.name)).catch(() => this.forget(claimed.entry));
  }

  private forget(entry: SpoolEntry): void {
    const index = this.entries.indexOf(entry);
    if (index >= 0) {
      this.entries.splice(index, 1);
      this.totalBytes -= entry.bytes;
    }
  }

  private async enforceBound(): Promise<void> {
    let dropped = 0;
    while (this.totalBytes > this.maxBytes) {
      const oldest = this.entries.find((e) => !e.claimed);
      if (!oldest) break;
      this.forget(oldest);
      dropped += oldest.spans;
      await unlink(join(this.dir, oldest.name)).catch(() => {});
    }
    if (dropped > 0) {
      this.droppedSpans += dropped;
      this.logger.warn('telemetry spool is full; dropped the oldest spans', { dropped, dropped_total: this.droppedSpans, dir: this.dir });
    }
  }

  private async scan(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: SPOOL_DIR_MODE });
    // A directory made by an older version (or another umask) is tightened too.
    await chmod(this.dir, SPOOL_DIR_MODE);
    for (const name of (await readdir(this.dir)).sort()) {
      if (name.includes(CLAIM)) await this.releaseStaleClaim(name);
    }
    for (const name of (await readdir(this.dir)).sort()) {
      if (!name.endsWith(SUFFIX) || name.startsWith('.')) continue;
      const bytes = await stat(join(this.dir, name)).then((s) => s.size, () => -1);
      if (bytes < 0) continue;
      this.entries.push({ name, bytes, spans: spanCountFromName(name) });
      this.totalBytes += bytes;
    }
    if (this.entries.length > 0) this.logger.info('telemetry spool holds undelivered spans', { spans: this.pendingSpans, dir: this.dir });
  }

  private async releaseStaleClaim(name: string): Promise<void> {
    const pid = Number(name.slice(name.lastIndexOf(CLAIM) + CLAIM.length));
    if (pid !== process.pid && isAlive(pid)) return;
    await rename(join(this.dir, name), join(this.dir, name.slice(0, name.lastIndexOf(CLAIM)))).catch(() => {});
  }
}

function spanCountFromName(name: string): number {
  const count = Number(name.slice(0, -SUFFIX.length).split('-').pop());
  return Number.isFinite(count) ? count : 0;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
