import { chmodSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/index.js';
import { ownerAlive, ownerToken } from './spool-owner.js';

/**
 * A bounded on-disk queue of OTLP export bodies: every batch the proxy exports is here from
 * the moment it is handed over until the endpoint took it, so a SIGKILL loses none of them.
 * Files are named `<ms>-<owner>-<seq>-<spans>.otlp` so the name order is the age order and
 * the span count survives a restart (owner: pid and start time, spool-owner.ts). Writes are
 * atomic (temp file + rename). A file being delivered is claimed (renamed `….claim-<owner>`),
 * so two proxies sharing a directory never send the same file twice; a claim left by a dead
 * process (even one whose pid now belongs to another) is released on start, and a temp file
 * it left (killed mid-write) is removed.
 */
export interface ClaimedSpoolFile {
  entry: SpoolEntry;
  claimedPath: string;
}
export interface SpoolEntry {
  name: string;
  bytes: number;
  spans: number;
  /** Being delivered right now; the bound never drops it. */
  claimed?: boolean;
}

const SUFFIX = '.otlp';
const CLAIM = '.claim-';
const TMP = '.tmp-';
/** This process, in the names of the files it writes and claims. */
const OWNER = ownerToken();

/** Spooled spans hold agent names, tool names and argument hashes: readable by the proxy's user only. */
export const SPOOL_FILE_MODE = 0o600;
export const SPOOL_DIR_MODE = 0o700;

export class DiskSpool {
  private entries: SpoolEntry[] = [];
  private totalBytes = 0;
  private seq = 0;
  private droppedSpans = 0;
  private opened = false;

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

  /** Files on disk: waiting, and being delivered. */
  get pendingFiles(): number {
    return this.entries.length;
  }

  /** Files waiting for a delivery (not claimed). */
  get queuedFiles(): number {
    return this.entries.reduce((n, e) => (e.claimed ? n : n + 1), 0);
  }

  /** Creates the directory and indexes files left by earlier runs (once; synchronous, so no write can race it). */
  init(): Promise<void> {
    try {
      this.open();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Puts a body on disk before this returns (page cache, no fsync: what it guards against is
   * the process dying, not the machine), so a SIGKILL a moment later loses nothing. `claimed`:
   * the caller is about to deliver it itself (a live send); remove or release it afterwards.
   */
  add(body: Uint8Array, spans: number, claimed: true): ClaimedSpoolFile;
  add(body: Uint8Array, spans: number, claimed?: false): SpoolEntry;
  add(body: Uint8Array, spans: number, claimed = false): ClaimedSpoolFile | SpoolEntry {
    this.open();
    const name = `${String(Date.now()).padStart(15, '0')}-${OWNER}-${String(this.seq++).padStart(6, '0')}-${spans}${SUFFIX}`;
    const tmp = join(this.dir, `${TMP}${name}`);
    const path = join(this.dir, claimed ? `${name}${CLAIM}${OWNER}` : name);
    writeFileSync(tmp, body, { mode: SPOOL_FILE_MODE });
    renameSync(tmp, path);
    const entry: SpoolEntry = { name, bytes: body.byteLength, spans, claimed };
    this.entries.push(entry);
    this.totalBytes += body.byteLength;
    this.enforceBound();
    return claimed ? { entry, claimedPath: path } : entry;
  }

  /** The oldest file, claimed for delivery; undefined when empty or another process took it. */
  async claimOldest(): Promise<(ClaimedSpoolFile & { body: Buffer }) | undefined> {
    await this.init();
    for (;;) {
      const entry = this.entries.find((e) => !e.claimed);
      if (!entry) return undefined;
      const claimedPath = join(this.dir, `${entry.name}${CLAIM}${OWNER}`);
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
  async remove(claimed: ClaimedSpoolFile): Promise<void> {
    this.forget(claimed.entry);
    await unlink(claimed.claimedPath).catch(() => {});
  }

  /** After a failed delivery: the file goes back to the queue, still the oldest. */
  async release(claimed: ClaimedSpoolFile): Promise<void> {
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

  private enforceBound(): void {
    let dropped = 0;
    while (this.totalBytes > this.maxBytes) {
      const oldest = this.entries.find((e) => !e.claimed);
      if (!oldest) break;
      this.forget(oldest);
      dropped += oldest.spans;
      unlink(join(this.dir, oldest.name)).catch(() => {});
    }
    if (dropped > 0) {
      this.droppedSpans += dropped;
      this.logger.warn('telemetry spool is full; dropped the oldest spans', { dropped, dropped_total: this.droppedSpans, dir: this.dir });
    }
  }

  private open(): void {
    if (this.opened) return;
    mkdirSync(this.dir, { recursive: true, mode: SPOOL_DIR_MODE });
    // A directory made by an older version (or another umask) is tightened too.
    chmodSync(this.dir, SPOOL_DIR_MODE);
    for (const name of readdirSync(this.dir).sort()) this.tidy(name);
    for (const name of readdirSync(this.dir).sort()) {
      if (!name.endsWith(SUFFIX) || name.startsWith('.')) continue;
      const bytes = sizeOf(join(this.dir, name));
      if (bytes < 0) continue;
      this.entries.push({ name, bytes, spans: spanCountFromName(name) });
      this.totalBytes += bytes;
    }
    this.opened = true;
    if (this.entries.length > 0) this.logger.info('telemetry spool holds undelivered spans', { spans: this.pendingSpans, dir: this.dir });
  }

  /** What a dead process left: its claims go back to the queue, its half-written files go. */
  private tidy(name: string): void {
    const path = join(this.dir, name);
    if (name.includes(CLAIM)) {
      if (!ownerAlive(name.slice(name.lastIndexOf(CLAIM) + CLAIM.length))) tryFs(() => renameSync(path, path.slice(0, path.lastIndexOf(CLAIM))));
    } else if (name.startsWith(TMP) && !ownerAlive(name.slice(TMP.length).split('-')[1] ?? '')) {
      tryFs(() => unlinkSync(path));
    }
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

/** Another process may have moved the file first (two proxies on one directory). */
function tryFs(step: () => void): void {
  try {
    step();
  } catch {
    // gone already
  }
}

function spanCountFromName(name: string): number {
  const count = Number(name.slice(0, -SUFFIX.length).split('-').pop());
  return Number.isFinite(count) ? count : 0;
}
