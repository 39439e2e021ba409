import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { BUS_TOPICS, type BusTopic } from '@bulwark/contracts';
import { EventBusError, StreamConfigError } from '../errors.js';

/** One file the WAL writes: the few calls it makes, injectable so tests can fail them (disk full). */
export interface BusWalFile {
  write(buffer: Buffer): Promise<void>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

export interface BusWalOptions {
  /** Directory of the log (created when missing). One bus per directory. */
  dir: string;
  /** A segment is closed and a new one started once it holds this many bytes. Default 16 MiB. */
  maxSegmentBytes?: number;
  /**
   * Extra wait before a commit so more publishes share one fsync. Default 0: appends that arrive while a
   * commit's fsync runs already share the next one (group commit without added latency).
   */
  lingerMillis?: number;
  /** Opens a new segment file for appending; default `fs.promises.open(path, 'wx')`. For tests. */
  openFile?: (filePath: string) => Promise<BusWalFile>;
}

/** A record read back from the log at open: to be delivered again. */
export interface BusWalRecord {
  seq: number;
  topic: BusTopic;
  key: string;
  value: unknown;
}

/** What opening the log found. */
export interface BusWalRecovery {
  /** Records at or after the checkpoint, in append order. */
  records: BusWalRecord[];
  /** Records below the checkpoint (already handled by every consumer group), skipped. */
  skipped: number;
  /** Frames cut short or failing their checksum (a crash mid-write); ignored with the rest of their segment. */
  tornRecords: number;
  /** Bytes ignored after a torn frame or in a file that is not a segment. */
  ignoredBytes: number;
  /** False when `checkpoint.json` was missing or unreadable (everything in the segments was replayed). */
  checkpointFound: boolean;
}

/** Counters of one write-ahead log, for metrics and the fsync-cost figures. */
export interface BusWalStats {
  appendedRecords: number;
  appendedBytes: number;
  /** fdatasync calls that made records durable (one per group commit). */
  commits: number;
  /** Sum of write + fdatasync wall time over all commits, µs. */
  commitMicros: number;
  /** Failed writes or syncs; each answered its publishes `unavailable`. */
  writeErrors: number;
  checkpoints: number;
  segments: number;
  segmentsDeleted: number;
  /** Bytes in live segments. */
  bytesOnDisk: number;
  recoveredRecords: number;
  tornRecords: number;
}

/** Outcome of one append, as a value. */
export type BusWalAppendResult = { ok: true; firstSeq: number } | { ok: false; message: string };

const MAGIC = Buffer.from('BWAL\u0000\u0000\u0000\u0001', 'latin1');
const FRAME_HEADER_BYTES = 8;
const SEGMENT_PATTERN = /^segment-(\d{16})\.wal$/;
const CHECKPOINT_FILE = 'checkpoint.json';

const DEFAULTS = { maxSegmentBytes: 16 * 1024 * 1024, lingerMillis: 0 };

interface Segment {
  file: string;
  /** Highest sequence per topic in the segment (including frames whose write failed). */
  maxSeq: Partial<Record<BusTopic, number>>;
  bytes: number;
}

interface Pending {
  frames: Buffer[];
  bytes: number;
  seqs: { topic: BusTopic; last: number }[];
  waiters: {
    onDurable: (firstSeq: number) => void;
    resolve: (r: BusWalAppendResult) => void;
    firstSeq: number;
  }[];
  firstSeq: number;
}

const crc32: (data: Buffer) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (data) => (zlib as unknown as { crc32: (d: Buffer) => number }).crc32(data)
    : tableCrc32;

let crcTable: Uint32Array | undefined;
function tableCrc32(data: Buffer): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n += 1) {
      let c = n;
      for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i += 1) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

async function defaultOpenFile(filePath: string): Promise<BusWalFile> {
  const fh: FileHandle = await open(filePath, 'wx');
  return {
    write: async (buffer) => {
      let off = 0;
      while (off < buffer.length) {
        const { bytesWritten } = await fh.write(buffer, off, buffer.length - off);
        off += bytesWritten;
      }
    },
    datasync: () => fh.datasync(),
    close: () => fh.close(),
  };
}

/** Makes a rename or a new file's name durable (the directory entry, not just the data). */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const segmentName = (firstSeq: number) => `segment-${String(firstSeq).padStart(16, '0')}.wal`;

/**
 * Write-ahead log under the in-process bus, so `bulwark serve` acknowledges only what survives a SIGKILL or
 * power loss. Records are framed `[u32 length][u32 crc32][JSON [seq, topic, key, value]]` in segment files
 * (rotated by size); `append` resolves once its records are written and fdatasync'ed, and appends that
 * arrive during a commit share the next one (group commit: one fsync per round, not per publish). The bus
 * reports, per topic, the lowest sequence some consumer group still needs; `checkpoint` records it
 * durably and deletes segments wholly below it. `open` reads back the records at or after the checkpoint;
 * a torn last frame (crash mid-write) is detected by its length and checksum, ignored and counted.
 *
 * @example
 * const { wal, recovery } = BusWal.open({ dir: '.bulwark-data/wal' });
 * const res = await wal.append('events', [{ key, value }], () => deliver());
 * if (!res.ok) reply(503);
 */
export class BusWal {
  private readonly options: Required<Omit<BusWalOptions, 'openFile'>>;
  private readonly openFile: (filePath: string) => Promise<BusWalFile>;
  private readonly segments: Segment[];
  private current: { file: BusWalFile; segment: Segment } | undefined;
  private nextSeq: number;
  private pending: Pending | undefined;
  private inFlightFirstSeq: number | undefined;
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  private checkpointing: Promise<void> | undefined;
  private lastCheckpoint = '';
  private closed = false;
  private failedAtMillis = Number.NEGATIVE_INFINITY;
  private readonly counters: BusWalStats;

  private constructor(
    options: BusWalOptions,
    segments: Segment[],
    nextSeq: number,
    recovery: BusWalRecovery,
  ) {
    this.options = {
      dir: options.dir,
      maxSegmentBytes: options.maxSegmentBytes ?? DEFAULTS.maxSegmentBytes,
      lingerMillis: options.lingerMillis ?? DEFAULTS.lingerMillis,
    };
    this.openFile = options.openFile ?? defaultOpenFile;
    this.segments = segments;
    this.nextSeq = nextSeq;
    this.counters = {
      appendedRecords: 0,
      appendedBytes: 0,
      commits: 0,
      commitMicros: 0,
      writeErrors: 0,
      checkpoints: 0,
      segments: segments.length,
      segmentsDeleted: 0,
      bytesOnDisk: segments.reduce((n, s) => n + s.bytes, 0),
      recoveredRecords: recovery.records.length,
      tornRecords: recovery.tornRecords,
    };
  }

  /**
   * Opens (or creates) the log in `options.dir` and reads back what the last run left unhandled. Synchronous:
   * it runs once at start, before anything consumes. Throws `StreamConfigError` for bad options and
   * `EventBusError` (`detectors.bus_wal_unavailable`) when the directory cannot be created or read.
   */
  static open(options: BusWalOptions): { wal: BusWal; recovery: BusWalRecovery } {
    const issues: string[] = [];
    if (typeof options.dir !== 'string' || options.dir.trim() === '') issues.push('dir: must be a path');
    const seg = options.maxSegmentBytes;
    if (seg !== undefined && (!Number.isInteger(seg) || seg < 4096))
      issues.push(`maxSegmentBytes: must be an integer >= 4096, got ${seg}`);
    const linger = options.lingerMillis;
    if (linger !== undefined && (!Number.isFinite(linger) || linger < 0 || linger > 1_000))
      issues.push(`lingerMillis: must be a number from 0 to 1000, got ${linger}`);
    if (issues.length > 0) throw new StreamConfigError('BusWal', issues);
    const dir = options.dir;
    let names: string[];
    try {
      mkdirSync(dir, { recursive: true });
      names = readdirSync(dir);
    } catch (err) {
      throw new EventBusError('wal_unavailable', `bus WAL: cannot use ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    // A checkpoint is written whole and renamed into place, so it is either the old one or the new one;
    // anything unreadable means "replay everything" (duplicates are harmless, losses are not).
    let checkpoint: { nextSeq: number; topics: Partial<Record<BusTopic, number>> } | undefined;
    if (names.includes(CHECKPOINT_FILE)) {
      try {
        const raw = JSON.parse(readFileSync(path.join(dir, CHECKPOINT_FILE), 'utf8')) as unknown;
        if (isCheckpoint(raw)) checkpoint = raw;
      } catch {
        checkpoint = undefined;
      }
    }
    const recovery: BusWalRecovery = {
      records: [],
      skipped: 0,
      tornRecords: 0,
      ignoredBytes: 0,
      checkpointFound: checkpoint !== undefined,
    };
    const segments: Segment[] = [];
    let maxSeq = checkpoint ? checkpoint.nextSeq - 1 : -1;
    for (const name of names.filter((n) => SEGMENT_PATTERN.test(n)).sort()) {
      const file = path.join(dir, name);
      let data: Buffer;
      try {
        data = readFileSync(file);
      } catch (err) {
        throw new EventBusError(
          'wal_unavailable',
          `bus WAL: cannot read ${file}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      const segment: Segment = { file, maxSeq: {}, bytes: data.length };
      segments.push(segment);
      if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
        // Created but its header never reached the disk, or not ours: nothing in it to trust.
        if (data.length > 0) recovery.tornRecords += 1;
        recovery.ignoredBytes += data.length;
        continue;
      }
      let off = MAGIC.length;
      while (off < data.length) {
        const frame = readFrame(data, off);
        if (!frame) {
          recovery.tornRecords += 1;
          recovery.ignoredBytes += data.length - off;
          break;
        }
        off = frame.next;
        const [seq, topic, key, value] = frame.record;
        segment.maxSeq[topic] = Math.max(segment.maxSeq[topic] ?? -1, seq);
        if (seq > maxSeq) maxSeq = seq;
        const from = checkpoint?.topics[topic] ?? 0;
        if (seq < from) recovery.skipped += 1;
        else recovery.records.push({ seq, topic, key, value });
      }
    }
    // Two segments can hold the same sequence only after a failed write was re-sent; keep append order.
    recovery.records.sort((a, b) => a.seq - b.seq);
    const wal = new BusWal(options, segments, maxSeq + 1, recovery);
    return { wal, recovery };
  }

  /** The sequence the next appended record gets. */
  get nextSequence(): number {
    return this.nextSeq;
  }

  /** Lowest sequence not yet durable (queued or being written), or the next sequence when none is. */
  oldestNotDurable(): number {
    return this.inFlightFirstSeq ?? this.pending?.firstSeq ?? this.nextSeq;
  }

  /** False for `cooldownMillis` after a failed write: publishes are refused without touching the disk. */
  isWritable(nowMillis: number, cooldownMillis: number): boolean {
    return !this.closed && nowMillis - this.failedAtMillis >= cooldownMillis;
  }

  /**
   * Appends records of one topic. Resolves once they are durable; `onDurable` runs first, synchronously and
   * in append order across calls, so the caller can make them visible in that order. A record that does
   * not serialise (a cycle, a BigInt) fails the whole call before anything is written.
   */
  append(
    topic: BusTopic,
    records: readonly { key: string; value: unknown }[],
    onDurable: (firstSeq: number) => void,
  ): Promise<BusWalAppendResult> {
    if (this.closed) return Promise.resolve({ ok: false, message: 'bus WAL is closed' });
    const frames: Buffer[] = [];
    let bytes = 0;
    const firstSeq = this.nextSeq;
    try {
      for (let i = 0; i < records.length; i += 1) {
        const r = records[i]!;
        const payload = Buffer.from(JSON.stringify([firstSeq + i, topic, r.key, r.value]), 'utf8');
        const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
        header.writeUInt32LE(payload.length, 0);
        header.writeUInt32LE(crc32(payload), 4);
        frames.push(header, payload);
        bytes += FRAME_HEADER_BYTES + payload.length;
      }
    } catch (err) {
      return Promise.resolve({ ok: false, message: `record does not serialise: ${(err as Error).message}` });
    }
    this.nextSeq += records.length;
    const p = this.pending ?? { frames: [], bytes: 0, seqs: [], waiters: [], firstSeq };
    this.pending = p;
    for (const f of frames) p.frames.push(f);
    p.bytes += bytes;
    p.seqs.push({ topic, last: firstSeq + records.length - 1 });
    return new Promise<BusWalAppendResult>((resolve) => {
      p.waiters.push({ onDurable, resolve, firstSeq });
      this.schedule();
    });
  }

  /**
   * Records durably that, per topic, every record below `nextNeeded[topic]` has been handled by every
   * consumer group, then deletes the segments wholly below it. Skips the write when nothing changed.
   */
  async checkpoint(nextNeeded: Record<BusTopic, number>): Promise<void> {
    if (this.checkpointing) await this.checkpointing;
    const body = JSON.stringify({ version: 1, nextSeq: this.nextSeq, topics: nextNeeded });
    if (body === this.lastCheckpoint) return;
    const run = this.writeCheckpoint(body, nextNeeded);
    this.checkpointing = run;
    try {
      await run;
    } finally {
      this.checkpointing = undefined;
    }
  }

  /** Commits what is queued, writes the final checkpoint when given one, and closes the current segment. */
  async close(finalCheckpoint?: Record<BusTopic, number>): Promise<void> {
    if (this.closed) return;
    await this.drain();
    if (finalCheckpoint) await this.checkpoint(finalCheckpoint).catch(() => {});
    this.closed = true;
    await this.current?.file.close().catch(() => {});
    this.current = undefined;
  }

  /** Resolves when every append made so far has been committed or failed. */
  async drain(): Promise<void> {
    while (this.pending || this.flushing) {
      if (this.flushing) await this.flushing;
      else if (this.pending) await this.commitLoop();
    }
  }

  stats(): BusWalStats {
    return { ...this.counters, segments: this.segments.length };
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    const go = () => {
      this.scheduled = false;
      void this.commitLoop();
    };
    if (this.options.lingerMillis > 0) setTimeout(go, this.options.lingerMillis);
    else setImmediate(go);
  }

  /** One commit after another while appends keep arriving: each round takes everything queued so far. */
  private commitLoop(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (!this.pending) return Promise.resolve();
    let done: () => void = () => {};
    const flushing = new Promise<void>((resolve) => {
      done = resolve;
    });
    this.flushing = flushing;
    void (async () => {
      try {
        while (this.pending) {
          const batch = this.pending;
          this.pending = undefined;
          this.inFlightFirstSeq = batch.firstSeq;
          await this.commit(batch);
          this.inFlightFirstSeq = undefined;
        }
      } finally {
        // Cleared in the same turn the loop saw nothing queued, so the next append schedules a new round.
        this.flushing = undefined;
        done();
      }
    })();
    return flushing;
  }

  private async commit(batch: Pending): Promise<void> {
    const started = performance.now();
    let segment: Segment | undefined;
    try {
      const cur = await this.segmentFor(batch.firstSeq);
      segment = cur.segment;
      for (const s of batch.seqs) segment.maxSeq[s.topic] = Math.max(segment.maxSeq[s.topic] ?? -1, s.last);
      const buf = batch.frames.length === 1 ? batch.frames[0]! : Buffer.concat(batch.frames, batch.bytes);
      segment.bytes += buf.length;
      this.counters.bytesOnDisk += buf.length;
      await cur.file.write(buf);
      await cur.file.datasync();
    } catch (err) {
      this.counters.writeErrors += 1;
      this.failedAtMillis = Date.now();
      // The segment may end in a partial frame now: never append after it (readers stop at a torn frame).
      const cur = this.current;
      this.current = undefined;
      await cur?.file.close().catch(() => {});
      const message = `bus WAL: cannot write to ${this.options.dir}: ${(err as Error).message}`;
      for (const w of batch.waiters) w.resolve({ ok: false, message });
      return;
    }
    this.counters.commits += 1;
    this.counters.commitMicros += Math.round((performance.now() - started) * 1000);
    this.counters.appendedBytes += batch.bytes;
    this.counters.appendedRecords += batch.frames.length / 2;
    for (const w of batch.waiters) {
      w.onDurable(w.firstSeq);
      w.resolve({ ok: true, firstSeq: w.firstSeq });
    }
  }

  /** The open segment, or a new one when there is none or it is full (its name made durable first). */
  private async segmentFor(firstSeq: number): Promise<{ file: BusWalFile; segment: Segment }> {
    const cur = this.current;
    if (cur && cur.segment.bytes < this.options.maxSegmentBytes) return cur;
    this.current = undefined;
    if (cur) await cur.file.close();
    const filePath = path.join(this.options.dir, segmentName(firstSeq));
    const file = await this.openFile(filePath);
    try {
      await file.write(MAGIC);
      await file.datasync();
      syncDir(this.options.dir);
    } catch (err) {
      await file.close().catch(() => {});
      await unlink(filePath).catch(() => {});
      throw err;
    }
    const segment: Segment = { file: filePath, maxSeq: {}, bytes: MAGIC.length };
    this.segments.push(segment);
    this.counters.bytesOnDisk += MAGIC.length;
    this.current = { file, segment };
    return this.current;
  }

  private async writeCheckpoint(body: string, nextNeeded: Record<BusTopic, number>): Promise<void> {
    const dir = this.options.dir;
    const tmp = path.join(dir, `${CHECKPOINT_FILE}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(body, 'utf8');
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path.join(dir, CHECKPOINT_FILE));
    syncDir(dir);
    this.lastCheckpoint = body;
    this.counters.checkpoints += 1;
    // Only after the checkpoint is durable: a segment is gone only when nothing in it is needed again.
    for (const s of [...this.segments]) {
      if (s === this.current?.segment) continue;
      const below = BUS_TOPICS.every((t) => s.maxSeq[t] === undefined || s.maxSeq[t]! < nextNeeded[t]);
      if (!below) continue;
      try {
        unlinkSync(s.file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') continue;
      }
      this.segments.splice(this.segments.indexOf(s), 1);
      this.counters.segmentsDeleted += 1;
      this.counters.bytesOnDisk -= s.bytes;
    }
  }
}

function isCheckpoint(v: unknown): v is { nextSeq: number; topics: Partial<Record<BusTopic, number>> } {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as { version?: unknown; nextSeq?: unknown; topics?: unknown };
  if (c.version !== 1 || !Number.isSafeInteger(c.nextSeq) || typeof c.topics !== 'object' || !c.topics)
    return false;
  return Object.values(c.topics).every((n) => Number.isSafeInteger(n));
}

/** One frame at `off`, or undefined when it is cut short, fails its checksum or does not parse. */
function readFrame(
  data: Buffer,
  off: number,
): { record: [number, BusTopic, string, unknown]; next: number } | undefined {
  if (data.length - off < FRAME_HEADER_BYTES) return undefined;
  const length = data.readUInt32LE(off);
  const crc = data.readUInt32LE(off + 4);
  const start = off + FRAME_HEADER_BYTES;
  if (length > data.length - start) return undefined;
  const payload = data.subarray(start, start + length);
  if (crc32(payload) !== crc) return undefined;
  let rec: unknown;
  try {
    rec = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (
    !Array.isArray(rec) ||
    rec.length !== 4 ||
    !Number.isSafeInteger(rec[0]) ||
    !(BUS_TOPICS as readonly unknown[]).includes(rec[1]) ||
    typeof rec[2] !== 'string'
  )
    return undefined;
  return { record: rec as [number, BusTopic, string, unknown], next: start + length };
}
